/*
 * cfg.c - statements into a control-flow graph: if/else, loops with
 * back edges, switch with case/default edges, break/continue, goto and
 * labels, return to the single exit, and conditions split at `&&`, `||`,
 * `!` and `?:` so every branch node tests one simple condition.
 */
#include "build.h"

#include <stdlib.h>
#include <string.h>

struct ea_node *ea_new_node(struct ea_fb *fb, enum ea_node_kind kind,
                            CXCursor at)
{
    struct ea_node *n = ea_alloc(&ea_priv(fb->tu->prog)->arena, sizeof(*n));
    n->id = (int)fb->nodes.n;
    n->kind = kind;
    if (!clang_Cursor_isNull(at))
        n->loc = ea_cursor_loc(fb->tu, at);
    ea_vec_push(&fb->nodes, n);
    return n;
}

/* Edges, predecessors and actions grow in place with power-of-two
 * capacities; the arrays live on the heap until ea_build_function copies
 * them. */
static size_t cap_of(size_t n)
{
    size_t c = 4;
    while (c < n)
        c *= 2;
    return c;
}

/* arr holds n elements in cap_of(n) slots: makes room for one more. */
static void *grow(void *arr, size_t n, size_t elem)
{
    if (n == 0 || n == cap_of(n))
        arr = ea_xrealloc(arr, cap_of(n + 1) * elem);
    return arr;
}

void ea_add_edge(struct ea_node *from, struct ea_node *to,
                 enum ea_edge_kind kind, unsigned flags)
{
    if (!from || !to)
        return;
    from->succ = grow(from->succ, from->nsucc, sizeof(*from->succ));
    struct ea_edge *e = &from->succ[from->nsucc++];
    memset(e, 0, sizeof(*e));
    e->kind = kind;
    e->flags = flags;
    e->to = to;
    to->pred = grow(to->pred, to->npred, sizeof(*to->pred));
    to->pred[to->npred++] = from;
}

struct ea_node *ea_cur(struct ea_fb *fb, CXCursor at)
{
    if (!fb->cur)
        fb->cur = ea_new_node(fb, EA_N_PLAIN, at);
    return fb->cur;
}

void ea_add_action(struct ea_fb *fb, struct ea_action a, CXCursor at)
{
    struct ea_node *n = ea_cur(fb, at);
    a.loc = ea_cursor_loc(fb->tu, at);
    if (n->kind == EA_N_LABEL)
        n->kind = EA_N_PLAIN;
    if (!n->loc.file || n->nactions == 0)
        n->loc = a.loc;
    n->actions = grow(n->actions, n->nactions, sizeof(*n->actions));
    n->actions[n->nactions++] = a;
}

/* Continues the current path into node n (creating the edge). */
void ea_flow_to(struct ea_fb *fb, struct ea_node *n, unsigned flags)
{
    if (fb->cur)
        ea_add_edge(fb->cur, n, EA_EDGE_ALWAYS, flags);
    fb->cur = n;
}

void ea_build_cond(struct ea_fb *fb, CXCursor c, struct ea_node *t,
                   struct ea_node *f, unsigned tflags, unsigned fflags)
{
    CXCursor s = ea_strip_cursor(c);
    enum CXCursorKind k = clang_getCursorKind(s);
    unsigned n;
    CXCursor *kids = ea_children(s, &n);
    char buf[32];
    const char *op = NULL;
    if (k == CXCursor_BinaryOperator && n == 2)
        op = ea_text_between(fb->tu, kids[0], 1, kids[1], 1, buf, sizeof buf);
    else if (k == CXCursor_UnaryOperator && n == 1)
        op = ea_text_between(fb->tu, s, 0, kids[0], 1, buf, sizeof buf);
    long long v;
    if (op && (!strcmp(op, "&&") || !strcmp(op, "||")) &&
        k == CXCursor_BinaryOperator) {
        struct ea_node *mid = ea_new_node(fb, EA_N_LABEL, kids[1]);
        if (op[0] == '&')
            ea_build_cond(fb, kids[0], mid, f, 0, fflags);
        else
            ea_build_cond(fb, kids[0], t, mid, tflags, 0);
        fb->cur = mid;
        ea_build_cond(fb, kids[1], t, f, tflags, fflags);
    } else if (op && !strcmp(op, ",") && k == CXCursor_BinaryOperator) {
        ea_lower(fb, kids[0]);
        ea_build_cond(fb, kids[1], t, f, tflags, fflags);
    } else if (op && !strcmp(op, "!") && k == CXCursor_UnaryOperator) {
        ea_build_cond(fb, kids[0], f, t, fflags, tflags);
    } else if (k == CXCursor_ConditionalOperator && n == 3) {
        struct ea_node *a = ea_new_node(fb, EA_N_LABEL, kids[1]);
        struct ea_node *b = ea_new_node(fb, EA_N_LABEL, kids[2]);
        ea_build_cond(fb, kids[0], a, b, 0, 0);
        fb->cur = a;
        ea_build_cond(fb, kids[1], t, f, tflags, fflags);
        fb->cur = b;
        ea_build_cond(fb, kids[2], t, f, tflags, fflags);
    } else if (ea_const_int(s, &v)) {
        struct ea_node *from = ea_cur(fb, s);
        ea_add_edge(from, v ? t : f, EA_EDGE_ALWAYS, v ? tflags : fflags);
    } else {
        struct ea_expr *e = ea_lower(fb, s);
        struct ea_node *br = ea_cur(fb, s);
        br->kind = EA_N_BRANCH;
        br->cond = e;
        if (!br->loc.file)
            br->loc = e->loc;
        ea_add_edge(br, t, EA_EDGE_TRUE, tflags);
        ea_add_edge(br, f, EA_EDGE_FALSE, fflags);
    }
    free(kids);
    fb->cur = NULL;
}

static struct ea_node *label_node(struct ea_fb *fb, const char *name,
                                  CXCursor at)
{
    struct ea_node *n = ea_map_get(&fb->labels, name);
    if (!n) {
        n = ea_new_node(fb, EA_N_LABEL, at);
        n->label = name;
        ea_map_put(&fb->labels, &ea_priv(fb->tu->prog)->arena, name, n);
    }
    return n;
}

static void build_decl(struct ea_fb *fb, CXCursor c)
{
    unsigned n;
    CXCursor *kids = ea_children(c, &n);
    for (unsigned i = 0; i < n; i++) {
        if (clang_getCursorKind(kids[i]) != CXCursor_VarDecl)
            continue;
        struct ea_var *v = ea_lookup_local(fb, kids[i]);
        if (!v)
            v = ea_add_local(fb, kids[i], EA_VAR_LOCAL, -1);
        CXCursor init = clang_Cursor_getVarDeclInitializer(kids[i]);
        if (clang_Cursor_isNull(init))
            continue;
        struct ea_expr *lhs =
            ea_alloc(&ea_priv(fb->tu->prog)->arena, sizeof(*lhs));
        lhs->kind = EA_E_VAR;
        lhs->var = lhs->root = v;
        lhs->name = lhs->path = lhs->text = v->name;
        lhs->sym = ea_usr(fb->tu, kids[i]);
        lhs->is_group_id = v->is_group_id;
        lhs->is_callback_type = v->is_callback_type;
        lhs->loc = v->loc;
        struct ea_expr *rhs = ea_lower(fb, init);
        ea_emit_assign(fb, lhs, rhs, "=", 1, kids[i]);
        /* Function names in a record initialiser, stored by field. */
        ea_record_fp_init(fb->tu, NULL, init);
    }
    free(kids);
}

static void build_if(struct ea_fb *fb, CXCursor *k, unsigned n)
{
    struct ea_node *t = ea_new_node(fb, EA_N_LABEL, k[1]);
    struct ea_node *join = ea_new_node(fb, EA_N_LABEL, clang_getNullCursor());
    struct ea_node *f = n > 2 ? ea_new_node(fb, EA_N_LABEL, k[2]) : join;
    ea_build_cond(fb, k[0], t, f, 0, 0);
    fb->cur = t;
    ea_build_stmt(fb, k[1]);
    ea_flow_to(fb, join, 0);
    if (n > 2) {
        fb->cur = f;
        ea_build_stmt(fb, k[2]);
        ea_flow_to(fb, join, 0);
    }
    fb->cur = join;
}

static void build_loop_body(struct ea_fb *fb, CXCursor body,
                            struct ea_node *brk, struct ea_node *cont,
                            unsigned cont_flags)
{
    struct ea_jump_ctx saved = fb->jc;
    fb->jc.brk = brk;
    fb->jc.cont = cont;
    fb->jc.cont_flags = cont_flags;
    ea_build_stmt(fb, body);
    fb->jc = saved;
}

static void build_while(struct ea_fb *fb, CXCursor *k)
{
    struct ea_node *head = ea_new_node(fb, EA_N_LABEL, k[0]);
    head->loop_head = 1;
    struct ea_node *body = ea_new_node(fb, EA_N_LABEL, k[1]);
    struct ea_node *exit = ea_new_node(fb, EA_N_LABEL, clang_getNullCursor());
    ea_flow_to(fb, head, 0);
    ea_build_cond(fb, k[0], body, exit, 0, 0);
    fb->cur = body;
    build_loop_body(fb, k[1], exit, head, EA_EDGE_F_BACK);
    ea_flow_to(fb, head, EA_EDGE_F_BACK);
    fb->cur = exit;
}

static void build_do(struct ea_fb *fb, CXCursor *k)
{
    struct ea_node *body = ea_new_node(fb, EA_N_LABEL, k[0]);
    body->loop_head = 1;
    struct ea_node *cond = ea_new_node(fb, EA_N_LABEL, k[1]);
    struct ea_node *exit = ea_new_node(fb, EA_N_LABEL, clang_getNullCursor());
    ea_flow_to(fb, body, 0);
    build_loop_body(fb, k[0], exit, cond, 0);
    ea_flow_to(fb, cond, 0);
    ea_build_cond(fb, k[1], body, exit, EA_EDGE_F_BACK, 0);
    fb->cur = exit;
}

/* Which of for's init/cond/inc are present: by their position against the
 * two `;` of the header. */
static void for_parts(struct ea_fb *fb, CXCursor fs, CXCursor *k, unsigned n,
                      int part[4])
{
    part[0] = part[1] = part[2] = -1;
    part[3] = (int)n - 1;
    unsigned nexpr = n - 1;
    if (nexpr == 3) {
        part[0] = 0, part[1] = 1, part[2] = 2;
        return;
    }
    /* Find the header's semicolons in the source. */
    CXSourceRange r = clang_getCursorExtent(fs);
    CXFile f;
    unsigned b, e;
    clang_getExpansionLocation(clang_getRangeStart(r), &f, NULL, NULL, &b);
    clang_getExpansionLocation(clang_getRangeEnd(r), NULL, NULL, NULL, &e);
    size_t size = 0;
    const char *src = f ? clang_getFileContents(fb->tu->tu, f, &size) : NULL;
    unsigned semi[2] = {0, 0}, ns = 0;
    int depth = 0;
    for (unsigned i = b; src && i < e && i < size && ns < 2; i++) {
        if (src[i] == '(')
            depth++;
        else if (src[i] == ')')
            depth--;
        else if (src[i] == ';' && depth == 1)
            semi[ns++] = i;
    }
    for (unsigned i = 0; i + 1 < n; i++) {
        unsigned off;
        CXFile cf;
        clang_getExpansionLocation(
            clang_getRangeStart(clang_getCursorExtent(k[i])), &cf, NULL, NULL,
            &off);
        int slot;
        if (ns == 2 && cf == f)
            slot = off < semi[0] ? 0 : off < semi[1] ? 1 : 2;
        else if (clang_getCursorKind(k[i]) == CXCursor_DeclStmt)
            slot = 0;
        else /* inside a macro: guess cond first, then inc */
            slot = part[1] < 0 ? 1 : 2;
        part[slot] = (int)i;
    }
}

static void build_for(struct ea_fb *fb, CXCursor c, CXCursor *k, unsigned n)
{
    int part[4];
    for_parts(fb, c, k, n, part);
    if (part[0] >= 0) {
        if (clang_getCursorKind(k[part[0]]) == CXCursor_DeclStmt)
            ea_build_stmt(fb, k[part[0]]);
        else
            ea_lower(fb, k[part[0]]);
    }
    struct ea_node *head = ea_new_node(fb, EA_N_LABEL, c);
    head->loop_head = 1;
    struct ea_node *body = ea_new_node(fb, EA_N_LABEL, k[part[3]]);
    struct ea_node *exit = ea_new_node(fb, EA_N_LABEL, clang_getNullCursor());
    struct ea_node *inc = ea_new_node(fb, EA_N_LABEL, clang_getNullCursor());
    ea_flow_to(fb, head, 0);
    if (part[1] >= 0)
        ea_build_cond(fb, k[part[1]], body, exit, 0, 0);
    else
        ea_flow_to(fb, body, 0);
    fb->cur = body;
    build_loop_body(fb, k[part[3]], exit, inc, 0);
    ea_flow_to(fb, inc, 0);
    if (part[2] >= 0)
        ea_lower(fb, k[part[2]]);
    ea_flow_to(fb, head, EA_EDGE_F_BACK);
    fb->cur = exit;
}

static void build_switch(struct ea_fb *fb, CXCursor *k, unsigned n)
{
    struct ea_expr *e = ea_lower(fb, k[0]);
    struct ea_node *sw = ea_cur(fb, k[0]);
    sw->kind = EA_N_SWITCH;
    sw->cond = e;
    if (!sw->loc.file)
        sw->loc = e->loc;
    struct ea_node *exit = ea_new_node(fb, EA_N_LABEL, clang_getNullCursor());
    struct ea_jump_ctx saved = fb->jc;
    int has_default = 0;
    fb->jc.brk = exit;
    fb->jc.sw = sw;
    fb->jc.sw_has_default = &has_default;
    fb->cur = NULL;
    ea_build_stmt(fb, k[n - 1]);
    ea_flow_to(fb, exit, 0);
    if (!has_default)
        ea_add_edge(sw, exit, EA_EDGE_DEFAULT, 0);
    fb->jc = saved;
    fb->cur = exit;
}

static void build_case(struct ea_fb *fb, CXCursor c, CXCursor *k, unsigned n,
                       int is_default)
{
    struct ea_node *lab = ea_new_node(fb, EA_N_LABEL, c);
    ea_flow_to(fb, lab, 0);
    if (fb->jc.sw) {
        if (is_default) {
            ea_add_edge(fb->jc.sw, lab, EA_EDGE_DEFAULT, 0);
            *fb->jc.sw_has_default = 1;
        } else {
            ea_add_edge(fb->jc.sw, lab, EA_EDGE_CASE, 0);
            struct ea_edge *e = &fb->jc.sw->succ[fb->jc.sw->nsucc - 1];
            long long lo, hi;
            e->case_known = n >= 1 && ea_const_int(k[0], &lo);
            if (e->case_known) {
                e->case_lo = e->case_hi = lo;
                if (n == 3 && ea_const_int(k[1], &hi))
                    e->case_hi = hi;
            }
        }
    }
    if (n > 0)
        ea_build_stmt(fb, k[n - 1]);
}

static void build_return(struct ea_fb *fb, CXCursor c, CXCursor *k, unsigned n)
{
    struct ea_expr *v = n > 0 && ea_is_expr(k[0]) ? ea_lower(fb, k[0]) : NULL;
    struct ea_node *r = ea_new_node(fb, EA_N_RETURN, c);
    ea_flow_to(fb, r, 0);
    struct ea_action a = {.kind = EA_ACT_RETURN, .rhs = v};
    ea_add_action(fb, a, c);
    ea_add_edge(r, fb->fn->cfg.exit, EA_EDGE_ALWAYS, 0);
    fb->cur = NULL;
}

static void build_goto(struct ea_fb *fb, CXCursor c, CXCursor *k, unsigned n)
{
    if (n < 1)
        return;
    const char *name = ea_str(fb->tu, clang_getCursorSpelling(k[0]));
    struct ea_node *lab = label_node(fb, name, c);
    unsigned flags = EA_EDGE_F_GOTO;
    if (ea_map_get(&fb->placed, name)) {
        flags |= EA_EDGE_F_BACK;
        lab->loop_head = 1;
    }
    ea_add_edge(ea_cur(fb, c), lab, EA_EDGE_ALWAYS, flags);
    fb->cur = NULL;
}

void ea_build_stmt(struct ea_fb *fb, CXCursor c)
{
    enum CXCursorKind kind = clang_getCursorKind(c);
    if (ea_is_expr(c)) {
        ea_lower(fb, c);
        return;
    }
    unsigned n;
    CXCursor *k = ea_children(c, &n);
    struct ea_node *lab;
    switch (kind) {
    case CXCursor_CompoundStmt:
        for (unsigned i = 0; i < n; i++)
            ea_build_stmt(fb, k[i]);
        break;
    case CXCursor_DeclStmt:
        build_decl(fb, c);
        break;
    case CXCursor_IfStmt:
        if (n >= 2)
            build_if(fb, k, n);
        break;
    case CXCursor_WhileStmt:
        if (n == 2)
            build_while(fb, k);
        break;
    case CXCursor_DoStmt:
        if (n == 2)
            build_do(fb, k);
        break;
    case CXCursor_ForStmt:
        if (n >= 1)
            build_for(fb, c, k, n);
        break;
    case CXCursor_SwitchStmt:
        if (n >= 2)
            build_switch(fb, k, n);
        break;
    case CXCursor_CaseStmt:
        build_case(fb, c, k, n, 0);
        break;
    case CXCursor_DefaultStmt:
        build_case(fb, c, k, n, 1);
        break;
    case CXCursor_BreakStmt:
        if (fb->jc.brk && fb->cur)
            ea_add_edge(fb->cur, fb->jc.brk, EA_EDGE_ALWAYS, EA_EDGE_F_BREAK);
        fb->cur = NULL;
        break;
    case CXCursor_ContinueStmt:
        if (fb->jc.cont && fb->cur)
            ea_add_edge(fb->cur, fb->jc.cont, EA_EDGE_ALWAYS,
                        EA_EDGE_F_CONTINUE | fb->jc.cont_flags);
        fb->cur = NULL;
        break;
    case CXCursor_ReturnStmt:
        build_return(fb, c, k, n);
        break;
    case CXCursor_LabelStmt: {
        const char *name = ea_str(fb->tu, clang_getCursorSpelling(c));
        lab = label_node(fb, name, c);
        lab->loc = ea_cursor_loc(fb->tu, c);
        ea_map_put(&fb->placed, &ea_priv(fb->tu->prog)->arena, name, (void *)1);
        ea_flow_to(fb, lab, 0);
        for (unsigned i = 0; i < n; i++)
            ea_build_stmt(fb, k[i]);
        break;
    }
    case CXCursor_GotoStmt:
        build_goto(fb, c, k, n);
        break;
    case CXCursor_IndirectGotoStmt:
        /* Edges to every label are added when the body is done. */
        for (unsigned i = 0; i < n; i++)
            ea_lower(fb, k[i]);
        fb->fn->cfg.has_computed_goto = 1;
        ea_vec_push(&fb->igotos, ea_cur(fb, c));
        fb->cur = NULL;
        break;
    case CXCursor_NullStmt:
    case CXCursor_AsmStmt:
        break;
    default:
        for (unsigned i = 0; i < n; i++)
            ea_build_stmt(fb, k[i]);
        break;
    }
    free(k);
}
