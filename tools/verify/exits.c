/*
 * exits.c - what happens when a path leaves a function: held groups and
 * resources are reported, a callback's arg/fd still held is recorded until
 * ownership is known (program.c), and the path's effect on the parameters
 * becomes an outcome of the function's summary.  Also the rollback of a
 * walk that ran over its state budget.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define OUT_CAP 64

/* ---- Exits ---------------------------------------------------------- */

/* The outcome keeps the last VOUT_NOTES notes, which lead to its exit. */
static void outcome_notes(struct voutcome *o, const struct pnote *notes)
{
    size_t n;
    struct vnote *a = pnote_array(notes, &n);
    size_t skip = n > VOUT_NOTES ? n - VOUT_NOTES : 0;
    o->nnotes = n - skip;
    o->notes = vnotes_copy(a + skip, o->nnotes);
    free(a);
}

static void add_outcome(struct fctx *fc, unsigned char *s,
                        const struct scratch *sc, struct ea_loc loc,
                        const struct pnote *notes)
{
    struct vsummary *sum = fc->sum;
    size_t np = 2 * fc->f->nparams;
    /* Past OUT_CAP outcomes, new ones lose their ranges (a wider, still
     * sound summary) so that a function with many independent tests does
     * not make one outcome per combination. */
    int ranges = sum->cur.nouts < OUT_CAP;
    struct voutcome o = {0};
    o.st = xmalloc(np);
    o.first = xmalloc(np);
    memcpy(o.st, st_state(fc, s), np);
    memcpy(o.first, st_first(fc, s), np);
    struct ival rv = ranges && sc->has_ret ? sc->retv : iv_top();
    o.ret_lo = rv.lo;
    o.ret_hi = rv.hi;
    o.ret_new = -2;
    int rs = sc->has_ret ? sc->ret_slot : -1;
    if (rs >= 0 && fc->slots[rs].origin == O_SITE &&
        st_state(fc, s)[rs] == ST_LIVE)
        o.ret_new = fc->slots[rs].pair;
    o.exit = loc;
    size_t npar = fc->f->nparams;
    o.prange = xmalloc(npar * sizeof(*o.prange));
    for (size_t i = 0; i < npar; i++) {
        o.prange[i] = iv_top();
        if (ranges && fc->fact_of[i] >= 0 && !fc->assigned[i])
            o.prange[i] = st_facts(fc, s)[fc->fact_of[i]];
    }
    for (size_t i = 0; i < sum->cur.nouts; i++) {
        if (voutcome_same(&sum->cur.outs[i], &o, npar)) {
            voutcome_free(&o);
            return;
        }
    }
    if (sum->cur.nouts == sum->cur.capouts) {
        sum->cur.capouts = sum->cur.capouts ? 2 * sum->cur.capouts : 8;
        sum->cur.outs =
            xrealloc(sum->cur.outs, sum->cur.capouts * sizeof(*sum->cur.outs));
    }
    outcome_notes(&o, notes);
    sum->cur.outs[sum->cur.nouts++] = o;
}

static void add_exit(struct fctx *fc, int param, struct ea_loc loc,
                     const struct pnote *notes)
{
    struct vctx *v = fc->v;
    for (size_t i = 0; i < v->nexits; i++)
        if (v->exits[i].f == fc->f && v->exits[i].param == param &&
            v->exits[i].loc.line == loc.line && v->exits[i].loc.col == loc.col)
            return;
    if (v->nexits == v->capexits) {
        v->capexits = v->capexits ? 2 * v->capexits : 16;
        v->exits = xrealloc(v->exits, v->capexits * sizeof(*v->exits));
    }
    struct vexit *e = &v->exits[v->nexits++];
    e->f = fc->f;
    e->param = param;
    e->loc = loc;
    struct vnote *a = pnote_array(notes, &e->nnotes);
    e->notes = vnotes_copy(a, e->nnotes);
    free(a);
}

void do_exit(struct fctx *fc, const struct ea_node *from, unsigned char *s,
             const struct pnote *notes, const struct scratch *sc)
{
    /* Falling off the end leaves at the closing brace. */
    struct ea_loc loc = fc->f->end_loc;
    if (from->kind == EA_N_RETURN && sc->has_ret)
        loc = sc->retloc;
    unsigned char *st = st_state(fc, s);
    const char *fn = fc->f->name;
    const char *role = fc->is_cb ? "callback" : "function";
    for (int i = 0; i < fc->nslots; i++) {
        if (st[i] != ST_LIVE || (sc->has_ret && sc->ret_slot == i))
            continue;
        const struct slot *sl = &fc->slots[i];
        if (sl->origin == O_SITE && sl->opaque &&
            slot_name(fc, s, i) == sl->desc) {
            vverbose(fc->v,
                     "%s:%u: in '%s': value %s is used in an "
                     "expression not modelled; not checked",
                     vloc_file(&loc), loc.line, fn, sl->desc);
        } else if (sl->origin == O_SITE) {
            int grp = sl->pair == -1;
            const char *m = arena_printf(
                &fc->arena,
                grp ? "group %s leaked: %s '%s' returns without "
                      "registering or deleting it"
                    : "resource %s leaked: %s '%s' returns without "
                      "releasing or handing it on",
                slot_what(fc, s, i), role, fn);
            finding(fc, grp ? R_GROUP_LEAK : R_RESOURCE_LEAK, loc, notes, m);
        } else if (sl->origin == O_PARAM && fc->is_cb && sl->param == 0 &&
                   sl->type == T_GROUP) {
            const char *m =
                arena_printf(&fc->arena,
                             "group '%s' leaked: callback '%s' returns without "
                             "registering or deleting it",
                             fc->f->params[0]->name, fn);
            finding(fc, R_GROUP_LEAK, loc, notes, m);
        } else if (sl->origin == O_PARAM && fc->is_cb &&
                   (sl->param == 1 || sl->param == 2)) {
            add_exit(fc, sl->param, loc, notes);
        }
    }
    for (size_t i = 0; i < fc->npending; i++) {
        const struct pending *p = &fc->pending[i];
        if (st[p->slot] == ST_HANDED &&
            !(sc->has_ret && sc->ret_slot == p->slot))
            record_hand(fc, -1, p->to, p->to_param, p->loc,
                        fc->slots[p->slot].desc);
    }
    add_outcome(fc, s, sc, loc, notes);
}

void rollback(struct fctx *fc, size_t nfind, size_t nexit, size_t nhand)
{
    struct vctx *v = fc->v;
    vreport_truncate(v->report, nfind);
    for (size_t i = nexit; i < v->nexits; i++)
        vnotes_free(v->exits[i].notes, v->exits[i].nnotes);
    v->nexits = nexit;
    fc->sum->cur.nhands = nhand;
    for (size_t i = 0; i < fc->sum->cur.nouts; i++)
        voutcome_free(&fc->sum->cur.outs[i]);
    fc->sum->cur.nouts = 0;
}
