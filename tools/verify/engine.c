/*
 * engine.c - the path-sensitive walk over one function's CFG.  Each path
 * carries an abstract state (engine.h); assignments bind variables to
 * slots and give them ranges, conditions prune paths whose ranges become
 * empty, calls go to calls.c, and every path reaching the exit is checked
 * for held groups and resources and becomes an outcome of the function's
 * summary.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* States kept per function: at most STATE_BUDGET, and at most about
 * STATE_BYTES of them (states of functions with many variables are big). */
#define STATE_BUDGET 200000
#define STATE_BYTES (48u << 20)

/* ---- Variables and slots -------------------------------------------- */

int var_index(const struct fctx *fc, const struct ea_var *v)
{
    if (!v || v->kind == EA_VAR_GLOBAL || v->is_static_storage)
        return -1;
    for (int i = 0; i < fc->nvars; i++)
        if (fc->vars[i] == v)
            return i;
    return -1;
}

enum slot_type type_of_var(const struct ea_var *v)
{
    if (v->is_group_id)
        return T_GROUP;
    if (v->type && strchr(v->type, '*'))
        return T_PTR;
    return T_INT;
}

int add_slot(struct fctx *fc, struct slot s)
{
    if (fc->nslots == fc->capslots) {
        fc->capslots = fc->capslots ? 2 * fc->capslots : 16;
        fc->slots = xrealloc(fc->slots, fc->capslots * sizeof(*fc->slots));
    }
    fc->slots[fc->nslots] = s;
    return fc->nslots++;
}

int slot_for_call(struct fctx *fc, const struct ea_call *call)
{
    for (int i = 2 * (int)fc->f->nparams; i < fc->nslots; i++)
        if (fc->slots[i].call == call)
            return i;
    return -1;
}

/* The group field of the object in slot b: in a callback, the object
 * behind `arg` carries the callback's own group (registrations pass the
 * struct and its gid together), so it is the gid parameter's slot. */
int gfield_of(struct fctx *fc, unsigned char *s, int b)
{
    if (b < 0)
        return -1;
    if (fc->slots[b].origin == O_SITE)
        return st_gbind(fc, s)[b];
    if (fc->slots[b].origin != O_PARAM)
        return -1;
    int p = fc->slots[b].param;
    if (fc->is_cb && p == 1 && fc->f->nparams >= 1 &&
        fc->f->params[0]->is_group_id)
        return 0;
    return 2 * p + 1;
}

void mark_escaped(struct fctx *fc, unsigned char *s, int slot)
{
    unsigned char *st = st_state(fc, s);
    if (slot < 0 || (st[slot] != ST_LIVE && st[slot] != ST_HANDED))
        return;
    st[slot] = ST_ESCAPED;
    if (fc->slots[slot].origin == O_SITE)
        mark_escaped(fc, s, st_gbind(fc, s)[slot]);
}

/* The result of call c on this path: its most recent evaluation.  A node
 * entered again from itself (a loop of straight-line code, a computed
 * goto) holds the previous round's result, inherited, before this
 * round's own; only the latter is the value the expression reads. */
static const struct callres *call_result(const struct scratch *sc,
                                         const struct ea_call *c)
{
    for (int i = sc ? sc->ncalls - 1 : -1; i >= 0; i--)
        if (sc->calls[i].call == c)
            return &sc->calls[i];
    return NULL;
}

int resolve_slot(struct fctx *fc, unsigned char *s, const struct ea_expr *e,
                 const struct scratch *sc)
{
    e = ea_expr_strip(e);
    if (!e)
        return -1;
    int r = -1;
    switch (e->kind) {
    case EA_E_VAR: {
        int v = var_index(fc, e->var);
        r = v >= 0 ? st_bind(fc, s)[v] : -1;
        break;
    }
    case EA_E_FIELD:
        if (e->is_group_id)
            r = gfield_of(fc, s, resolve_slot(fc, s, e->lhs, sc));
        break;
    case EA_E_CALL: {
        const struct callres *cr = call_result(sc, e->call);
        r = cr ? cr->slot : -1;
        break;
    }
    case EA_E_ASSIGN:
        r = resolve_slot(fc, s, e->lhs, sc);
        break;
    case EA_E_COND: /* c ? made : NULL and the like */
        r = resolve_slot(fc, s, e->rhs, sc);
        if (r < 0)
            r = resolve_slot(fc, s, e->third, sc);
        break;
    default:
        break;
    }
    if (r >= 0 && st_state(fc, s)[r] == ST_NONE)
        return -1;
    return r;
}

/* "'p' (from 'malloc' at f.c:3)" or, unnamed, "from 'malloc' at ...". */
const char *slot_what(struct fctx *fc, unsigned char *s, int slot)
{
    const char *n = slot_name(fc, s, slot);
    if (n == fc->slots[slot].desc)
        return n;
    return arena_printf(&fc->arena, "'%s' (%s)", n, fc->slots[slot].desc);
}

const char *slot_name(struct fctx *fc, unsigned char *s, int slot)
{
    int16_t *b = st_bind(fc, s);
    for (int i = 0; i < fc->nvars; i++)
        if (b[i] == slot)
            return fc->vars[i]->name;
    return fc->slots[slot].desc;
}

/* ---- Values and conditions ------------------------------------------ */

struct ival value_of(struct fctx *fc, unsigned char *s, const struct ea_expr *e,
                     const struct scratch *sc)
{
    e = ea_expr_strip(e);
    if (!e)
        return iv_top();
    switch (e->kind) {
    case EA_E_INT:
        return iv_exact(e->ival);
    case EA_E_VAR: {
        int v = var_index(fc, e->var);
        if (v >= 0 && fc->fact_of[v] >= 0)
            return st_facts(fc, s)[fc->fact_of[v]];
        return iv_top();
    }
    case EA_E_CALL: {
        const struct callres *cr = call_result(sc, e->call);
        return cr ? cr->ret : iv_top();
    }
    case EA_E_ASSIGN:
        return value_of(fc, s, e->rhs, sc);
    case EA_E_COND: {
        struct ival a = value_of(fc, s, e->rhs, sc);
        struct ival b = value_of(fc, s, e->third, sc);
        return iv_range(a.lo < b.lo ? a.lo : b.lo, a.hi > b.hi ? a.hi : b.hi);
    }
    case EA_E_UNOP:
        if (e->op && strcmp(e->op, "-") == 0) {
            struct ival x = value_of(fc, s, e->lhs, sc);
            if (iv_is_exact(&x) && x.lo != V_MIN)
                return iv_exact(-x.lo);
        }
        if (e->op && strcmp(e->op, "!") == 0)
            return iv_range(0, 1);
        return iv_top();
    case EA_E_BINOP:
        if (e->op &&
            (strchr("<>", e->op[0]) || !strcmp(e->op, "==") ||
             !strcmp(e->op, "!=") || !strcmp(e->op, "&&") ||
             !strcmp(e->op, "||")) &&
            strcmp(e->op, "<<") && strcmp(e->op, ">>"))
            return iv_range(0, 1);
        return iv_top();
    default:
        return iv_top();
    }
}

/* Is the range iv only the failure value (NULL, 0 group, negative fd) of
 * the value in `slot`?  A held value there was then never made. */
static int only_failure(const struct fctx *fc, int slot, const struct ival *iv)
{
    const struct slot *sl = &fc->slots[slot];
    int neg = sl->origin == O_SITE && sl->pair >= 0
                  ? fc->v->cfg->pairs[sl->pair].fail_negative
                  : sl->type == T_INT;
    return neg ? iv->hi < 0 : (iv->lo == 0 && iv->hi == 0);
}

/* After a variable's range shrank: a held value whose variable can now only
 * hold the failure value was never made. */
static void failure_prune(struct fctx *fc, unsigned char *s, int v)
{
    int slot = st_bind(fc, s)[v];
    if (slot < 0 || fc->fact_of[v] < 0)
        return;
    if (only_failure(fc, slot, &st_facts(fc, s)[fc->fact_of[v]]) &&
        st_state(fc, s)[slot] == ST_LIVE)
        st_state(fc, s)[slot] = ST_NONE;
}

int fact_var(struct fctx *fc, const struct ea_expr *e)
{
    e = ea_expr_strip(e);
    if (e && e->kind == EA_E_ASSIGN)
        e = ea_expr_strip(e->lhs);
    if (!e || e->kind != EA_E_VAR)
        return -1;
    int v = var_index(fc, e->var);
    return v >= 0 && fc->fact_of[v] >= 0 ? v : -1;
}

static int is_cmp(const char *op)
{
    return op && (!strcmp(op, "==") || !strcmp(op, "!=") || !strcmp(op, "<") ||
                  !strcmp(op, "<=") || !strcmp(op, ">") || !strcmp(op, ">="));
}

static const char *flip(const char *op)
{
    if (!strcmp(op, "<"))
        return ">";
    if (!strcmp(op, ">"))
        return "<";
    if (!strcmp(op, "<="))
        return ">=";
    if (!strcmp(op, ">="))
        return "<=";
    return op;
}

int refine_var(struct fctx *fc, unsigned char *s, int v, const char *op,
               long long c, int truth)
{
    struct ival *iv = &st_facts(fc, s)[fc->fact_of[v]];
    if (!iv_refine(iv, op, c, truth))
        return 0;
    failure_prune(fc, s, v);
    return 1;
}

/* A test `x op c` of a held value itself (`!be->hc_gid`, `c->fd < 0`,
 * also when no variable range is kept for it): on the branch where it can
 * only be the failure value, the value was never made. */
static void failure_test(struct fctx *fc, unsigned char *s,
                         const struct ea_expr *x, const char *op, long long c,
                         int truth, const struct scratch *sc)
{
    int slot = resolve_slot(fc, s, x, sc);
    if (slot < 0 || st_state(fc, s)[slot] != ST_LIVE)
        return;
    struct ival iv = iv_top();
    if (iv_refine(&iv, op, c, truth) && only_failure(fc, slot, &iv))
        st_state(fc, s)[slot] = ST_NONE;
}

/* Narrows state s to the paths where `e` is `truth`; 0 if none exist. */
static int cond_refine(struct fctx *fc, unsigned char *s,
                       const struct ea_expr *e, int truth,
                       const struct scratch *sc)
{
    e = ea_expr_strip(e);
    if (!e)
        return 1;
    if (e->kind == EA_E_UNOP && e->op && !strcmp(e->op, "!"))
        return cond_refine(fc, s, e->lhs, !truth, sc);
    if (e->kind == EA_E_BINOP && is_cmp(e->op)) {
        struct ival r = value_of(fc, s, e->rhs, sc);
        struct ival l = value_of(fc, s, e->lhs, sc);
        if (iv_is_exact(&r))
            failure_test(fc, s, e->lhs, e->op, r.lo, truth, sc);
        else if (iv_is_exact(&l))
            failure_test(fc, s, e->rhs, flip(e->op), l.lo, truth, sc);
        int lv = fact_var(fc, e->lhs), rv = fact_var(fc, e->rhs);
        if (lv >= 0 && iv_is_exact(&r))
            return refine_var(fc, s, lv, e->op, r.lo, truth);
        if (rv >= 0 && iv_is_exact(&l))
            return refine_var(fc, s, rv, flip(e->op), l.lo, truth);
        if (iv_is_exact(&r))
            return iv_may(&l, e->op, &r, truth);
        if (iv_is_exact(&l))
            return iv_may(&r, flip(e->op), &l, truth);
        return 1;
    }
    failure_test(fc, s, e, "!=", 0, truth, sc);
    int v = fact_var(fc, e);
    if (v >= 0)
        return refine_var(fc, s, v, "!=", 0, truth);
    struct ival x = value_of(fc, s, e, sc);
    struct ival zero = iv_exact(0);
    return iv_may(&x, "!=", &zero, truth);
}

/* ---- Findings ------------------------------------------------------- */

void finding(struct fctx *fc, enum vrule rule, struct ea_loc loc,
             const struct pnote *notes, const char *msg)
{
    size_t n;
    struct vnote *a = pnote_array(notes, &n);
    /* Very long paths: keep the last notes, which lead to the finding. */
    size_t skip = n > 40 ? n - 40 : 0;
    vreport_add(fc->v->report, rule, loc, fc->f->name, msg, a + skip, n - skip);
    free(a);
}

/* ---- Actions -------------------------------------------------------- */

static void escape(struct fctx *fc, unsigned char *s, int slot,
                   const struct ea_expr *into, struct ea_loc loc)
{
    unsigned char *st = st_state(fc, s);
    if (slot < 0 || (st[slot] != ST_LIVE && st[slot] != ST_HANDED))
        return;
    const struct slot *sl = &fc->slots[slot];
    int g = sl->origin == O_SITE ? st_gbind(fc, s)[slot] : -1;
    int with_group = g >= 0 && (st[g] == ST_LIVE || st[g] == ST_HANDED);
    mark_escaped(fc, s, slot);
    if (!fc->v->cfg->verbose || (sl->type != T_GROUP && sl->origin != O_SITE))
        return;
    /* Say it once per place and value, not once per path. */
    for (size_t i = 0; i < fc->nsaid; i++)
        if (fc->said[i].line == loc.line && fc->said[i].col == loc.col &&
            fc->said[i].slot == slot)
            return;
    if (fc->nsaid < sizeof(fc->said) / sizeof(fc->said[0])) {
        fc->said[fc->nsaid].line = loc.line;
        fc->said[fc->nsaid].col = loc.col;
        fc->said[fc->nsaid++].slot = slot;
    }
    vverbose(fc->v,
             "%s:%u: in '%s': %s %s%s escapes into '%s' (stored in a "
             "longer-lived place); not tracked further",
             vloc_file(&loc), loc.line, fc->f->name,
             sl->type == T_GROUP ? "group" : "resource", slot_what(fc, s, slot),
             with_group ? " with the group in its fields" : "",
             into && into->text ? into->text : "?");
}

static void do_assign(struct fctx *fc, unsigned char *s,
                      const struct ea_action *a, const struct scratch *sc)
{
    const struct ea_expr *lhs = ea_expr_strip(a->lhs);
    if (!lhs || !a->rhs)
        return;
    int plain = a->op && strcmp(a->op, "=") == 0;
    int v = lhs->kind == EA_E_VAR ? var_index(fc, lhs->var) : -1;
    if (v < 0) {
        int r = plain ? resolve_slot(fc, s, a->rhs, sc) : -1;
        /* A group kept in a field of an object made here stays tracked:
         * it goes where the object goes. */
        int b = lhs->kind == EA_E_FIELD && lhs->is_group_id
                    ? resolve_slot(fc, s, lhs->lhs, sc)
                    : -1;
        if (r >= 0 && b >= 0 && fc->slots[b].origin == O_SITE &&
            fc->slots[r].type == T_GROUP &&
            (st_state(fc, s)[b] == ST_LIVE ||
             st_state(fc, s)[b] == ST_HANDED)) {
            st_gbind(fc, s)[b] = (int16_t)r;
            return;
        }
        /* Stored into a field, array, global or through a pointer. */
        escape(fc, s, r, lhs, a->loc);
        return;
    }
    if (!plain) {
        if (fc->fact_of[v] >= 0)
            st_facts(fc, s)[fc->fact_of[v]] = iv_top();
        return;
    }
    int slot = resolve_slot(fc, s, a->rhs, sc);
    if (fc->fact_of[v] >= 0)
        st_facts(fc, s)[fc->fact_of[v]] = value_of(fc, s, a->rhs, sc);
    st_bind(fc, s)[v] = (int16_t)slot;
}

static void do_return(struct fctx *fc, unsigned char *s,
                      const struct ea_action *a, struct scratch *sc)
{
    sc->has_ret = 1;
    sc->retloc = a->loc;
    sc->ret_slot = -1;
    sc->retv = iv_top();
    if (!a->rhs)
        return;
    sc->retv = value_of(fc, s, a->rhs, sc);
    sc->ret_slot = resolve_slot(fc, s, a->rhs, sc);
    /* A returned object takes the group in its fields along. */
    if (sc->ret_slot >= 0 && fc->slots[sc->ret_slot].origin == O_SITE)
        mark_escaped(fc, s, st_gbind(fc, s)[sc->ret_slot]);
}

/* ---- The walk ------------------------------------------------------- */

static const char *edge_note(struct fctx *fc, const struct ea_node *n,
                             const struct ea_edge *e)
{
    const char *c = n->cond && n->cond->text ? n->cond->text : "?";
    if (e->flags & EA_EDGE_F_GOTO)
        return arena_printf(&fc->arena, "jumping to '%s'",
                            e->to->label ? e->to->label : "label");
    switch (e->kind) {
    case EA_EDGE_TRUE:
        return arena_printf(&fc->arena, "following 'true' branch (when '%s')",
                            c);
    case EA_EDGE_FALSE:
        return arena_printf(&fc->arena, "following 'false' branch (when '%s')",
                            c);
    case EA_EDGE_CASE:
        return arena_printf(&fc->arena, "taking case %lld of '%s'", e->case_lo,
                            c);
    case EA_EDGE_DEFAULT:
        return arena_printf(&fc->arena, "taking the default of '%s'", c);
    default:
        return NULL;
    }
}

static void successors(struct fctx *fc, const struct ea_node *n,
                       unsigned char *s, const struct pnote *notes,
                       struct scratch *sc)
{
    for (size_t i = 0; i < n->nsucc; i++) {
        const struct ea_edge *e = &n->succ[i];
        if (e->kind == EA_EDGE_NORETURN)
            continue;
        unsigned char *ns = st_copy(fc, s);
        int ok = 1;
        if (e->kind == EA_EDGE_TRUE || e->kind == EA_EDGE_FALSE)
            ok = cond_refine(fc, ns, n->cond, e->kind == EA_EDGE_TRUE, sc);
        else if (e->kind == EA_EDGE_CASE && e->case_known) {
            int v = fact_var(fc, n->cond);
            if (v >= 0)
                ok = refine_var(fc, ns, v, ">=", e->case_lo, 1) &&
                     refine_var(fc, ns, v, "<=", e->case_hi, 1);
        }
        if (!ok)
            continue;
        const struct pnote *nn = notes;
        const char *msg = edge_note(fc, n, e);
        if (msg && n->nsucc > 1)
            nn = pnote_add(fc, notes, n->cond ? n->cond->loc : n->loc, msg);
        else if (msg && (e->flags & EA_EDGE_F_GOTO))
            nn = pnote_add(fc, notes, n->loc, msg);
        if (e->to == fc->f->cfg.exit)
            do_exit(fc, n, ns, nn, sc);
        else if (e->kind == EA_EDGE_ALWAYS)
            st_push(fc, e->to, ns, nn, sc->calls + sc->ninherit,
                    sc->ncalls - sc->ninherit);
        else
            st_push(fc, e->to, ns, nn, NULL, 0);
    }
}

static void run_actions(struct fctx *fc, const struct ea_node *n, size_t i,
                        unsigned char *s, const struct pnote *notes,
                        struct scratch *sc)
{
    for (; i < n->nactions; i++) {
        const struct ea_action *a = &n->actions[i];
        if (a->kind == EA_ACT_CALL && a->call) {
            apply_call(fc, n, i, s, notes, sc, run_actions);
            return;
        }
        if (a->kind == EA_ACT_ASSIGN)
            do_assign(fc, s, a, sc);
        else if (a->kind == EA_ACT_RETURN)
            do_return(fc, s, a, sc);
    }
    successors(fc, n, s, notes, sc);
}

/* ---- Setting up one function ---------------------------------------- */

static void collect_cond_vars(struct fctx *fc, const struct ea_expr *e)
{
    if (!e)
        return;
    if (e->kind == EA_E_VAR) {
        int v = var_index(fc, e->var);
        if (v >= 0 && fc->fact_of[v] < 0)
            fc->fact_of[v] = fc->nfacts++;
    }
    collect_cond_vars(fc, e->lhs);
    collect_cond_vars(fc, e->rhs);
    collect_cond_vars(fc, e->third);
}

static void setup(struct fctx *fc)
{
    struct ea_function *f = fc->f;
    fc->nvars = (int)(f->nparams + f->nlocals);
    fc->vars = xcalloc((size_t)fc->nvars, sizeof(*fc->vars));
    for (size_t i = 0; i < f->nparams; i++)
        fc->vars[i] = f->params[i];
    for (size_t i = 0; i < f->nlocals; i++)
        fc->vars[f->nparams + i] = f->locals[i];
    fc->fact_of = xmalloc((size_t)fc->nvars * sizeof(int));
    fc->assigned = xcalloc(f->nparams, 1);
    for (size_t i = 0; i < f->cfg.nnodes; i++) {
        const struct ea_node *n = f->cfg.nodes[i];
        for (size_t a = 0; a < n->nactions; a++) {
            const struct ea_expr *l = ea_expr_strip(n->actions[a].lhs);
            if (n->actions[a].kind == EA_ACT_ASSIGN && l &&
                l->kind == EA_E_VAR && l->var && l->var->kind == EA_VAR_PARAM &&
                l->var->index >= 0 && (size_t)l->var->index < f->nparams)
                fc->assigned[l->var->index] = 1;
        }
    }
    for (int i = 0; i < fc->nvars; i++)
        fc->fact_of[i] = -1;
    for (size_t i = 0; i < f->cfg.nnodes; i++)
        collect_cond_vars(fc, f->cfg.nodes[i]->cond);
    for (size_t i = 0; i < f->nparams; i++) {
        const struct ea_var *p = f->params[i];
        add_slot(fc, (struct slot){O_PARAM, type_of_var(p), (int)i, -2, NULL,
                                   xasprintf("parameter '%s'", p->name), 0});
        add_slot(fc, (struct slot){O_GFIELD, T_GROUP, (int)i, -1, NULL,
                                   xasprintf("the group in '%s'", p->name), 0});
    }
}

/* How a call's value is used in an expression tree: 2 if inside an
 * expression the core does not model (its text holds the call's), 1 if
 * as a modelled operand, 0 if not at all. */
int use_in(const struct ea_expr *e, const struct ea_call *c)
{
    if (!e)
        return 0;
    if (e->kind == EA_E_UNKNOWN && e->text && strstr(e->text, c->text))
        return 2;
    if (e->kind == EA_E_CALL && e->call == c)
        return 1;
    int u = 0;
    if (e->kind == EA_E_CALL && e->call)
        for (size_t i = 0; i < e->call->nargs && u < 2; i++) {
            int k = use_in(e->call->args[i], c);
            u = k > u ? k : u;
        }
    const struct ea_expr *kids[3] = {e->lhs, e->rhs, e->third};
    for (int i = 0; i < 3 && u < 2; i++) {
        int k = use_in(kids[i], c);
        u = k > u ? k : u;
    }
    return u;
}

static int node_use(const struct ea_node *n, const struct ea_call *c)
{
    int u = use_in(n->cond, c);
    for (size_t a = 0; a < n->nactions && u < 2; a++) {
        const struct ea_action *act = &n->actions[a];
        int k = use_in(act->lhs, c);
        u = k > u ? k : u;
        k = use_in(act->rhs, c);
        u = k > u ? k : u;
        for (size_t i = 0; act->call && i < act->call->nargs && u < 2; i++) {
            k = use_in(act->call->args[i], c);
            u = k > u ? k : u;
        }
    }
    return u;
}

/* A made value is opaque when its use is in an unmodelled expression, or
 * when no modelled expression uses it at all (a statement the core keeps
 * only as a call).  Looks at the call's node and the few after it: `?:`
 * and `return f(x)` split a statement over several nodes. */
int call_value_use(const struct ea_call *c)
{
    const struct ea_node *n = c->node;
    int u = 0;
    for (int hop = 0; n && hop < 4 && u < 2; hop++) {
        int k = node_use(n, c);
        u = k > u ? k : u;
        n = n->nsucc == 1 ? n->succ[0].to : NULL;
    }
    return u;
}

static int call_value_used(const struct ea_call *c)
{
    return call_value_use(c) != 0;
}

static void mark_opaque(struct fctx *fc)
{
    for (int i = 2 * (int)fc->f->nparams; i < fc->nslots; i++) {
        const struct ea_call *c = fc->slots[i].call;
        if (c && c->text && c->node)
            fc->slots[i].opaque = call_value_use(c) != 1;
    }
}

static void layout(struct fctx *fc)
{
    size_t n = (size_t)fc->nslots;
    fc->off_first = n;
    fc->off_bind = (2 * n + 1) & ~(size_t)1;
    fc->off_gbind = fc->off_bind + 2 * (size_t)fc->nvars;
    fc->off_facts = (fc->off_gbind + 2 * n + 7) & ~(size_t)7;
    fc->ssize = fc->off_facts + (size_t)fc->nfacts * sizeof(struct ival);
}

static unsigned char *entry_state(struct fctx *fc)
{
    unsigned char *s = st_new(fc);
    for (size_t i = 0; i < fc->f->nparams; i++) {
        st_state(fc, s)[2 * i] = ST_LIVE;
        st_state(fc, s)[2 * i + 1] = ST_LIVE;
        st_bind(fc, s)[i] = (int16_t)(2 * i);
    }
    return s;
}

/* Walks every path from the entry; 0 if the state budget ran out. */
static int walk(struct fctx *fc)
{
    const struct ea_cfg *g = &fc->f->cfg;
    if (!g->entry)
        return 1;
    st_push(fc, g->entry, entry_state(fc), NULL, NULL, 0);
    struct ventry *e;
    while ((e = st_pop(fc)) && !fc->overflow) {
        struct scratch sc;
        memset(&sc, 0, sizeof(sc));
        sc.ret_slot = -1;
        for (int i = 0; i < e->ninh && i < 32; i++)
            sc.calls[sc.ncalls++] = e->inh[i];
        sc.ninherit = e->ninherit < sc.ncalls ? e->ninherit : sc.ncalls;
        run_actions(fc, e->node, e->idx, st_copy(fc, e->state), e->notes, &sc);
    }
    fc->v->states_total += fc->tcount;
    return !fc->overflow;
}

void verify_function(struct vctx *ctx, struct ea_function *f)
{
    struct fctx fc;
    memset(&fc, 0, sizeof(fc));
    fc.v = ctx;
    fc.f = f;
    fc.sum = &ctx->sums[f->id];
    fc.is_cb = ctx->is_cb[f->id];
    fc.budget = STATE_BUDGET;
    fc.use_facts = !ctx->cfg->no_facts;
    fc.value_used = call_value_used;
    setup(&fc);
    /* Call sites that may make a value get their slot up front so that the
     * state layout is fixed for the whole walk. */
    for (size_t i = 0; i < f->ncalls; i++)
        slot_for_call_prepare(&fc, f->calls[i]);
    mark_opaque(&fc);
    layout(&fc);
    if (STATE_BYTES / (fc.ssize + 64) < fc.budget)
        fc.budget = STATE_BYTES / (fc.ssize + 64);
    size_t nfind = ctx->report->n, nexit = ctx->nexits;
    size_t nhand = fc.sum->cur.nhands;
    if (!walk(&fc)) {
        rollback(&fc, nfind, nexit, nhand);
        st_reset(&fc);
        ctx->fallbacks++;
        vverbose(ctx,
                 "%s: more than %zu states; walking again without "
                 "integer facts",
                 f->name, fc.budget);
        fc.use_facts = 0;
        if (!walk(&fc)) {
            fprintf(stderr,
                    "eelverify: warning: '%s' has too many paths to "
                    "check; its results are incomplete\n",
                    f->name);
        }
    }
    st_reset(&fc);
    for (int i = 0; i < fc.nslots; i++)
        free((char *)fc.slots[i].desc);
    free(fc.slots);
    free(fc.vars);
    free(fc.fact_of);
    free(fc.assigned);
    free(fc.pending);
    fc.sum->state = 2;
}
