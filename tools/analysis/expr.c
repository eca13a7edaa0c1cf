/*
 * expr.c - clang expressions into ea_expr trees, lowering their effects
 * (calls, assignments) into actions of the CFG node being built, in
 * evaluation order.  Short-circuit operators and `?:` whose later operands
 * have effects get their own branch nodes, so a path-sensitive checker
 * never sees a call that might not run as if it always ran.
 */
#include "build.h"

#include <stdlib.h>
#include <string.h>

static struct ea_arena *arena(struct ea_fb *fb)
{
    return &ea_priv(fb->tu->prog)->arena;
}

static struct ea_expr *new_expr(struct ea_fb *fb, enum ea_expr_kind k,
                                CXCursor c)
{
    struct ea_expr *e = ea_alloc(arena(fb), sizeof(*e));
    e->kind = k;
    e->loc = ea_cursor_loc(fb->tu, c);
    e->text = ea_cursor_text(fb->tu, c);
    CXType t = clang_getCursorType(c);
    e->is_group_id = ea_type_is_group_id(t);
    e->is_callback_type = ea_type_is_callback(t);
    return e;
}

static struct ea_expr *int_expr(struct ea_fb *fb, CXCursor c, long long v)
{
    struct ea_expr *e = new_expr(fb, EA_E_INT, c);
    e->ival = v;
    return e;
}

CXCursor ea_strip_cursor(CXCursor c)
{
    for (int i = 0; i < 64; i++) {
        enum CXCursorKind k = clang_getCursorKind(c);
        if (k != CXCursor_ParenExpr && k != CXCursor_UnexposedExpr &&
            k != CXCursor_CStyleCastExpr)
            return c;
        unsigned n;
        CXCursor *kids = ea_children(c, &n);
        if (n == 0 || !ea_is_expr(kids[n - 1])) {
            free(kids);
            return c;
        }
        /* A cast's children may start with a TypeRef; the operand is last.
         * An UnexposedExpr with several children is no plain wrapper. */
        if (k == CXCursor_UnexposedExpr && n != 1) {
            free(kids);
            return c;
        }
        c = kids[n - 1];
        free(kids);
    }
    return c;
}

/* Constant arithmetic is folded only when shallow, so that a long
 * `a + b + ...` chain costs linear, not quadratic, time. */
static int const_int(CXCursor c, long long *out, int depth);

int ea_const_int(CXCursor c, long long *out)
{
    return const_int(c, out, 0);
}

static int const_int(CXCursor c, long long *out, int depth)
{
    if (depth > 8)
        return 0;
    c = ea_strip_cursor(c);
    enum CXCursorKind k = clang_getCursorKind(c);
    if (k == CXCursor_DeclRefExpr) {
        CXCursor d = clang_getCursorReferenced(c);
        if (clang_getCursorKind(d) != CXCursor_EnumConstantDecl)
            return 0;
        *out = clang_getEnumConstantDeclValue(d);
        return 1;
    }
    if (k != CXCursor_IntegerLiteral && k != CXCursor_CharacterLiteral &&
        k != CXCursor_UnaryOperator && k != CXCursor_UnaryExpr &&
        k != CXCursor_BinaryOperator)
        return 0;
    if (k == CXCursor_UnaryOperator || k == CXCursor_BinaryOperator) {
        /* Only fold constant arithmetic, never anything with variables. */
        unsigned n;
        CXCursor *kids = ea_children(c, &n);
        int ok = 1;
        long long dummy;
        for (unsigned i = 0; i < n && ok; i++)
            ok = const_int(kids[i], &dummy, depth + 1);
        free(kids);
        if (!ok)
            return 0;
    }
    CXEvalResult r = clang_Cursor_Evaluate(c);
    if (!r)
        return 0;
    int ok = clang_EvalResult_getKind(r) == CXEval_Int;
    if (ok)
        *out = clang_EvalResult_getAsLongLong(r);
    clang_EvalResult_dispose(r);
    return ok;
}

struct ea_var *ea_lookup_local(struct ea_fb *fb, CXCursor decl)
{
    for (size_t i = fb->nl; i-- > 0;)
        if (clang_equalCursors(fb->lmap[i].decl, decl))
            return fb->lmap[i].var;
    return NULL;
}

struct ea_var *ea_add_local(struct ea_fb *fb, CXCursor decl,
                            enum ea_var_kind kind, int index)
{
    struct ea_var *v = ea_alloc(arena(fb), sizeof(*v));
    v->kind = kind;
    v->name = ea_str(fb->tu, clang_getCursorSpelling(decl));
    CXType t = clang_getCursorType(decl);
    v->type = ea_str(fb->tu, clang_getTypeSpelling(t));
    v->index = index;
    v->is_group_id = ea_type_is_group_id(t);
    v->is_callback_type = ea_type_is_callback(t);
    v->is_static_storage = clang_Cursor_hasVarDeclGlobalStorage(decl) == 1;
    v->function = fb->fn;
    v->loc = ea_cursor_loc(fb->tu, decl);
    if (fb->nl == fb->capl) {
        fb->capl = fb->capl ? fb->capl * 2 : 16;
        fb->lmap = ea_xrealloc(fb->lmap, fb->capl * sizeof(*fb->lmap));
    }
    fb->lmap[fb->nl].decl = decl;
    fb->lmap[fb->nl++].var = v;
    if (kind == EA_VAR_LOCAL)
        ea_vec_push(&fb->locals, v);
    return v;
}

struct ea_var *ea_global_var(struct ea_tu *t, CXCursor decl)
{
    struct ea_priv *p = ea_priv(t->prog);
    const char *usr = ea_usr(t, decl);
    struct ea_var *v = ea_map_get(&p->globals, usr);
    if (v)
        return v;
    v = ea_alloc(&p->arena, sizeof(*v));
    v->kind = EA_VAR_GLOBAL;
    v->name = ea_str(t, clang_getCursorSpelling(decl));
    CXType ty = clang_getCursorType(decl);
    v->type = ea_str(t, clang_getTypeSpelling(ty));
    v->index = -1;
    v->is_group_id = ea_type_is_group_id(ty);
    v->is_callback_type = ea_type_is_callback(ty);
    v->is_static_storage = 1;
    v->loc = ea_cursor_loc(t, decl);
    ea_map_put(&p->globals, &p->arena, usr, v);
    return v;
}

static void pend(struct ea_fb *fb, struct ea_call *call, struct ea_expr *e,
                 const char *usr)
{
    struct ea_priv *p = ea_priv(fb->tu->prog);
    struct ea_pending_call *pc = ea_alloc(&p->arena, sizeof(*pc));
    pc->call = call;
    pc->expr = e;
    pc->usr = usr;
    ea_vec_push(&p->pending, pc);
}

/* Records what a store of `val` into `key` tells about function pointers. */
static void fp_store(struct ea_fb *fb, const char *key,
                     const struct ea_expr *val)
{
    val = ea_expr_strip(val);
    if (!key || !val)
        return;
    if (val->kind == EA_E_FUNC && val->sym)
        ea_fp_record(fb->tu->prog, key, val->sym, NULL);
    else if (val->kind == EA_E_COND) {
        fp_store(fb, key, val->rhs);
        fp_store(fb, key, val->third);
    } else if (val->is_callback_type) {
        const char *src = ea_fp_key(fb->tu->prog, val);
        if (src)
            ea_fp_record(fb->tu->prog, key, NULL, src);
    }
}

static int has_effects(CXCursor c);

static enum CXChildVisitResult effects_visit(CXCursor c, CXCursor parent,
                                             CXClientData d)
{
    (void)parent;
    if (has_effects(c)) {
        *(int *)d = 1;
        return CXChildVisit_Break;
    }
    return CXChildVisit_Continue;
}

/* Calls, assignments, increments or statement expressions inside c. */
static int has_effects(CXCursor c)
{
    enum CXCursorKind k = clang_getCursorKind(c);
    if (k == CXCursor_CallExpr || k == CXCursor_CompoundAssignOperator ||
        k == CXCursor_StmtExpr)
        return 1;
    int hit = 0;
    clang_visitChildren(c, effects_visit, &hit);
    return hit;
}

void ea_emit_assign(struct ea_fb *fb, struct ea_expr *lhs, struct ea_expr *rhs,
                    const char *op, int decl, CXCursor at)
{
    struct ea_action a = {
        .kind = EA_ACT_ASSIGN, .lhs = lhs, .rhs = rhs, .op = op, .decl = decl};
    ea_add_action(fb, a, at);
    if (rhs && strcmp(op, "=") == 0)
        fp_store(fb, ea_fp_key(fb->tu->prog, lhs), rhs);
}

static struct ea_expr *lower_call(struct ea_fb *fb, CXCursor c);
static struct ea_expr *lower_binop(struct ea_fb *fb, CXCursor c, int compound);
static struct ea_expr *lower_unop(struct ea_fb *fb, CXCursor c);
static struct ea_expr *lower_cond(struct ea_fb *fb, CXCursor c);

static struct ea_expr *lower_declref(struct ea_fb *fb, CXCursor c)
{
    CXCursor d = clang_getCursorReferenced(c);
    enum CXCursorKind dk = clang_getCursorKind(d);
    long long v;
    if (dk == CXCursor_EnumConstantDecl && ea_const_int(c, &v))
        return int_expr(fb, c, v);
    if (dk == CXCursor_FunctionDecl) {
        struct ea_expr *e = new_expr(fb, EA_E_FUNC, c);
        e->name = ea_str(fb->tu, clang_getCursorSpelling(d));
        e->sym = ea_usr(fb->tu, d);
        e->is_callback_type = ea_type_is_callback(clang_getCursorType(d));
        pend(fb, NULL, e, e->sym);
        return e;
    }
    if (dk == CXCursor_VarDecl || dk == CXCursor_ParmDecl) {
        struct ea_expr *e = new_expr(fb, EA_E_VAR, c);
        struct ea_var *var = ea_lookup_local(fb, d);
        if (!var && clang_Cursor_hasVarDeclGlobalStorage(d) == 1 &&
            clang_getCursorKind(clang_getCursorSemanticParent(d)) !=
                CXCursor_FunctionDecl)
            var = ea_global_var(fb->tu, d);
        if (!var) /* a local declared where the walk did not look */
            var = ea_add_local(fb, d, EA_VAR_LOCAL, -1);
        e->var = var;
        e->root = var;
        e->name = var->name;
        e->path = var->name;
        e->sym = ea_usr(fb->tu, d);
        if (!*e->sym)
            e->sym =
                ea_printf(arena(fb), "%s@%s:%u", var->name,
                          var->loc.file ? var->loc.file : "?", var->loc.line);
        return e;
    }
    return new_expr(fb, EA_E_UNKNOWN, c);
}

static struct ea_expr *lower_member(struct ea_fb *fb, CXCursor c)
{
    struct ea_expr *e = new_expr(fb, EA_E_FIELD, c);
    unsigned n;
    CXCursor *kids = ea_children(c, &n);
    if (n > 0 && ea_is_expr(kids[0])) {
        e->lhs = ea_lower(fb, kids[0]);
        CXType bt = clang_getCanonicalType(clang_getCursorType(kids[0]));
        e->arrow = bt.kind == CXType_Pointer;
    }
    free(kids);
    CXCursor field = clang_getCursorReferenced(c);
    e->name = ea_str(fb->tu, clang_getCursorSpelling(c));
    e->sym = ea_usr(fb->tu, field);
    if (e->lhs && e->lhs->path) {
        e->path = ea_printf(arena(fb), "%s%s%s", e->lhs->path,
                            e->arrow ? "->" : ".", e->name);
        e->root = e->lhs->root;
    }
    return e;
}

static struct ea_expr *lower_children(struct ea_fb *fb, CXCursor c,
                                      enum ea_expr_kind kind)
{
    struct ea_expr *e = new_expr(fb, kind, c);
    unsigned n;
    CXCursor *kids = ea_children(c, &n);
    for (unsigned i = 0; i < n; i++) {
        /* GNU `x ?: y` shows x again through opaque values: once only. */
        int again = 0;
        for (unsigned j = 0; j < i && !again; j++)
            again = clang_equalRanges(clang_getCursorExtent(kids[i]),
                                      clang_getCursorExtent(kids[j]));
        if (!again && ea_is_expr(kids[i])) {
            struct ea_expr *k = ea_lower(fb, kids[i]);
            if (!e->lhs)
                e->lhs = k;
            else if (!e->rhs)
                e->rhs = k;
        }
    }
    free(kids);
    return e;
}

static struct ea_expr *lower_stmt_expr(struct ea_fb *fb, CXCursor c)
{
    struct ea_expr *e = new_expr(fb, EA_E_UNKNOWN, c);
    unsigned n;
    CXCursor *kids = ea_children(c, &n);
    for (unsigned i = 0; i < n; i++)
        ea_build_stmt(fb, kids[i]);
    free(kids);
    return e;
}

/* Records function names appearing in a record initialiser by field. */
void ea_record_fp_init(struct ea_tu *t, const char *key, CXCursor init)
{
    CXCursor s = ea_strip_cursor(init);
    enum CXCursorKind k = clang_getCursorKind(s);
    if (k == CXCursor_DeclRefExpr) {
        CXCursor d = clang_getCursorReferenced(s);
        if (key && clang_getCursorKind(d) == CXCursor_FunctionDecl)
            ea_fp_record(t->prog, key, ea_usr(t, d), NULL);
        return;
    }
    if (k == CXCursor_ConditionalOperator) { /* either arm may be stored */
        unsigned n;
        CXCursor *kids = ea_children(s, &n);
        for (unsigned i = 1; i < n; i++)
            ea_record_fp_init(t, key, kids[i]);
        free(kids);
        return;
    }
    if (k != CXCursor_InitListExpr)
        return;
    CXType ty = clang_getCanonicalType(clang_getCursorType(s));
    CXCursor rec = clang_getTypeDeclaration(ty);
    unsigned n, nf = 0;
    CXCursor *kids = ea_children(s, &n);
    CXCursor *fields = NULL;
    if (ty.kind == CXType_Record)
        fields = ea_children(rec, &nf);
    unsigned fi = 0;
    for (unsigned i = 0; i < n; i++) {
        const char *sub = key;
        if (fields) {
            while (fi < nf &&
                   clang_getCursorKind(fields[fi]) != CXCursor_FieldDecl)
                fi++;
            sub = fi < nf ? ea_printf(&ea_priv(t->prog)->arena, "f:%s",
                                      ea_usr(t, fields[fi]))
                          : NULL;
            fi++;
        }
        ea_record_fp_init(t, sub, kids[i]);
    }
    free(kids);
    free(fields);
}

struct ea_expr *ea_lower(struct ea_fb *fb, CXCursor c)
{
    enum CXCursorKind k = clang_getCursorKind(c);
    long long v;
    switch (k) {
    case CXCursor_ParenExpr:
    case CXCursor_CStyleCastExpr:
    case CXCursor_UnexposedExpr: {
        CXCursor s = ea_strip_cursor(c);
        if (!clang_equalCursors(s, c))
            return ea_lower(fb, s);
        return lower_children(fb, c, EA_E_UNKNOWN);
    }
    case CXCursor_IntegerLiteral:
    case CXCursor_CharacterLiteral:
    case CXCursor_UnaryExpr:
        if (ea_const_int(c, &v))
            return int_expr(fb, c, v);
        return new_expr(fb, EA_E_UNKNOWN, c);
    case CXCursor_StringLiteral:
        return new_expr(fb, EA_E_STRING, c);
    case CXCursor_DeclRefExpr:
        return lower_declref(fb, c);
    case CXCursor_MemberRefExpr:
        return lower_member(fb, c);
    case CXCursor_ArraySubscriptExpr:
        return lower_children(fb, c, EA_E_INDEX);
    case CXCursor_UnaryOperator:
        return lower_unop(fb, c);
    case CXCursor_BinaryOperator:
        return lower_binop(fb, c, 0);
    case CXCursor_CompoundAssignOperator:
        return lower_binop(fb, c, 1);
    case CXCursor_ConditionalOperator:
        return lower_cond(fb, c);
    case CXCursor_CallExpr:
        return lower_call(fb, c);
    case CXCursor_StmtExpr:
        return lower_stmt_expr(fb, c);
    default:
        return lower_children(fb, c, EA_E_UNKNOWN);
    }
}

static const char *const unops[] = {
    "++",       "--",      "!", "~", "-", "+", "&", "*", "__extension__",
    "__real__", "__imag__"};

static struct ea_expr *lower_unop(struct ea_fb *fb, CXCursor c)
{
    unsigned n;
    CXCursor *kids = ea_children(c, &n);
    if (n < 1) {
        free(kids);
        return new_expr(fb, EA_E_UNKNOWN, c);
    }
    CXCursor sub = kids[0];
    free(kids);
    char buf[32];
    const char *op = ea_text_between(fb->tu, c, 0, sub, 1, buf, sizeof buf);
    int postfix = 0;
    if (!op) {
        op = ea_text_between(fb->tu, sub, 1, c, 0, buf, sizeof buf);
        postfix = op != NULL;
    }
    const char *known = "?";
    for (size_t i = 0; op && i < sizeof(unops) / sizeof(unops[0]); i++)
        if (strcmp(op, unops[i]) == 0)
            known = unops[i];
    long long v;
    if (strcmp(known, "-") == 0 && ea_const_int(c, &v))
        return int_expr(fb, c, v);
    struct ea_expr *e = new_expr(fb, EA_E_UNOP, c);
    e->op = known;
    e->postfix = postfix;
    e->lhs = ea_lower(fb, sub);
    if (strcmp(known, "*") == 0 && e->lhs->path) {
        e->path = ea_printf(arena(fb), "*%s", e->lhs->path);
        e->root = e->lhs->root;
    }
    if (strcmp(known, "++") == 0 || strcmp(known, "--") == 0)
        ea_emit_assign(fb, e->lhs, NULL, known, 0, c);
    return e;
}

static const char *const binops[] = {
    "<<=", ">>=", "&&", "||", "==", "!=", "<=", ">=", "<<", ">>",
    "+=",  "-=",  "*=", "/=", "%=", "&=", "|=", "^=", "<",  ">",
    "+",   "-",   "*",  "/",  "%",  "&",  "|",  "^",  "=",  ","};

/* `l && r` / `l || r` whose r has effects, in a value context: l is
 * split like any condition (so branch nodes test simple conditions) and r
 * gets its own node; the expression keeps l as text only. */
static struct ea_expr *lower_short_circuit(struct ea_fb *fb, struct ea_expr *e,
                                           CXCursor l, CXCursor r, int is_and)
{
    e->lhs = new_expr(fb, EA_E_UNKNOWN, l);
    struct ea_node *run = ea_new_node(fb, EA_N_LABEL, r);
    struct ea_node *join = ea_new_node(fb, EA_N_LABEL, r);
    if (is_and)
        ea_build_cond(fb, l, run, join, 0, 0);
    else
        ea_build_cond(fb, l, join, run, 0, 0);
    fb->cur = run;
    e->rhs = ea_lower(fb, r);
    ea_flow_to(fb, join, 0);
    return e;
}

static struct ea_expr *lower_binop(struct ea_fb *fb, CXCursor c, int compound)
{
    unsigned n;
    CXCursor *kids = ea_children(c, &n);
    if (n < 2) {
        free(kids);
        return lower_children(fb, c, EA_E_UNKNOWN);
    }
    CXCursor l = kids[0], r = kids[1];
    free(kids);
    char buf[32];
    const char *op = ea_text_between(fb->tu, l, 1, r, 1, buf, sizeof buf);
    const char *known = "?";
    for (size_t i = 0; op && i < sizeof(binops) / sizeof(binops[0]); i++)
        if (strcmp(op, binops[i]) == 0)
            known = binops[i];
    int assign = compound || strcmp(known, "=") == 0;
    long long v;
    if (!assign && strcmp(known, "?") != 0 && ea_const_int(c, &v))
        return int_expr(fb, c, v);
    struct ea_expr *e = new_expr(fb, assign ? EA_E_ASSIGN : EA_E_BINOP, c);
    e->op = known;
    int sc = strcmp(known, "&&") == 0 || strcmp(known, "||") == 0;
    if (sc && has_effects(r))
        return lower_short_circuit(fb, e, l, r, known[0] == '&');
    e->lhs = ea_lower(fb, l);
    e->rhs = ea_lower(fb, r);
    if (assign)
        ea_emit_assign(fb, e->lhs, e->rhs, known, 0, c);
    return e;
}

static struct ea_expr *lower_cond(struct ea_fb *fb, CXCursor c)
{
    unsigned n;
    CXCursor *kids = ea_children(c, &n);
    if (n != 3) {
        free(kids);
        return lower_children(fb, c, EA_E_UNKNOWN);
    }
    struct ea_expr *e = new_expr(fb, EA_E_COND, c);
    if (!has_effects(kids[1]) && !has_effects(kids[2])) {
        e->lhs = ea_lower(fb, kids[0]);
        e->rhs = ea_lower(fb, kids[1]);
        e->third = ea_lower(fb, kids[2]);
        free(kids);
        return e;
    }
    /* Arms with effects: the condition is split like an if's. */
    e->lhs = new_expr(fb, EA_E_UNKNOWN, kids[0]);
    struct ea_node *tn = ea_new_node(fb, EA_N_PLAIN, kids[1]);
    struct ea_node *fn = ea_new_node(fb, EA_N_PLAIN, kids[2]);
    struct ea_node *join = ea_new_node(fb, EA_N_LABEL, c);
    ea_build_cond(fb, kids[0], tn, fn, 0, 0);
    fb->cur = tn;
    e->rhs = ea_lower(fb, kids[1]);
    ea_flow_to(fb, join, 0);
    fb->cur = fn;
    e->third = ea_lower(fb, kids[2]);
    ea_flow_to(fb, join, 0);
    free(kids);
    return e;
}

static struct ea_expr *lower_call(struct ea_fb *fb, CXCursor c)
{
    struct ea_arena *a = arena(fb);
    struct ea_call *call = ea_alloc(a, sizeof(*call));
    struct ea_expr *e = new_expr(fb, EA_E_CALL, c);
    e->call = call;
    call->caller = fb->fn;
    call->loc = e->loc;
    call->text = e->text;
    unsigned n;
    CXCursor *kids = ea_children(c, &n);
    CXCursor callee = n > 0 ? ea_strip_cursor(kids[0]) : clang_getNullCursor();
    free(kids);
    CXCursor d = clang_getCursorReferenced(c);
    int direct = clang_getCursorKind(callee) == CXCursor_DeclRefExpr &&
                 clang_getCursorKind(d) == CXCursor_FunctionDecl;
    const char *usr = direct ? ea_usr(fb->tu, d) : NULL;
    if (direct) {
        call->callee_name = ea_str(fb->tu, clang_getCursorSpelling(d));
        call->eel_op = ea_eel_op_by_name(call->callee_name);
        pend(fb, call, NULL, usr);
    } else if (!clang_Cursor_isNull(callee)) {
        call->callee_expr = ea_lower(fb, callee);
    }
    int nargs = clang_Cursor_getNumArguments(c);
    if (nargs < 0)
        nargs = 0;
    call->nargs = (size_t)nargs;
    call->args = ea_alloc(a, (call->nargs + 1) * sizeof(*call->args));
    for (int i = 0; i < nargs; i++) {
        call->args[i] = ea_lower(fb, clang_Cursor_getArgument(c, (unsigned)i));
        if (usr)
            fp_store(fb, ea_printf(a, "a:%s#%d", usr, i), call->args[i]);
    }
    struct ea_action act = {.kind = EA_ACT_CALL, .call = call};
    ea_add_action(fb, act, c);
    call->node = fb->cur;
    ea_vec_push(&fb->calls, call);
    if (direct && ea_cursor_is_noreturn(d) && fb->cur) {
        ea_add_edge(fb->cur, fb->fn->cfg.exit, EA_EDGE_NORETURN, 0);
        fb->cur = NULL;
    }
    return e;
}

const struct ea_expr *ea_expr_strip(const struct ea_expr *e)
{
    while (e && e->kind == EA_E_CAST)
        e = e->lhs;
    return e;
}
