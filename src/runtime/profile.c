/*
 * profile.c - EEL_PROFILE=1|FILE: where the callback time goes, per
 * callback function and per group creation site (the profiling "tagged
 * with group identifiers" that the eel paper leaves as future work).
 *
 * For each callback run it adds the time spent in the callback and the time
 * the event waited between its registration and the callback's start.  A
 * loop keeps its own tables; eel_shutdown() folds them into the process's,
 * and the sorted tables are printed at exit (to stderr for EEL_PROFILE=1,
 * else to the named file).
 */
#include "rt.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stat_row {
    const void *key; /* callback function, or group creation site */
    uint64_t groups; /* groups created there (site rows) */
    uint64_t calls, total_ns, max_ns;
    uint64_t wait_n, wait_ns, wait_max_ns;
};

struct stat_tab {
    struct stat_row *row;
    size_t cap, len;
};

struct rt_prof {
    struct stat_tab cbs, sites;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct rt_prof all;
static char *dest;

static size_t hash(const void *k, size_t cap)
{
    return (size_t)(((uint64_t)(uintptr_t)k * 0x9e3779b97f4a7c15ull) >> 17) &
           (cap - 1);
}

static struct stat_row *probe(struct stat_tab *t, const void *k)
{
    size_t i = hash(k, t->cap);
    while (t->row[i].key && t->row[i].key != k)
        i = (i + 1) & (t->cap - 1);
    return &t->row[i];
}

/* The row for k, made on first use; NULL only when out of memory. */
static struct stat_row *row(struct stat_tab *t, const void *k)
{
    if ((t->len + 1) * 2 > t->cap) {
        struct stat_tab n = {
            calloc(t->cap ? t->cap * 2 : 64, sizeof(struct stat_row)),
            t->cap ? t->cap * 2 : 64, t->len};
        if (!n.row)
            return NULL;
        for (size_t i = 0; i < t->cap; i++)
            if (t->row[i].key)
                *probe(&n, t->row[i].key) = t->row[i];
        free(t->row);
        *t = n;
    }
    struct stat_row *r = probe(t, k);
    if (!r->key) {
        r->key = k;
        t->len++;
    }
    return r;
}

static void add_run(struct stat_row *r, uint64_t ns, uint64_t wait)
{
    r->calls++;
    r->total_ns += ns;
    if (ns > r->max_ns)
        r->max_ns = ns;
    if (wait != UINT64_MAX) {
        r->wait_n++;
        r->wait_ns += wait;
        if (wait > r->wait_max_ns)
            r->wait_max_ns = wait;
    }
}

static struct rt_prof *mine(void)
{
    struct rt_state *s = eel__rt;
    if (!s->prof)
        s->prof = calloc(1, sizeof(*s->prof));
    return s->prof;
}

int eel__prof_open(const char *d)
{
    pthread_mutex_lock(&lock);
    if (!dest)
        dest = strdup(d);
    pthread_mutex_unlock(&lock);
    return dest ? 0 : -1;
}

void eel__prof_group_new(struct eel_loop *l, uint32_t g, const void *site)
{
    (void)l, (void)g;
    struct rt_prof *p = mine();
    struct stat_row *r = p && site ? row(&p->sites, site) : NULL;
    if (r)
        r->groups++;
}

void eel__prof_after(struct eel_loop *l, const struct eel__fired *f,
                     uint64_t end_ns)
{
    (void)l;
    struct rt_state *s = eel__rt;
    struct rt_prof *p = mine();
    if (!p)
        return;
    uint64_t ns = end_ns - s->cb_start_ns;
    struct stat_row *r = row(&p->cbs, (const void *)f->cb);
    if (r)
        add_run(r, ns, s->cb_wait_ns);
    r = s->cb_group_site ? row(&p->sites, s->cb_group_site) : NULL;
    if (r)
        add_run(r, ns, s->cb_wait_ns);
}

static void merge_tab(struct stat_tab *to, struct stat_tab *from)
{
    for (size_t i = 0; i < from->cap; i++) {
        const struct stat_row *f = &from->row[i];
        struct stat_row *t = f->key ? row(to, f->key) : NULL;
        if (!t)
            continue;
        t->groups += f->groups;
        t->calls += f->calls;
        t->total_ns += f->total_ns;
        t->wait_n += f->wait_n;
        t->wait_ns += f->wait_ns;
        if (f->max_ns > t->max_ns)
            t->max_ns = f->max_ns;
        if (f->wait_max_ns > t->wait_max_ns)
            t->wait_max_ns = f->wait_max_ns;
    }
    free(from->row);
    memset(from, 0, sizeof(*from));
}

void eel__prof_merge(struct eel_loop *l)
{
    (void)l;
    struct rt_state *s = eel__rt;
    if (!s || !s->prof)
        return;
    pthread_mutex_lock(&lock);
    merge_tab(&all.cbs, &s->prof->cbs);
    merge_tab(&all.sites, &s->prof->sites);
    pthread_mutex_unlock(&lock);
    free(s->prof);
    s->prof = NULL;
}

/* ---- The report ---------------------------------------------------------- */

static int by_total(const void *a, const void *b)
{
    const struct stat_row *x = *(struct stat_row *const *)a;
    const struct stat_row *y = *(struct stat_row *const *)b;
    if (x->total_ns != y->total_ns)
        return x->total_ns < y->total_ns ? 1 : -1;
    return x->calls < y->calls ? 1 : x->calls > y->calls ? -1 : 0;
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

static void print_tab(FILE *o, struct stat_tab *t, int sites)
{
    struct stat_row **v = calloc(t->len ? t->len : 1, sizeof(*v));
    if (!v)
        return;
    size_t n = 0;
    for (size_t i = 0; i < t->cap; i++)
        if (t->row[i].key && t->row[i].calls)
            v[n++] = &t->row[i];
    qsort(v, n, sizeof(*v), by_total);
    /* Sites have a "groups" column; callbacks get its width for names. */
    int w = sites ? 36 : 44;
    fprintf(o, "\n%-*s %s%9s %11s %10s %10s %13s %12s\n", w,
            sites ? "group creation site" : "callback", sites ? " groups " : "",
            "calls", "total ms", "max ms", "mean us", "wait mean us",
            "wait max ms");
    for (size_t i = 0; i < n; i++) {
        const struct stat_row *r = v[i];
        const char *name =
            sites ? eel__rt_site_name(r->key) : eel__rt_func_name(r->key);
        char groups[24] = "";
        if (sites)
            snprintf(groups, sizeof(groups), "%7llu ",
                     (unsigned long long)r->groups);
        fprintf(o, "%-*s %s%9llu %11.3f %10.3f %10.1f %13.1f %12.3f\n", w, name,
                groups, (unsigned long long)r->calls, ms(r->total_ns),
                ms(r->max_ns), (double)r->total_ns / 1e3 / (double)r->calls,
                r->wait_n ? (double)r->wait_ns / 1e3 / (double)r->wait_n : 0.0,
                ms(r->wait_max_ns));
    }
    free(v);
}

void eel__prof_print(void)
{
    pthread_mutex_lock(&lock);
    if (!dest) {
        pthread_mutex_unlock(&lock);
        return;
    }
    int to_stderr = strcmp(dest, "1") == 0 || strcmp(dest, "stderr") == 0;
    FILE *o = to_stderr ? stderr : fopen(dest, "w");
    if (!o) {
        fprintf(stderr, "eel: EEL_PROFILE=%s: %s\n", dest, strerror(errno));
    } else {
        uint64_t calls = 0, total = 0;
        for (size_t i = 0; i < all.cbs.cap; i++) {
            calls += all.cbs.row[i].calls;
            total += all.cbs.row[i].total_ns;
        }
        fprintf(o,
                "eel profile: %zu callbacks ran %llu times, %.3f ms in "
                "callbacks\n",
                all.cbs.len, (unsigned long long)calls, ms(total));
        print_tab(o, &all.cbs, 0);
        print_tab(o, &all.sites, 1);
        if (!to_stderr)
            fclose(o);
        else
            fflush(o);
    }
    free(dest);
    dest = NULL;
    pthread_mutex_unlock(&lock);
}
