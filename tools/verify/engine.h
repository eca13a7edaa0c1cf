/*
 * engine.h - internals of eelverify's path-sensitive engine, shared by
 * state.c (abstract states, integer facts, the visited set), engine.c (the
 * walk over one function's CFG), calls.c (what a call does to a state:
 * libeel, pairs, summaries of helpers) and program.c (whole program).
 *
 * A state holds, for every tracked "slot" (a parameter, the group in a
 * parameter's fields, or a value made at one call site), its state and the
 * first thing done to it; for every variable, the slot it holds; and for
 * the variables tested in conditions, an integer range.  States are flat
 * byte strings so that equal states are found by hashing: reaching a node
 * again with a state already seen there ends the path, which makes loops a
 * fixed point over a finite lattice rather than an unrolling bound.
 */
#ifndef EEL_VERIFY_ENGINE_H
#define EEL_VERIFY_ENGINE_H

#include <limits.h>
#include <stdint.h>

#include "verify.h"

#define V_MIN LLONG_MIN
#define V_MAX LLONG_MAX

enum slot_origin { O_PARAM, O_GFIELD, O_SITE };
enum slot_type { T_GROUP, T_PTR, T_INT };

struct slot {
    enum slot_origin origin;
    enum slot_type type;
    int param; /* O_PARAM / O_GFIELD: parameter index */
    int pair;  /* O_SITE resources: pair index; -1 group, -2 unknown */
    const struct ea_call *call; /* O_SITE */
    const char *desc;           /* "malloc at f.c:12", "parameter 'gid'" */
    int opaque; /* the call sits inside an expression the core does not
                   model (compound literal, initialiser list...): when no
                   variable holds its value, its fate is unknown */
};

/* Path notes: a persistent list, newest first, sharing prefixes. */
struct pnote {
    const struct pnote *prev;
    struct ea_loc loc;
    const char *msg;
    unsigned len;
};

/* Per node: results of calls in this node (for the assignment and the
 * condition that follow), and the return being taken. */
struct callres {
    const struct ea_call *call;
    struct ival ret;
    int slot; /* slot of the value it made, or -1 */
};
struct scratch {
    struct callres calls[32];
    int ncalls;
    int ninherit; /* calls[0..ninherit) came from the previous node */
    int ret_slot;
    int has_ret;
    struct ival retv;
    struct ea_loc retloc;
};

struct arena {
    struct arena_blk *blk;
};

struct fctx {
    struct vctx *v;
    struct ea_function *f;
    struct vsummary *sum;
    int is_cb;
    struct slot *slots;
    int nslots, capslots;
    const struct ea_var **vars; /* params, then locals */
    int nvars;
    int *fact_of;            /* var index -> fact index or -1 */
    unsigned char *assigned; /* param index -> assigned somewhere */
    /* Is a call's value read by some expression?  (call_value_use != 0;
     * a pointer so that state.c stands alone.) */
    int (*value_used)(const struct ea_call *c);
    int nfacts;
    int use_facts;
    size_t ssize, off_first, off_bind, off_gbind, off_facts;
    /* visited set */
    struct ventry **table;
    size_t tcap, tcount;
    struct arena arena;
    size_t budget;
    int overflow;
    /* hand-offs of made values to callbacks, confirmed at an exit where
     * the value is still only handed (not also returned or stored) */
    struct pending {
        int slot;
        struct ea_function *to;
        int to_param;
        struct ea_loc loc;
    } * pending;
    size_t npending, cappending;
    /* escapes already reported in verbose mode */
    struct {
        unsigned line, col;
        int slot;
    } said[64];
    size_t nsaid;
    /* work stack */
    struct ventry **stack;
    size_t nstack, capstack;
};

/* A state waiting at a node (at action `idx`: a call with several
 * outcomes parks each at the next action, so that equal states meet there
 * instead of multiplying through the rest of the node).  The core may put
 * a call in the node before the statement that uses its value (`return
 * f(x);`), so call results ride along: those of the previous node
 * (inh[0..ninherit)) and of this node so far; they count for equality. */
struct ventry {
    const struct ea_node *node;
    size_t idx;
    unsigned char *state;
    const struct pnote *notes;
    uint64_t hash;
    struct callres *inh;
    int ninh, ninherit;
};

/* state.c */
void *arena_alloc(struct arena *a, size_t n);
void arena_free(struct arena *a);
const char *arena_printf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
unsigned char *st_new(struct fctx *fc);
unsigned char *st_copy(struct fctx *fc, const unsigned char *s);
static inline unsigned char *st_state(struct fctx *fc, unsigned char *s)
{
    (void)fc;
    return s; /* slot states come first */
}
static inline unsigned char *st_first(struct fctx *fc, unsigned char *s)
{
    return s + fc->off_first;
}
static inline int16_t *st_bind(struct fctx *fc, unsigned char *s)
{
    return (int16_t *)(s + fc->off_bind);
}
/* For each made object: the slot of the group stored in its fields
 * (`c->gid = gid` with c fresh from calloc), or -1. */
static inline int16_t *st_gbind(struct fctx *fc, unsigned char *s)
{
    return (int16_t *)(s + fc->off_gbind);
}
static inline struct ival *st_facts(struct fctx *fc, unsigned char *s)
{
    return (struct ival *)(s + fc->off_facts);
}
/* Pushes (node, state) unless already seen; takes the state. */
void st_push(struct fctx *fc, const struct ea_node *node, unsigned char *s,
             const struct pnote *notes, const struct callres *inh, int ninh);
/* The same, resuming at action idx with the node's call results so far. */
void st_push_at(struct fctx *fc, const struct ea_node *node, size_t idx,
                unsigned char *s, const struct pnote *notes,
                const struct scratch *sc);
struct ventry *st_pop(struct fctx *fc);
void st_reset(struct fctx *fc);

struct ival iv_top(void);
struct ival iv_exact(long long v);
struct ival iv_range(long long lo, long long hi);
int iv_is_exact(const struct ival *v);
int iv_empty(const struct ival *v);
/* Restricts v to values where `v op c` is `truth`; 0 if none remain. */
int iv_refine(struct ival *v, const char *op, long long c, int truth);
/* Could `a op b` be `truth` for some values? */
int iv_may(const struct ival *a, const char *op, const struct ival *b,
           int truth);

const struct pnote *pnote_add(struct fctx *fc, const struct pnote *prev,
                              struct ea_loc loc, const char *msg);
/* Array of notes oldest first (malloc'd); *n set. */
struct vnote *pnote_array(const struct pnote *p, size_t *n);

/* engine.c */
int var_index(const struct fctx *fc, const struct ea_var *v);
/* What a variable of v's type holds: a group, a pointer or an integer. */
enum slot_type type_of_var(const struct ea_var *v);
/* Appends a slot; returns its index. */
int add_slot(struct fctx *fc, struct slot s);
int resolve_slot(struct fctx *fc, unsigned char *s, const struct ea_expr *e,
                 const struct scratch *sc);
struct ival value_of(struct fctx *fc, unsigned char *s, const struct ea_expr *e,
                     const struct scratch *sc);
const char *slot_name(struct fctx *fc, unsigned char *s, int slot);
/* The variable (with a range) an expression reads or assigns, or -1. */
int fact_var(struct fctx *fc, const struct ea_expr *e);
/* Narrows variable v to `v op c` == truth; 0 if that cannot hold. */
int refine_var(struct fctx *fc, unsigned char *s, int v, const char *op,
               long long c, int truth);
/* How the value of call c is used nearby: 0 not at all, 1 as a modelled
 * operand, 2 inside an expression the core does not model. */
int call_value_use(const struct ea_call *c);
/* The same for one expression tree. */
int use_in(const struct ea_expr *e, const struct ea_call *c);
/* Marks a held value escaped, and with an object the group it holds. */
void mark_escaped(struct fctx *fc, unsigned char *s, int slot);
/* The slot of the group kept in the fields of the object in slot b. */
int gfield_of(struct fctx *fc, unsigned char *s, int b);
const char *slot_what(struct fctx *fc, unsigned char *s, int slot);
/* exits.c: a path leaves the function from node `from`. */
void do_exit(struct fctx *fc, const struct ea_node *from, unsigned char *s,
             const struct pnote *notes, const struct scratch *sc);
/* exits.c: undoes what an over-budget walk added to shared results. */
void rollback(struct fctx *fc, size_t nfind, size_t nexit, size_t nhand);
void finding(struct fctx *fc, enum vrule rule, struct ea_loc loc,
             const struct pnote *notes, const char *msg);
int slot_for_call(struct fctx *fc, const struct ea_call *call);

/* calls.c: applies a call; calls `k` for each resulting state. */
typedef void (*cont_fn)(struct fctx *fc, const struct ea_node *node,
                        size_t next, unsigned char *s,
                        const struct pnote *notes, struct scratch *sc);
void apply_call(struct fctx *fc, const struct ea_node *node, size_t idx,
                unsigned char *s, const struct pnote *notes, struct scratch *sc,
                cont_fn k);
void record_hand(struct fctx *fc, int from_slot, struct ea_function *to,
                 int to_param, struct ea_loc loc, const char *origin);
int fd_like(const struct fctx *fc, int slot);
/* Gives the call a slot if it may make a group or resource. */
void slot_for_call_prepare(struct fctx *fc, const struct ea_call *c);

#endif /* EEL_VERIFY_ENGINE_H */
