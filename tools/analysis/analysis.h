/*
 * analysis.h - the eel analysis core: a whole C program loaded through
 * libclang and turned into functions, per-function control-flow graphs,
 * libeel operations, a call graph and function-pointer targets.
 *
 * Shared by eelstatechart and eelverify.  Everything a tool needs is plain
 * C data owned by one `struct ea_program` (freed at once by
 * ea_program_free); no libclang type leaks through this header, so the
 * tools never touch clang themselves.
 *
 * Conventions: arrays come with a count; strings are interned and live as
 * long as the program; locations are expansion locations (a libeel call
 * inside a macro is reported at the macro's use).
 */
#ifndef EEL_ANALYSIS_H
#define EEL_ANALYSIS_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ea_program;
struct ea_function;
struct ea_var;
struct ea_call;
struct ea_node;

/* ---- Inputs: identical command lines for every tool ------------------- */

/* What to analyse: either a compile_commands.json directory (-p), or files
 * with the compiler flags that follow `--`.  With -p and files, only the
 * listed files of the database are analysed. */
struct ea_input {
    const char *build_dir; /* -p DIR / --build-dir=DIR, or NULL */
    const char **files;    /* source files (positional arguments) */
    size_t nfiles;
    const char **flags; /* compiler flags after `--` */
    size_t nflags;
    int verbose; /* -v / --verbose given */
};

/* A tool's own option.  `name` is the long name without dashes ("format");
 * `short_name` is 0 or a letter ('o').  has_arg: 1 if it takes a value
 * (`--format json`, `--format=json`, `-o FILE`, `-oFILE`). */
struct ea_cli_option {
    const char *name;
    char short_name;
    int has_arg;
    int id; /* passed back to the callback */
};
/* Called for each tool option; return 0 to accept, non-zero to reject
 * (the parser then prints nothing more and returns EA_CLI_ERROR). */
typedef int (*ea_cli_fn)(void *ctx, int id, const char *value);

enum ea_cli_result {
    EA_CLI_OK = 0,
    EA_CLI_HELP = 1,   /* -h/--help seen: print usage, exit 0 */
    EA_CLI_ERROR = 2,  /* message already printed to stderr: exit 2 */
    EA_CLI_VERSION = 3 /* --version seen */
};

/* Parses argv into `in` (pointers into argv; nothing to free except
 * in->files/in->flags arrays, released by ea_input_free).  Handles -p,
 * --build-dir, -v/--verbose, -h/--help, --version, `--`, positional files,
 * and the tool's options.  Needs at least one file or -p. */
enum ea_cli_result ea_cli_parse(int argc, char **argv,
                                const struct ea_cli_option *opts, size_t nopts,
                                ea_cli_fn fn, void *ctx, struct ea_input *in,
                                const char *prog);
void ea_input_free(struct ea_input *in);
/* The usage lines every tool shares (the input part), for --help. */
void ea_cli_print_input_usage(FILE *out);

/* ---- Source locations -------------------------------------------------- */

struct ea_loc {
    const char *file; /* as given to / found by clang; NULL if unknown */
    unsigned line, col;
};

/* ---- libeel operations -------------------------------------------------- */

enum ea_eel_op {
    EA_EEL_NONE = 0,
    EA_EEL_NEW_GROUP,    /* eel_new_group_id */
    EA_EEL_DELETE_GROUP, /* eel_delete_group_id */
    EA_EEL_ADD_TIMER,
    EA_EEL_ADD_READ,
    EA_EEL_ADD_WRITE,
    EA_EEL_ADD_ERROR,
    EA_EEL_ADD_READ_TIMEOUT,
    EA_EEL_ADD_WRITE_TIMEOUT,
    EA_EEL_ADD_SIGNAL,
    EA_EEL_CANCEL,
    EA_EEL_CLOSE,
    EA_EEL_GROUP_PENDING,
    EA_EEL_GROUP_SET_WAITING,
    EA_EEL_INIT,
    EA_EEL_DISPATCH,
    EA_EEL_RUN,
    EA_EEL_BREAK,
    EA_EEL_SHUTDOWN,
    EA_EEL_OTHER /* any other eel_* function of eel.h (eel_now, ...) */
};

/* Where each argument of a libeel call sits (-1: not present). */
struct ea_eel_sig {
    enum ea_eel_op op;
    const char *name;   /* "eel_add_read_timeout" */
    int is_register;    /* one of the eel_add_* functions */
    int gid_arg;        /* eel_group_id argument */
    int cb_arg;         /* callback */
    int timeout_cb_arg; /* timeout callback */
    int cbarg_arg;      /* void *cb_arg */
    int fd_arg;         /* fd (or signum for eel_add_signal, ev for cancel) */
    int timeout_arg;    /* milliseconds */
    const char *kind;   /* edge kind of cb: "R","W","E","T","SIG"; NULL */
};
/* The signature of a libeel function by op (never NULL; EA_EEL_NONE gives
 * an all -1 entry), and the op of a function name (EA_EEL_NONE if not). */
const struct ea_eel_sig *ea_eel_sig(enum ea_eel_op op);
enum ea_eel_op ea_eel_op_by_name(const char *name);

/* ---- Expressions --------------------------------------------------------- */

enum ea_expr_kind {
    EA_E_UNKNOWN = 0, /* anything not modelled; `text` still set */
    EA_E_INT,         /* integer constant (literal, enum constant, char,
                         sizeof folded by clang, `-1` folded): ival */
    EA_E_STRING,      /* string literal */
    EA_E_VAR,         /* a variable: var (local/param/global) */
    EA_E_FUNC,        /* a function name used as a value: func/name */
    EA_E_FIELD,       /* base.name or base->name: lhs = base, arrow */
    EA_E_INDEX,       /* lhs[rhs] */
    EA_E_UNOP,        /* op lhs ("!", "-", "~", "&", "*", "++", "--"),
                         postfix: postfix=1 */
    EA_E_BINOP,       /* lhs op rhs ("==", "<", "&&", "+", ",", ...) */
    EA_E_ASSIGN,      /* lhs op rhs, op "=" or "+=" etc (value of an
                         assignment used inside a larger expression) */
    EA_E_CALL,        /* call (see struct ea_call) */
    EA_E_COND,        /* lhs ? rhs : third.  When an arm has effects
                         (a call...), the CFG branches on the condition
                         and lhs is EA_E_UNKNOWN (text only); the same
                         for the lhs of `a && f()` / `a || f()` */
    EA_E_CAST         /* (type) lhs; casts and parens are skipped when
                         building, so this appears only for explicit casts
                         whose type matters: it is kept for `text` only */
};

struct ea_expr {
    enum ea_expr_kind kind;
    const char *text; /* source text, whitespace collapsed */
    long long ival;   /* EA_E_INT */
    const char *name; /* VAR/FUNC: identifier; FIELD: member name */
    const char *op;   /* UNOP/BINOP/ASSIGN: operator; "?" if unknown */
    int arrow;        /* FIELD: `->` (1) or `.` (0) */
    int postfix;      /* UNOP: x++ / x-- */
    struct ea_expr *lhs, *rhs, *third;
    struct ea_var *var;       /* VAR */
    struct ea_function *func; /* FUNC (NULL: declared, not defined) */
    struct ea_call *call;     /* CALL */
    const char *sym;          /* VAR/FUNC/FIELD: clang USR of the
                                 declaration (a field's names its
                                 struct: "c:@S@uri@FI@gid") */
    const char *path;         /* access path of VAR/FIELD chains
                                 ("uri->gid", "c.g", "*p"), else NULL;
                                 equal strings == same storage */
    struct ea_var *root;      /* the variable at the root of path */
    int is_group_id;          /* the expression's type is eel_group_id */
    int is_callback_type;     /* the expression's type is eel_callback
                                 (or a pointer to such a function) */
    struct ea_loc loc;
};

/* Strips casts/parens: returns the first non-CAST expression (or NULL). */
const struct ea_expr *ea_expr_strip(const struct ea_expr *e);

/* ---- Variables ---------------------------------------------------------- */

enum ea_var_kind { EA_VAR_PARAM, EA_VAR_LOCAL, EA_VAR_GLOBAL };

struct ea_var {
    enum ea_var_kind kind;
    const char *name;
    const char *type;      /* type spelling as written ("eel_group_id") */
    int index;             /* PARAM: position; else -1 */
    int is_group_id;       /* type is eel_group_id */
    int is_callback_type;  /* type is eel_callback / same signature */
    int is_static_storage; /* global or static local */
    struct ea_function *function; /* PARAM/LOCAL: owner; GLOBAL: NULL */
    struct ea_loc loc;
};

/* ---- Calls --------------------------------------------------------------- */

struct ea_call {
    const char *callee_name;     /* direct call: function name; else NULL */
    struct ea_function *callee;  /* direct call to a defined function */
    enum ea_eel_op eel_op;       /* libeel function called, or EA_EEL_NONE */
    struct ea_expr *callee_expr; /* indirect call: the pointer expression */
    struct ea_expr **args;
    size_t nargs;
    /* Indirect calls: the functions the pointer may hold (see the
     * function-pointer rules in ea_resolve_callback); approximate = 1
     * whenever targets come from that resolution. */
    struct ea_function **targets;
    size_t ntargets;
    int approximate;
    struct ea_function *caller;
    struct ea_node *node; /* CFG node that performs the call */
    struct ea_loc loc;
    const char *text; /* source text of the call */
};

/* The parameter of `call`'s callee that argument i binds to (NULL for
 * varargs, indirect or undefined callees). */
const struct ea_var *ea_call_param(const struct ea_call *call, size_t i);

/* What a callback argument (of a registration or any eel_callback-typed
 * expression) can be.  Direct function name: exact, one target.
 * Otherwise: the functions ever assigned/initialised into the same
 * variable or struct field (by field name and struct), functions passed
 * for the same parameter at every call site, and if nothing is found the
 * address-taken functions with eel_callback's signature; approximate = 1.
 * `param` is set when the expression is (a cast of) a parameter of the
 * enclosing function, so tools can translate it at call sites.  The
 * fallback applies to any expression (a `void *` cast to a callback
 * included), since the caller asks for a callback. */
struct ea_cb_targets {
    struct ea_function **funcs; /* owned by the program */
    size_t nfuncs;
    int approximate;
    const struct ea_var *param; /* expression is this parameter, or NULL */
    int guessed; /* funcs are only the signature fallback (nothing was
                    stored there): every address-taken eel_callback */
    const char *unresolved; /* non-NULL text when nothing was found */
};
struct ea_cb_targets ea_resolve_callback(struct ea_program *prog,
                                         const struct ea_expr *e);

/* ---- Control-flow graph -------------------------------------------------- */

/* One thing a node does, in evaluation order. */
enum ea_action_kind {
    EA_ACT_CALL,   /* call */
    EA_ACT_ASSIGN, /* lhs op rhs (also declarations with initialisers:
                      decl = 1).  When rhs is a call, that call's
                      EA_ACT_CALL comes first in the same node. */
    EA_ACT_RETURN  /* return value (NULL for `return;`) */
};

struct ea_action {
    enum ea_action_kind kind;
    struct ea_call *call;      /* CALL */
    struct ea_expr *lhs, *rhs; /* ASSIGN (rhs NULL for `int x;`: then no
                                 action is emitted at all), RETURN: rhs */
    const char *op;            /* ASSIGN: "=", "+=", "++", ... */
    int decl;                  /* ASSIGN from a declaration */
    struct ea_loc loc;
};

enum ea_node_kind {
    EA_N_ENTRY,  /* function entry, no actions */
    EA_N_EXIT,   /* the single exit; every return reaches it */
    EA_N_PLAIN,  /* straight-line actions */
    EA_N_BRANCH, /* actions, then `cond` decides: EA_EDGE_TRUE/FALSE */
    EA_N_SWITCH, /* actions, then `cond` selects EA_EDGE_CASE/DEFAULT */
    EA_N_RETURN, /* a return statement (its action RETURN), edge to exit */
    EA_N_LABEL   /* a label or loop join point, no actions */
};

enum ea_edge_kind {
    EA_EDGE_ALWAYS,  /* unconditional */
    EA_EDGE_TRUE,    /* branch condition held */
    EA_EDGE_FALSE,   /* branch condition failed */
    EA_EDGE_CASE,    /* switch case case_lo..case_hi */
    EA_EDGE_DEFAULT, /* switch default (explicit or implicit) */
    EA_EDGE_NORETURN /* after a call to a noreturn function: to exit,
                        but the path did not return (exit, abort...) */
};

/* Edge flags. */
#define EA_EDGE_F_BACK 1u     /* loop back edge (target is a loop head) */
#define EA_EDGE_F_GOTO 2u     /* from a goto */
#define EA_EDGE_F_BREAK 4u    /* from break */
#define EA_EDGE_F_CONTINUE 8u /* from continue */

struct ea_node;
struct ea_edge {
    enum ea_edge_kind kind;
    unsigned flags;
    long long case_lo, case_hi; /* CASE */
    int case_known;             /* CASE: value known (else a text only) */
    struct ea_node *to;
};

struct ea_node {
    int id; /* index in the function's nodes[] */
    enum ea_node_kind kind;
    struct ea_action *actions;
    size_t nactions;
    struct ea_expr *cond; /* BRANCH/SWITCH; for BRANCH, the condition of
                             one short-circuit operand, never `a && b` */
    int loop_head;        /* a loop's condition (back edges arrive) */
    const char *label;    /* LABEL: the C label name, or NULL */
    struct ea_edge *succ;
    size_t nsucc;
    struct ea_node **pred;
    size_t npred;
    struct ea_loc loc;
};

struct ea_cfg {
    struct ea_node **nodes; /* nodes[0] = entry, nodes[1] = exit */
    size_t nnodes;
    struct ea_node *entry, *exit;
    int has_computed_goto; /* `goto *p`: edges to every label (approx.) */
};

/* ---- Functions and the program ------------------------------------------- */

struct ea_function {
    int id;            /* index in program->functions */
    const char *name;  /* C name */
    const char *uname; /* unique name: name, or name@file for statics
                          whose name is defined more than once */
    const char *usr;   /* clang USR (statics include their file) */
    int is_static;
    int is_callback_type; /* signature (eel_group_id, void *, int) -> void */
    int address_taken;    /* used as a value anywhere */
    int noreturn;
    struct ea_loc loc;     /* of the definition's name */
    struct ea_loc end_loc; /* where the closing brace `}` is */
    const char *file;      /* file of the definition */
    struct ea_var **params;
    size_t nparams;
    struct ea_var **locals; /* every local, including nested blocks */
    size_t nlocals;
    struct ea_call **calls; /* every call in the body, source order */
    size_t ncalls;
    struct ea_call **callers; /* calls that (may) reach this function,
                                 direct or resolved indirect */
    size_t ncallers;
    struct ea_cfg cfg;
};

struct ea_program {
    struct ea_function **functions; /* every defined function (outside
                                       system headers) */
    size_t nfunctions;
    struct ea_var **globals;
    size_t nglobals;
    const char **files; /* translation units analysed */
    size_t nfiles;
    size_t neel_calls;   /* libeel calls in all function bodies */
    int eel_header_seen; /* some TU declared eel_add_read etc. */
    void *priv;          /* the core's private state */
};

/* Load status. */
enum ea_load_status {
    EA_LOAD_OK = 0,
    EA_LOAD_USAGE = 1, /* bad input: no such file, no database ... */
    EA_LOAD_PARSE = 2  /* clang reported errors (printed to diag) */
};

/* Parses every translation unit, builds functions, CFGs and the call
 * graph.  Diagnostics (clang's errors, messages) go to `diag`.  On
 * failure returns NULL and sets *status.  Warnings never fail a load. */
struct ea_program *ea_program_load(const struct ea_input *in, FILE *diag,
                                   enum ea_load_status *status);
void ea_program_free(struct ea_program *prog);

/* Lookups.  By C name: the non-static definition if there is one, else the
 * first static one (ambiguous statics: use ea_function_by_uname). */
struct ea_function *ea_function_by_name(struct ea_program *prog,
                                        const char *name);
struct ea_function *ea_function_by_uname(struct ea_program *prog,
                                         const char *uname);

/* ---- Output ------------------------------------------------------------ */

/* Writes s (NULL: empty) as a quoted JSON string, escaped per RFC 8259:
 * \" \\ \b \f \n \r \t, \u00xx for the other control characters;
 * shared so every tool's JSON and SARIF escape alike. */
void ea_json_string(FILE *out, const char *s);

/* Debug dump of a function's CFG (used by the CFG tests; stable format,
 * documented in tests/analysis). */
void ea_cfg_dump(const struct ea_function *f, FILE *out);

#ifdef __cplusplus
}
#endif
#endif /* EEL_ANALYSIS_H */
