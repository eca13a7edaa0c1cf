/*
 * backend_poll.c - portable poll(2) backend, the fallback.
 *
 * Keeps a dense pollfd array plus, per fd, its position in that array, so
 * adding, changing and removing interest are all O(1).
 */
#include "backend.h"
#include "slots.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

struct poll_state {
    struct pollfd *pfd;
    int n, cap;
    int *pos; /* fd -> index in pfd + 1; 0 = absent */
    int pos_cap;
};

static int poll_init(struct eel_loop *l)
{
    struct poll_state *s = calloc(1, sizeof(*s));
    if (!s)
        return -1;
    l->bdata = s;
    return 0;
}

static void poll_destroy(struct eel_loop *l)
{
    struct poll_state *s = l->bdata;
    if (!s)
        return;
    free(s->pfd);
    free(s->pos);
    free(s);
    l->bdata = NULL;
}

static int grow(void **p, int *cap, int need, size_t size)
{
    if (need <= *cap)
        return 0;
    int c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, (size_t)c * size);
    if (!q)
        return -1;
    if (size == sizeof(int)) /* the position table must start zeroed */
        memset((int *)q + *cap, 0, (size_t)(c - *cap) * size);
    *p = q;
    *cap = c;
    return 0;
}

static short to_poll(unsigned want)
{
    return (short)(((want & EEL__IN) ? POLLIN : 0) |
                   ((want & EEL__OUT) ? POLLOUT : 0));
}

static int poll_set_interest(struct eel_loop *l, int fd, unsigned old,
                             unsigned want)
{
    struct poll_state *s = l->bdata;
    if ((!old || (old & EEL__RECHECK)) && want && fcntl(fd, F_GETFD) < 0)
        return -1; /* EBADF: poll would only say POLLNVAL later */
    if (grow((void **)&s->pos, &s->pos_cap, fd + 1, sizeof(int)) < 0)
        return -1;
    int i = s->pos[fd] - 1;
    if (want == 0) {
        if (i < 0)
            return 0;
        s->pfd[i] = s->pfd[--s->n]; /* swap the last one into the hole */
        if (i < s->n)
            s->pos[s->pfd[i].fd] = i + 1;
        s->pos[fd] = 0;
        return 0;
    }
    if (i < 0) {
        if (grow((void **)&s->pfd, &s->cap, s->n + 1, sizeof(*s->pfd)) < 0)
            return -1;
        i = s->n++;
        s->pfd[i].fd = fd;
        s->pos[fd] = i + 1;
    }
    s->pfd[i].events = to_poll(want);
    return 0;
}

static int poll_wait(struct eel_loop *l, int timeout_ms)
{
    struct poll_state *s = l->bdata;
    int n = poll(s->pfd, (nfds_t)s->n, timeout_ms);
    if (n <= 0)
        return (n < 0 && errno != EINTR) ? -1 : 0;
    int seen = 0;
    /* eel__fd_report only queues callbacks; it never changes the array. */
    for (int i = 0; i < s->n && seen < n; i++) {
        short r = s->pfd[i].revents;
        if (!r)
            continue;
        seen++;
        unsigned m = 0;
        if (r & POLLIN)
            m |= EEL__IN;
        if (r & POLLOUT)
            m |= EEL__OUT;
        if (r & (POLLERR | POLLHUP | POLLNVAL))
            m |= EEL__ERR;
        eel__fd_report(l, s->pfd[i].fd, m);
    }
    return seen;
}

const struct eel_backend_ops eel__backend_poll = {
    "poll", poll_init, poll_destroy, poll_set_interest, poll_wait,
};
