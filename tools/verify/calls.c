/*
 * calls.c - what one call does to a path's state: libeel operations
 * (new/delete group, registrations that hand a group, cb_arg and fd on to
 * the next callbacks), acquire/release pairs, descriptor uses, calls of
 * helpers through their summaries (one successor state per outcome), and
 * calls the analysis cannot see into.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static void check_overwrite(struct fctx *fc, const struct ea_node *node,
                            size_t idx, unsigned char *s, int made,
                            const struct pnote *notes);

/* Library calls that return -1 on error and a count otherwise. */
static const char *const count_calls[] = {
    "read",    "write",   "recv",   "send",      "recvfrom",
    "sendto",  "readv",   "writev", "pread",     "pwrite",
    "recvmsg", "sendmsg", "close",  "eel_close", NULL};

static int in_list(const char *const *l, const char *n)
{
    for (; n && *l; l++)
        if (strcmp(*l, n) == 0)
            return 1;
    return 0;
}

/* The summary to use for a call of g: this round's if g is done, else
 * (recursion) the previous round's, which may have no outcomes yet: then
 * the path ends here until the next round. */
static const struct vsumdata *callee_summary(struct fctx *fc,
                                             const struct ea_function *g)
{
    struct vsummary *s = &fc->v->sums[g->id];
    if (s->state == 2)
        return &s->cur;
    fc->v->saw_recursion = 1;
    return &s->prev;
}

/* The new value some outcome of a summary returns, or -2. */
static int sum_makes(const struct vsumdata *d)
{
    for (size_t i = 0; i < d->nouts; i++)
        if (d->outs[i].ret_new != -2)
            return d->outs[i].ret_new;
    return -2;
}

/* The kind of value a call may return as a new, owned value: -1 group,
 * pair index, or -2 none. */
static int call_makes(struct fctx *fc, const struct ea_call *c)
{
    if (c->eel_op == EA_EEL_NEW_GROUP)
        return -1;
    if (c->eel_op != EA_EEL_NONE)
        return -2;
    int p = vconfig_pair_by_acquire(fc->v->cfg, c->callee_name);
    if (p >= 0)
        return p;
    if (!c->callee)
        return -2;
    const struct vsummary *s = &fc->v->sums[c->callee->id];
    int k = sum_makes(&s->cur);
    return k != -2 ? k : sum_makes(&s->prev);
}

void slot_for_call_prepare(struct fctx *fc, const struct ea_call *c)
{
    int k = call_makes(fc, c);
    if (k == -2 || slot_for_call(fc, c) >= 0)
        return;
    const char *what = c->callee_name ? c->callee_name : "call";
    struct slot s = {
        O_SITE,
        k == -1 ? T_GROUP : T_PTR,
        -1,
        k,
        c,
        xasprintf("from '%s' at %s:%u", what, vloc_file(&c->loc), c->loc.line),
        0};
    if (k >= 0 && fc->v->cfg->pairs[k].kind == VK_FD)
        s.type = T_INT;
    add_slot(fc, s);
}

int fd_like(const struct fctx *fc, int slot)
{
    const struct slot *s = &fc->slots[slot];
    if (s->origin == O_SITE)
        return s->pair >= 0 && fc->v->cfg->pairs[s->pair].kind == VK_FD;
    return s->origin == O_PARAM && s->type == T_INT;
}

void record_hand(struct fctx *fc, int from_slot, struct ea_function *to,
                 int to_param, struct ea_loc loc, const char *origin)
{
    struct vsummary *sum = fc->sum;
    for (size_t i = 0; i < sum->cur.nhands; i++) {
        struct vhand *h = &sum->cur.hands[i];
        if (h->from_slot == from_slot && h->to == to && h->to_param == to_param)
            return;
    }
    if (sum->cur.nhands == sum->cur.caphands) {
        sum->cur.caphands = sum->cur.caphands ? 2 * sum->cur.caphands : 8;
        sum->cur.hands = xrealloc(sum->cur.hands,
                                  sum->cur.caphands * sizeof(*sum->cur.hands));
    }
    sum->cur.hands[sum->cur.nhands++] = (struct vhand){
        from_slot, to, to_param, loc, origin ? xstrdup(origin) : NULL};
}

/* Hands the value in `slot` to parameter `to_param` of callback `to`. */
static void hand_to(struct fctx *fc, unsigned char *s, int slot,
                    struct ea_function *to, int to_param, struct ea_loc loc)
{
    if (slot < 0 || !to || (size_t)to_param >= to->nparams)
        return;
    const struct slot *sl = &fc->slots[slot];
    int st = st_state(fc, s)[slot];
    if (sl->origin == O_SITE && st == ST_LIVE) {
        for (size_t i = 0; i < fc->npending; i++)
            if (fc->pending[i].slot == slot && fc->pending[i].to == to &&
                fc->pending[i].to_param == to_param)
                return;
        if (fc->npending == fc->cappending) {
            fc->cappending = fc->cappending ? 2 * fc->cappending : 8;
            fc->pending =
                xrealloc(fc->pending, fc->cappending * sizeof(*fc->pending));
        }
        fc->pending[fc->npending++] = (struct pending){slot, to, to_param, loc};
    } else if (sl->origin == O_PARAM && st != ST_RELEASED && st != ST_NONE)
        record_hand(fc, slot, to, to_param, loc, NULL);
}

static void set_first(struct fctx *fc, unsigned char *s, int slot, int what)
{
    if (st_first(fc, s)[slot] == F_NONE)
        st_first(fc, s)[slot] = (unsigned char)what;
}

/* ---- libeel --------------------------------------------------------- */

static const struct ea_expr *arg(const struct ea_call *c, int i)
{
    return i >= 0 && (size_t)i < c->nargs ? c->args[i] : NULL;
}

static const struct pnote *use_group(struct fctx *fc, unsigned char *s, int g,
                                     const struct ea_call *c,
                                     const struct pnote *notes,
                                     const char *what)
{
    unsigned char *st = st_state(fc, s);
    if (g < 0)
        return notes;
    if (st[g] == ST_RELEASED) {
        finding(fc, R_USE_AFTER_DELETE, c->loc, notes,
                arena_printf(&fc->arena,
                             "group '%s' used after it was deleted: '%s' "
                             "registers a deleted group",
                             slot_name(fc, s, g), c->callee_name));
        return notes;
    }
    set_first(fc, s, g, F_USE);
    if (st[g] == ST_LIVE)
        st[g] = ST_HANDED;
    return pnote_add(fc, notes, c->loc,
                     arena_printf(&fc->arena, "group '%s' %s here",
                                  slot_name(fc, s, g), what));
}

static void fd_use(struct fctx *fc, unsigned char *s, int slot,
                   const struct ea_call *c, const struct pnote *notes,
                   int closing)
{
    if (slot < 0 || !fd_like(fc, slot))
        return;
    if (st_state(fc, s)[slot] == ST_RELEASED) {
        finding(fc, R_FD_USE_AFTER_CLOSE, c->loc, notes,
                arena_printf(&fc->arena,
                             closing ? "file descriptor '%s' closed twice "
                                       "(by '%s')"
                                     : "file descriptor '%s' used by '%s' "
                                       "after it was closed",
                             slot_name(fc, s, slot),
                             c->callee_name ? c->callee_name : "a call"));
    } else if (!closing) {
        set_first(fc, s, slot, F_USE);
    }
}

static const struct pnote *do_register(struct fctx *fc, unsigned char *s,
                                       const struct ea_call *c,
                                       const struct ea_eel_sig *sig,
                                       const struct pnote *notes,
                                       const struct scratch *sc)
{
    struct ea_cb_targets to[2] = {{0}, {0}};
    const char *cbname = "?", *unresolved = NULL;
    int cbs[2] = {sig->cb_arg, sig->timeout_cb_arg};
    for (int k = 0; k < 2; k++) {
        const struct ea_expr *e = arg(c, cbs[k]);
        if (!e)
            continue;
        to[k] = ea_resolve_callback(fc->v->prog, e);
        if (to[k].nfuncs > 64) /* at most 64 callbacks per registration */
            to[k].nfuncs = 64;
        if (k == 0)
            cbname = e->text ? e->text : cbname;
        if (to[k].unresolved && to[k].nfuncs == 0)
            unresolved = to[k].unresolved;
    }
    int a = resolve_slot(fc, s, arg(c, sig->cbarg_arg), sc);
    if (unresolved && a >= 0 && fc->slots[a].origin == O_SITE &&
        st_state(fc, s)[a] == ST_LIVE)
        finding(fc, R_UNKNOWN_CALL, c->loc, notes,
                arena_printf(&fc->arena,
                             "%s is handed to callback '%s', which the "
                             "analysis cannot resolve; whether it is "
                             "released is not checked",
                             slot_what(fc, s, a), unresolved));
    else if (unresolved)
        vverbose(fc->v, "%s:%u: callback '%s' unresolved", vloc_file(&c->loc),
                 c->loc.line, unresolved);
    int fd = resolve_slot(fc, s, arg(c, sig->fd_arg), sc);
    if (fd >= 0 && (!fd_like(fc, fd) || sig->op == EA_EEL_ADD_TIMER ||
                    sig->op == EA_EEL_ADD_SIGNAL))
        fd = -1;
    fd_use(fc, s, fd, c, notes, 0);
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < to[k].nfuncs; i++) {
            hand_to(fc, s, a, to[k].funcs[i], 1, c->loc);
            hand_to(fc, s, fd, to[k].funcs[i], 2, c->loc);
        }
    unsigned char *st = st_state(fc, s);
    if (a >= 0 && st[a] == ST_LIVE)
        st[a] = ST_HANDED;
    if (fd >= 0 && st[fd] == ST_LIVE)
        st[fd] = ST_HANDED;
    int g = resolve_slot(fc, s, arg(c, sig->gid_arg), sc);
    return use_group(fc, s, g, c, notes,
                     arena_printf(&fc->arena, "handed on to '%s' by '%s'",
                                  cbname, c->callee_name));
}

static const struct pnote *release(struct fctx *fc, unsigned char *s, int r,
                                   const struct ea_call *c,
                                   const struct pnote *notes)
{
    unsigned char *st = st_state(fc, s);
    if (r < 0)
        return notes;
    int grp = fc->slots[r].type == T_GROUP;
    if (st[r] == ST_RELEASED) {
        if (grp)
            finding(fc, R_DOUBLE_DELETE, c->loc, notes,
                    arena_printf(&fc->arena, "group '%s' deleted twice",
                                 slot_name(fc, s, r)));
        else if (fd_like(fc, r))
            fd_use(fc, s, r, c, notes, 1);
        else
            finding(fc, R_DOUBLE_RELEASE, c->loc, notes,
                    arena_printf(&fc->arena, "'%s' released twice (by '%s')",
                                 slot_name(fc, s, r), c->callee_name));
        return notes;
    }
    set_first(fc, s, r, F_RELEASE);
    st[r] = ST_RELEASED;
    return pnote_add(
        fc, notes, c->loc,
        arena_printf(&fc->arena, "'%s' %s here by '%s'", slot_name(fc, s, r),
                     grp ? "deleted" : "released", c->callee_name));
}

static const struct pnote *do_eel(struct fctx *fc, unsigned char *s,
                                  const struct ea_call *c,
                                  const struct pnote *notes, struct scratch *sc,
                                  int *made)
{
    const struct ea_eel_sig *sig = ea_eel_sig(c->eel_op);
    if (c->eel_op == EA_EEL_NEW_GROUP) {
        *made = slot_for_call(fc, c);
        return pnote_add(fc, notes, c->loc,
                         "group created by 'eel_new_group_id()' here");
    }
    if (c->eel_op == EA_EEL_DELETE_GROUP)
        return release(fc, s, resolve_slot(fc, s, arg(c, sig->gid_arg), sc), c,
                       notes);
    if (sig->is_register)
        return do_register(fc, s, c, sig, notes, sc);
    if (c->eel_op == EA_EEL_CLOSE)
        return release(fc, s, resolve_slot(fc, s, arg(c, sig->fd_arg), sc), c,
                       notes);
    if (c->eel_op == EA_EEL_GROUP_SET_WAITING)
        return use_group(fc, s, resolve_slot(fc, s, arg(c, sig->gid_arg), sc),
                         c, notes, "declared waiting (eel_group_set_waiting)");
    return notes;
}

/* ---- Summaries ------------------------------------------------------ */

/* Applies one parameter outcome (final state ost, first action of) to the
 * caller's slot r; reports uses of what the caller already released. */
static void apply_param(struct fctx *fc, unsigned char *s, int r, int ost,
                        int first, const struct ea_call *c,
                        const struct pnote *notes, const char *callee)
{
    unsigned char *st = st_state(fc, s);
    if (r < 0 || st[r] == ST_NONE)
        return;
    int grp = fc->slots[r].type == T_GROUP;
    if (st[r] == ST_RELEASED && first != F_NONE) {
        const char *n = slot_name(fc, s, r);
        if (grp)
            finding(fc, first == F_USE ? R_USE_AFTER_DELETE : R_DOUBLE_DELETE,
                    c->loc, notes,
                    arena_printf(&fc->arena,
                                 first == F_USE
                                     ? "group '%s' used after it was "
                                       "deleted: '%s' registers it"
                                     : "group '%s' deleted twice: '%s' "
                                       "deletes it again",
                                 n, callee));
        else if (fd_like(fc, r))
            finding(fc, R_FD_USE_AFTER_CLOSE, c->loc, notes,
                    arena_printf(&fc->arena,
                                 "file descriptor '%s' used by '%s' after it "
                                 "was closed",
                                 n, callee));
        else if (first == F_RELEASE)
            finding(fc, R_DOUBLE_RELEASE, c->loc, notes,
                    arena_printf(&fc->arena,
                                 "'%s' released twice: '%s' releases it again",
                                 n, callee));
        return;
    }
    set_first(fc, s, r, first);
    if (ost == ST_RELEASED)
        st[r] = ST_RELEASED;
    else if (ost == ST_ESCAPED && st[r] != ST_RELEASED)
        mark_escaped(fc, s, r);
    else if (ost == ST_HANDED && st[r] == ST_LIVE)
        st[r] = ST_HANDED;
}

/* An outcome in which the callee found parameter i NULL (or a negative
 * fd, or group 0) happens only if the caller passed that: narrow the
 * caller's variable, drop the outcome if it cannot be, and mark what the
 * caller holds there as not held. */
static int null_outcome_feasible(struct fctx *fc, unsigned char *s,
                                 const struct ea_call *c,
                                 const struct ea_function *g, size_t np,
                                 const int *slots, const struct voutcome *out)
{
    for (size_t i = 0; i < np; i++) {
        /* The outcome needs parameter i in its range on that path. */
        struct ival pr = out->prange[i];
        if (pr.lo != V_MIN || pr.hi != V_MAX || pr.has_ne) {
            struct ival a = value_of(fc, s, c->args[i], NULL);
            if (!iv_refine(&a, ">=", pr.lo, 1) ||
                !iv_refine(&a, "<=", pr.hi, 1) ||
                (pr.has_ne && !iv_refine(&a, "!=", pr.ne, 1)))
                return 0;
            int v = fact_var(fc, c->args[i]);
            if (v >= 0 &&
                !(refine_var(fc, s, v, ">=", pr.lo, 1) &&
                  refine_var(fc, s, v, "<=", pr.hi, 1) &&
                  (!pr.has_ne || refine_var(fc, s, v, "!=", pr.ne, 1))))
                return 0;
        }
        if (out->st[2 * i] != ST_NONE)
            continue;
        int v = fact_var(fc, c->args[i]);
        int neg = type_of_var(g->params[i]) == T_INT;
        if (v >= 0 && !(neg ? refine_var(fc, s, v, "<", 0, 1)
                            : refine_var(fc, s, v, "==", 0, 1)))
            return 0;
        if (slots[i] >= 0 && st_state(fc, s)[slots[i]] == ST_LIVE)
            st_state(fc, s)[slots[i]] = ST_NONE;
    }
    return 1;
}

static int gfield_slot(struct fctx *fc, unsigned char *s, int r)
{
    int g = gfield_of(fc, s, r);
    return g >= 0 && st_state(fc, s)[g] != ST_NONE ? g : -1;
}

static void apply_summary(struct fctx *fc, const struct ea_node *node,
                          size_t idx, unsigned char *s,
                          const struct pnote *notes, struct scratch *sc,
                          cont_fn k, const struct ea_call *c,
                          const struct ea_function *g,
                          const struct vsumdata *sum, int park)
{
    size_t np = c->nargs < g->nparams ? c->nargs : g->nparams;
    int slots[64], gslots[64];
    if (np > 64)
        np = 64;
    for (size_t i = 0; i < np; i++) {
        slots[i] = resolve_slot(fc, s, c->args[i], sc);
        gslots[i] = gfield_slot(fc, s, slots[i]);
    }
    /* Hand-offs the helper makes with its parameters become ours. */
    for (size_t h = 0; h < sum->nhands; h++) {
        const struct vhand *hd = &sum->hands[h];
        size_t p = (size_t)hd->from_slot / 2;
        if (hd->from_slot < 0 || (hd->from_slot & 1) || p >= np)
            continue;
        hand_to(fc, s, slots[p], hd->to, hd->to_param, c->loc);
    }
    for (size_t o = 0; o < sum->nouts; o++) {
        const struct voutcome *out = &sum->outs[o];
        unsigned char *ns = st_copy(fc, s);
        const struct pnote *nn =
            pnote_add(fc, notes, c->loc,
                      arena_printf(&fc->arena, "entering '%s'", g->name));
        for (size_t i = 0; i < out->nnotes; i++)
            nn = pnote_add(fc, nn, out->notes[i].loc,
                           arena_printf(&fc->arena, "  %s", out->notes[i].msg));
        nn =
            pnote_add(fc, nn, out->exit,
                      arena_printf(&fc->arena, "returning from '%s'", g->name));
        if (!null_outcome_feasible(fc, ns, c, g, np, slots, out))
            continue;
        for (size_t i = 0; i < np; i++) {
            apply_param(fc, ns, slots[i], out->st[2 * i], out->first[2 * i], c,
                        nn, g->name);
            if (gslots[i] != slots[i])
                apply_param(fc, ns, gslots[i], out->st[2 * i + 1],
                            out->first[2 * i + 1], c, nn, g->name);
        }
        struct scratch sc2 = *sc;
        int made = -1;
        if (out->ret_new != -2) {
            made = slot_for_call(fc, c);
            check_overwrite(fc, node, idx, ns, made, nn);
            if (made >= 0)
                st_state(fc, ns)[made] = ST_LIVE;
        }
        if (sc2.ncalls < 32)
            sc2.calls[sc2.ncalls++] =
                (struct callres){c, iv_range(out->ret_lo, out->ret_hi), made};
        /* Several outcomes: park each at the next action, where equal
         * ones meet (a node with many calls would multiply them). */
        if (park || sum->nouts > 1)
            st_push_at(fc, node, idx + 1, ns, nn, &sc2);
        else
            k(fc, node, idx + 1, ns, nn, &sc2);
    }
}

/* ---- Unknown and library calls -------------------------------------- */

static int arity_ok(const struct ea_function *g, const struct ea_call *c)
{
    return g->nparams == c->nargs;
}

static void unknown_pointer_call(struct fctx *fc, unsigned char *s,
                                 const struct ea_call *c,
                                 const struct pnote *notes,
                                 const struct scratch *sc)
{
    unsigned char *st = st_state(fc, s);
    for (size_t i = 0; i < c->nargs; i++) {
        int r = resolve_slot(fc, s, c->args[i], sc);
        if (r < 0 || st[r] != ST_LIVE)
            continue;
        /* Plain parameters of helpers are the caller's business: the
         * summary says "escaped".  Groups and made values are reported. */
        if (fc->slots[r].type != T_GROUP && fc->slots[r].origin != O_SITE) {
            mark_escaped(fc, s, r);
            continue;
        }
        const char *what = c->callee_expr && c->callee_expr->text
                               ? c->callee_expr->text
                               : "a function pointer";
        finding(fc, R_UNKNOWN_CALL, c->loc, notes,
                arena_printf(&fc->arena,
                             "'%s' is passed to '%s', a function pointer "
                             "whose targets are unknown; whether it is "
                             "released or handed on is not checked",
                             slot_name(fc, s, r), what));
        mark_escaped(fc, s, r);
    }
}

/* Library functions that return their first argument. */
static const char *const passthru_calls[] = {"memcpy",  "memmove", "memset",
                                             "strcpy",  "strncpy", "strcat",
                                             "strncat", "stpcpy",  NULL};

static void plain_call(struct fctx *fc, unsigned char *s,
                       const struct ea_call *c, const struct pnote **notes,
                       struct scratch *sc, int *made, struct ival *ret,
                       int *alias)
{
    const char *name = c->callee_name;
    if (in_list(passthru_calls, name))
        *alias = resolve_slot(fc, s, arg(c, 0), sc);
    int p = vconfig_pair_by_acquire(fc->v->cfg, name);
    if (p >= 0) {
        *made = slot_for_call(fc, c);
        *ret = fc->v->cfg->pairs[p].fail_negative ? iv_range(-1, V_MAX)
                                                  : iv_range(0, V_MAX);
        *notes =
            pnote_add(fc, *notes, c->loc,
                      arena_printf(&fc->arena, "acquired by '%s' here", name));
        return;
    }
    if (in_list(count_calls, name))
        *ret = iv_range(-1, V_MAX);
    if (name && strcmp(name, "realloc") == 0) {
        mark_escaped(fc, s, resolve_slot(fc, s, arg(c, 0), sc));
        return;
    }
    if (vconfig_is_release(fc->v->cfg, name, -1)) {
        *notes = release(fc, s, resolve_slot(fc, s, arg(c, 0), sc), c, *notes);
        return;
    }
    int esc = vconfig_is_escape(fc->v->cfg, name);
    for (size_t i = 0; i < c->nargs; i++) {
        int r = resolve_slot(fc, s, c->args[i], sc);
        fd_use(fc, s, r, c, *notes, 0);
        if (esc)
            mark_escaped(fc, s, r);
    }
}

/* A call that makes a value at a site whose previous value is still held
 * and only by the variable about to be overwritten: that one is lost (a
 * loop that allocates again without freeing). */
static void check_overwrite(struct fctx *fc, const struct ea_node *node,
                            size_t idx, unsigned char *s, int made,
                            const struct pnote *notes)
{
    if (made < 0 || st_state(fc, s)[made] != ST_LIVE)
        return;
    const struct ea_call *c = node->actions[idx].call;
    int holder = -1, holders = 0;
    for (int v = 0; v < fc->nvars; v++)
        if (st_bind(fc, s)[v] == made)
            holder = v, holders++;
    if (holders != 1)
        return;
    for (size_t i = idx + 1; i < node->nactions; i++) {
        const struct ea_action *a = &node->actions[i];
        const struct ea_expr *r = ea_expr_strip(a->rhs);
        const struct ea_expr *l = ea_expr_strip(a->lhs);
        if (a->kind != EA_ACT_ASSIGN || !r || r->kind != EA_E_CALL ||
            r->call != c || !l || l->kind != EA_E_VAR)
            continue;
        if (var_index(fc, l->var) != holder)
            return;
        int grp = fc->slots[made].pair == -1;
        finding(fc, grp ? R_GROUP_LEAK : R_RESOURCE_LEAK, c->loc, notes,
                arena_printf(&fc->arena,
                             "%s '%s' (%s) leaked: overwritten by a new one "
                             "while still held",
                             grp ? "group" : "resource", fc->vars[holder]->name,
                             fc->slots[made].desc));
        return;
    }
}

/* Is a registration's result tested on this path: in a condition, or
 * through a local variable that conditions test?  (Kept in a global or a
 * field it is not followed, and the registration is taken to succeed.) */
static int result_tested(struct fctx *fc, const struct ea_call *c)
{
    const struct ea_node *n = c->node;
    for (int hop = 0; n && hop < 4; hop++) {
        if (use_in(n->cond, c) == 1)
            return 1;
        for (size_t a = 0; a < n->nactions; a++) {
            const struct ea_action *act = &n->actions[a];
            const struct ea_expr *r = ea_expr_strip(act->rhs);
            if (act->kind == EA_ACT_ASSIGN && r && r->kind == EA_E_CALL &&
                r->call == c)
                return fact_var(fc, act->lhs) >= 0;
        }
        n = n->nsucc == 1 ? n->succ[0].to : NULL;
    }
    return 0;
}

void apply_call(struct fctx *fc, const struct ea_node *node, size_t idx,
                unsigned char *s, const struct pnote *notes, struct scratch *sc,
                cont_fn k)
{
    const struct ea_call *c = node->actions[idx].call;
    int made = -1, alias = -1;
    struct ival ret = iv_top();
    if (ea_eel_sig(c->eel_op)->is_register && result_tested(fc, c)) {
        /* The program tests whether the registration worked: on the path
         * where it failed nothing was handed on. */
        struct scratch sc2 = *sc;
        if (sc2.ncalls < 32)
            sc2.calls[sc2.ncalls++] = (struct callres){c, iv_exact(0), -1};
        st_push_at(fc, node, idx + 1, st_copy(fc, s),
                   pnote_add(fc, notes, c->loc,
                             arena_printf(&fc->arena, "assuming '%s' fails",
                                          c->callee_name)),
                   &sc2);
        notes = do_eel(fc, s, c, notes, sc, &made);
        ret = iv_range(1, V_MAX);
    } else if (c->eel_op != EA_EEL_NONE) {
        notes = do_eel(fc, s, c, notes, sc, &made);
        if (c->eel_op == EA_EEL_NEW_GROUP)
            ret = iv_range(0, V_MAX);
    } else if (c->callee) {
        apply_summary(fc, node, idx, s, notes, sc, k, c, c->callee,
                      callee_summary(fc, c->callee), 0);
        return;
    } else if (!c->callee_name) {
        size_t n = 0;
        for (size_t i = 0; i < c->ntargets; i++)
            n += arity_ok(c->targets[i], c);
        if (n == 0) {
            unknown_pointer_call(fc, s, c, notes, sc);
        } else {
            for (size_t i = 0; i < c->ntargets; i++)
                if (arity_ok(c->targets[i], c))
                    apply_summary(fc, node, idx, st_copy(fc, s), notes, sc, k,
                                  c, c->targets[i],
                                  callee_summary(fc, c->targets[i]), n > 1);
            return;
        }
    } else {
        plain_call(fc, s, c, &notes, sc, &made, &ret, &alias);
    }
    check_overwrite(fc, node, idx, s, made, notes);
    if (made >= 0)
        st_state(fc, s)[made] = ST_LIVE;
    if (sc->ncalls < 32)
        sc->calls[sc->ncalls++] =
            (struct callres){c, ret, made >= 0 ? made : alias};
    k(fc, node, idx + 1, s, notes, sc);
}
