/*
 * backend_epoll.c - Linux epoll backend (the default).
 *
 * Level-triggered, and interest is only changed when the loop's wanted set
 * differs from what the kernel holds at the moment of the next wait: a read
 * callback that re-registers its own fd costs no epoll_ctl at all.
 */
#include "backend.h"
#include "slots.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

struct epoll_state {
    int epfd;
    int cap;
    struct epoll_event *out;
};

static int epoll_init(struct eel_loop *l)
{
    struct epoll_state *s = calloc(1, sizeof(*s));
    if (!s)
        return -1;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    s->cap = 64;
    s->out = malloc(sizeof(*s->out) * (size_t)s->cap);
    if (s->epfd < 0 || !s->out) {
        int e = s->epfd < 0 ? errno : ENOMEM;
        if (s->epfd >= 0)
            close(s->epfd);
        free(s->out);
        free(s);
        errno = e;
        return -1;
    }
    l->bdata = s;
    return 0;
}

static void epoll_destroy(struct eel_loop *l)
{
    struct epoll_state *s = l->bdata;
    if (!s)
        return;
    close(s->epfd);
    free(s->out);
    free(s);
    l->bdata = NULL;
}

static int epoll_set_interest(struct eel_loop *l, int fd, unsigned old,
                              unsigned want)
{
    struct epoll_state *s = l->bdata;
    struct epoll_event ev = {0};
    ev.data.fd = fd;
    if (want & EEL__IN)
        ev.events |= EPOLLIN | EPOLLRDHUP;
    if (want & EEL__OUT)
        ev.events |= EPOLLOUT;
    if (want == 0) {
        /* The fd may already be closed, which removed it from the set. */
        if (epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, &ev) < 0 && errno != EBADF &&
            errno != ENOENT)
            return -1;
        return 0;
    }
    int op = (old & ~EEL__RECHECK) ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(s->epfd, op, fd, &ev) == 0)
        return 0;
    /* Our view can be stale after a close() we were not told about:
     * retry with the other operation before giving up. */
    if (op == EPOLL_CTL_MOD && errno == ENOENT)
        return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
    if (op == EPOLL_CTL_ADD && errno == EEXIST)
        return epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev);
    return -1; /* EPERM for regular files, which epoll cannot watch */
}

static int epoll_wait_ready(struct eel_loop *l, int timeout_ms)
{
    struct epoll_state *s = l->bdata;
    int n = epoll_wait(s->epfd, s->out, s->cap, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) {
        uint32_t r = s->out[i].events;
        unsigned m = 0;
        if (r & (EPOLLIN | EPOLLRDHUP))
            m |= EEL__IN;
        if (r & EPOLLOUT)
            m |= EEL__OUT;
        if (r & (EPOLLERR | EPOLLHUP))
            m |= EEL__ERR;
        eel__fd_report(l, s->out[i].data.fd, m);
    }
    if (n == s->cap) { /* a full batch: make room for more next time */
        struct epoll_event *bigger =
            realloc(s->out, sizeof(*s->out) * (size_t)s->cap * 2);
        if (bigger) {
            s->out = bigger;
            s->cap *= 2;
        }
    }
    return n;
}

const struct eel_backend_ops eel__backend_epoll = {
    "epoll", epoll_init, epoll_destroy, epoll_set_interest, epoll_wait_ready,
};
