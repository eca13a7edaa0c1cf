/*
 * peer_eel.c - libeel running the dispatch and timer churn benchmarks.
 *
 * libeel has only one-shot registrations: each read callback re-registers
 * its own read, the way every libeel program waits for more input.  One
 * group per channel, as a program would keep one group per connection.
 *
 * Besides "libeel" (the backend $EEL_BACKEND or the default picks), the
 * peers "libeel@epoll" and "libeel@poll" force a backend, so backends can
 * be compared in one run; they run only when named with --peer, and the
 * libeel/peer ratios always use plain "libeel".
 */
#include "bench.h"

#include <eel.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct circ circ;

static void on_read(eel_group_id gid, void *arg, int fd)
{
    int done = circ_step(&circ, (int)(intptr_t)arg, fd);
    if (eel_add_read(gid, on_read, arg, fd) == 0)
        circ.errors++;
    if (done)
        eel_break();
}

/* Creates this thread's loop, on `backend` if not NULL; says why not
 * unless quiet. */
static int start_loop(const char *backend, int quiet)
{
    const char *old = getenv("EEL_BACKEND");
    char saved[32];
    snprintf(saved, sizeof(saved), "%s", old ? old : "");
    if (backend)
        setenv("EEL_BACKEND", backend, 1);
    int rc = eel_init();
    int err = errno;
    if (backend && old)
        setenv("EEL_BACKEND", saved, 1);
    else if (backend)
        unsetenv("EEL_BACKEND");
    if (rc != 0 && !quiet) {
        fprintf(stderr, "libeel: eel_init (backend %s): %s\n",
                backend ? backend
                : old   ? old
                        : "default",
                strerror(err));
    }
    return rc;
}

static const char *backend_of(const char *backend, char *name, size_t len)
{
    if (name[0] == '\0' && start_loop(backend, 1) == 0) {
        const char *b = eel_backend();
        snprintf(name, len, "%s", b ? b : "?");
        eel_shutdown();
    }
    return name[0] ? name : "unavailable";
}

static int dispatch_on(const char *backend, const struct channels *ch,
                       const struct dispatch_cfg *cfg, struct run_result *res)
{
    eel_group_id *gid = calloc((size_t)cfg->n, sizeof(*gid));
    if (!gid || start_loop(backend, 0) != 0) {
        free(gid);
        return -1;
    }
    circ_begin(&circ, ch, cfg);
    for (int i = 0; i < cfg->n; i++)
        if ((gid[i] = eel_new_group_id()) == 0)
            circ.errors++;

    struct stamp t0 = stamp_now();
    for (int i = 0; i < cfg->n; i++)
        if (eel_add_read(gid[i], on_read, (void *)(intptr_t)i, ch->rfd[i]) == 0)
            circ.errors++;
    if (eel_run(EEL_RUN_NOWAIT) < 0)
        circ.errors++;
    struct stamp t1 = stamp_now();
    circ_seed(&circ, cfg);
    if (eel_dispatch() != 0)
        circ.errors++;
    struct stamp t2 = stamp_now();

    eel_shutdown();
    free(gid);
    circ_result(&circ, res, t0, t1, t2);
    return 0;
}

static long timer_fired;

static void on_timer(eel_group_id gid, void *arg, int fd)
{
    (void)gid, (void)arg, (void)fd;
    timer_fired++;
}

static int timers_on(const char *backend, const struct timer_cfg *cfg,
                     struct run_result *res)
{
    eel_event_id *id = calloc((size_t)cfg->standing, sizeof(*id));
    long errors = 0, done = 0;
    if (!id || start_loop(backend, 0) != 0) {
        free(id);
        return -1;
    }
    timer_fired = 0;
    eel_group_id g = eel_new_group_id();

    struct stamp t0 = stamp_now();
    for (int i = 0; i < cfg->standing; i++)
        if ((id[i] = eel_add_timer(g, on_timer, NULL, cfg->timeout_ms[i])) == 0)
            errors++;
    if (eel_run(EEL_RUN_NOWAIT) < 0)
        errors++;
    struct stamp t1 = stamp_now();
    const int *tmo = cfg->timeout_ms + cfg->standing;
    for (int k = 0; k < cfg->ops; k++) {
        int j = cfg->victim[k];
        if (eel_cancel(id[j]) != 0)
            errors++;
        if ((id[j] = eel_add_timer(g, on_timer, NULL, tmo[k])) == 0)
            errors++;
        else
            done++;
        if ((k + 1) % cfg->turn_every == 0 && eel_run(EEL_RUN_NOWAIT) < 0)
            errors++;
    }
    struct stamp t2 = stamp_now();

    res->extra = eel_pending();
    eel_shutdown();
    free(id);
    stamp_phases(res, t0, t1, t2);
    res->callbacks = timer_fired;
    res->ops = done;
    res->errors = errors;
    return 0;
}

static const char *eel_version_name(void)
{
    return eel_version_string();
}

/* One peer per backend choice: its name, run functions and backend name. */
#define EEL_PEER(ident, label, be, optional)                                   \
    static const char *ident##_backend(void)                                   \
    {                                                                          \
        static char name[32];                                                  \
        return backend_of(be, name, sizeof(name));                             \
    }                                                                          \
    static int ident##_dispatch_run(                                           \
        enum bench_mode mode, const struct channels *ch,                       \
        const struct dispatch_cfg *cfg, struct run_result *res)                \
    {                                                                          \
        (void)mode;                                                            \
        return dispatch_on(be, ch, cfg, res);                                  \
    }                                                                          \
    static int ident##_timers_run(enum bench_mode mode,                        \
                                  const struct timer_cfg *cfg,                 \
                                  struct run_result *res)                      \
    {                                                                          \
        (void)mode;                                                            \
        return timers_on(be, cfg, res);                                        \
    }                                                                          \
    const struct peer ident = {                                                \
        .name = label,                                                         \
        .modes = 1u << MODE_ONESHOT,                                           \
        .only_by_name = optional,                                              \
        .backend = ident##_backend,                                            \
        .version = eel_version_name,                                           \
        .dispatch = ident##_dispatch_run,                                      \
        .timers = ident##_timers_run,                                          \
    };

EEL_PEER(peer_libeel, "libeel", NULL, 0)
EEL_PEER(peer_libeel_epoll, "libeel@epoll", "epoll", 1)
EEL_PEER(peer_libeel_poll, "libeel@poll", "poll", 1)
