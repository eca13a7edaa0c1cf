/*
 * run.c - runs a benchmark plan: every repetition runs every configuration
 * on every peer/mode, the peer order rotating each repetition so that slow
 * moments of the (shared, noisy) machine hit every peer alike.  Each run is
 * checked against the work it was given before its time is kept.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int init_series(struct series *s, const char *bench, int cfg,
                       const struct entry *e, long events, int runs)
{
    s->bench = bench;
    s->cfg = cfg;
    s->peer = e->peer;
    s->mode = e->mode;
    s->events = events;
    for (int c = 0; c < CLK_COUNT; c++) {
        s->run_us[c] = calloc((size_t)runs, sizeof(double));
        s->setup_us[c] = calloc((size_t)runs, sizeof(double));
        if (!s->run_us[c] || !s->setup_us[c])
            return -1;
    }
    return 0;
}

static int fail(const struct series *s, const char *what, long got, long want)
{
    fprintf(stderr,
            "eel-bench-dispatch: %s %s %s [%s]: %s: got %ld, want %ld\n",
            s->bench, s->peer->name, mode_name(s->mode), s->config, what, got,
            want);
    return -1;
}

static int check_dispatch(const struct series *s, const struct run_result *r,
                          const struct channels *ch, int n)
{
    if (r->errors)
        return fail(s, "failed calls or short reads/writes", r->errors, 0);
    if (r->reads != s->events)
        return fail(s, "bytes read", r->reads, s->events);
    if (r->callbacks != s->events)
        return fail(s, "read callbacks", r->callbacks, s->events);
    if (!channels_drained(ch, n))
        return fail(s, "sockets left with unread bytes", 1, 0);
    return 0;
}

/* s->events is the configuration's C, from the plan; the peer's count is
 * what its timed loop did, so a peer that skips or loses operations fails
 * here even when every call it made succeeded. */
static int check_timers(const struct series *s, const struct run_result *r,
                        const struct timer_cfg *tc)
{
    if (r->errors)
        return fail(s, "failed timer calls", r->errors, 0);
    if (r->callbacks)
        return fail(s, "timers fired (none is due)", r->callbacks, 0);
    if (r->ops != s->events)
        return fail(s, "cancel+add operations done (counted by the peer)",
                    r->ops, s->events);
    if (r->extra != tc->standing)
        return fail(s, "timers pending at the end", r->extra, tc->standing);
    return 0;
}

static void keep(struct series *s, const struct run_result *r, int rep)
{
    if (rep < 0)
        return; /* warm-up */
    for (int c = 0; c < CLK_COUNT; c++) {
        s->run_us[c][s->n] = r->run_us[c];
        s->setup_us[c][s->n] = r->setup_us[c];
    }
    s->n++;
}

static int run_dispatch_rep(const struct plan *p, struct series *s,
                            const struct channels *ch, int rep)
{
    for (int c = 0; c < p->nd; c++) {
        for (int k = 0; k < p->ne; k++) {
            int e = (k + rep + p->warmup) % p->ne;
            struct series *se = &s[c * p->ne + e];
            struct run_result r = {0};
            if (se->peer->dispatch(se->mode, ch, &p->d[c], &r) != 0 ||
                check_dispatch(se, &r, ch, p->d[c].n) != 0)
                return -1;
            keep(se, &r, rep);
        }
    }
    return 0;
}

static int run_timers_rep(const struct plan *p, struct series *s,
                          const struct timer_cfg *tc, int rep)
{
    for (int c = 0; c < p->nt; c++) {
        for (int k = 0; k < p->ne; k++) {
            int e = (k + rep + p->warmup) % p->ne;
            struct series *se = &s[c * p->ne + e];
            struct run_result r = {0};
            if (se->peer->timers(se->mode, &tc[c], &r) != 0 ||
                check_timers(se, &r, &tc[c]) != 0)
                return -1;
            keep(se, &r, rep);
        }
    }
    return 0;
}

static int init_all(const struct plan *p, struct series *s)
{
    int i = 0;
    for (int c = 0; p->do_dispatch && c < p->nd; c++) {
        const struct dispatch_cfg *d = &p->d[c];
        for (int e = 0; e < p->ne; e++, i++) {
            if (init_series(&s[i], "dispatch", c, &p->e[e],
                            (long)d->active + d->writes, p->runs) != 0)
                return -1;
            snprintf(s[i].config, sizeof(s[i].config), "N=%d A=%d W=%d", d->n,
                     d->active, d->writes);
        }
    }
    for (int c = 0; p->do_timers && c < p->nt; c++) {
        for (int e = 0; e < p->ne; e++, i++) {
            if (init_series(&s[i], "timers", c, &p->e[e], p->t[c].ops,
                            p->runs) != 0)
                return -1;
            snprintf(s[i].config, sizeof(s[i].config), "T=%d C=%d",
                     p->t[c].standing, p->t[c].ops);
        }
    }
    return 0;
}

int run_plan(const struct plan *p, struct series *s, const struct channels *ch,
             const struct timer_cfg *tc)
{
    int progress = isatty(STDERR_FILENO);
    if (init_all(p, s) != 0) {
        fprintf(stderr, "eel-bench-dispatch: out of memory\n");
        return 1;
    }
    struct series *ts = s + (p->do_dispatch ? p->nd * p->ne : 0);
    for (int rep = -p->warmup; rep < p->runs; rep++) {
        if (progress)
            fprintf(stderr, "\r%s %d/%d ", rep < 0 ? "warm-up" : "run",
                    rep < 0 ? rep + p->warmup + 1 : rep + 1,
                    rep < 0 ? p->warmup : p->runs);
        if (p->do_dispatch && run_dispatch_rep(p, s, ch, rep) != 0)
            return 1;
        if (p->do_timers && run_timers_rep(p, ts, tc, rep) != 0)
            return 1;
    }
    if (progress)
        fprintf(stderr, "\r%20s\r", "");
    return 0;
}
