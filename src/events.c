/*
 * events.c - registering, cancelling and readying one-shot events.
 *
 * An event slot sits in exactly one of: the free list, an fd's waiter list
 * (and maybe the timer heap), a signal's waiter list, the timer heap alone,
 * or the ready queue.  The same prev/next links serve whichever list it is
 * in; the group list has links of its own.  The backend is told about a
 * changed interest only at the next wait (eel__flush_changes), so an fd
 * that is re-armed from its own callback never costs a system call.
 */
#include "backend.h"
#include "instrument.h"
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned fd_want(const struct eel__fd *f)
{
    return (f->nin ? EEL__IN : 0u) | (f->nout ? EEL__OUT : 0u) |
           (f->nerr ? EEL__ERR : 0u);
}

static void fd_mark(struct eel_loop *l, int fd)
{
    struct eel__fd *f = &l->fds[fd];
    if (f->dirty)
        return;
    if (l->nchanges == l->changes_cap) {
        uint32_t cap = l->changes_cap ? l->changes_cap * 2 : 64;
        int *c = realloc(l->changes, cap * sizeof(*c));
        if (!c)
            return; /* interest stays wider than needed: harmless */
        l->changes = c;
        l->changes_cap = cap;
    }
    l->changes[l->nchanges++] = fd;
    f->dirty = 1;
}

int eel__fd_reserve(struct eel_loop *l, int fd)
{
    if ((uint32_t)fd < l->fd_cap)
        return 0;
    /* Growing the table for an fd that is not even open would let any
     * number make it huge: check first. */
    if (fcntl(fd, F_GETFD) < 0)
        return -1;
    uint32_t cap = l->fd_cap ? l->fd_cap : 64;
    while (cap <= (uint32_t)fd && cap < 0x80000000u)
        cap *= 2;
    struct eel__fd *f = cap > (uint32_t)fd ? realloc(l->fds, cap * sizeof(*f))
                                           : NULL;
    if (!f) {
        errno = ENOMEM;
        return -1;
    }
    memset(f + l->fd_cap, 0, (cap - l->fd_cap) * sizeof(*f));
    l->fds = f;
    l->fd_cap = cap;
    return 0;
}

static void count(struct eel__fd *f, unsigned mask, int by)
{
    if (mask & EEL__IN)
        f->nin += (uint32_t)by;
    if (mask & EEL__OUT)
        f->nout += (uint32_t)by;
    if (mask & EEL__ERR)
        f->nerr += (uint32_t)by;
}

static void fd_link(struct eel_loop *l, uint32_t e)
{
    struct eel__event *x = &l->ev[e];
    struct eel__fd *f = &l->fds[x->fd];
    x->next = 0;
    x->prev = f->tail;
    if (f->tail)
        l->ev[f->tail].next = e;
    else
        f->head = e;
    f->tail = e;
    count(f, x->mask, 1);
}

static void fd_unlink(struct eel_loop *l, uint32_t e)
{
    struct eel__event *x = &l->ev[e];
    struct eel__fd *f = &l->fds[x->fd];
    if (x->prev)
        l->ev[x->prev].next = x->next;
    else
        f->head = x->next;
    if (x->next)
        l->ev[x->next].prev = x->prev;
    else
        f->tail = x->prev;
    count(f, x->mask, -1);
    if (fd_want(f) != f->kmask)
        fd_mark(l, x->fd);
}

static int is_io(uint8_t kind)
{
    return kind != EEL__TIMER && kind != EEL__SIGNAL;
}

/* A cancelled waiter.  Unlike one that fired, nothing suggests the fd will
 * be re-armed, and the program may close() it next: if it was the fd's last
 * waiter, drop the kernel's interest now, so that neither a dup of the fd
 * nor a new file reusing its number is reported under the old interest. */
static void fd_forget(struct eel_loop *l, uint32_t e)
{
    int fd = l->ev[e].fd;
    fd_unlink(l, e);
    struct eel__fd *f = &l->fds[fd];
    if (f->kmask && !f->head) {
        l->backend->set_interest(l, fd, f->kmask, 0);
        f->kmask = 0;
    }
}

/* A *_timeout event whose timer won: leave the fd's waiter list. */
void eel__event_unlink_io(struct eel_loop *l, uint32_t e)
{
    fd_unlink(l, e);
}

void eel__ready_push(struct eel_loop *l, uint32_t e, uint8_t state)
{
    struct eel__event *x = &l->ev[e];
    x->state = state;
    x->next = 0;
    x->prev = l->ready_tail;
    if (l->ready_tail)
        l->ev[l->ready_tail].next = e;
    else
        l->ready_head = e;
    l->ready_tail = e;
    if (is_io(x->kind))
        l->fds[x->fd].nready++;
}

static void ready_unlink(struct eel_loop *l, uint32_t e)
{
    struct eel__event *x = &l->ev[e];
    if (x->prev)
        l->ev[x->prev].next = x->next;
    else
        l->ready_head = x->next;
    if (x->next)
        l->ev[x->next].prev = x->prev;
    else
        l->ready_tail = x->prev;
    if (is_io(x->kind))
        l->fds[x->fd].nready--;
}

static int grow_events(struct eel_loop *l)
{
    uint32_t old = l->ev_cap, cap = old ? old * 2 : 256;
    if (old >= EEL__MAX_SLOTS)
        return -1; /* the id has no room for more slots */
    struct eel__event *ev = realloc(l->ev, cap * sizeof(*ev));
    if (!ev)
        return -1;
    memset(ev + old, 0, (cap - old) * sizeof(*ev));
    /* Slot 0 stays unused so that 0 can mean "none" in every link. */
    for (uint32_t i = cap - 1; i >= (old ? old : 1); i--) {
        ev[i].gen = l->gen_base;
        ev[i].next = l->ev_free;
        l->ev_free = i;
    }
    l->ev = ev;
    l->ev_cap = cap;
    return 0;
}

uint32_t eel__event_alloc(struct eel_loop *l, uint32_t g, uint8_t kind,
                          eel_callback cb, eel_callback tcb, void *arg,
                          const void *site)
{
    if (!l->ev_free && grow_events(l) < 0) {
        errno = ENOMEM;
        return 0;
    }
    uint32_t e = l->ev_free;
    struct eel__event *x = &l->ev[e];
    l->ev_free = x->next;
    x->kind = kind;
    x->state = EEL__WAITING;
    x->mask = 0;
    x->fd = -1;
    x->group = g;
    x->heap = 0;
    x->prev = x->next = 0;
    x->cb = cb;
    x->tcb = tcb;
    x->arg = arg;
    x->cause = l->current;
    x->site = site;
    struct eel__group *gr = &l->grp[g];
    x->gprev = 0;
    x->gnext = gr->head;
    if (gr->head)
        l->ev[gr->head].gprev = e;
    gr->head = e;
    gr->npending++;
    l->npending++;
    return e;
}

/* Return a slot to the free list; the caller has unlinked it already. */
static void event_free(struct eel_loop *l, uint32_t e)
{
    struct eel__event *x = &l->ev[e];
    struct eel__group *gr = &l->grp[x->group];
    if (x->gprev)
        l->ev[x->gprev].gnext = x->gnext;
    else
        gr->head = x->gnext;
    if (x->gnext)
        l->ev[x->gnext].gprev = x->gprev;
    gr->npending--;
    l->npending--;
    x->state = EEL__FREE;
    x->gen = eel__next_gen(x->gen);
    x->next = l->ev_free;
    l->ev_free = e;
}

void eel__event_unlink_free(struct eel_loop *l, uint32_t e)
{
    struct eel__event *x = &l->ev[e];
    /* Every way an event goes without its callback (eel_cancel, a group
     * deleted, eel_close) passes here, so the checks see them all. */
    if (eel__unlikely(l->instr))
        eel__instr_cancelled(l, e);
    if (x->state == EEL__READY || x->state == EEL__EXPIRED)
        ready_unlink(l, e);
    else if (x->kind == EEL__SIGNAL)
        eel__signal_unlink(l, e);
    else if (is_io(x->kind))
        fd_forget(l, e);
    if (x->heap)
        eel__heap_remove(l, e);
    event_free(l, e);
}

/* Takes the event's next slot out of the ready queue and frees it, filling
 * *f with what the callback needs.  The slot is free before the callback
 * runs, so the callback sees its own id as fired. */
void eel__ready_pop(struct eel_loop *l, struct eel__fired *f)
{
    uint32_t e = l->ready_head;
    struct eel__event *x = &l->ev[e];
    int expired = x->state == EEL__EXPIRED;
    ready_unlink(l, e);
    f->id = eel__make_id(x->gen, e);
    f->cause = x->cause;
    f->gid = eel__group_id(l, x->group);
    f->cb = (expired && x->tcb) ? x->tcb : x->cb;
    f->arg = x->arg;
    f->site = x->site;
    f->fd = x->fd;
    f->kind = x->kind;
    f->timed_out = (uint8_t)(expired && x->tcb);
    event_free(l, e);
}

void eel__fd_ready(struct eel_loop *l, int fd, unsigned revents)
{
    if ((uint32_t)fd >= l->fd_cap)
        return;
    if (eel__unlikely(l->fds[fd].intern)) {
        eel__signal_ready(l);
        return;
    }
    uint32_t e = l->fds[fd].head;
    while (e) {
        struct eel__event *x = &l->ev[e];
        uint32_t next = x->next;
        /* An error or hang-up wakes every waiter: a read or write will
         * report it, which is what the callback needs to see. */
        if ((revents & EEL__ERR) || (revents & x->mask)) {
            fd_unlink(l, e);
            if (x->heap)
                eel__heap_remove(l, e);
            eel__ready_push(l, e, EEL__READY);
        }
        e = next;
    }
}

int eel__flush_changes(struct eel_loop *l)
{
    for (uint32_t i = 0; i < l->nchanges; i++) {
        int fd = l->changes[i];
        struct eel__fd *f = &l->fds[fd];
        f->dirty = 0;
        unsigned want = fd_want(f);
        if (want == f->kmask)
            continue;
        if (l->backend->set_interest(l, fd, f->kmask, want) == 0) {
            f->kmask = (uint8_t)want;
            continue;
        }
        /* The fd went bad under us (closed without eel_close): wake its
         * waiters so their read/write sees the error, rather than hang. */
        f->kmask = 0;
        eel__fd_ready(l, fd, EEL__ERR);
    }
    l->nchanges = 0;
    return 0;
}

/* ---- Registration ------------------------------------------------------ */

static inline uint32_t start(struct eel_loop *l, eel_group_id gid, eel_callback cb,
                      const void *site)
{
    if (!l) {
        errno = EINVAL;
        return 0;
    }
    uint32_t g = eel__group_lookup(l, gid);
    if (!g || !cb) {
        if (!g && l->instr)
            eel__instr_misuse(l, EEL__MISUSE_BAD_GROUP, gid, site);
        errno = EINVAL;
        return 0;
    }
    return g;
}

static eel_event_id finish(struct eel_loop *l, uint32_t e)
{
    if (eel__unlikely(eel__debug_hooks))
        eel__debug_register(l, e);
    if (eel__unlikely(l->instr))
        eel__instr_registered(l, e);
    return eel__make_id(l->ev[e].gen, e);
}

static eel_event_id add_io(eel_group_id gid, uint8_t kind, unsigned mask,
                           eel_callback cb, eel_callback tcb, void *arg,
                           int fd, int ms, const void *site)
{
    struct eel_loop *l = eel__loop;
    uint32_t g = start(l, gid, cb, site);
    if (!g)
        return 0;
    if (fd < 0 || eel__fd_reserve(l, fd) < 0) {
        errno = errno == ENOMEM ? ENOMEM : EBADF;
        return 0;
    }
    struct eel__fd *f = &l->fds[fd];
    if (f->intern) {
        errno = EBADF;
        return 0;
    }
    unsigned had = fd_want(f), want = had | mask;
    if (f->kmask == 0 || (had == 0 && fd != l->current_fd)) {
        /* Tell the kernel now when it may not know this fd as it is: the
         * first interest, or an fd without waiters that is not the one the
         * running callback was called for (it may have been closed and its
         * number reused since).  This is also how a bad fd is refused at
         * registration.  Re-arming the callback's own fd skips it. */
        if (l->backend->set_interest(l, fd, 0, want) < 0)
            return 0;
        f->kmask = (uint8_t)want;
    } else if (want != f->kmask) {
        fd_mark(l, fd);
    }
    uint32_t e = eel__event_alloc(l, g, kind, cb, tcb, arg, site);
    if (!e)
        return 0;
    l->ev[e].fd = fd;
    l->ev[e].mask = (uint8_t)mask;
    fd_link(l, e);
    if (ms >= 0 && eel__heap_push(l, e, l->now + (uint64_t)ms) < 0) {
        eel__event_unlink_free(l, e);
        errno = ENOMEM;
        return 0;
    }
    return finish(l, e);
}

#define SITE __builtin_return_address(0)

eel_event_id eel_add_read(eel_group_id gid, eel_callback cb, void *arg, int fd)
{
    return add_io(gid, EEL__READ, EEL__IN, cb, NULL, arg, fd, -1, SITE);
}

eel_event_id eel_add_write(eel_group_id gid, eel_callback cb, void *arg,
                           int fd)
{
    return add_io(gid, EEL__WRITE, EEL__OUT, cb, NULL, arg, fd, -1, SITE);
}

eel_event_id eel_add_error(eel_group_id gid, eel_callback cb, void *arg,
                           int fd)
{
    return add_io(gid, EEL__ERROR, EEL__ERR, cb, NULL, arg, fd, -1, SITE);
}

static eel_event_id add_io_timeout(eel_group_id gid, uint8_t kind,
                                   unsigned mask, eel_callback cb,
                                   eel_callback tcb, void *arg, int fd,
                                   int ms, const void *site)
{
    if (!tcb || ms < 0) {
        errno = EINVAL;
        return 0;
    }
    return add_io(gid, kind, mask, cb, tcb, arg, fd, ms, site);
}

eel_event_id eel_add_read_timeout(eel_group_id gid, eel_callback cb,
                                  eel_callback tcb, void *arg, int fd,
                                  int ms)
{
    return add_io_timeout(gid, EEL__READ_TIMEOUT, EEL__IN, cb, tcb, arg, fd,
                          ms, SITE);
}

eel_event_id eel_add_write_timeout(eel_group_id gid, eel_callback cb,
                                   eel_callback tcb, void *arg, int fd,
                                   int ms)
{
    return add_io_timeout(gid, EEL__WRITE_TIMEOUT, EEL__OUT, cb, tcb, arg, fd,
                          ms, SITE);
}

eel_event_id eel_add_timer(eel_group_id gid, eel_callback cb, void *arg,
                           int ms)
{
    struct eel_loop *l = eel__loop;
    const void *site = SITE;
    uint32_t g = start(l, gid, cb, site);
    if (!g)
        return 0;
    if (ms < 0) {
        errno = EINVAL;
        return 0;
    }
    uint32_t e = eel__event_alloc(l, g, EEL__TIMER, cb, NULL, arg, site);
    if (!e)
        return 0;
    if (eel__heap_push(l, e, l->now + (uint64_t)ms) < 0) {
        eel__event_unlink_free(l, e);
        errno = ENOMEM;
        return 0;
    }
    return finish(l, e);
}

eel_event_id eel_add_signal(eel_group_id gid, eel_callback cb, void *arg,
                            int signum)
{
    struct eel_loop *l = eel__loop;
    const void *site = SITE;
    uint32_t g = start(l, gid, cb, site);
    if (!g)
        return 0;
    uint32_t e = eel__event_alloc(l, g, EEL__SIGNAL, cb, NULL, arg, site);
    if (!e)
        return 0;
    if (eel__signal_watch(l, e, signum) < 0) {
        int err = errno;
        event_free(l, e);
        errno = err;
        return 0;
    }
    return finish(l, e);
}

/* ---- Cancelling -------------------------------------------------------- */

static uint32_t event_lookup(struct eel_loop *l, eel_event_id id)
{
    uint32_t e = eel__id_slot(id);
    if (!l || e == 0 || e >= l->ev_cap || l->ev[e].gen != eel__id_gen(id) ||
        l->ev[e].state == EEL__FREE)
        return 0;
    return e;
}

int eel_cancel(eel_event_id id)
{
    struct eel_loop *l = eel__loop;
    uint32_t e = event_lookup(l, id);
    if (!e) {
        if (l && l->instr)
            eel__instr_misuse(l, EEL__MISUSE_STALE_CANCEL, id, SITE);
        errno = EINVAL;
        return -1;
    }
    eel__event_unlink_free(l, e);
    return 0;
}

int eel_close(int fd)
{
    struct eel_loop *l = eel__loop;
    if (l && fd >= 0 && (uint32_t)fd < l->fd_cap && !l->fds[fd].intern) {
        struct eel__fd *f = &l->fds[fd];
        while (f->head)
            eel__event_unlink_free(l, f->head);
        /* Events already readied this round must not run either. */
        for (uint32_t e = l->ready_head; e && f->nready;) {
            uint32_t next = l->ev[e].next;
            if (is_io(l->ev[e].kind) && l->ev[e].fd == fd)
                eel__event_unlink_free(l, e);
            e = next;
        }
        if (f->kmask)
            l->backend->set_interest(l, fd, f->kmask, 0);
        f->kmask = 0;
    }
    return close(fd);
}

void eel__events_free(struct eel_loop *l)
{
    free(l->ev);
    free(l->fds);
    free(l->changes);
    l->ev = NULL;
    l->fds = NULL;
    l->changes = NULL;
}
