/*
 * state.c - the engine's abstract states: allocation from a per-function
 * arena, the visited set that turns the walk into a fixed point, the work
 * stack, integer ranges for condition pruning, and path notes.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* ---- Arena ---------------------------------------------------------- */

struct arena_blk {
    struct arena_blk *next;
    size_t used, cap;
    unsigned char data[];
};

void *arena_alloc(struct arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct arena_blk *b = a->blk;
    if (!b || b->used + n > b->cap) {
        size_t cap = n > (1u << 20) ? n : (1u << 20);
        b = xmalloc(sizeof(*b) + cap);
        b->next = a->blk;
        b->used = 0;
        b->cap = cap;
        a->blk = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

void arena_free(struct arena *a)
{
    while (a->blk) {
        struct arena_blk *n = a->blk->next;
        free(a->blk);
        a->blk = n;
    }
}

const char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* ---- States and the visited set ------------------------------------- */

unsigned char *st_new(struct fctx *fc)
{
    unsigned char *s = arena_alloc(&fc->arena, fc->ssize);
    memset(s, 0, fc->ssize);
    int16_t *b = st_bind(fc, s);
    for (int i = 0; i < fc->nvars; i++)
        b[i] = -1;
    int16_t *g = st_gbind(fc, s);
    for (int i = 0; i < fc->nslots; i++)
        g[i] = -1;
    struct ival *f = st_facts(fc, s);
    for (int i = 0; i < fc->nfacts; i++)
        f[i] = iv_top();
    return s;
}

unsigned char *st_copy(struct fctx *fc, const unsigned char *s)
{
    unsigned char *c = arena_alloc(&fc->arena, fc->ssize);
    memcpy(c, s, fc->ssize);
    return c;
}

static uint64_t hash_state(const struct fctx *fc, const struct ea_node *n,
                           const unsigned char *s)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)n->id;
    for (size_t i = 0; i < fc->ssize; i++) {
        h ^= s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static void table_grow(struct fctx *fc)
{
    size_t ncap = fc->tcap ? 2 * fc->tcap : 1024;
    struct ventry **nt = xcalloc(ncap, sizeof(*nt));
    for (size_t i = 0; i < fc->tcap; i++) {
        struct ventry *e = fc->table[i];
        if (!e)
            continue;
        size_t j = e->hash & (ncap - 1);
        while (nt[j])
            j = (j + 1) & (ncap - 1);
        nt[j] = e;
    }
    free(fc->table);
    fc->table = nt;
    fc->tcap = ncap;
}

static uint64_t hash_inh(uint64_t h, const struct callres *inh, int n)
{
    for (int i = 0; i < n; i++) {
        const unsigned char *b = (const unsigned char *)&inh[i];
        for (size_t j = 0; j < sizeof(*inh); j++) {
            h ^= b[j];
            h *= 1099511628211ull;
        }
    }
    return h;
}

static void push(struct fctx *fc, const struct ea_node *node, size_t idx,
                 unsigned char *s, const struct pnote *notes,
                 const struct callres *inh, int ninh, int ninherit);

void st_push(struct fctx *fc, const struct ea_node *node, unsigned char *s,
             const struct pnote *notes, const struct callres *inh, int ninh)
{
    push(fc, node, 0, s, notes, inh, ninh, ninh);
}

void st_push_at(struct fctx *fc, const struct ea_node *node, size_t idx,
                unsigned char *s, const struct pnote *notes,
                const struct scratch *sc)
{
    push(fc, node, idx, s, notes, sc->calls, sc->ncalls, sc->ninherit);
}

static void push(struct fctx *fc, const struct ea_node *node, size_t idx,
                 unsigned char *s, const struct pnote *notes,
                 const struct callres *inh, int ninh, int ninherit)
{
    if (fc->overflow)
        return;
    if (!fc->use_facts) {
        struct ival *f = st_facts(fc, s);
        for (int i = 0; i < fc->nfacts; i++)
            f[i] = iv_top();
    }
    /* Keep only results some expression reads: a call made as a statement
     * would otherwise tell apart states that are the same. */
    struct callres *cp = NULL;
    int n = 0, ninh0 = ninherit;
    if (ninh > 0) {
        cp = arena_alloc(&fc->arena, (size_t)ninh * sizeof(*cp));
        memset(cp, 0, (size_t)ninh * sizeof(*cp)); /* no padding noise */
        for (int i = 0; i < ninh; i++) {
            if (fc->value_used && !fc->value_used(inh[i].call)) {
                if (i < ninh0)
                    ninherit--;
                continue;
            }
            cp[n].call = inh[i].call;
            cp[n].ret = fc->use_facts ? inh[i].ret : iv_top();
            cp[n].slot = inh[i].slot;
            n++;
        }
    }
    ninh = n;
    uint64_t h = hash_inh(hash_state(fc, node, s), cp, ninh);
    h = (h ^ (uint64_t)idx) * 1099511628211ull;
    h = (h ^ (uint64_t)ninherit) * 1099511628211ull;
    if (fc->tcount * 2 >= fc->tcap)
        table_grow(fc);
    size_t j = h & (fc->tcap - 1);
    for (struct ventry *e; (e = fc->table[j]); j = (j + 1) & (fc->tcap - 1))
        if (e->hash == h && e->node == node && e->idx == idx &&
            e->ninh == ninh && e->ninherit == ninherit &&
            memcmp(e->state, s, fc->ssize) == 0 &&
            (!ninh || memcmp(e->inh, cp, (size_t)ninh * sizeof(*cp)) == 0))
            return;
    if (fc->tcount >= fc->budget) {
        fc->overflow = 1;
        return;
    }
    struct ventry *e = arena_alloc(&fc->arena, sizeof(*e));
    e->node = node;
    e->state = s;
    e->notes = notes;
    e->hash = h;
    e->inh = cp;
    e->ninh = ninh;
    e->ninherit = ninherit;
    e->idx = idx;
    fc->table[j] = e;
    fc->tcount++;
    if (fc->nstack == fc->capstack) {
        fc->capstack = fc->capstack ? 2 * fc->capstack : 256;
        fc->stack = xrealloc(fc->stack, fc->capstack * sizeof(*fc->stack));
    }
    fc->stack[fc->nstack++] = e;
}

struct ventry *st_pop(struct fctx *fc)
{
    return fc->nstack ? fc->stack[--fc->nstack] : NULL;
}

void st_reset(struct fctx *fc)
{
    free(fc->table);
    free(fc->stack);
    fc->table = NULL;
    fc->stack = NULL;
    fc->tcap = fc->tcount = fc->nstack = fc->capstack = 0;
    arena_free(&fc->arena);
    fc->overflow = 0;
}

/* ---- Integer ranges ------------------------------------------------- */

struct ival iv_top(void)
{
    return (struct ival){V_MIN, V_MAX, 0, 0};
}

struct ival iv_exact(long long v)
{
    return (struct ival){v, v, 0, 0};
}

struct ival iv_range(long long lo, long long hi)
{
    return (struct ival){lo, hi, 0, 0};
}

int iv_is_exact(const struct ival *v)
{
    return v->lo == v->hi;
}

int iv_empty(const struct ival *v)
{
    return v->lo > v->hi;
}

static void iv_norm(struct ival *v)
{
    if (v->has_ne) {
        if (v->ne == v->lo && v->lo < V_MAX)
            v->lo++;
        else if (v->ne == v->hi && v->hi > V_MIN)
            v->hi--;
        else if (v->ne == v->lo) /* lo == V_MAX == ne */
            v->lo = 1, v->hi = 0;
        if (v->ne < v->lo || v->ne > v->hi)
            v->has_ne = 0, v->ne = 0;
    }
    if (v->lo > v->hi)
        *v = (struct ival){1, 0, 0, 0};
}

static const char *negate(const char *op)
{
    static const char *const t[][2] = {{"==", "!="}, {"!=", "=="}, {"<", ">="},
                                       {">=", "<"},  {">", "<="},  {"<=", ">"}};
    for (size_t i = 0; i < 6; i++)
        if (strcmp(op, t[i][0]) == 0)
            return t[i][1];
    return NULL;
}

int iv_refine(struct ival *v, const char *op, long long c, int truth)
{
    if (!truth)
        op = negate(op);
    if (!op)
        return !iv_empty(v);
    if (strcmp(op, "==") == 0) {
        if (c < v->lo || c > v->hi || (v->has_ne && v->ne == c))
            v->lo = 1, v->hi = 0;
        else
            *v = iv_exact(c);
    } else if (strcmp(op, "!=") == 0) {
        if (v->lo == c && v->hi == c)
            v->lo = 1, v->hi = 0;
        else if (v->lo == c)
            v->lo++;
        else if (v->hi == c)
            v->hi--;
        else if (c > v->lo && c < v->hi && !v->has_ne)
            v->has_ne = 1, v->ne = c;
        /* else: a second excluded value is forgotten (less pruning). */
    } else if (strcmp(op, "<") == 0) {
        if (c == V_MIN)
            v->lo = 1, v->hi = 0;
        else if (c - 1 < v->hi)
            v->hi = c - 1;
    } else if (strcmp(op, "<=") == 0) {
        if (c < v->hi)
            v->hi = c;
    } else if (strcmp(op, ">") == 0) {
        if (c == V_MAX)
            v->lo = 1, v->hi = 0;
        else if (c + 1 > v->lo)
            v->lo = c + 1;
    } else if (strcmp(op, ">=") == 0) {
        if (c > v->lo)
            v->lo = c;
    }
    iv_norm(v);
    return !iv_empty(v);
}

int iv_may(const struct ival *a, const char *op, const struct ival *b,
           int truth)
{
    if (iv_empty(a) || iv_empty(b))
        return 0;
    if (!iv_is_exact(b)) {
        /* Only constants are compared exactly; else: anything goes unless
         * the ranges are disjoint for == (or identical points for !=). */
        return 1;
    }
    struct ival t = *a;
    return iv_refine(&t, op, b->lo, truth);
}

/* ---- Path notes ----------------------------------------------------- */

const struct pnote *pnote_add(struct fctx *fc, const struct pnote *prev,
                              struct ea_loc loc, const char *msg)
{
    struct pnote *n = arena_alloc(&fc->arena, sizeof(*n));
    n->prev = prev;
    n->loc = loc;
    n->msg = msg;
    n->len = prev ? prev->len + 1 : 1;
    return n;
}

struct vnote *pnote_array(const struct pnote *p, size_t *n)
{
    size_t len = p ? p->len : 0;
    struct vnote *a = xcalloc(len, sizeof(*a));
    for (size_t i = len; p && i-- > 0; p = p->prev) {
        a[i].loc = p->loc;
        a[i].msg = p->msg;
    }
    *n = len;
    return a;
}
