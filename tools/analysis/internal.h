/*
 * internal.h - private helpers of the analysis core: an arena that owns
 * every object of a program, interned strings, growable pointer arrays and
 * a string-keyed hash map.  Not installed, not for the tools.
 */
#ifndef EEL_ANALYSIS_INTERNAL_H
#define EEL_ANALYSIS_INTERNAL_H

#include "analysis.h"

#include <stdint.h>

/* ---- arena ---- */
struct ea_arena {
    struct ea_chunk *head;
};
void *ea_alloc(struct ea_arena *a, size_t n); /* zeroed; aborts on OOM */
char *ea_strdup(struct ea_arena *a, const char *s);
char *ea_strndup(struct ea_arena *a, const char *s, size_t n);
char *ea_printf(struct ea_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ea_arena_free(struct ea_arena *a);

/* Aborting malloc wrappers for scratch memory outside the arena. */
void *ea_xmalloc(size_t n);
void *ea_xrealloc(void *p, size_t n);

/* ---- growable pointer array (heap; copy into the arena when done) ---- */
struct ea_vec {
    void **v;
    size_t n, cap;
};
void ea_vec_push(struct ea_vec *vec, void *p);
void ea_vec_free(struct ea_vec *vec);
/* Copies into the arena and frees the vector; returns the array. */
void **ea_vec_finish(struct ea_arena *a, struct ea_vec *vec, size_t *n);

/* ---- string map (keys copied to the arena) ---- */
struct ea_map {
    struct ea_map_slot *slots;
    size_t n, cap;
};
void *ea_map_get(const struct ea_map *m, const char *key);
/* Sets key -> val; returns the previous value or NULL. */
void *ea_map_put(struct ea_map *m, struct ea_arena *a, const char *key,
                 void *val);
void ea_map_free(struct ea_map *m);
/* Iteration: for (i = 0; i < m->cap; i++) if ea_map_at(m, i, &k, &v) */
int ea_map_at(const struct ea_map *m, size_t i, const char **key,
              void **val);

/* Interned strings: equal contents -> same pointer. */
const char *ea_intern(struct ea_map *m, struct ea_arena *a, const char *s);

/* ---- the program's private state ---- */
/* The facts stored at one key of ea_priv.fp_facts: "v:USR" (variable),
 * "f:USR" (field), "a:FUNCUSR#i" (parameter i). */
struct ea_fp_fact {
    const char *func_usr;     /* a function stored there, or NULL */
    const char *alias;        /* or: everything stored at this other key */
    struct ea_fp_fact *next;
};

struct ea_priv {
    struct ea_arena arena;
    struct ea_map strings;   /* interned strings */
    struct ea_map funcs;     /* USR -> struct ea_function */
    struct ea_map globals;   /* USR -> struct ea_var */
    struct ea_map fp_facts;  /* key -> struct ea_fp_fact list */
    struct ea_vec pending;   /* struct ea_pending_call: callee by USR */
    struct ea_vec tu_names;  /* main file of each unit parsed */
};

/* A call or function name whose function is known by USR only until all
 * TUs are read (exactly one of call/expr is set). */
struct ea_pending_call {
    struct ea_call *call;
    struct ea_expr *expr;
    const char *usr;
};

static inline struct ea_priv *ea_priv(struct ea_program *p)
{
    return (struct ea_priv *)p->priv;
}

/* The key under which function-pointer facts about e (casts stripped)
 * are recorded, or NULL if e is no variable, parameter or field. */
const char *ea_fp_key(struct ea_program *prog, const struct ea_expr *e);
/* Records that `func` (or everything at `alias`) may be stored at key. */
void ea_fp_record(struct ea_program *prog, const char *key,
                  const char *func_usr, const char *alias);

/* After every TU: bind callees, callers, noreturn, address_taken. */
void ea_link_program(struct ea_program *prog);

#endif
