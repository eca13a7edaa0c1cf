/*
 * instrument.c - receives the loop's instrumentation hooks and hands them to
 * the run-time checks (runtime/check.c), the tracer (runtime/trace.c) and
 * the profiler (runtime/profile.c).
 *
 * The environment is read once per eel_init(): EEL_CHECK=1|abort,
 * EEL_TRACE=FILE, EEL_PROFILE=1|FILE.  When none is set l->instr stays 0 and
 * the loop never calls the other hooks, so the cost when off is one
 * predictable branch at each hook site.  This file also keeps the side
 * tables that the three share (keyed by event and group slot).
 */
#include "instrument.h"
#include "runtime/rt.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

__thread struct rt_state *eel__rt __attribute__((tls_model("initial-exec")));

static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

uint64_t eel__rt_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *eel__rt_kind_name(uint8_t kind)
{
    static const char *const names[] = {
        "?",     "timer",        "read",          "write",
        "error", "read_timeout", "write_timeout", "signal"};
    return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

void *eel__rt_grow(void *p, uint32_t *cap, uint32_t i, uint32_t loop_cap,
                   size_t size)
{
    uint32_t need = loop_cap > i ? loop_cap : i + 1;
    uint32_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    char *q = realloc(p, (size_t)n * size);
    if (!q)
        return NULL;
    memset(q + (size_t)*cap * size, 0, (size_t)(n - *cap) * size);
    *cap = n;
    return q;
}

struct rt_event *eel__rt_event(struct eel_loop *l, uint32_t e)
{
    struct rt_state *s = eel__rt;
    if (e >= s->ev_cap) {
        struct rt_event *t =
            eel__rt_grow(s->ev, &s->ev_cap, e, l->ev_cap, sizeof(*t));
        if (!t)
            return NULL;
        s->ev = t;
    }
    return &s->ev[e];
}

struct rt_group *eel__rt_group(struct eel_loop *l, uint32_t g)
{
    struct rt_state *s = eel__rt;
    if (g >= s->grp_cap) {
        struct rt_group *t =
            eel__rt_grow(s->grp, &s->grp_cap, g, l->grp_cap, sizeof(*t));
        if (!t)
            return NULL;
        s->grp = t;
    }
    return &s->grp[g];
}

/* At exit: print the profile and leave the trace file valid JSON, whether
 * or not the program called eel_shutdown(). */
static void at_exit(void)
{
    if (eel__loop && eel__rt && (eel__rt->mode & RT_PROFILE))
        eel__prof_merge(eel__loop);
    eel__prof_print();
    eel__trace_seal();
    eel__rt_symbols_release();
}

static void register_exit(void)
{
    atexit(at_exit);
}

static unsigned parse_env(void)
{
    unsigned mode = 0;
    const char *c = getenv("EEL_CHECK");
    if (c && *c && strcmp(c, "0") != 0) {
        if (strcmp(c, "1") == 0)
            mode |= RT_CHECK;
        else if (strcmp(c, "abort") == 0)
            mode |= RT_CHECK | RT_ABORT;
        else
            fprintf(stderr,
                    "eel: EEL_CHECK=%s not understood (use 1 or "
                    "abort); checks are off\n",
                    c);
    }
    const char *t = getenv("EEL_TRACE");
    if (t && *t && eel__trace_open(t) == 0)
        mode |= RT_TRACE;
    const char *p = getenv("EEL_PROFILE");
    if (p && *p && strcmp(p, "0") != 0 && eel__prof_open(p) == 0)
        mode |= RT_PROFILE;
    return mode;
}

void eel__instr_init(struct eel_loop *l)
{
    l->instr = 0;
    unsigned mode = parse_env();
    if (!mode)
        return;
    struct rt_state *s = calloc(1, sizeof(*s));
    if (!s) {
        fprintf(stderr, "eel: out of memory; EEL_CHECK/TRACE/PROFILE off\n");
        return;
    }
    s->mode = mode;
    eel__rt = s;
    pthread_once(&exit_once, register_exit);
    eel__debug_history = 1; /* the reports show the chain from the ring */
    l->instr = 1;
}

void eel__instr_shutdown(struct eel_loop *l)
{
    struct rt_state *s = eel__rt;
    if (!s)
        return;
    if (s->mode & RT_CHECK)
        eel__check_shutdown(l);
    if (s->mode & RT_TRACE) {
        eel__trace_idle(l);
        eel__trace_seal();
    }
    if (s->mode & RT_PROFILE)
        eel__prof_merge(l);
    eel__rt_symbols_release();
    free(s->ev);
    free(s->grp);
    free(s->fds);
    free(s->touched);
    free(s);
    eel__rt = NULL;
    l->instr = 0;
}

void eel__instr_registered(struct eel_loop *l, uint32_t e)
{
    struct rt_state *s = eel__rt;
    struct rt_event *r = eel__rt_event(l, e);
    if (!r)
        return;
    r->gen = l->ev[e].gen;
    r->end = RT_PENDING;
    r->cb = l->ev[e].cb;
    if (s->mode & (RT_TRACE | RT_PROFILE))
        r->reg_ns = eel__rt_now_ns();
    if (s->mode & RT_TRACE)
        eel__trace_registered(l, e);
    if (s->mode & RT_CHECK)
        eel__check_registered(l, e);
}

void eel__instr_cancelled(struct eel_loop *l, uint32_t e)
{
    struct rt_state *s = eel__rt;
    struct rt_event *r = eel__rt_event(l, e);
    if (r && r->gen == l->ev[e].gen)
        r->end = RT_CANCELLED;
    if (s->mode & RT_TRACE)
        eel__trace_cancelled(l, e);
    if ((s->mode & RT_CHECK) && l->in_callback) {
        s->expect_pending--;
        eel__check_touch(l, eel__event_group(&l->ev[e]));
    }
}

void eel__instr_group_new(struct eel_loop *l, eel_group_id gid,
                          const void *site)
{
    struct rt_state *s = eel__rt;
    uint32_t g = eel__id_slot(gid);
    struct rt_group *r = eel__rt_group(l, g);
    if (!r)
        return;
    memset(r, 0, sizeof(*r));
    r->gen = eel__id_gen(gid);
    r->site = site;
    if (s->mode & RT_PROFILE)
        eel__prof_group_new(l, g, site);
    if (s->mode & RT_TRACE)
        eel__trace_group_new(l, g, site);
    if ((s->mode & RT_CHECK) && l->in_callback)
        eel__check_touch(l, g);
}

void eel__instr_group_deleted(struct eel_loop *l, eel_group_id gid)
{
    struct rt_state *s = eel__rt;
    uint32_t g = eel__id_slot(gid);
    if (s->mode & RT_TRACE)
        eel__trace_group_deleted(l, g);
    if ((s->mode & RT_CHECK) && l->in_callback)
        s->expect_pending -= eel__group_pending(l, g);
}

void eel__instr_misuse(struct eel_loop *l, enum eel__misuse what, uint64_t id,
                       const void *site)
{
    if (eel__rt->mode & RT_CHECK)
        eel__check_misuse(l, (int)what, id, site);
}

void eel__instr_before(struct eel_loop *l, const struct eel__fired *f)
{
    struct rt_state *s = eel__rt;
    uint64_t now = eel__rt_now_ns();
    uint32_t e = eel__id_slot(f->id);
    struct rt_event *r = eel__rt_event(l, e);
    s->cb_start_ns = now;
    s->cb_wait_ns = UINT64_MAX;
    if (r && r->gen == eel__id_gen(f->id)) {
        r->end = RT_FIRED;
        if (r->reg_ns && r->reg_ns <= now)
            s->cb_wait_ns = now - r->reg_ns;
    }
    struct rt_group *gr = eel__rt_group(l, eel__id_slot(f->gid));
    int same = gr && gr->gen == eel__id_gen(f->gid);
    s->cb_group_site = same ? gr->site : NULL;
    s->cb_track = same ? gr->track : 0;
    if (s->mode & RT_TRACE) {
        eel__trace_before(l, f);
        /* The trace's own work is not the callback's time. */
        s->cb_start_ns = eel__rt_now_ns();
    }
    if (s->mode & RT_CHECK)
        s->expect_pending = eel__pending(l);
}

void eel__instr_after(struct eel_loop *l, const struct eel__fired *f)
{
    struct rt_state *s = eel__rt;
    uint64_t end = eel__rt_now_ns();
    if (s->mode & RT_PROFILE)
        eel__prof_after(l, f, end);
    if (s->mode & RT_TRACE)
        eel__trace_after(l, f, end);
    if (s->mode & RT_CHECK)
        eel__check_after(l, f);
    s->last_cb = f->cb;
}

void eel__instr_before_wait(struct eel_loop *l)
{
    struct rt_state *s = eel__rt;
    if (s->mode & RT_TRACE)
        eel__trace_idle(l);
    if (s->mode & RT_CHECK)
        eel__check_before_wait(l);
    eel__rt_symbols_release();
}

void eel__instr_group_waiting(struct eel_loop *l, eel_group_id gid, int waiting)
{
    /* Cleared while the group has nothing pending: the check after the
     * running callback decides whether it is now leaked. */
    if (!waiting && (eel__rt->mode & RT_CHECK) && l->in_callback)
        eel__check_touch(l, eel__id_slot(gid));
}
