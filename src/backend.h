/*
 * backend.h - the tiny interface between the loop and a polling backend.
 *
 * A backend keeps the kernel's view of which fds the loop wants to hear
 * about (set_interest) and waits for readiness (wait), reporting each ready
 * fd back through eel__fd_report().  It never runs user callbacks, so the
 * loop may change interest freely between two waits.
 */
#ifndef EEL_BACKEND_H
#define EEL_BACKEND_H

#include "loop.h"

struct eel_backend_ops {
    const char *name;
    /* Set up l->bdata.  0, or -1 with errno. */
    int (*init)(struct eel_loop *l);
    void (*destroy)(struct eel_loop *l);
    /* The kernel held interest `old` (EEL__IN/OUT/ERR bits, 0 = not known
     * to the kernel); make it `want` (0 = forget the fd).  With old == 0,
     * or with the EEL__RECHECK bit in old (the fd may have been closed and
     * reopened since), the call also checks that fd is open: -1 with EBADF
     * otherwise. */
    int (*set_interest)(struct eel_loop *l, int fd, unsigned old,
                        unsigned want);
    /* Wait up to timeout_ms (-1 = forever) and report ready fds.  Returns
     * the number reported, or -1 with errno (EINTR is not an error). */
    int (*wait)(struct eel_loop *l, int timeout_ms);
};

/* Reports fd ready with revents (EEL__IN/OUT/ERR) to the loop.  The usual
 * case is inline, in the backend's loop over the kernel's answer: the fd
 * has one waiter, waiting for what came, without a deadline, and the ready
 * array has room.  Everything else is eel__fd_ready's (events.c). */
static inline void eel__fd_report(struct eel_loop *l, int fd, unsigned revents)
{
    if (eel__likely((uint32_t)fd < l->fd_cap)) {
        uint32_t e = l->fds[fd].head; /* 0 for libeel's own fds */
        struct eel__event *x = &l->ev[e];
        if (eel__likely(e && e == l->fds[fd].tail && x->state == EEL__WAITING &&
                        (revents & x->mask) && !x->heap &&
                        l->ready_len < l->ready_cap)) {
            l->ready[l->ready_len].e = e;
            l->ready[l->ready_len].gen = (uint32_t)x->gen;
            l->ready_len++;
            x->state = EEL__READY;
            return;
        }
    }
    eel__fd_ready(l, fd, revents);
}

extern const struct eel_backend_ops eel__backend_epoll;
extern const struct eel_backend_ops eel__backend_poll;

#endif /* EEL_BACKEND_H */
