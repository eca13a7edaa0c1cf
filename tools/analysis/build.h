/*
 * build.h - the state shared by the parts of the core that turn one
 * translation unit's clang AST into functions: load.c (the TU walk),
 * expr.c (expressions, lowered into CFG actions) and cfg.c (statements
 * into the control-flow graph).
 */
#ifndef EEL_ANALYSIS_BUILD_H
#define EEL_ANALYSIS_BUILD_H

#include "internal.h"

#include <clang-c/Index.h>

struct ea_file_cache {
    CXFile file;
    const char *name;     /* interned, as reported to users */
    const char *contents; /* owned by the TU */
    size_t size;
};

struct ea_tu {
    struct ea_program *prog;
    CXTranslationUnit tu;
    const char *dir; /* compile directory for relative names, or NULL */
    FILE *diag;      /* where warnings go */
    struct ea_file_cache *files;
    size_t nfiles, capfiles;
};

/* A break/continue target. */
struct ea_jump_ctx {
    struct ea_node *brk, *cont;
    unsigned cont_flags;
    struct ea_node *sw; /* innermost switch node, for case labels */
    int *sw_has_default;
};

struct ea_local {
    CXCursor decl;
    struct ea_var *var;
};

struct ea_fb {
    struct ea_tu *tu;
    struct ea_function *fn;
    struct ea_vec nodes, calls, locals;
    struct ea_local *lmap; /* locals and params by cursor */
    size_t nl, capl;
    struct ea_map labels; /* label name -> node */
    struct ea_map placed; /* label name -> (void*)1 once its statement seen */
    struct ea_vec igotos; /* nodes ending in `goto *p` */
    struct ea_node *cur;  /* node receiving actions; NULL = unreachable */
    struct ea_jump_ctx jc;
};

/* Source helpers (load.c). */
struct ea_loc ea_cursor_loc(struct ea_tu *t, CXCursor c);
/* Where c's last token starts (a definition's closing brace): libclang's
 * extents end one character past that token, a column no user wrote. */
struct ea_loc ea_cursor_last_token_loc(struct ea_tu *t, CXCursor c);
const char *ea_cursor_text(struct ea_tu *t, CXCursor c);
/* Source text between two cursors (end of a, start of b), without
 * whitespace, comments or parentheses; NULL if not readable. */
const char *ea_text_between(struct ea_tu *t, CXCursor a, int a_end, CXCursor b,
                            int b_start, char *buf, size_t bufsize);
const char *ea_usr(struct ea_tu *t, CXCursor c);
int ea_type_is_group_id(CXType t);
int ea_type_is_callback(CXType t);
int ea_cursor_is_noreturn(CXCursor decl);
const char *ea_str(struct ea_tu *t, CXString s); /* interns and disposes */

/* Children of a cursor (heap array, free()). */
CXCursor *ea_children(CXCursor c, unsigned *n);
int ea_is_expr(CXCursor c);

/* CFG construction (cfg.c). */
struct ea_node *ea_new_node(struct ea_fb *fb, enum ea_node_kind kind,
                            CXCursor at);
void ea_add_edge(struct ea_node *from, struct ea_node *to,
                 enum ea_edge_kind kind, unsigned flags);
/* Continues the current path (if reachable) into n, which becomes current. */
void ea_flow_to(struct ea_fb *fb, struct ea_node *n, unsigned flags);
struct ea_node *ea_cur(struct ea_fb *fb, CXCursor at);
void ea_add_action(struct ea_fb *fb, struct ea_action a, CXCursor at);
void ea_build_stmt(struct ea_fb *fb, CXCursor c);
void ea_build_cond(struct ea_fb *fb, CXCursor c, struct ea_node *t,
                   struct ea_node *f, unsigned tflags, unsigned fflags);
void ea_build_function(struct ea_tu *t, CXCursor fn, struct ea_function *f);

/* Expressions (expr.c): builds the expression and appends its calls and
 * assignments, in evaluation order, to the current node (short-circuit
 * operands with side effects get their own nodes). */
struct ea_expr *ea_lower(struct ea_fb *fb, CXCursor c);
CXCursor ea_strip_cursor(CXCursor c);
struct ea_var *ea_lookup_local(struct ea_fb *fb, CXCursor decl);
struct ea_var *ea_add_local(struct ea_fb *fb, CXCursor decl,
                            enum ea_var_kind kind, int index);
struct ea_var *ea_global_var(struct ea_tu *t, CXCursor decl);
void ea_record_fp_init(struct ea_tu *t, const char *key, CXCursor init);
/* Appends the assignment `lhs op rhs` (decl: from a declaration) to the
 * current node and records what it stores into function pointers, so
 * declarations and assignments share one set of rules. */
void ea_emit_assign(struct ea_fb *fb, struct ea_expr *lhs, struct ea_expr *rhs,
                    const char *op, int decl, CXCursor at);
int ea_const_int(CXCursor c, long long *out);

#endif
