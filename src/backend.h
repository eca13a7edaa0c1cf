/*
 * backend.h - the tiny interface between the loop and a polling backend.
 *
 * A backend keeps the kernel's view of which fds the loop wants to hear
 * about (set_interest) and waits for readiness (wait), reporting each ready
 * fd back through eel__fd_report() (slots.h).  It never runs user callbacks, so
 * the loop may change interest freely between two waits.
 */
#ifndef EEL_BACKEND_H
#define EEL_BACKEND_H

struct eel_loop;

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

extern const struct eel_backend_ops eel__backend_epoll;
extern const struct eel_backend_ops eel__backend_poll;

#endif /* EEL_BACKEND_H */
