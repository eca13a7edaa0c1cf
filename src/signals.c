/*
 * signals.c - one-shot signal events through a self-pipe.
 *
 * The handler only records the signal and writes a byte to the pipe of the
 * loop that registered it; the loop reads the pipe like any fd and readies
 * the waiters from ordinary code, where running callbacks is safe.  A signal
 * that arrives while nobody waits is remembered until somebody does.
 */
#define _GNU_SOURCE
#include "backend.h"
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef NSIG
#define NSIG 65
#endif

struct eel__signals {
    int rfd, wfd;
    uint32_t head[NSIG], tail[NSIG]; /* waiters per signal */
    uint8_t installed[NSIG];
    struct sigaction old[NSIG];
};

static volatile sig_atomic_t caught[NSIG];
static volatile sig_atomic_t wake_fd[NSIG]; /* pipe of the loop to wake */

static void on_signal(int signum)
{
    int saved = errno;
    caught[signum] = 1;
    char b = (char)signum;
    if (write(wake_fd[signum], &b, 1) < 0) {
        /* A full pipe already guarantees a wake-up. */
    }
    errno = saved;
}

static int signals_open(struct eel_loop *l)
{
    struct eel__signals *s = calloc(1, sizeof(*s));
    int p[2];
    if (!s)
        return -1;
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
        free(s);
        return -1;
    }
    s->rfd = p[0];
    s->wfd = p[1];
    l->sig = s;
    /* The pipe is an fd like any other, flagged as the loop's own so it
     * neither counts as pending nor accepts user registrations. */
    if ((uint32_t)p[0] >= l->fd_cap) {
        uint32_t cap = l->fd_cap ? l->fd_cap : 64;
        while (cap <= (uint32_t)p[0])
            cap *= 2;
        struct eel__fd *f = realloc(l->fds, cap * sizeof(*f));
        if (!f)
            return -1;
        memset(f + l->fd_cap, 0, (cap - l->fd_cap) * sizeof(*f));
        l->fds = f;
        l->fd_cap = cap;
    }
    if (l->backend->set_interest(l, p[0], 0, EEL__IN) < 0)
        return -1;
    l->fds[p[0]].intern = 1;
    l->fds[p[0]].kmask = EEL__IN;
    return 0;
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
    wake_fd[signum] = s->wfd;
    if (!s->installed[signum]) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigfillset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        if (sigaction(signum, &sa, &s->old[signum]) < 0)
            return -1;
        s->installed[signum] = 1;
    }
    struct eel__event *x = &l->ev[e];
    x->fd = signum;
    x->next = 0;
    x->prev = s->tail[signum];
    if (s->tail[signum])
        l->ev[s->tail[signum]].next = e;
    else
        s->head[signum] = e;
    s->tail[signum] = e;
    if (caught[signum]) { /* remembered: wake the loop to deliver it */
        char b = (char)signum;
        if (write(s->wfd, &b, 1) < 0) {
            /* full pipe: a wake-up is already due */
        }
    }
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
    char buf[64];
    while (read(s->rfd, buf, sizeof(buf)) > 0) {
    }
    for (int n = 1; n < NSIG; n++) {
        if (!caught[n] || !s->head[n])
            continue;
        caught[n] = 0;
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
    for (int n = 1; n < NSIG; n++) {
        if (s->installed[n]) {
            sigaction(n, &s->old[n], NULL);
            caught[n] = 0;
        }
    }
    close(s->rfd);
    close(s->wfd);
    free(s);
    l->sig = NULL;
}
