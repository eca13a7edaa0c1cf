/*
 * peer_libevent.c - libevent running the dispatch and timer churn benchmarks.
 *
 * Persistent: EV_READ|EV_PERSIST events added once; timers rescheduled in
 * place by event_add on the pending event.  One-shot: plain EV_READ events,
 * which libevent removes before the callback, added again at its end (the
 * libevent idiom libeel's registrations correspond to); timers deleted and
 * added.  The base is libevent's default (epoll, no changelist).
 */
#include "bench.h"

#include <event2/event.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct circ circ;
static struct event_base *base;

/* Debian's libev also exports libevent's old names; if the link went wrong
 * the calls below would land in libev's emulation.  Refuse to measure it. */
static int is_libevent(void)
{
    const char *v = event_get_version();
    if (strncmp(v, "2.", 2) == 0)
        return 1;
    fprintf(stderr,
            "libevent: event_get_version() is '%s', not libevent "
            "2.x (libev's libevent emulation linked in?)\n",
            v);
    return 0;
}

static const char *evt_backend_name(void)
{
    static char name[32];
    if (name[0] == '\0') {
        struct event_base *b = event_base_new();
        snprintf(name, sizeof(name), "%s", b ? event_base_get_method(b) : "?");
        if (b)
            event_base_free(b);
    }
    return name;
}

/* Each event's argument: the event itself and its channel. */
struct slot {
    struct event *ev;
    int i;
};

static void on_read_persistent(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    if (circ_step(&circ, ((struct slot *)arg)->i, fd))
        event_base_loopbreak(base);
}

static void on_read_oneshot(evutil_socket_t fd, short what, void *arg)
{
    struct slot *s = arg;
    (void)what;
    int done = circ_step(&circ, s->i, fd);
    if (event_add(s->ev, NULL) != 0)
        circ.errors++;
    if (done)
        event_base_loopbreak(base);
}

static void free_slots(struct slot *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i].ev)
            event_free(s[i].ev);
    free(s);
}

static int evt_dispatch_run(enum bench_mode mode, const struct channels *ch,
                            const struct dispatch_cfg *cfg,
                            struct run_result *res)
{
    if (!is_libevent())
        return -1;
    struct slot *ev = calloc((size_t)cfg->n, sizeof(*ev));
    base = event_base_new();
    if (!ev || !base) {
        fprintf(stderr, "libevent: cannot create the base\n");
        free(ev);
        return -1;
    }
    circ_begin(&circ, ch, cfg);
    for (int i = 0; i < cfg->n; i++) {
        ev[i].i = i;
        ev[i].ev = event_new(
            base, ch->rfd[i],
            mode == MODE_PERSISTENT ? EV_READ | EV_PERSIST : EV_READ,
            mode == MODE_PERSISTENT ? on_read_persistent : on_read_oneshot,
            &ev[i]);
        if (!ev[i].ev) {
            fprintf(stderr, "libevent: event_new failed\n");
            free_slots(ev, i);
            event_base_free(base);
            return -1;
        }
    }

    struct stamp t0 = stamp_now();
    for (int i = 0; i < cfg->n; i++)
        if (event_add(ev[i].ev, NULL) != 0)
            circ.errors++;
    event_base_loop(base, EVLOOP_NONBLOCK);
    struct stamp t1 = stamp_now();
    circ_seed(&circ, cfg);
    if (event_base_dispatch(base) < 0)
        circ.errors++;
    struct stamp t2 = stamp_now();

    free_slots(ev, cfg->n);
    event_base_free(base);
    base = NULL;
    circ_result(&circ, res, t0, t1, t2);
    return 0;
}

static long timer_fired;

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    timer_fired++;
}

static struct timeval ms_tv(int ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000};
    return tv;
}

static int evt_timers_run(enum bench_mode mode, const struct timer_cfg *cfg,
                          struct run_result *res)
{
    if (!is_libevent())
        return -1;
    struct event **ev = calloc((size_t)cfg->standing, sizeof(*ev));
    long errors = 0, done = 0;
    base = event_base_new();
    if (!ev || !base) {
        fprintf(stderr, "libevent: cannot create the base\n");
        free(ev);
        return -1;
    }
    timer_fired = 0;
    for (int i = 0; i < cfg->standing; i++)
        if (!(ev[i] = evtimer_new(base, on_timer, NULL)))
            errors++;
    if (errors) {
        fprintf(stderr, "libevent: evtimer_new failed\n");
        for (int i = 0; i < cfg->standing; i++)
            if (ev[i])
                event_free(ev[i]);
        event_base_free(base);
        free(ev);
        return -1;
    }

    struct stamp t0 = stamp_now();
    for (int i = 0; i < cfg->standing; i++) {
        struct timeval tv = ms_tv(cfg->timeout_ms[i]);
        errors += evtimer_add(ev[i], &tv) != 0;
    }
    event_base_loop(base, EVLOOP_NONBLOCK);
    struct stamp t1 = stamp_now();
    const int *tmo = cfg->timeout_ms + cfg->standing;
    for (int k = 0; k < cfg->ops; k++) {
        struct event *e = ev[cfg->victim[k]];
        struct timeval tv = ms_tv(tmo[k]);
        if (mode == MODE_ONESHOT)
            errors += evtimer_del(e) != 0;
        if (evtimer_add(e, &tv) != 0)
            errors++;
        else
            done++;
        if ((k + 1) % cfg->turn_every == 0)
            event_base_loop(base, EVLOOP_NONBLOCK);
    }
    struct stamp t2 = stamp_now();

    long active = 0;
    for (int i = 0; i < cfg->standing; i++) {
        active += evtimer_pending(ev[i], NULL) != 0;
        event_free(ev[i]);
    }
    event_base_free(base);
    base = NULL;
    free(ev);
    stamp_phases(res, t0, t1, t2);
    res->callbacks = timer_fired;
    res->ops = done;
    res->errors = errors;
    res->extra = active;
    return 0;
}

const struct peer peer_libevent = {
    .name = "libevent",
    .modes = 1u << MODE_PERSISTENT | 1u << MODE_ONESHOT,
    .backend = evt_backend_name,
    .version = event_get_version,
    .dispatch = evt_dispatch_run,
    .timers = evt_timers_run,
};
