/*
 * verify.h - eelverify's shared types: rules, findings with their path
 * notes, resource pairs and configuration, per-function summaries and the
 * entry points of the checker's parts (config, engine, reporting, output).
 *
 * The engine walks the analysis core's CFGs (tools/analysis/analysis.h);
 * nothing here touches libclang.
 */
#ifndef EEL_VERIFY_H
#define EEL_VERIFY_H

#include <stddef.h>
#include <stdio.h>

#include "analysis.h"

/* ---- Rules ---------------------------------------------------------- */

enum vrule {
    R_GROUP_LEAK,
    R_USE_AFTER_DELETE,
    R_DOUBLE_DELETE,
    R_RESOURCE_LEAK,
    R_DOUBLE_RELEASE,
    R_FD_USE_AFTER_CLOSE,
    R_UNKNOWN_CALL,
    R_NRULES
};

const char *vrule_id(enum vrule r);
const char *vrule_summary(enum vrule r);
int vrule_by_id(const char *id); /* -1 if none */

/* ---- Findings ------------------------------------------------------- */

struct vnote {
    struct ea_loc loc;
    const char *msg;
};

struct vfinding {
    enum vrule rule;
    struct ea_loc loc;
    const char *msg;
    const char *function; /* where it was found */
    struct vnote *notes;  /* the path, in order */
    size_t nnotes;
};

struct vreport {
    struct vfinding *items;
    size_t n, cap;
    size_t suppressed;
};

/* Adds a finding (copies msg and notes).  A second finding with the same
 * rule, place and message keeps the shorter path. */
void vreport_add(struct vreport *r, enum vrule rule, struct ea_loc loc,
                 const char *function, const char *msg,
                 const struct vnote *notes, size_t nnotes);
/* Sorts by file, line, column, rule. */
void vreport_sort(struct vreport *r);
/* Drops the findings from index n on (a walk that is undone). */
void vreport_truncate(struct vreport *r, size_t n);
void vreport_free(struct vreport *r);
/* A copy of notes[0..n) with its messages, and its release. */
struct vnote *vnotes_copy(const struct vnote *notes, size_t n);
void vnotes_free(struct vnote *notes, size_t n);

/* gcc-style text ("file:line:col: warning: ... [rule]" then notes). */
void vdiag_print(const struct vreport *r, FILE *out);
/* SARIF 2.1.0; returns 0 or -1 (message printed). */
int vsarif_write(const struct vreport *r, const char *path);

/* ---- Resource pairs and configuration ------------------------------- */

enum vres_kind { VK_MEM, VK_FD, VK_FILE, VK_USER };

struct vpair {
    const char *acquire; /* function returning the resource */
    const char *release; /* function taking it as first argument */
    enum vres_kind kind;
    int fail_negative; /* failure is a negative value (fds), else NULL */
};

struct vconfig {
    struct vpair *pairs;
    size_t npairs, cappairs;
    const char **escapes; /* functions that take ownership of arguments */
    size_t nescapes, capescapes;
    int verbose;
    const char *sarif_path;
    int no_facts; /* --no-facts: no integer-fact pruning */
};

void vconfig_init(struct vconfig *c);
void vconfig_free(struct vconfig *c);
/* "acq:rel"; returns 0 or -1 with a message on stderr. */
int vconfig_add_pair(struct vconfig *c, const char *spec, const char *where);
/* Reads a config file (see docs/eelverify.md); 0 or -1 (message printed). */
int vconfig_load(struct vconfig *c, const char *path);
int vconfig_pair_by_acquire(const struct vconfig *c, const char *name);
/* Does `fn` release a resource of pair p (free/close/fclose/eel_close/user
 * release)?  p < 0: does it release anything at all. */
int vconfig_is_release(const struct vconfig *c, const char *fn, int p);
int vconfig_is_escape(const struct vconfig *c, const char *fn);

/* Suppression comments: eelverify: ignore, NOLINT, NOLINT(eel-...). */
int vsuppressed(const char *file, unsigned line, enum vrule rule);
void vsuppress_free(void);

/* ---- Summaries ------------------------------------------------------ */

/* An integer range: [lo,hi] without ne (if has_ne). */
struct ival {
    long long lo, hi, ne, has_ne;
};

/* Slot states: what a path did with a group, resource or parameter. */
enum vst {
    ST_NONE = 0, /* not held on this path (never made, or failed) */
    ST_LIVE,     /* held: must be handed on or released */
    ST_HANDED,   /* registered / handed to a callback */
    ST_RELEASED, /* deleted, freed, closed */
    ST_ESCAPED   /* stored somewhere longer-lived, returned, unknown */
};
/* First thing a path did with a parameter (for checks in the caller). */
enum vfirst { F_NONE = 0, F_USE, F_RELEASE };

/* Per parameter, two slots: the parameter itself and, for pointers, the
 * group stored in one of its fields ("gfield"). */
struct voutcome {
    unsigned char *st;        /* 2 * nparams final states */
    unsigned char *first;     /* 2 * nparams first actions */
    long long ret_lo, ret_hi; /* return value range */
    struct ival *prange;      /* per parameter: its range on this path (if
                                 never assigned) */
    int ret_new;              /* returns a new resource: -2 none, -1 group,
                                 else pair index */
    struct ea_loc exit;       /* return statement (or closing brace) */
    struct vnote *notes;      /* a path that ends this way (for callers' */
    size_t nnotes;            /* diagnostics), at most VOUT_NOTES */
};
#define VOUT_NOTES 24

struct vsumdata {
    struct voutcome *outs;
    size_t nouts, capouts;
    /* callbacks each parameter slot may be handed to (via cb_arg/fd) */
    struct vhand *hands;
    size_t nhands, caphands;
};

/* Recursion: a call to a function still being analysed uses its summary
 * of the previous round (none in the first); rounds repeat until no
 * summary changes, a least fixed point. */
struct vsummary {
    int state; /* 0 not started, 1 in progress, 2 done (this round) */
    struct vsumdata cur, prev;
};

/* Hand-offs: a value passed as cb_arg (param 1) or fd (param 2) of a
 * registration whose callback is `to`. */
struct vhand {
    int from_slot; /* caller's param slot (2*i or 2*i+1), or -1: a live
                      resource acquired in the function (a seed) */
    struct ea_function *to;
    int to_param; /* 1 = arg, 2 = fd */
    struct ea_loc loc;
    const char *origin; /* seeds: "malloc at file:line" */
};

/* Exit records of callbacks, kept until ownership is known. */
struct vexit {
    struct ea_function *f;
    int param; /* 0 gid, 1 arg, 2 fd */
    struct ea_loc loc;
    struct vnote *notes;
    size_t nnotes;
};

/* ---- The checker ---------------------------------------------------- */

struct vctx {
    struct ea_program *prog;
    struct vconfig *cfg;
    struct vreport *report;
    struct vsummary *sums; /* by function id */
    unsigned char *is_cb;  /* by function id: registered as a callback */
    struct vexit *exits;
    size_t nexits, capexits;
    size_t states_total;
    int saw_recursion; /* some call used a previous-round summary */
    int rounds;
    size_t fallbacks; /* functions re-run without integer facts */
};

/* Runs every check over the program; findings go to ctx->report. */
void verify_program(struct vctx *ctx);
/* Analyses one function (its callees' summaries must be done). */
void verify_function(struct vctx *ctx, struct ea_function *f);
/* After all functions: which callbacks own arg/fd, then leak reports. */
void verify_ownership(struct vctx *ctx);
void verify_free(struct vctx *ctx);
void voutcome_free(struct voutcome *o);
int voutcome_same(const struct voutcome *a, const struct voutcome *b,
                  size_t npar);

/* Verbose messages (-v) go to stderr. */
void vverbose(const struct vctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Small helpers. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *vloc_file(const struct ea_loc *l);

#endif /* EEL_VERIFY_H */
