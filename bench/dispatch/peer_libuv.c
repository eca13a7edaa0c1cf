/*
 * peer_libuv.c - libuv running the dispatch and timer churn benchmarks.
 *
 * Persistent: uv_poll_t handles started once; timers restarted in place by
 * uv_timer_start on the active timer.  One-shot: the poll callback stops its
 * handle on entry and starts it again before returning; timers stopped and
 * started.  Handle initialisation and closing are outside the timings.
 */
#include "bench.h"

#include <uv.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static struct circ circ;

static const char *uv_backend_name(void)
{
    return "epoll"; /* libuv has no other backend on Linux */
}

static void on_poll_persistent(uv_poll_t *h, int status, int events)
{
    (void)events;
    if (status < 0)
        circ.errors++;
    int fd = circ.ch->rfd[(intptr_t)h->data];
    if (circ_step(&circ, (int)(intptr_t)h->data, fd))
        uv_stop(h->loop);
}

static void on_poll_oneshot(uv_poll_t *h, int status, int events)
{
    (void)events;
    if (status < 0)
        circ.errors++;
    uv_poll_stop(h);
    int fd = circ.ch->rfd[(intptr_t)h->data];
    int done = circ_step(&circ, (int)(intptr_t)h->data, fd);
    if (uv_poll_start(h, UV_READABLE, on_poll_oneshot) != 0)
        circ.errors++;
    if (done)
        uv_stop(h->loop);
}

/* Closes n handles and lets the loop finish closing them. */
static void close_all(uv_loop_t *loop, uv_handle_t *(*at)(void *, int),
                      void *arr, int n)
{
    for (int i = 0; i < n; i++)
        uv_close(at(arr, i), NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    if (uv_loop_close(loop) != 0)
        fprintf(stderr, "libuv: loop not closed cleanly\n");
}

static uv_handle_t *poll_at(void *arr, int i)
{
    return (uv_handle_t *)&((uv_poll_t *)arr)[i];
}

static uv_handle_t *timer_at(void *arr, int i)
{
    return (uv_handle_t *)&((uv_timer_t *)arr)[i];
}

static int uv_dispatch_run(enum bench_mode mode, const struct channels *ch,
                           const struct dispatch_cfg *cfg,
                           struct run_result *res)
{
    uv_loop_t loop;
    uv_poll_t *h = calloc((size_t)cfg->n, sizeof(*h));
    if (!h || uv_loop_init(&loop) != 0) {
        fprintf(stderr, "libuv: cannot create the loop\n");
        free(h);
        return -1;
    }
    circ_begin(&circ, ch, cfg);
    for (int i = 0; i < cfg->n; i++) {
        int rc = uv_poll_init(&loop, &h[i], ch->rfd[i]);
        if (rc != 0) {
            fprintf(stderr, "libuv: uv_poll_init: %s\n", uv_strerror(rc));
            close_all(&loop, poll_at, h, i);
            free(h);
            return -1;
        }
        h[i].data = (void *)(intptr_t)i;
    }
    uv_poll_cb cb = mode == MODE_ONESHOT ? on_poll_oneshot : on_poll_persistent;

    struct stamp t0 = stamp_now();
    for (int i = 0; i < cfg->n; i++)
        if (uv_poll_start(&h[i], UV_READABLE, cb) != 0)
            circ.errors++;
    uv_run(&loop, UV_RUN_NOWAIT);
    struct stamp t1 = stamp_now();
    circ_seed(&circ, cfg);
    uv_run(&loop, UV_RUN_DEFAULT);
    struct stamp t2 = stamp_now();

    close_all(&loop, poll_at, h, cfg->n);
    free(h);
    circ_result(&circ, res, t0, t1, t2);
    return 0;
}

static long timer_fired;

static void on_timer(uv_timer_t *t)
{
    (void)t;
    timer_fired++;
}

static int uv_timers_run(enum bench_mode mode, const struct timer_cfg *cfg,
                         struct run_result *res)
{
    uv_loop_t loop;
    uv_timer_t *t = calloc((size_t)cfg->standing, sizeof(*t));
    long errors = 0, done = 0;
    if (!t || uv_loop_init(&loop) != 0) {
        fprintf(stderr, "libuv: cannot create the loop\n");
        free(t);
        return -1;
    }
    timer_fired = 0;
    for (int i = 0; i < cfg->standing; i++)
        uv_timer_init(&loop, &t[i]);

    struct stamp t0 = stamp_now();
    for (int i = 0; i < cfg->standing; i++)
        errors += uv_timer_start(&t[i], on_timer, (uint64_t)cfg->timeout_ms[i],
                                 0) != 0;
    uv_run(&loop, UV_RUN_NOWAIT);
    struct stamp t1 = stamp_now();
    const int *tmo = cfg->timeout_ms + cfg->standing;
    for (int k = 0; k < cfg->ops; k++) {
        uv_timer_t *w = &t[cfg->victim[k]];
        if (mode == MODE_ONESHOT)
            errors += uv_timer_stop(w) != 0;
        if (uv_timer_start(w, on_timer, (uint64_t)tmo[k], 0) != 0)
            errors++;
        else
            done++;
        if ((k + 1) % cfg->turn_every == 0)
            uv_run(&loop, UV_RUN_NOWAIT);
    }
    struct stamp t2 = stamp_now();

    long active = 0;
    for (int i = 0; i < cfg->standing; i++)
        active += uv_is_active((uv_handle_t *)&t[i]) != 0;
    close_all(&loop, timer_at, t, cfg->standing);
    free(t);
    stamp_phases(res, t0, t1, t2);
    res->callbacks = timer_fired;
    res->ops = done;
    res->errors = errors;
    res->extra = active;
    return 0;
}

const struct peer peer_libuv = {
    .name = "libuv",
    .modes = 1u << MODE_PERSISTENT | 1u << MODE_ONESHOT,
    .backend = uv_backend_name,
    .version = uv_version_string,
    .dispatch = uv_dispatch_run,
    .timers = uv_timers_run,
};
