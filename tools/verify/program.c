/*
 * program.c - eelverify over a whole program: finds the callbacks (every
 * function some registration names), analyses functions callees first so
 * that each call can use its callee's summary, then works out which
 * callbacks own their `arg` / `fd` (a live resource was handed to them,
 * directly or along a chain of callbacks) and reports the paths of those
 * callbacks that neither release nor hand on what they own.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* Prints a verbose line once: the same message from another path or
 * another round is dropped. */
void vverbose(const struct vctx *ctx, const char *fmt, ...)
{
    static uint64_t *seen;
    static size_t nseen, capseen;
    if (!ctx->cfg->verbose)
        return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    uint64_t h = 1469598103934665603ull;
    for (const char *p = buf; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    for (size_t i = 0; i < nseen; i++)
        if (seen[i] == h)
            return;
    if (nseen == capseen) {
        capseen = capseen ? 2 * capseen : 64;
        seen = xrealloc(seen, capseen * sizeof(*seen));
    }
    seen[nseen++] = h;
    fprintf(stderr, "eelverify: %s\n", buf);
}

static void mark_callbacks(struct vctx *ctx)
{
    struct ea_program *p = ctx->prog;
    for (size_t i = 0; i < p->nfunctions; i++) {
        struct ea_function *f = p->functions[i];
        for (size_t j = 0; j < f->ncalls; j++) {
            const struct ea_call *c = f->calls[j];
            const struct ea_eel_sig *sig = ea_eel_sig(c->eel_op);
            if (!sig->is_register)
                continue;
            int cbs[2] = {sig->cb_arg, sig->timeout_cb_arg};
            for (int k = 0; k < 2; k++) {
                if (cbs[k] < 0 || (size_t)cbs[k] >= c->nargs)
                    continue;
                struct ea_cb_targets t =
                    ea_resolve_callback(p, c->args[cbs[k]]);
                for (size_t n = 0; n < t.nfuncs; n++)
                    ctx->is_cb[t.funcs[n]->id] = 1;
            }
        }
    }
}

/* Callees first; a callee already in progress (recursion) is skipped, and
 * its calls then use its summary of the previous round (calls.c). */
static void visit(struct vctx *ctx, struct ea_function *f)
{
    struct vsummary *s = &ctx->sums[f->id];
    if (s->state != 0)
        return;
    s->state = 1;
    for (size_t i = 0; i < f->ncalls; i++) {
        const struct ea_call *c = f->calls[i];
        if (c->callee)
            visit(ctx, c->callee);
        for (size_t t = 0; t < c->ntargets; t++)
            visit(ctx, c->targets[t]);
    }
    verify_function(ctx, f);
}

static void sumdata_free(struct vsumdata *d)
{
    for (size_t o = 0; o < d->nouts; o++)
        voutcome_free(&d->outs[o]);
    for (size_t h = 0; h < d->nhands; h++)
        free((char *)d->hands[h].origin);
    free(d->outs);
    free(d->hands);
    memset(d, 0, sizeof(*d));
}

/* npar: the function's parameter count (2 * npar slots). */
int voutcome_same(const struct voutcome *a, const struct voutcome *b,
                  size_t npar)
{
    size_t np = 2 * npar;
    return a->ret_lo == b->ret_lo && a->ret_hi == b->ret_hi &&
           a->ret_new == b->ret_new && !memcmp(a->st, b->st, np) &&
           !memcmp(a->first, b->first, np) &&
           !memcmp(a->prange, b->prange, npar * sizeof(*a->prange));
}

/* Did a summary change from the previous round?  Outcomes only grow
 * (monotone), so comparing the counts and members is enough. */
static int sum_changed(const struct vsummary *s, size_t npar)
{
    if (s->cur.nouts != s->prev.nouts || s->cur.nhands != s->prev.nhands)
        return 1;
    for (size_t i = 0; i < s->cur.nouts; i++) {
        size_t j = 0;
        while (j < s->prev.nouts &&
               !voutcome_same(&s->cur.outs[i], &s->prev.outs[j], npar))
            j++;
        if (j == s->prev.nouts)
            return 1;
    }
    return 0;
}

static void clear_round(struct vctx *ctx)
{
    vreport_free(ctx->report);
    for (size_t i = 0; i < ctx->nexits; i++)
        vnotes_free(ctx->exits[i].notes, ctx->exits[i].nnotes);
    ctx->nexits = 0;
    for (size_t i = 0; i < ctx->prog->nfunctions; i++) {
        struct vsummary *s = &ctx->sums[i];
        sumdata_free(&s->prev);
        s->prev = s->cur;
        memset(&s->cur, 0, sizeof(s->cur));
        s->state = 0;
    }
}

#define MAX_ROUNDS 12

void verify_program(struct vctx *ctx)
{
    size_t n = ctx->prog->nfunctions;
    ctx->sums = xcalloc(n, sizeof(*ctx->sums));
    ctx->is_cb = xcalloc(n, 1);
    mark_callbacks(ctx);
    for (;;) {
        ctx->rounds++;
        ctx->saw_recursion = 0;
        for (size_t i = 0; i < n; i++)
            visit(ctx, ctx->prog->functions[i]);
        int changed = 0;
        for (size_t i = 0; ctx->saw_recursion && i < n && !changed; i++)
            changed =
                sum_changed(&ctx->sums[i], ctx->prog->functions[i]->nparams);
        if (!changed)
            break;
        if (ctx->rounds == MAX_ROUNDS) {
            fprintf(stderr,
                    "eelverify: warning: summaries of recursive "
                    "functions did not settle in %d rounds; "
                    "results may be incomplete\n",
                    MAX_ROUNDS);
            break;
        }
        clear_round(ctx);
    }
    verify_ownership(ctx);
    vverbose(ctx,
             "%zu functions, %d round%s, %zu states explored, %zu "
             "re-walked without integer facts",
             n, ctx->rounds, ctx->rounds == 1 ? "" : "s", ctx->states_total,
             ctx->fallbacks);
}

/* ---- Ownership along callback chains -------------------------------- */

struct owner {
    const char *origin; /* what was handed, for the message */
    struct ea_loc loc;  /* where the chain got it */
};

static int propagate(struct vctx *ctx, struct owner (*own)[3])
{
    int changed = 0;
    for (size_t i = 0; i < ctx->prog->nfunctions; i++) {
        const struct vsummary *s = &ctx->sums[i];
        for (size_t h = 0; h < s->cur.nhands; h++) {
            const struct vhand *hd = &s->cur.hands[h];
            struct owner *dst = &own[hd->to->id][hd->to_param];
            if (dst->origin)
                continue;
            if (hd->from_slot < 0) {
                *dst = (struct owner){hd->origin, hd->loc};
                changed = 1;
                continue;
            }
            int p = hd->from_slot / 2;
            if ((hd->from_slot & 1) || !ctx->is_cb[i] || p < 1 || p > 2)
                continue;
            if (own[i][p].origin) {
                *dst = (struct owner){own[i][p].origin, own[i][p].loc};
                changed = 1;
            }
        }
    }
    return changed;
}

void verify_ownership(struct vctx *ctx)
{
    size_t n = ctx->prog->nfunctions;
    struct owner(*own)[3] = xcalloc(n, sizeof(*own));
    while (propagate(ctx, own))
        ;
    for (size_t i = 0; i < ctx->nexits; i++) {
        struct vexit *e = &ctx->exits[i];
        struct owner *o = &own[e->f->id][e->param];
        if (o->origin) {
            const char *pn = e->f->params[e->param]->name;
            char *msg = xasprintf(
                "resource '%s' leaked: callback '%s' owns it (%s, handed "
                "on at %s:%u) and returns without releasing or handing it "
                "on",
                pn, e->f->name, o->origin, vloc_file(&o->loc), o->loc.line);
            vreport_add(ctx->report, R_RESOURCE_LEAK, e->loc, e->f->name, msg,
                        e->notes, e->nnotes);
            free(msg);
        }
        vnotes_free(e->notes, e->nnotes);
    }
    free(ctx->exits);
    ctx->exits = NULL;
    ctx->nexits = 0;
    free(own);
}

void voutcome_free(struct voutcome *o)
{
    free(o->st);
    free(o->first);
    free(o->prange);
    vnotes_free(o->notes, o->nnotes);
    memset(o, 0, sizeof(*o));
}

void verify_free(struct vctx *ctx)
{
    for (size_t i = 0; ctx->sums && i < ctx->prog->nfunctions; i++) {
        sumdata_free(&ctx->sums[i].cur);
        sumdata_free(&ctx->sums[i].prev);
    }
    free(ctx->sums);
    free(ctx->is_cb);
    ctx->sums = NULL;
    ctx->is_cb = NULL;
}
