/*
 * peer_libev.c - libev running the dispatch and timer churn benchmarks.
 *
 * Persistent: ev_io watchers started once and left running; timers re-armed
 * in place with ev_timer_again.  One-shot: the callback stops its watcher on
 * entry and starts it again before returning (what libeel's one-shot
 * registrations would cost a libev program); timers stopped, set, started.
 */
#include "bench.h"

#include <ev.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static struct circ circ;

static const char *backend_name(unsigned b)
{
    switch (b) {
    case EVBACKEND_EPOLL:
        return "epoll";
    case EVBACKEND_POLL:
        return "poll";
    case EVBACKEND_SELECT:
        return "select";
#ifdef EVBACKEND_IOURING
    case EVBACKEND_IOURING:
        return "io_uring";
#endif
#ifdef EVBACKEND_LINUXAIO
    case EVBACKEND_LINUXAIO:
        return "linuxaio";
#endif
    default:
        return "?";
    }
}

static const char *ev_backend_name(void)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    if (!loop)
        return "?";
    const char *name = backend_name(ev_backend(loop));
    ev_loop_destroy(loop);
    return name;
}

static void on_read_persistent(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    if (circ_step(&circ, (int)(intptr_t)w->data, w->fd))
        ev_break(loop, EVBREAK_ALL);
}

static void on_read_oneshot(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    ev_io_stop(loop, w);
    int done = circ_step(&circ, (int)(intptr_t)w->data, w->fd);
    ev_io_start(loop, w);
    if (done)
        ev_break(loop, EVBREAK_ALL);
}

static int ev_dispatch_run(enum bench_mode mode, const struct channels *ch,
                           const struct dispatch_cfg *cfg,
                           struct run_result *res)
{
    ev_io *w = calloc((size_t)cfg->n, sizeof(*w));
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    if (!w || !loop) {
        fprintf(stderr, "libev: cannot create the loop\n");
        free(w);
        return -1;
    }
    circ_begin(&circ, ch, cfg);
    for (int i = 0; i < cfg->n; i++) {
        ev_io_init(&w[i],
                   mode == MODE_ONESHOT ? on_read_oneshot : on_read_persistent,
                   ch->rfd[i], EV_READ);
        w[i].data = (void *)(intptr_t)i;
    }

    struct stamp t0 = stamp_now();
    for (int i = 0; i < cfg->n; i++)
        ev_io_start(loop, &w[i]);
    ev_run(loop, EVRUN_NOWAIT);
    struct stamp t1 = stamp_now();
    circ_seed(&circ, cfg);
    ev_run(loop, 0);
    struct stamp t2 = stamp_now();

    for (int i = 0; i < cfg->n; i++)
        ev_io_stop(loop, &w[i]);
    ev_loop_destroy(loop);
    free(w);
    circ_result(&circ, res, t0, t1, t2);
    return 0;
}

static long timer_fired;

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)w, (void)revents;
    timer_fired++;
}

static int ev_timers_run(enum bench_mode mode, const struct timer_cfg *cfg,
                         struct run_result *res)
{
    ev_timer *w = calloc((size_t)cfg->standing, sizeof(*w));
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    if (!w || !loop) {
        fprintf(stderr, "libev: cannot create the loop\n");
        free(w);
        return -1;
    }
    timer_fired = 0;

    struct stamp t0 = stamp_now();
    for (int i = 0; i < cfg->standing; i++) {
        ev_timer_init(&w[i], on_timer, cfg->timeout_ms[i] / 1e3, 0.);
        ev_timer_start(loop, &w[i]);
    }
    ev_run(loop, EVRUN_NOWAIT);
    struct stamp t1 = stamp_now();
    const int *tmo = cfg->timeout_ms + cfg->standing;
    long done = 0; /* libev's calls cannot fail: every operation counts */
    for (int k = 0; k < cfg->ops; k++) {
        ev_timer *t = &w[cfg->victim[k]];
        if (mode == MODE_PERSISTENT) {
            t->repeat = tmo[k] / 1e3;
            ev_timer_again(loop, t);
        } else {
            ev_timer_stop(loop, t);
            ev_timer_set(t, tmo[k] / 1e3, 0.);
            ev_timer_start(loop, t);
        }
        done++;
        if ((k + 1) % cfg->turn_every == 0)
            ev_run(loop, EVRUN_NOWAIT);
    }
    struct stamp t2 = stamp_now();

    long active = 0;
    for (int i = 0; i < cfg->standing; i++) {
        active += ev_is_active(&w[i]) != 0;
        ev_timer_stop(loop, &w[i]);
    }
    ev_loop_destroy(loop);
    free(w);
    stamp_phases(res, t0, t1, t2);
    res->callbacks = timer_fired;
    res->ops = done;
    res->errors = 0;
    res->extra = active;
    return 0;
}

static const char *ev_version_name(void)
{
    static char v[16];
    snprintf(v, sizeof(v), "%d.%d", ev_version_major(), ev_version_minor());
    return v;
}

const struct peer peer_libev = {
    .name = "libev",
    .modes = 1u << MODE_PERSISTENT | 1u << MODE_ONESHOT,
    .backend = ev_backend_name,
    .version = ev_version_name,
    .dispatch = ev_dispatch_run,
    .timers = ev_timers_run,
};
