/*
 * signals.c - one-shot signal events through a self-pipe.
 *
 * The handler only records the signal and writes a byte to the pipe of
 * every loop that watches it; each loop reads its pipe like any fd and
 * readies its waiters from ordinary code, where running callbacks is safe.
 * A signal that arrives while a watching loop has nobody waiting is
 * remembered until somebody does.  Loops (one per thread) register in a
 * small global table so that one loop's shutdown leaves the others' signals
 * working; the process-wide handler is restored when the last loop stops
 * watching a signal.
 */
#define _GNU_SOURCE
#include "backend.h"
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef NSIG
#define NSIG 65
#endif
#define MAX_LOOPS 64 /* loops that watch signals at the same time */

/* Shared with the handler: only sig_atomic_t fields, written under the
 * lock with the signal's handler seeing either the old or the new value. */
static struct watcher {
    volatile sig_atomic_t wfd; /* 0 = slot unused */
    volatile sig_atomic_t watch[NSIG];
    volatile sig_atomic_t caught[NSIG];
} watchers[MAX_LOOPS];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int users[NSIG]; /* loops watching each signal */
static struct sigaction saved[NSIG];

struct eel__signals {
    int rfd, wfd;
    int slot;                        /* index in watchers[] */
    uint32_t head[NSIG], tail[NSIG]; /* waiters per signal */
};

static void wake(struct watcher *w)
{
    char b = 1;
    if (write(w->wfd, &b, 1) < 0) {
        /* A full pipe already guarantees a wake-up. */
    }
}

static void on_signal(int signum)
{
    int saved_errno = errno;
    for (int i = 0; i < MAX_LOOPS; i++) {
        struct watcher *w = &watchers[i];
        if (w->wfd > 0 && w->watch[signum]) {
            w->caught[signum] = 1;
            wake(w);
        }
    }
    errno = saved_errno;
}

static int claim_slot(int wfd)
{
    pthread_mutex_lock(&lock);
    int slot = -1;
    for (int i = 0; i < MAX_LOOPS && slot < 0; i++) {
        if (watchers[i].wfd == 0) {
            memset((void *)&watchers[i], 0, sizeof(watchers[i]));
            watchers[i].wfd = wfd;
            slot = i;
        }
    }
    pthread_mutex_unlock(&lock);
    return slot;
}

static int signals_open(struct eel_loop *l)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
        return -1;
    struct eel__signals *s = calloc(1, sizeof(*s));
    int slot = s ? claim_slot(p[1]) : -1;
    if (slot < 0 || eel__fd_reserve(l, p[0]) < 0 ||
        l->backend->set_interest(l, p[0], 0, EEL__IN) < 0) {
        int e = s && slot < 0 ? EAGAIN : errno;
        if (slot >= 0)
            watchers[slot].wfd = 0;
        close(p[0]);
        close(p[1]);
        free(s);
        errno = s ? e : ENOMEM;
        return -1;
    }
    s->rfd = p[0];
    s->wfd = p[1];
    s->slot = slot;
    l->sig = s;
    /* The pipe is an fd like any other, flagged as the loop's own so it
     * neither counts as pending nor accepts user registrations. */
    l->fds[p[0]].intern = 1;
    l->fds[p[0]].kmask = EEL__IN;
    return 0;
}

/* Start delivering signum to this loop (once per loop and signal). */
static int watch(struct eel__signals *s, int signum)
{
    struct watcher *w = &watchers[s->slot];
    if (w->watch[signum])
        return 0;
    int rc = 0;
    pthread_mutex_lock(&lock);
    if (users[signum] == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigfillset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        rc = sigaction(signum, &sa, &saved[signum]);
    }
    if (rc == 0) {
        users[signum]++;
        w->watch[signum] = 1;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

int eel__signal_watch(struct eel_loop *l, uint32_t e, int signum)
{
    if (signum <= 0 || signum >= NSIG || signum == SIGKILL ||
        signum == SIGSTOP) {
        errno = EINVAL;
        return -1;
    }
    if (!l->sig && signals_open(l) < 0)
        return -1;
    struct eel__signals *s = l->sig;
    if (watch(s, signum) < 0)
        return -1;
    struct eel__event *x = &l->ev[e];
    x->fd = signum;
    x->next = 0;
    x->prev = s->tail[signum];
    if (s->tail[signum])
        l->ev[s->tail[signum]].next = e;
    else
        s->head[signum] = e;
    s->tail[signum] = e;
    if (watchers[s->slot].caught[signum])
        wake(&watchers[s->slot]); /* remembered: deliver on the next turn */
    return 0;
}

void eel__signal_unlink(struct eel_loop *l, uint32_t e)
{
    struct eel__signals *s = l->sig;
    struct eel__event *x = &l->ev[e];
    int n = x->fd;
    if (x->prev)
        l->ev[x->prev].next = x->next;
    else
        s->head[n] = x->next;
    if (x->next)
        l->ev[x->next].prev = x->prev;
    else
        s->tail[n] = x->prev;
}

void eel__signal_ready(struct eel_loop *l)
{
    struct eel__signals *s = l->sig;
    struct watcher *w = &watchers[s->slot];
    char buf[64];
    while (read(s->rfd, buf, sizeof(buf)) > 0) {
    }
    for (int n = 1; n < NSIG; n++) {
        if (!w->caught[n] || !s->head[n])
            continue;
        w->caught[n] = 0;
        while (s->head[n]) {
            uint32_t e = s->head[n];
            eel__signal_unlink(l, e);
            eel__ready_push(l, e, EEL__READY);
        }
    }
}

void eel__signals_free(struct eel_loop *l)
{
    struct eel__signals *s = l->sig;
    if (!s)
        return;
    struct watcher *w = &watchers[s->slot];
    pthread_mutex_lock(&lock);
    for (int n = 1; n < NSIG; n++) {
        if (!w->watch[n])
            continue;
        w->watch[n] = 0;
        if (--users[n] == 0)
            sigaction(n, &saved[n], NULL);
    }
    w->wfd = 0;
    pthread_mutex_unlock(&lock);
    close(s->rfd);
    close(s->wfd);
    free(s);
    l->sig = NULL;
}
