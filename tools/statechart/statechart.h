/*
 * statechart.h - eelstatechart's model: the labels each function carries
 * (libeel operations with their group source, callback and the call path
 * to the site), percolated up the call graph, and the charts built from
 * them.  Internal to the tool.
 */
#ifndef EEL_STATECHART_H
#define EEL_STATECHART_H

#include "analysis.h"
#include "internal.h"

/* Where a group id comes from, in the function that holds the label. */
enum sc_src_kind {
    SC_SRC_PARAM,   /* parameter `param` of the function */
    SC_SRC_NEW,     /* eel_new_group_id() at loc */
    SC_SRC_FIELD,   /* a struct field (key = field USR) */
    SC_SRC_GLOBAL,  /* a global variable (key = USR) */
    SC_SRC_CURRENT, /* eel_current_group(): the running callback's group */
    SC_SRC_UNKNOWN  /* anything else (key = text) */
};

struct sc_src {
    enum sc_src_kind kind;
    int param;
    const char *key;  /* interned identity: equal keys, same source */
    const char *desc; /* for people: "tmp", "uri->gid", "param gid" */
    struct ea_loc loc; /* NEW: the call */
    const struct ea_function *func; /* NEW: the function calling it */
};

/* One step of a call path, outermost first; the last is the libeel call. */
struct sc_hop {
    const struct ea_function *func; /* where the call is */
    struct ea_loc loc;
    const char *callee; /* name of what is called there */
    int error;          /* this call is reached only under an error test */
    const struct sc_hop *next;
};

/* What a callback argument names. */
struct sc_cb {
    const struct ea_function *func; /* a function, or NULL: */
    int param;                      /* ... parameter of the holder, or -1 */
    int approximate;
    const char *unresolved; /* text when nothing is known */
    /* param >= 0: what the parameter may hold by the core's function
     * pointer rules, used where no caller translates it (a callback's
     * parameter, say). */
    struct ea_function **alts;
    size_t nalts;
};

enum sc_label_kind { SC_REG, SC_DELETE, SC_NEW, SC_STORE };

struct sc_label {
    enum sc_label_kind kind;
    const char *ev;         /* REG: "R","W","E","T","SIG" */
    struct sc_cb cb, tcb;   /* REG: callback, timeout callback (tcb.func
                               NULL and param -1 if none) */
    int has_tcb;
    struct sc_src src;      /* group source (STORE: the value stored) */
    const char *store_key;  /* STORE: field/global key written */
    const struct sc_hop *path;
    int error;       /* some hop is under an error test */
    int approximate; /* a callback came from function-pointer guessing */
};

struct sc_labels {
    struct sc_label **v;
    size_t n, cap;
    struct ea_map seen; /* dedupe keys */
};

struct sc_ctx {
    struct ea_program *prog;
    struct ea_arena arena;
    struct ea_map strings;
    struct sc_labels *labels;  /* per function id, percolated */
    char **ok_nodes;           /* per function: success-reachable nodes */
    struct ea_map new_desc;    /* call ptr text -> variable it is put in */
    size_t max_labels;         /* per function, against blow-ups */
    int truncated;
};

void sc_compute_labels(struct sc_ctx *cx);
void sc_free_ctx(struct sc_ctx *cx);
const char *sc_intern(struct sc_ctx *cx, const char *s);
const char *sc_base(const char *path);
/* The last hop of a path (the libeel call itself), NULL for no path. */
const struct sc_hop *sc_last_hop(const struct sc_hop *path);

/* ---- charts ---- */
struct sc_site {
    const struct sc_hop *path;
    int error;
    int approximate;
};

struct sc_edge {
    const char *from, *to; /* node ids */
    const char *kind;      /* R W E T SIG TO delete */
    int new_group;
    const char *group;     /* chart id of the edge's group */
    int timeout, error_path, approximate;
    struct sc_site *sites;
    size_t nsites, capsites;
};

struct sc_node {
    const char *id; /* function uname, or "delete" */
    const struct ea_function *func;
    int is_entry, is_origin, is_timeout_cb;
    const char **creates; /* chart ids of groups created here */
    size_t ncreates;
};

struct sc_chart {
    const char *id;    /* g0, g1, ... */
    const char *title; /* "main - New(tmp@http.c:595)" */
    struct sc_src src;
    const char *origin_names; /* "main" or "a, b" */
    int reachable;
    struct sc_node *nodes;
    size_t nnodes, capnodes;
    struct sc_edge *edges;
    size_t nedges, capedges;
};

struct sc_result {
    const char *entry;
    struct sc_chart *charts;
    size_t ncharts;
    const char **warnings;
    size_t nwarnings;
};

/* Builds the charts from `entry` (NULL: main, else roots). 0 or -1 with a
 * message in res->warnings[0] (no such entry). */
int sc_build_charts(struct sc_ctx *cx, const char *entry,
                    struct sc_result *res);
void sc_free_result(struct sc_result *res);

/* ---- output ---- */
void sc_write_json(const struct sc_result *r, FILE *out);
void sc_write_dot(const struct sc_result *r, FILE *out);
/* Through the `dot` program; 0 or -1 with a message on stderr. */
int sc_write_svg(const struct sc_result *r, FILE *out);

#endif
