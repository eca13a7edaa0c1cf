/*
 * labels.c - the first half of eelstatechart (paper, 3.2): every function
 * is labelled with the libeel operations it performs, each with its
 * group's source, and the labels are percolated up the call graph,
 * translating parameter sources and callback parameters into the
 * caller's terms at each call, and recording the call path.
 */
#include "statechart.h"

#include <stdlib.h>
#include <string.h>

const char *sc_intern(struct sc_ctx *cx, const char *s)
{
    return ea_intern(&cx->strings, &cx->arena, s);
}

const char *sc_base(const char *path)
{
    const char *b = path ? strrchr(path, '/') : NULL;
    return b ? b + 1 : path ? path : "?";
}

const struct sc_hop *sc_last_hop(const struct sc_hop *path)
{
    while (path && path->next)
        path = path->next;
    return path;
}

/* ---- error paths ---------------------------------------------------- */

static int is_int(const struct ea_expr *e, long long v)
{
    e = ea_expr_strip(e);
    return e && e->kind == EA_E_INT && e->ival == v;
}

static int mentions_errno(const struct ea_expr *e)
{
    return e && e->text && strstr(e->text, "errno") != NULL;
}

/* +1: the true edge is the error case, -1: the false edge, 0: neither. */
static int error_side(const struct ea_expr *c)
{
    c = ea_expr_strip(c);
    if (!c)
        return 0;
    if (c->kind == EA_E_CALL && c->call->eel_op &&
        ea_eel_sig(c->call->eel_op)->is_register)
        return -1; /* if (eel_add_read(...)) : false = failed */
    if (c->kind != EA_E_BINOP || !c->op)
        return 0;
    const char *op = c->op;
    if (mentions_errno(c->lhs) || mentions_errno(c->rhs))
        return !strcmp(op, "!=") ? -1 : +1;
    const struct ea_expr *l = ea_expr_strip(c->lhs);
    int reg = l && l->kind == EA_E_CALL && l->call->eel_op &&
              ea_eel_sig(l->call->eel_op)->is_register;
    if (!strcmp(op, "==") && (is_int(c->rhs, -1) || is_int(c->lhs, -1)))
        return +1;
    if (!strcmp(op, "!=") && (is_int(c->rhs, -1) || is_int(c->lhs, -1)))
        return -1;
    if (!strcmp(op, "==") && reg && is_int(c->rhs, 0))
        return +1;
    if (!strcmp(op, "!=") && reg && is_int(c->rhs, 0))
        return -1;
    if ((!strcmp(op, "<") && is_int(c->rhs, 0)) ||
        (!strcmp(op, "<=") && is_int(c->rhs, -1)))
        return +1;
    if ((!strcmp(op, ">=") && is_int(c->rhs, 0)) ||
        (!strcmp(op, ">") && is_int(c->rhs, -1)))
        return -1;
    return 0;
}

/* Nodes reachable from entry without taking an error edge. */
static char *success_nodes(const struct ea_function *f)
{
    size_t n = f->cfg.nnodes;
    char *ok = calloc(n + 1, 1);
    struct ea_node **stack = ea_xmalloc((n + 1) * sizeof(*stack));
    size_t sp = 0;
    if (!ok)
        abort();
    stack[sp++] = f->cfg.entry;
    ok[f->cfg.entry->id] = 1;
    while (sp) {
        struct ea_node *nd = stack[--sp];
        int side = nd->kind == EA_N_BRANCH ? error_side(nd->cond) : 0;
        for (size_t i = 0; i < nd->nsucc; i++) {
            const struct ea_edge *e = &nd->succ[i];
            if ((side > 0 && e->kind == EA_EDGE_TRUE) ||
                (side < 0 && e->kind == EA_EDGE_FALSE))
                continue;
            if (!ok[e->to->id]) {
                ok[e->to->id] = 1;
                stack[sp++] = e->to;
            }
        }
    }
    free(stack);
    return ok;
}

static int call_is_error(struct sc_ctx *cx, const struct ea_call *c)
{
    const struct ea_function *f = c->caller;
    if (!cx->ok_nodes[f->id])
        cx->ok_nodes[f->id] = success_nodes(f);
    return c->node && !cx->ok_nodes[f->id][c->node->id];
}

/* ---- group sources ---------------------------------------------------- */

struct srcs {
    struct sc_src v[8];
    size_t n;
};

static void add_src(struct srcs *s, struct sc_src x)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].key == x.key)
            return;
    if (s->n < sizeof(s->v) / sizeof(s->v[0]))
        s->v[s->n++] = x;
}

static struct sc_src mk(struct sc_ctx *cx, enum sc_src_kind k, const char *key,
                        const char *desc)
{
    struct sc_src s = {.kind = k, .param = -1};
    s.key = sc_intern(cx, key);
    s.desc = sc_intern(cx, desc ? desc : "");
    return s;
}

/* The key of an eel_new_group_id() call site: "N:file:line:col". */
static void new_key(const struct ea_call *c, char *buf, size_t size)
{
    snprintf(buf, size, "N:%s:%u:%u", c->loc.file, c->loc.line, c->loc.col);
}

/* The key of the storage e names when a group id lives there beyond a
 * call: a field ("F:USR") or a global or static variable ("G:USR").
 * Returns 0 (buf untouched) for anything else. */
static int storage_key(const struct ea_expr *e, char *buf, size_t size)
{
    if (e->kind == EA_E_FIELD)
        snprintf(buf, size, "F:%s", e->sym ? e->sym : e->name);
    else if (e->kind == EA_E_VAR && e->var->is_static_storage)
        snprintf(buf, size, "G:%s", e->sym);
    else
        return 0;
    return 1;
}

static void sources(struct sc_ctx *cx, const struct ea_function *f,
                    const struct ea_expr *e, struct srcs *out, int depth);

static void translate_src(struct sc_ctx *cx, struct sc_src s,
                          const struct ea_call *c, struct srcs *out, int depth);

/* What a user function returns as a group, in the caller's terms. */
static void returned(struct sc_ctx *cx, const struct ea_call *c,
                     struct srcs *out, int depth)
{
    const struct ea_function *g = c->callee;
    struct srcs rs = {0};
    for (size_t i = 0; i < g->cfg.nnodes; i++) {
        const struct ea_node *n = g->cfg.nodes[i];
        for (size_t a = 0; a < n->nactions; a++)
            if (n->actions[a].kind == EA_ACT_RETURN && n->actions[a].rhs)
                sources(cx, g, n->actions[a].rhs, &rs, depth + 1);
    }
    for (size_t i = 0; i < rs.n; i++)
        translate_src(cx, rs.v[i], c, out, depth + 1);
}

static void call_source(struct sc_ctx *cx, const struct ea_expr *e,
                        struct srcs *out, int depth)
{
    const struct ea_call *c = e->call;
    char buf[512];
    if (c->eel_op == EA_EEL_NEW_GROUP) {
        struct sc_src s;
        new_key(c, buf, sizeof buf);
        const char *var = ea_map_get(&cx->new_desc, buf);
        s = mk(cx, SC_SRC_NEW, buf, var ? var : "");
        s.loc = c->loc;
        s.func = c->caller;
        add_src(out, s);
    } else if (c->callee_name && !strcmp(c->callee_name, "eel_current_group")) {
        add_src(out, mk(cx, SC_SRC_CURRENT, "C", "eel_current_group()"));
    } else if (c->callee && depth < 6) {
        returned(cx, c, out, depth);
    } else {
        snprintf(buf, sizeof buf, "U:%s", e->text ? e->text : "?");
        add_src(out, mk(cx, SC_SRC_UNKNOWN, buf, e->text));
    }
}

/* The sources of a local variable: every value assigned to it in f. */
static void local_sources(struct sc_ctx *cx, const struct ea_function *f,
                          const struct ea_var *v, struct srcs *out, int depth)
{
    /* Variables being resolved now: `a = b; b = a;` must not loop. */
    static const struct ea_var *active[16];
    static int nactive;
    for (int i = 0; i < nactive; i++)
        if (active[i] == v)
            return;
    if (nactive == 16)
        return;
    active[nactive++] = v;
    size_t before = out->n;
    for (size_t i = 0; i < f->cfg.nnodes; i++) {
        const struct ea_node *n = f->cfg.nodes[i];
        for (size_t a = 0; a < n->nactions; a++) {
            const struct ea_action *ac = &n->actions[a];
            const struct ea_expr *l = ea_expr_strip(ac->lhs);
            if (ac->kind == EA_ACT_ASSIGN && ac->rhs && l &&
                l->kind == EA_E_VAR && l->var == v && !strcmp(ac->op, "="))
                sources(cx, f, ac->rhs, out, depth + 1);
        }
    }
    nactive--;
    if (out->n == before && nactive == 0) {
        char buf[256];
        snprintf(buf, sizeof buf, "U:%s", v->name);
        add_src(out, mk(cx, SC_SRC_UNKNOWN, buf, v->name));
    }
}

static void sources(struct sc_ctx *cx, const struct ea_function *f,
                    const struct ea_expr *e, struct srcs *out, int depth)
{
    char buf[512];
    e = ea_expr_strip(e);
    if (!e || depth > 12) {
        add_src(out, mk(cx, SC_SRC_UNKNOWN, "U:?", "?"));
        return;
    }
    switch (e->kind) {
    case EA_E_CALL:
        call_source(cx, e, out, depth);
        return;
    case EA_E_ASSIGN:
        sources(cx, f, e->rhs, out, depth + 1);
        return;
    case EA_E_COND:
        sources(cx, f, e->rhs, out, depth + 1);
        sources(cx, f, e->third, out, depth + 1);
        return;
    case EA_E_VAR:
        if (e->var->kind == EA_VAR_PARAM) {
            snprintf(buf, sizeof buf, "P%d", e->var->index);
            struct sc_src s = mk(cx, SC_SRC_PARAM, buf, e->var->name);
            s.param = e->var->index;
            add_src(out, s);
        } else if (storage_key(e, buf, sizeof buf)) { /* global or static */
            add_src(out, mk(cx, SC_SRC_GLOBAL, buf, e->var->name));
        } else {
            local_sources(cx, f, e->var, out, depth);
        }
        return;
    case EA_E_FIELD:
        storage_key(e, buf, sizeof buf);
        add_src(out, mk(cx, SC_SRC_FIELD, buf, e->text));
        return;
    default:
        snprintf(buf, sizeof buf, "U:%s", e->text ? e->text : "?");
        add_src(out, mk(cx, SC_SRC_UNKNOWN, buf, e->text));
        return;
    }
}

/* A callee's source in the caller: parameters become the argument's. */
static void translate_src(struct sc_ctx *cx, struct sc_src s,
                          const struct ea_call *c, struct srcs *out, int depth)
{
    if (s.kind == SC_SRC_PARAM) {
        if (s.param >= 0 && (size_t)s.param < c->nargs)
            sources(cx, c->caller, c->args[s.param], out, depth + 1);
        else
            add_src(out, mk(cx, SC_SRC_UNKNOWN, "U:?", "?"));
    } else {
        add_src(out, s);
    }
}

/* ---- callbacks -------------------------------------------------------- */

struct cbs {
    struct sc_cb *v;
    size_t n;
};

/* What a callback argument e may be: a parameter of the holder (resolved
 * in the caller's terms later), the functions it may name, or one
 * unresolved entry. */
static struct cbs callbacks(struct sc_ctx *cx, const struct ea_expr *e)
{
    struct cbs r = {0};
    struct ea_cb_targets t = ea_resolve_callback(cx->prog, e);
    r.v = ea_alloc(&cx->arena, (t.nfuncs + 1) * sizeof(*r.v));
    if (t.param) {
        r.v[r.n++] = (struct sc_cb){
            .param = t.param->index, .alts = t.funcs, .nalts = t.nfuncs};
    } else if (t.nfuncs == 0) {
        r.v[r.n++] =
            (struct sc_cb){.param = -1,
                           .approximate = 1,
                           .unresolved = t.unresolved ? t.unresolved : "?"};
    } else {
        for (size_t i = 0; i < t.nfuncs; i++)
            r.v[r.n++] = (struct sc_cb){
                .func = t.funcs[i], .param = -1, .approximate = t.approximate};
    }
    return r;
}

/* ---- label sets ------------------------------------------------------- */

static const char *cb_key(const struct sc_cb *c)
{
    static char buf[2][64];
    static int which;
    which ^= 1;
    if (c->func)
        snprintf(buf[which], sizeof buf[which], "f%d", c->func->id);
    else if (c->param >= 0)
        snprintf(buf[which], sizeof buf[which], "p%d", c->param);
    else
        snprintf(buf[which], sizeof buf[which], "u");
    return buf[which];
}

/* Adds a label unless an equal one (same operation, source, callbacks and
 * libeel call site) is there; returns 1 if added. */
static int add_label(struct sc_ctx *cx, struct sc_labels *ls,
                     struct sc_label *l)
{
    const struct sc_hop *last = sc_last_hop(l->path);
    char key[1024];
    const char *k1 = cb_key(&l->cb);
    const char *k2 = l->has_tcb ? cb_key(&l->tcb) : "-";
    snprintf(key, sizeof key, "%d|%s|%s|%s|%s|%s|%s:%u:%u|%d|%s",
             (int)l->kind, l->ev ? l->ev : "", k1, k2, l->src.key,
             l->store_key ? l->store_key : "",
             last && last->loc.file ? last->loc.file : "", last ? last->loc.line : 0,
             last ? last->loc.col : 0, l->error,
             l->path && l->path->next ? l->path->callee : "");
    if (ea_map_get(&ls->seen, key))
        return 0;
    if (ls->n >= cx->max_labels) {
        cx->truncated = 1;
        return 0;
    }
    ea_map_put(&ls->seen, &cx->arena, key, (void *)1);
    if (ls->n == ls->cap) {
        ls->cap = ls->cap ? ls->cap * 2 : 8;
        ls->v = ea_xrealloc(ls->v, ls->cap * sizeof(*ls->v));
    }
    ls->v[ls->n++] = l;
    return 1;
}

static struct sc_hop *hop(struct sc_ctx *cx, const struct ea_call *c,
                          const struct sc_hop *next, int error)
{
    struct sc_hop *h = ea_alloc(&cx->arena, sizeof(*h));
    h->func = c->caller;
    h->loc = c->loc;
    h->callee = c->callee_name
                    ? c->callee_name
                    : (c->callee_expr ? c->callee_expr->text : "?");
    h->error = error;
    h->next = next;
    return h;
}

static void own_call_labels(struct sc_ctx *cx, const struct ea_function *f,
                            const struct ea_call *c, struct sc_labels *ls)
{
    const struct ea_eel_sig *sig = ea_eel_sig(c->eel_op);
    enum sc_label_kind kind;
    if (c->eel_op == EA_EEL_NEW_GROUP)
        kind = SC_NEW;
    else if (c->eel_op == EA_EEL_DELETE_GROUP)
        kind = SC_DELETE;
    else if (sig->is_register)
        kind = SC_REG;
    else
        return;
    int err = call_is_error(cx, c);
    struct sc_hop *h = hop(cx, c, NULL, err);
    struct srcs ss = {0};
    if (kind == SC_NEW) {
        struct ea_expr e = {.kind = EA_E_CALL, .call = (struct ea_call *)c};
        call_source(cx, &e, &ss, 0);
    } else if (sig->gid_arg >= 0 && (size_t)sig->gid_arg < c->nargs) {
        sources(cx, f, c->args[sig->gid_arg], &ss, 0);
    }
    struct cbs cb = {0}, tcb = {0};
    struct sc_cb none = {.param = -1};
    if (kind == SC_REG && (size_t)sig->cb_arg < c->nargs)
        cb = callbacks(cx, c->args[sig->cb_arg]);
    if (kind == SC_REG && sig->timeout_cb_arg >= 0 &&
        (size_t)sig->timeout_cb_arg < c->nargs)
        tcb = callbacks(cx, c->args[sig->timeout_cb_arg]);
    size_t ncb = cb.n ? cb.n : 1, ntcb = tcb.n ? tcb.n : 1;
    for (size_t s = 0; s < ss.n; s++)
        for (size_t i = 0; i < ncb; i++)
            for (size_t j = 0; j < ntcb; j++) {
                struct sc_label *l = ea_alloc(&cx->arena, sizeof(*l));
                l->kind = kind;
                l->ev = sig->kind;
                l->src = ss.v[s];
                l->cb = cb.n ? cb.v[i] : none;
                l->has_tcb = tcb.n > 0;
                l->tcb = tcb.n ? tcb.v[j] : none;
                l->approximate = l->cb.approximate || l->tcb.approximate;
                l->path = h;
                l->error = err;
                add_label(cx, ls, l);
            }
}

/* Stores of group ids into fields and globals: how groups travel through
 * structures from one callback to another. */
static void own_store_labels(struct sc_ctx *cx, const struct ea_function *f,
                             const struct ea_node *n, struct sc_labels *ls)
{
    for (size_t a = 0; a < n->nactions; a++) {
        const struct ea_action *ac = &n->actions[a];
        const struct ea_expr *l = ea_expr_strip(ac->lhs);
        if (ac->kind != EA_ACT_ASSIGN || !ac->rhs || !l || !l->is_group_id)
            continue;
        char key[512];
        if (!storage_key(l, key, sizeof key))
            continue;
        struct srcs ss = {0};
        sources(cx, f, ac->rhs, &ss, 0);
        for (size_t s = 0; s < ss.n; s++) {
            struct sc_label *lb = ea_alloc(&cx->arena, sizeof(*lb));
            lb->kind = SC_STORE;
            lb->src = ss.v[s];
            lb->store_key = sc_intern(cx, key);
            lb->cb.param = lb->tcb.param = -1;
            struct ea_call fake = {.caller = (struct ea_function *)f,
                                   .loc = ac->loc,
                                   .callee_name = "="};
            lb->path = hop(cx, &fake, NULL, 0);
            add_label(cx, ls, lb);
        }
    }
}

/* Remembers which variable each eel_new_group_id() result is put in. */
static void note_new_names(struct sc_ctx *cx, const struct ea_function *f)
{
    for (size_t i = 0; i < f->cfg.nnodes; i++) {
        const struct ea_node *n = f->cfg.nodes[i];
        for (size_t a = 0; a < n->nactions; a++) {
            const struct ea_action *ac = &n->actions[a];
            const struct ea_expr *r = ea_expr_strip(ac->rhs);
            if (ac->kind != EA_ACT_ASSIGN || !r || r->kind != EA_E_CALL ||
                r->call->eel_op != EA_EEL_NEW_GROUP || !ac->lhs ||
                !ac->lhs->path)
                continue;
            char buf[512];
            new_key(r->call, buf, sizeof buf);
            ea_map_put(&cx->new_desc, &cx->arena, buf,
                       (void *)sc_intern(cx, ac->lhs->path));
        }
    }
}

/* A callee's label seen from call c in the caller. */
static void translate_label(struct sc_ctx *cx, const struct sc_label *l,
                            const struct ea_call *c, struct sc_labels *out)
{
    int err = call_is_error(cx, c);
    struct sc_hop *h = hop(cx, c, l->path, err);
    struct srcs ss = {0};
    translate_src(cx, l->src, c, &ss, 0);
    struct cbs cb = {0}, tcb = {0};
    if (l->cb.param >= 0 && (size_t)l->cb.param < c->nargs)
        cb = callbacks(cx, c->args[l->cb.param]);
    if (l->has_tcb && l->tcb.param >= 0 && (size_t)l->tcb.param < c->nargs)
        tcb = callbacks(cx, c->args[l->tcb.param]);
    size_t ncb = cb.n ? cb.n : 1, ntcb = tcb.n ? tcb.n : 1;
    for (size_t s = 0; s < ss.n; s++)
        for (size_t i = 0; i < ncb; i++)
            for (size_t j = 0; j < ntcb; j++) {
                struct sc_label *n = ea_alloc(&cx->arena, sizeof(*n));
                *n = *l;
                n->src = ss.v[s];
                if (cb.n)
                    n->cb = cb.v[i];
                if (tcb.n)
                    n->tcb = tcb.v[j];
                n->approximate = l->approximate || n->cb.approximate ||
                                 n->tcb.approximate || c->approximate;
                n->error = l->error || err;
                n->path = h;
                add_label(cx, out, n);
            }
}

void sc_compute_labels(struct sc_ctx *cx)
{
    struct ea_program *p = cx->prog;
    cx->labels = calloc(p->nfunctions + 1, sizeof(*cx->labels));
    cx->ok_nodes = calloc(p->nfunctions + 1, sizeof(*cx->ok_nodes));
    if (!cx->labels || !cx->ok_nodes)
        abort();
    if (!cx->max_labels)
        cx->max_labels = 4096;
    for (size_t i = 0; i < p->nfunctions; i++)
        note_new_names(cx, p->functions[i]);
    for (size_t i = 0; i < p->nfunctions; i++) {
        const struct ea_function *f = p->functions[i];
        for (size_t c = 0; c < f->ncalls; c++)
            own_call_labels(cx, f, f->calls[c], &cx->labels[i]);
        for (size_t n = 0; n < f->cfg.nnodes; n++)
            own_store_labels(cx, f, f->cfg.nodes[n], &cx->labels[i]);
    }
    /* Percolate to a fixed point: a worklist of functions whose labels
     * grew; each caller re-reads its callees' labels (duplicates are
     * dropped by add_label, so this terminates). */
    size_t nf = p->nfunctions;
    char *queued = calloc(nf + 1, 1);
    size_t *work = ea_xmalloc((nf + 1) * sizeof(*work)), head = 0, cnt = 0;
    for (size_t i = 0; i < nf; i++)
        if (cx->labels[i].n) {
            work[(head + cnt++) % nf] = i;
            queued[i] = 1;
        }
    size_t *done = calloc(nf + 1, sizeof(*done)); /* labels passed on */
    while (cnt) {
        size_t g = work[head];
        head = (head + 1) % nf;
        cnt--;
        queued[g] = 0;
        const struct ea_function *gf = p->functions[g];
        struct sc_labels *gl = &cx->labels[g];
        size_t from = done[g];
        done[g] = gl->n;
        for (size_t k = 0; k < gf->ncallers; k++) {
            const struct ea_call *c = gf->callers[k];
            size_t caller = (size_t)c->caller->id;
            size_t before = cx->labels[caller].n;
            for (size_t li = from; li < done[g]; li++)
                translate_label(cx, gl->v[li], c, &cx->labels[caller]);
            if (cx->labels[caller].n > before && !queued[caller]) {
                queued[caller] = 1;
                work[(head + cnt++) % nf] = caller;
            }
        }
    }
    free(done);
    free(work);
    free(queued);
}

void sc_free_ctx(struct sc_ctx *cx)
{
    for (size_t i = 0; i < cx->prog->nfunctions; i++) {
        free(cx->labels[i].v);
        ea_map_free(&cx->labels[i].seen);
        free(cx->ok_nodes[i]);
    }
    free(cx->labels);
    free(cx->ok_nodes);
    ea_map_free(&cx->strings);
    ea_map_free(&cx->new_desc);
    ea_arena_free(&cx->arena);
}
