/*
 * chart.c - the second half of eelstatechart: from the percolated labels,
 * one chart per group creation site.  A chart starts at the function that
 * creates the group (the entry, or a callback) and follows, from callback
 * to callback, the registrations whose group is that group: the new group
 * itself at its origin, a callback's own group parameter further on, or a
 * struct field / global the group was stored in.  Registrations with
 * another freshly created group are shown as distinct new-group edges.
 */
#include "statechart.h"

#include <stdlib.h>
#include <string.h>

struct cstate {
    struct sc_ctx *cx;
    struct sc_result *res;
    struct ea_map site_chart;  /* NEW source key -> chart index + 1 */
    struct ea_map store_new;   /* "storekey|newkey" -> 1 */
    struct ea_map stored_new;  /* storekey -> 1: a new group stored there */
    struct ea_map store_chain; /* storekey -> 1 (a callback's own group) */
    struct ea_map is_tcb;      /* function uname -> 1 */
    const struct ea_function **roots;
    size_t nroots;
    char *reachable; /* per function id */
    int entry_found; /* else the roots are guessed: chart everything */
};

static int is_root(struct cstate *st, const struct ea_function *f)
{
    for (size_t i = 0; i < st->nroots; i++)
        if (st->roots[i] == f)
            return 1;
    return 0;
}

/* Every callback reachable from the roots through any registration. */
static void reach(struct cstate *st)
{
    struct ea_program *p = st->cx->prog;
    st->reachable = calloc(p->nfunctions + 1, 1);
    size_t *stack = ea_xmalloc((p->nfunctions + 1) * sizeof(*stack)), sp = 0;
    for (size_t i = 0; i < st->nroots; i++) {
        st->reachable[st->roots[i]->id] = 1;
        stack[sp++] = (size_t)st->roots[i]->id;
    }
    while (sp) {
        size_t f = stack[--sp];
        struct sc_labels *ls = &st->cx->labels[f];
        for (size_t i = 0; i < ls->n; i++) {
            const struct sc_label *l = ls->v[i];
            if (l->kind != SC_REG)
                continue;
            for (int k = 0; k < 1 + l->has_tcb; k++) {
                const struct sc_cb *cb = k ? &l->tcb : &l->cb;
                size_t nt = cb->func ? 1 : cb->nalts;
                for (size_t a = 0; a < nt; a++) {
                    const struct ea_function *t =
                        cb->func ? cb->func : cb->alts[a];
                    if (!st->reachable[t->id]) {
                        st->reachable[t->id] = 1;
                        stack[sp++] = (size_t)t->id;
                    }
                }
            }
        }
    }
    free(stack);
}

/* A new chart for the group source src, registered in site_chart. */
static void new_chart(struct cstate *st, struct sc_src src)
{
    struct sc_result *r = st->res;
    r->charts = ea_xrealloc(r->charts, (r->ncharts + 1) * sizeof(*r->charts));
    struct sc_chart *c = &r->charts[r->ncharts++];
    memset(c, 0, sizeof(*c));
    c->id = ea_printf(&st->cx->arena, "g%zu", r->ncharts - 1);
    c->src = src;
    ea_map_put(&st->site_chart, &st->cx->arena, src.key, (void *)r->ncharts);
}

static const char *src_title(struct sc_ctx *cx, const struct sc_src *s)
{
    switch (s->kind) {
    case SC_SRC_NEW:
        return ea_printf(&cx->arena, "New(%s%s%s:%u)", s->desc,
                         *s->desc ? "@" : "", sc_base(s->loc.file),
                         s->loc.line);
    case SC_SRC_FIELD:
        return ea_printf(&cx->arena, "Field(%s)", s->desc);
    case SC_SRC_GLOBAL:
        return ea_printf(&cx->arena, "Global(%s)", s->desc);
    case SC_SRC_PARAM:
        return ea_printf(&cx->arena, "Param(%s)", s->desc);
    default:
        return ea_printf(&cx->arena, "Source(%s)", s->desc);
    }
}

/* Labels by the source position of their first hop. */
static int hop_cmp(const void *a, const void *b)
{
    const struct sc_label *x = *(const struct sc_label *const *)a;
    const struct sc_label *y = *(const struct sc_label *const *)b;
    if (x->path->loc.line != y->path->loc.line)
        return x->path->loc.line < y->path->loc.line ? -1 : 1;
    if (x->path->loc.col != y->path->loc.col)
        return x->path->loc.col < y->path->loc.col ? -1 : 1;
    return 0;
}

/* Records each root's and reachable callback's group creation sites, in
 * discovery order (in source order within a function), and the stores of
 * groups into fields/globals. */
static void find_sites(struct cstate *st, const struct ea_function **order,
                       size_t norder)
{
    struct sc_ctx *cx = st->cx;
    for (size_t o = 0; o < norder; o++) {
        struct sc_labels *ls = &cx->labels[order[o]->id];
        const struct sc_label **news = ea_xmalloc((ls->n + 1) * sizeof(*news));
        size_t nn = 0;
        for (size_t i = 0; i < ls->n; i++)
            if (ls->v[i]->kind == SC_NEW)
                news[nn++] = ls->v[i];
        qsort(news, nn, sizeof(*news), hop_cmp);
        for (size_t i = 0; i < nn; i++) {
            const struct sc_label *l = news[i];
            if (!ea_map_get(&st->site_chart, l->src.key))
                new_chart(st, l->src);
        }
        free(news);
    }
    struct ea_program *p = cx->prog;
    for (size_t f = 0; f < p->nfunctions; f++) {
        struct sc_labels *ls = &cx->labels[f];
        for (size_t i = 0; i < ls->n; i++) {
            const struct sc_label *l = ls->v[i];
            if (l->kind != SC_STORE)
                continue;
            if (l->src.kind == SC_SRC_NEW) {
                char k[1024];
                snprintf(k, sizeof k, "%s|%s", l->store_key, l->src.key);
                ea_map_put(&st->store_new, &cx->arena, k, (void *)1);
                ea_map_put(&st->stored_new, &cx->arena, l->store_key,
                           (void *)1);
            } else if ((l->src.kind == SC_SRC_PARAM && l->src.param == 0 &&
                        p->functions[f]->is_callback_type) ||
                       l->src.kind == SC_SRC_CURRENT) {
                ea_map_put(&st->store_chain, &cx->arena, l->store_key,
                           (void *)1);
            }
        }
    }
}

enum match { M_NO, M_SAME, M_NEW };

static enum match matches(struct cstate *st, const struct sc_chart *c,
                          const struct sc_src *s, int at_origin)
{
    char k[1024];
    switch (s->kind) {
    case SC_SRC_NEW:
        if (s->key == c->src.key)
            return at_origin ? M_SAME : M_NEW;
        return M_NEW;
    case SC_SRC_PARAM:
        if (c->src.kind == SC_SRC_PARAM) /* chart of an entry callback */
            return s->param == 0 ? M_SAME : M_NO;
        return !at_origin && s->param == 0 ? M_SAME : M_NO;
    case SC_SRC_CURRENT:
        return at_origin ? M_NO : M_SAME;
    case SC_SRC_FIELD:
    case SC_SRC_GLOBAL:
        if (c->src.kind != SC_SRC_NEW)
            return s->key == c->src.key ? M_SAME : M_NO;
        snprintf(k, sizeof k, "%s|%s", s->key, c->src.key);
        if (ea_map_get(&st->store_new, k))
            return M_SAME;
        if (!at_origin && ea_map_get(&st->store_chain, s->key))
            return M_SAME;
        return M_NO;
    default:
        return c->src.kind != SC_SRC_NEW && s->key == c->src.key ? M_SAME
                                                                 : M_NO;
    }
}

static struct sc_node *node(struct cstate *st, struct sc_chart *c,
                            const char *id, const struct ea_function *f)
{
    for (size_t i = 0; i < c->nnodes; i++)
        if (!strcmp(c->nodes[i].id, id))
            return &c->nodes[i];
    if (c->nnodes == c->capnodes) {
        c->capnodes = c->capnodes ? c->capnodes * 2 : 8;
        c->nodes = ea_xrealloc(c->nodes, c->capnodes * sizeof(*c->nodes));
    }
    struct sc_node *n = &c->nodes[c->nnodes++];
    memset(n, 0, sizeof(*n));
    n->id = id;
    n->func = f;
    n->is_entry = f && is_root(st, f);
    n->is_timeout_cb = f && ea_map_get(&st->is_tcb, f->uname) != NULL;
    return n;
}

static void add_site(struct sc_edge *e, const struct sc_label *l, int from_tcb)
{
    for (size_t i = 0; i < e->nsites; i++)
        if (e->sites[i].path == l->path)
            return;
    if (e->nsites == e->capsites) {
        e->capsites = e->capsites ? e->capsites * 2 : 4;
        e->sites = ea_xrealloc(e->sites, e->capsites * sizeof(*e->sites));
    }
    struct sc_site *s = &e->sites[e->nsites++];
    s->path = l->path;
    s->error = l->error || from_tcb;
    s->approximate = l->approximate;
}

static void edge(struct sc_chart *c, const char *from, const char *to,
                 const char *kind, const char *group, int new_group,
                 const struct sc_label *l, int from_tcb)
{
    struct sc_edge *e = NULL;
    for (size_t i = 0; i < c->nedges && !e; i++)
        if (!strcmp(c->edges[i].from, from) && !strcmp(c->edges[i].to, to) &&
            !strcmp(c->edges[i].kind, kind) &&
            c->edges[i].new_group == new_group &&
            !strcmp(c->edges[i].group, group))
            e = &c->edges[i];
    if (!e) {
        if (c->nedges == c->capedges) {
            c->capedges = c->capedges ? c->capedges * 2 : 8;
            c->edges = ea_xrealloc(c->edges, c->capedges * sizeof(*c->edges));
        }
        e = &c->edges[c->nedges++];
        memset(e, 0, sizeof(*e));
        e->from = from;
        e->to = to;
        e->kind = kind;
        e->group = group;
        e->new_group = new_group;
        e->timeout = !strcmp(kind, "TO");
        e->error_path = 1;
    }
    add_site(e, l, from_tcb);
    e->error_path &= l->error || from_tcb;
    e->approximate |= l->approximate;
}

static const char *cb_name(struct sc_ctx *cx, const struct sc_cb *cb)
{
    if (cb->func)
        return cb->func->uname;
    if (cb->param >= 0)
        return ea_printf(&cx->arena, "?param%d", cb->param);
    return ea_printf(&cx->arena, "?%s", cb->unresolved ? cb->unresolved : "");
}

struct work {
    const struct ea_function *f;
    int origin;
};

/* Follows the chart's group from `start`; `seen` holds the (node, origin)
 * pairs already expanded in this chart. */
static void chart_from(struct cstate *st, struct sc_chart *c,
                       const struct work *start, struct ea_map *seen)
{
    struct sc_ctx *cx = st->cx;
    size_t cap = 16, nw = 1;
    struct work *wl = ea_xmalloc(cap * sizeof(*wl));
    wl[0] = *start;
    for (size_t w = 0; w < nw; w++) {
        const struct ea_function *f = wl[w].f;
        int org = wl[w].origin;
        char k[512];
        snprintf(k, sizeof k, "%d:%s", org, f->uname);
        if (ea_map_get(seen, k))
            continue;
        ea_map_put(seen, &cx->arena, k, (void *)1);
        struct sc_node *fromn = node(st, c, f->uname, f);
        fromn->is_origin |= org;
        int from_tcb = fromn->is_timeout_cb;
        struct sc_labels *ls = &cx->labels[f->id];
        for (size_t i = 0; i < ls->n; i++) {
            const struct sc_label *l = ls->v[i];
            if (l->kind != SC_REG && l->kind != SC_DELETE)
                continue;
            enum match m = matches(st, c, &l->src, org);
            /* Groups made at an origin have their own chart from there; a
             * new group is worth an edge where a callback starts it. */
            if (m == M_NO || (m == M_NEW && (l->kind == SC_DELETE || org)))
                continue;
            const char *group = c->id;
            if (m == M_NEW) {
                size_t idx = (size_t)ea_map_get(&st->site_chart, l->src.key);
                group = idx ? st->res->charts[idx - 1].id : "?";
            }
            if (l->kind == SC_DELETE) {
                node(st, c, "delete", NULL);
                edge(c, f->uname, "delete", "delete", group, 0, l, from_tcb);
                continue;
            }
            for (int t = 0; t < 1 + l->has_tcb; t++) {
                const struct sc_cb *cb = t ? &l->tcb : &l->cb;
                const char *kind = t ? "TO" : l->ev;
                /* An untranslated callback parameter: its candidates. */
                size_t nt = cb->func || !cb->nalts ? 1 : cb->nalts;
                for (size_t k = 0; k < nt; k++) {
                    const struct ea_function *tf =
                        cb->func || !cb->nalts ? cb->func : cb->alts[k];
                    const char *to = tf ? tf->uname : cb_name(cx, cb);
                    struct sc_label guess = *l; /* a candidate: a guess */
                    guess.approximate |= !cb->func && cb->nalts;
                    node(st, c, to, tf);
                    edge(c, f->uname, to, kind, group, m == M_NEW, &guess,
                         from_tcb);
                    if (m != M_SAME || !tf)
                        continue;
                    if (nw == cap)
                        wl = ea_xrealloc(wl, (cap *= 2) * sizeof(*wl));
                    wl[nw].f = tf;
                    wl[nw++].origin = 0;
                }
            }
        }
    }
    free(wl);
}

static int in_chart(const struct sc_chart *c, const struct ea_function *f)
{
    for (size_t i = 0; i < c->nnodes; i++)
        if (c->nodes[i].func == f)
            return 1;
    return 0;
}

/* Notes on each node which groups it creates (paper: "main -g0-g1"). */
static void mark_creates(struct cstate *st, struct sc_chart *c)
{
    for (size_t n = 0; n < c->nnodes; n++) {
        struct sc_node *nd = &c->nodes[n];
        if (!nd->func)
            continue;
        struct sc_labels *ls = &st->cx->labels[nd->func->id];
        for (size_t i = 0; i < ls->n; i++) {
            if (ls->v[i]->kind != SC_NEW)
                continue;
            size_t idx = (size_t)ea_map_get(&st->site_chart, ls->v[i]->src.key);
            if (!idx)
                continue;
            const char *id = st->res->charts[idx - 1].id;
            int dup = 0;
            for (size_t k = 0; k < nd->ncreates; k++)
                dup |= nd->creates[k] == id;
            if (dup)
                continue;
            nd->creates =
                ea_xrealloc(nd->creates, (nd->ncreates + 1) * sizeof(char *));
            nd->creates[nd->ncreates++] = id;
        }
    }
}

static void warn(struct sc_result *r, const char *msg)
{
    r->warnings =
        ea_xrealloc(r->warnings, (r->nwarnings + 1) * sizeof(*r->warnings));
    r->warnings[r->nwarnings++] = msg;
}

/* Whether f is `name@file` (file: the base name, as in unique names, or
 * the path as given); accepted for any function, not only the statics
 * whose unique name needs it, so a qualified entry always works. */
static int is_qualified_name(const struct ea_function *f, const char *q)
{
    const char *at = strrchr(q, '@');
    if (!at || !f->file || strlen(f->name) != (size_t)(at - q) ||
        strncmp(f->name, q, (size_t)(at - q)) != 0)
        return 0;
    const char *base = strrchr(f->file, '/');
    return !strcmp(at + 1, base ? base + 1 : f->file) ||
           !strcmp(at + 1, f->file);
}

/* The function --entry names: unique name, C name or name@file. */
static struct ea_function *entry_function(struct ea_program *p,
                                          const char *entry)
{
    struct ea_function *e = ea_function_by_uname(p, entry);
    if (!e)
        e = ea_function_by_name(p, entry);
    for (size_t i = 0; !e && i < p->nfunctions; i++)
        if (is_qualified_name(p->functions[i], entry))
            e = p->functions[i];
    return e;
}

static void find_roots(struct cstate *st, const char *entry, int explicit)
{
    struct ea_program *p = st->cx->prog;
    st->roots = ea_xmalloc((p->nfunctions + 1) * sizeof(*st->roots));
    struct ea_function *e = entry_function(p, entry);
    if (e) {
        st->roots[st->nroots++] = e;
        st->entry_found = 1;
        return;
    }
    if (explicit)
        return;
    /* No entry: every function nobody calls or registers, with labels. */
    char *used = calloc(p->nfunctions + 1, 1);
    for (size_t f = 0; f < p->nfunctions; f++) {
        struct sc_labels *ls = &st->cx->labels[f];
        for (size_t i = 0; i < ls->n; i++) {
            if (ls->v[i]->cb.func)
                used[ls->v[i]->cb.func->id] = 1;
            if (ls->v[i]->has_tcb && ls->v[i]->tcb.func)
                used[ls->v[i]->tcb.func->id] = 1;
        }
    }
    for (size_t f = 0; f < p->nfunctions; f++)
        if (!used[f] && !p->functions[f]->ncallers && st->cx->labels[f].n)
            st->roots[st->nroots++] = p->functions[f];
    free(used);
}

int sc_build_charts(struct sc_ctx *cx, const char *entry, struct sc_result *res)
{
    struct cstate st = {.cx = cx, .res = res};
    memset(res, 0, sizeof(*res));
    res->entry = entry ? entry : "main";
    find_roots(&st, res->entry, entry != NULL);
    if (!st.nroots && entry) {
        warn(res, ea_printf(&cx->arena, "no function '%s' is defined", entry));
        free(st.roots);
        return -1;
    }
    /* Only guessed roots mean main is missing: an entry given as
     * name@file is found although no function has that C name. */
    if (!st.entry_found && st.nroots)
        warn(res, ea_printf(&cx->arena,
                            "no function 'main': charting from "
                            "the %zu function(s) nothing calls",
                            st.nroots));
    struct ea_program *p = cx->prog;
    for (size_t f = 0; f < p->nfunctions; f++)
        for (size_t i = 0; i < cx->labels[f].n; i++) {
            const struct sc_label *l = cx->labels[f].v[i];
            if (l->kind == SC_REG && l->has_tcb && l->tcb.func)
                ea_map_put(&st.is_tcb, &cx->arena, l->tcb.func->uname,
                           (void *)1);
        }
    reach(&st);
    /* Discovery order: roots, then reachable callbacks, then the rest. */
    const struct ea_function **order =
        ea_xmalloc((p->nfunctions + st.nroots + 1) * sizeof(*order));
    size_t no = 0;
    for (size_t i = 0; i < st.nroots; i++)
        order[no++] = st.roots[i];
    for (size_t f = 0; f < p->nfunctions; f++)
        if (st.reachable[f] && !is_root(&st, p->functions[f]))
            order[no++] = p->functions[f];
    for (size_t f = 0; f < p->nfunctions && !st.entry_found; f++)
        if (!st.reachable[f] && !p->functions[f]->ncallers) /* top levels */
            order[no++] = p->functions[f];
    find_sites(&st, order, no);
    /* Charts of groups a root uses without creating (a global, ...). */
    for (size_t r = 0; r < st.nroots; r++) {
        struct sc_labels *ls = &cx->labels[st.roots[r]->id];
        for (size_t i = 0; i < ls->n; i++) {
            const struct sc_label *l = ls->v[i];
            /* A callback given as --entry: its own group parameter. */
            int own = l->src.kind == SC_SRC_PARAM && l->src.param == 0 &&
                      st.roots[r]->is_callback_type;
            if ((l->kind == SC_REG || l->kind == SC_DELETE) &&
                l->src.kind != SC_SRC_NEW &&
                (l->src.kind != SC_SRC_PARAM || own) &&
                !ea_map_get(&st.site_chart, l->src.key) &&
                !ea_map_get(&st.stored_new, l->src.key))
                new_chart(&st, l->src);
        }
    }
    for (size_t ci = 0; ci < res->ncharts; ci++) {
        struct sc_chart *c = &res->charts[ci];
        struct work *wl = ea_xmalloc((no + 1) * sizeof(*wl));
        size_t nw = 0;
        for (size_t o = 0; o < no; o++) {
            struct sc_labels *ls = &cx->labels[order[o]->id];
            int here = 0;
            for (size_t i = 0; i < ls->n && !here; i++)
                here =
                    (ls->v[i]->kind == SC_NEW ||
                     (c->src.kind != SC_SRC_NEW && is_root(&st, order[o]))) &&
                    ls->v[i]->src.key == c->src.key;
            if (here) {
                wl[nw].f = order[o];
                wl[nw++].origin = 1;
            }
        }
        c->reachable = nw > 0 && st.reachable[wl[0].f->id];
        if (nw == 0 && c->src.func) { /* created where nothing leads */
            wl[nw].f = c->src.func;
            wl[nw++].origin = 1;
        }
        char names[512];
        /* Creators already on the chart (a callback that starts the next
         * connection of the same kind) are no new origins: their
         * creations show as new-group edges. */
        struct ea_map seen = {0};
        names[0] = 0;
        for (size_t w = 0; w < nw; w++) {
            if (w > 0 && in_chart(c, wl[w].f))
                continue;
            size_t len = strlen(names);
            snprintf(names + len, sizeof names - len, "%s%s", len ? ", " : "",
                     wl[w].f->uname);
            chart_from(&st, c, &wl[w], &seen);
        }
        ea_map_free(&seen);
        c->origin_names = ea_strdup(&cx->arena, names);
        c->title =
            ea_printf(&cx->arena, "%s - %s", names, src_title(cx, &c->src));
        free(wl);
    }
    for (size_t ci = 0; ci < res->ncharts; ci++)
        mark_creates(&st, &res->charts[ci]);
    if (cx->truncated)
        warn(res, "some functions have more than the label limit; the charts"
                  " are incomplete");
    free(order);
    free(st.roots);
    free(st.reachable);
    ea_map_free(&st.site_chart);
    ea_map_free(&st.store_new);
    ea_map_free(&st.stored_new);
    ea_map_free(&st.store_chain);
    ea_map_free(&st.is_tcb);
    return 0;
}

void sc_free_result(struct sc_result *r)
{
    for (size_t c = 0; c < r->ncharts; c++) {
        struct sc_chart *ch = &r->charts[c];
        for (size_t i = 0; i < ch->nnodes; i++)
            free(ch->nodes[i].creates);
        for (size_t i = 0; i < ch->nedges; i++)
            free(ch->edges[i].sites);
        free(ch->nodes);
        free(ch->edges);
    }
    free(r->charts);
    free(r->warnings);
}
