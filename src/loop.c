/*
 * loop.c - the per-thread loop: creation, the dispatch cycle, time.
 *
 * One turn is: hand changed interest to the backend, wait for readiness or
 * the first deadline, move ready fds and due timers to the ready queue,
 * then run the queue.  Nothing is run while readiness is being collected,
 * so a callback that cancels or deletes anything (even an event already
 * ready in the same turn) is obeyed: cancelled events leave the queue.
 */
#include "backend.h"
#include "instrument.h"
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

__thread struct eel_loop *eel__loop __attribute__((tls_model("initial-exec")));

uint64_t eel__clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void *eel__grow_table(void *p, size_t old, size_t new)
{
    size_t size = (new + 63) & ~(size_t)63; /* aligned_alloc wants this */
    char *q = size >= new ? aligned_alloc(64, size) : NULL;
    if (!q)
        return NULL;
    if (old)
        memcpy(q, p, old);
    memset(q + old, 0, size - old);
    free(p);
    return q;
}

void *eel__grow_array(void *p, uint32_t *cap, size_t size, uint32_t first)
{
    uint32_t n = *cap ? *cap * 2 : first;
    void *q = n > *cap ? realloc(p, (size_t)n * size) : NULL;
    if (q)
        *cap = n;
    return q;
}

static const struct eel_backend_ops *choose_backend(void)
{
    const char *name = getenv("EEL_BACKEND");
    if (!name || !*name || strcmp(name, "epoll") == 0)
        return &eel__backend_epoll;
    if (strcmp(name, "poll") == 0)
        return &eel__backend_poll;
    return NULL;
}

/* Whether the debugger or the checks watch, for the fast paths (l->watch):
 * eelgdb may have switched the history on since the last turn. */
static void update_watch(struct eel_loop *l)
{
    uint8_t w = (eel__debug_history | l->instr) != 0;
    if (eel__unlikely(w != l->watch)) {
        l->watch = w;
        l->buried = 0; /* taken by eel_add_timer's fast path unrecorded */
    }
}

int eel_init(void)
{
    if (eel__loop) {
        errno = EBUSY;
        return -1;
    }
    const struct eel_backend_ops *b = choose_backend();
    if (!b) {
        errno = EINVAL;
        return -1;
    }
    struct eel_loop *l = calloc(1, sizeof(*l));
    if (!l)
        return -1;
    l->backend = b;
    if (b->init(l) < 0) {
        int e = errno;
        free(l);
        errno = e;
        return -1;
    }
    l->now = eel__clock_ms();
    l->current_fd = -1;
    const char *h = getenv("EEL_HISTORY");
    if (h && *h && strcmp(h, "0") != 0)
        eel__debug_history = 1;
    /* Each loop starts its generations elsewhere, so an id kept from a loop
     * that was shut down never names something in a later loop. */
    static uint64_t loops;
    uint64_t n = __atomic_fetch_add(&loops, 1, __ATOMIC_RELAXED);
    l->gen_base = ((n << 20) | 1) << EEL__SLOT_BITS;
    eel__loop = l;
    eel__instr_init(l);
    update_watch(l);
    return 0;
}

void eel_shutdown(void)
{
    struct eel_loop *l = eel__loop;
    if (!l)
        return;
    if (l->in_callback) { /* the loop is in use: free it when run returns */
        l->shutdown_req = 1;
        l->break_req = 1;
        return;
    }
    if (l->instr)
        eel__instr_shutdown(l);
    eel__signals_free(l);
    l->backend->destroy(l);
    eel__timers_free(l);
    eel__events_free(l);
    eel__groups_free(l);
    free(l);
    eel__loop = NULL;
}

/* One turn; wait says whether it may block. */
static int turn(struct eel_loop *l, int wait)
{
    update_watch(l);
    if (eel__unlikely(l->instr))
        eel__instr_before_wait(l);
    eel__flush_changes(l);
    int timeout = 0;
    if (wait && l->ready_pos == l->ready_len) {
        /* Callbacks may have run for a while since the clock was read:
         * measure the first deadline from the real time, not the cached. */
        if (l->heap_len)
            l->now = eel__clock_ms();
        timeout = eel__next_timeout(l);
    }
    if (l->backend->wait(l, timeout) < 0)
        return -1;
    l->now = eel__clock_ms();
    eel__expire_timers(l);
    eel__run_ready(l);
    return 0;
}

int eel_run(enum eel_run_mode mode)
{
    struct eel_loop *l = eel__loop;
    if (!l || (unsigned)mode > EEL_RUN_NOWAIT) {
        errno = EINVAL;
        return -1;
    }
    if (l->in_callback) {
        errno = EDEADLK;
        return -1;
    }
    if (l->break_req) {
        l->break_req = 0;
        return (int)l->npending;
    }
    do {
        if (l->npending == 0 && mode == EEL_RUN_DEFAULT)
            break;
        if (turn(l, mode != EEL_RUN_NOWAIT && l->npending) < 0)
            return -1;
    } while (mode == EEL_RUN_DEFAULT && !l->break_req);
    l->break_req = 0;
    int left = (int)l->npending;
    if (l->shutdown_req)
        eel_shutdown();
    return left;
}

int eel_dispatch(void)
{
    return eel_run(EEL_RUN_DEFAULT) < 0 ? -1 : 0;
}

void eel_break(void)
{
    if (eel__loop)
        eel__loop->break_req = 1;
}

uint64_t eel_now(void)
{
    return eel__loop ? eel__loop->now : eel__clock_ms();
}

uint64_t eel_update_time(void)
{
    uint64_t t = eel__clock_ms();
    if (eel__loop)
        eel__loop->now = t;
    return t;
}

const char *eel_backend(void)
{
    return eel__loop ? eel__loop->backend->name : NULL;
}

int eel_version(void)
{
    return EEL_VERSION_NUMBER;
}

const char *eel_version_string(void)
{
    return EEL_VERSION_STRING;
}

int eel_pending(void)
{
    return eel__loop ? (int)eel__pending(eel__loop) : 0;
}

eel_group_id eel_current_group(void)
{
    return eel__loop ? eel__loop->current_g : 0;
}

eel_event_id eel_current_event(void)
{
    return eel__loop ? eel__loop->current : 0;
}
