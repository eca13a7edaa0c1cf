/*
 * events.c - registering, cancelling and readying one-shot events.
 *
 * An event slot sits in exactly one of: the free list, an fd's waiter list
 * (and maybe the timer heap), a signal's waiter list, the timer heap alone,
 * or the ready array; and, while pending, in its group's list.  The backend
 * is told about a changed interest only at the next wait
 * (eel__flush_changes), so an fd that is re-armed from its own callback
 * never costs a system call.
 *
 * This file is the hot path of every event: register, ready, run.  The
 * small helpers are forced inline and read each array through one local
 * pointer, which is what keeps libeel at or below the instruction count of
 * the fastest loops (bench/dispatch/callgrind.sh).
 */
#include "backend.h"
#include "instrument.h"
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HOT static inline __attribute__((always_inline))
#define COLD static __attribute__((noinline, cold))

/* ---- fd table ------------------------------------------------------------ */

COLD void fd_mark_slow(struct eel_loop *l, int fd)
{
    uint32_t cap = l->changes_cap ? l->changes_cap * 2 : 64;
    int *c = realloc(l->changes, cap * sizeof(*c));
    if (!c)
        return; /* interest stays wider than needed: spurious wake-ups */
    l->changes = c;
    l->changes_cap = cap;
    l->changes[l->nchanges++] = fd;
    l->fds[fd].dirty = 1;
}

/* Queue fd for the next flush, where its interest is compared again. */
HOT void fd_mark(struct eel_loop *l, int fd, struct eel__fd *f)
{
    if (f->dirty)
        return;
    if (eel__unlikely(l->nchanges == l->changes_cap)) {
        fd_mark_slow(l, fd);
        return;
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
    struct eel__fd *f =
        cap > (uint32_t)fd ? realloc(l->fds, cap * sizeof(*f)) : NULL;
    if (!f) {
        errno = ENOMEM;
        return -1;
    }
    memset(f + l->fd_cap, 0, (cap - l->fd_cap) * sizeof(*f));
    l->fds = f;
    l->fd_cap = cap;
    return 0;
}

HOT void fd_link(struct eel__event *ev, uint32_t e, struct eel__fd *f)
{
    struct eel__event *x = &ev[e];
    x->next = 0;
    x->prev = f->tail;
    if (f->tail)
        ev[f->tail].next = e;
    else
        f->head = e;
    f->tail = e;
    f->n[x->dir]++;
    f->want |= x->mask;
}

/* Leave the fd's waiter list; the fd is queued if its interest changed. */
HOT void fd_unlink(struct eel_loop *l, struct eel__event *ev, uint32_t e)
{
    struct eel__event *x = &ev[e];
    struct eel__fd *f = &l->fds[x->fd];
    if (x->prev)
        ev[x->prev].next = x->next;
    else
        f->head = x->next;
    if (x->next)
        ev[x->next].prev = x->prev;
    else
        f->tail = x->prev;
    if (--f->n[x->dir] == 0) {
        f->want &= (uint8_t)~x->mask;
        fd_mark(l, x->fd, f);
    }
}

/* Drop the kernel's interest in an fd left without waiters. */
static void fd_drop(struct eel_loop *l, int fd, struct eel__fd *f)
{
    if (f->kmask && !f->head) {
        l->backend->set_interest(l, fd, f->kmask, 0);
        f->kmask = 0;
    }
}

/* A cancelled waiter.  Unlike one that fired, nothing suggests the fd will
 * be re-armed, and the program may close() it next: if it was the fd's last
 * waiter, the kernel's interest is dropped as soon as the running callback
 * returns (at once outside callbacks), so that neither a dup of the fd nor a
 * new file reusing its number is reported under the old interest.  Waiting
 * for the callback's end lets the common "cancel, then register something
 * else on the same fd" cost no system call at all. */
static void fd_forget(struct eel_loop *l, uint32_t e)
{
    int fd = l->ev[e].fd;
    fd_unlink(l, l->ev, e);
    struct eel__fd *f = &l->fds[fd];
    if (!f->kmask || f->head || f->forgot)
        return;
    if (!l->in_callback) {
        fd_drop(l, fd, f);
        return;
    }
    if (l->nforgets == l->forgets_cap) {
        uint32_t cap = l->forgets_cap ? l->forgets_cap * 2 : 16;
        int *p = realloc(l->forgets, cap * sizeof(*p));
        if (!p) {
            fd_drop(l, fd, f);
            return;
        }
        l->forgets = p;
        l->forgets_cap = cap;
    }
    l->forgets[l->nforgets++] = fd;
    f->forgot = 1;
}

void eel__settle_forgets(struct eel_loop *l)
{
    for (uint32_t i = 0; i < l->nforgets; i++) {
        struct eel__fd *f = &l->fds[l->forgets[i]];
        f->forgot = 0;
        fd_drop(l, l->forgets[i], f);
    }
    l->nforgets = 0;
}

/* A *_timeout event whose timer won: leave the fd's waiter list. */
void eel__event_unlink_io(struct eel_loop *l, uint32_t e)
{
    fd_unlink(l, l->ev, e);
}

/* ---- Ready array --------------------------------------------------------- */

COLD int ready_grow(struct eel_loop *l)
{
    uint32_t cap = l->ready_cap ? l->ready_cap * 2 : 256;
    struct eel__ready *r = realloc(l->ready, cap * sizeof(*r));
    if (!r)
        return -1;
    l->ready = r;
    l->ready_cap = cap;
    return 0;
}

HOT void ready_push(struct eel_loop *l, struct eel__event *x, uint32_t e,
                    uint8_t state)
{
    if (eel__unlikely(l->ready_len == l->ready_cap) && ready_grow(l) < 0)
        abort(); /* cannot run a due callback, nor drop it silently */
    l->ready[l->ready_len].e = e;
    l->ready[l->ready_len].gen = (uint32_t)x->gen;
    l->ready_len++;
    x->state = state;
}

void eel__ready_push(struct eel_loop *l, uint32_t e, uint8_t state)
{
    ready_push(l, &l->ev[e], e, state);
}

/* ---- Slots --------------------------------------------------------------- */

COLD int grow_events(struct eel_loop *l)
{
    uint32_t old = l->ev_cap, cap = old ? old * 2 : 256;
    if (old >= EEL__MAX_SLOTS)
        return -1; /* the id has no room for more slots */
    struct eel__event_info *evi = realloc(l->evi, cap * sizeof(*evi));
    if (!evi)
        return -1;
    l->evi = evi;
    struct eel__event *ev = realloc(l->ev, cap * sizeof(*ev));
    if (!ev)
        return -1;
    memset(ev + old, 0, (cap - old) * sizeof(*ev));
    memset(evi + old, 0, (cap - old) * sizeof(*evi));
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

HOT uint32_t event_new(struct eel_loop *l, uint32_t g, uint8_t kind,
                       eel_callback cb, eel_callback tcb, void *arg,
                       const void *site)
{
    if (eel__unlikely(!l->ev_free) && grow_events(l) < 0) {
        errno = ENOMEM;
        return 0;
    }
    struct eel__event *ev = l->ev;
    uint32_t e = l->ev_free;
    struct eel__event *x = &ev[e];
    l->ev_free = x->next;
    x->kind = kind;
    x->state = EEL__WAITING;
    x->group = g;
    x->heap = 0;
    x->cb = cb;
    x->tcb = tcb;
    x->arg = arg;
    l->evi[e].cause = l->current;
    l->evi[e].site = site;
    struct eel__group *gr = &l->grp[g];
    x->gprev = 0;
    x->gnext = gr->head;
    if (gr->head)
        ev[gr->head].gprev = e;
    gr->head = e;
    gr->npending++;
    l->npending++;
    return e;
}

/* Return a slot to the free list; the caller has unlinked it already. */
HOT void event_free(struct eel_loop *l, struct eel__event *ev, uint32_t e)
{
    struct eel__event *x = &ev[e];
    struct eel__group *gr = &l->grp[x->group];
    if (x->gprev)
        ev[x->gprev].gnext = x->gnext;
    else
        gr->head = x->gnext;
    if (x->gnext)
        ev[x->gnext].gprev = x->gprev;
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
    if (x->state == EEL__READY || x->state == EEL__EXPIRED) {
        /* nothing to unlink: its entry in the ready array goes stale */
    } else if (x->kind == EEL__SIGNAL) {
        eel__signal_unlink(l, e);
    } else if (eel__is_io(x->kind)) {
        fd_forget(l, e);
    }
    if (x->heap)
        eel__heap_remove(l, e);
    event_free(l, l->ev, e);
}

COLD void remember(struct eel_loop *l, const struct eel__fired *f)
{
    l->hist[l->hist_next] = *f;
    l->hist_next = (l->hist_next + 1) % EEL__HISTORY;
}

/* Runs the ready array in order until it is empty or eel_break() is
 * called.  Each event's slot is freed before its callback runs, so the
 * callback sees its own id as fired; an entry whose event was cancelled
 * meanwhile is skipped (state or generation no longer match).  The record
 * of the call is only built in memory when the history ring or the
 * run-time checks want it. */
void eel__run_ready(struct eel_loop *l)
{
    while (l->ready_pos < l->ready_len && !l->break_req) {
        uint32_t e = eel__ready_live(l, l->ready_pos++);
        if (l->ready_pos == l->ready_len)
            l->ready_pos = l->ready_len = 0;
        if (!e)
            continue;
        struct eel__event *ev = l->ev, *x = &ev[e];
        int timed_out = x->state == EEL__EXPIRED && x->tcb;
        eel_event_id id = eel__make_id(x->gen, e);
        eel_group_id gid = eel__make_id(l->grp[x->group].gen, x->group);
        eel_callback cb = timed_out ? x->tcb : x->cb;
        void *arg = x->arg;
        int fd = x->fd;
        uint8_t kind = x->kind;
        event_free(l, ev, e);
        struct eel__fired f;
        if (eel__unlikely(eel__debug_history | l->instr)) {
            f = (struct eel__fired){id, l->evi[e].cause, gid, cb, arg,
                                    l->evi[e].site, fd, kind,
                                    (uint8_t)timed_out};
            if (eel__debug_history)
                remember(l, &f);
            if (l->instr)
                eel__instr_before(l, &f);
        }
        l->current = id;
        l->current_g = gid;
        l->current_fd = eel__is_io(kind) ? fd : -1;
        l->in_callback = 1;
        cb(gid, arg, fd);
        l->in_callback = 0;
        l->current = 0;
        l->current_g = 0;
        l->current_fd = -1;
        if (eel__unlikely(l->nforgets))
            eel__settle_forgets(l);
        if (eel__unlikely(l->instr))
            eel__instr_after(l, &f);
    }
}

void eel__fd_ready(struct eel_loop *l, int fd, unsigned revents)
{
    if (eel__unlikely((uint32_t)fd >= l->fd_cap))
        return;
    struct eel__fd *f = &l->fds[fd];
    if (eel__unlikely(f->intern)) {
        eel__signal_ready(l);
        return;
    }
    struct eel__event *ev = l->ev;
    uint32_t e = f->head;
    int woke = 0;
    while (e) {
        struct eel__event *x = &ev[e];
        uint32_t next = x->next;
        /* An error or hang-up wakes every waiter: a read or write will
         * report it, which is what the callback needs to see. */
        if ((revents & EEL__ERR) || (revents & x->mask)) {
            fd_unlink(l, ev, e);
            if (x->heap)
                eel__heap_remove(l, e);
            ready_push(l, x, e, EEL__READY);
            woke = 1;
        }
        e = next;
    }
    if (eel__unlikely(!woke)) {
        /* Interest kept lazily (see eel__flush_changes) and the fd spoke
         * with nobody listening: narrow it at the next flush. */
        f->narrow = 1;
        fd_mark(l, fd, f);
    }
}

/* Hands changed interest to the backend.  When an fd is left with no
 * waiter at all, its read interest is kept (lazily) rather than dropped: a
 * connection that goes
 * quiet between a request and its response is then re-armed later with one
 * system call instead of two, and a still-registered fd costs nothing until
 * it speaks with nobody listening (eel__fd_ready then asks for the drop).
 * Write interest is always dropped: a socket is nearly always writable. */
int eel__flush_changes(struct eel_loop *l)
{
    for (uint32_t i = 0; i < l->nchanges; i++) {
        int fd = l->changes[i];
        struct eel__fd *f = &l->fds[fd];
        f->dirty = 0;
        unsigned target = f->want;
        if (!target && !f->narrow)
            target = f->kmask & EEL__IN;
        f->narrow = 0;
        if (target == f->kmask)
            continue;
        if (l->backend->set_interest(l, fd, f->kmask, target) == 0) {
            f->kmask = (uint8_t)target;
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

/* ---- Registration -------------------------------------------------------- */

/* Why a registration was refused; reported to the checks, errno set. */
COLD eel_event_id refuse(struct eel_loop *l, eel_group_id gid, int err,
                         const void *site)
{
    if (l && l->instr && err == EINVAL && !eel__group_lookup(l, gid))
        eel__instr_misuse(l, EEL__MISUSE_BAD_GROUP, gid, site);
    errno = err;
    return 0;
}

HOT eel_event_id finish(struct eel_loop *l, uint32_t e)
{
    if (eel__unlikely(eel__debug_hooks))
        eel__debug_register(l, e);
    if (eel__unlikely(l->instr))
        eel__instr_registered(l, e);
    return eel__make_id(l->ev[e].gen, e);
}

/* Tell the kernel about fd now, when it may not know it as it is: the
 * first interest, or an fd without waiters that is not the one the running
 * callback was called for nor one it just cancelled on (it may have been
 * closed and its number reused since).  This is also how a bad fd is
 * refused at registration.  Re-arming the callback's own fd, or an fd it
 * cancelled on, never comes here: closing and reusing those within the
 * same callback needs eel_close() (docs/api.md, "Closing fds"). */
COLD int fd_attach(struct eel_loop *l, int fd, unsigned want)
{
    struct eel__fd *f = &l->fds[fd];
    unsigned old = f->kmask ? f->kmask | EEL__RECHECK : 0;
    if (l->backend->set_interest(l, fd, old, want) < 0) {
        f->kmask = 0;
        return -1;
    }
    l->fds[fd].kmask = (uint8_t)want;
    return 0;
}

COLD int fd_prepare(struct eel_loop *l, int fd)
{
    if (fd < 0 || eel__fd_reserve(l, fd) < 0) {
        if (errno != ENOMEM)
            errno = EBADF;
        return -1;
    }
    if (l->fds[fd].intern) {
        errno = EBADF;
        return -1;
    }
    return 0;
}

HOT eel_event_id add_io(eel_group_id gid, uint8_t kind, uint8_t dir,
                        eel_callback cb, eel_callback tcb, void *arg, int fd,
                        int ms, const void *site)
{
    struct eel_loop *l = eel__loop;
    uint32_t g;
    if (eel__unlikely(!l || !cb || !(g = eel__group_lookup(l, gid))))
        return refuse(l, gid, EINVAL, site);
    if (eel__unlikely((uint32_t)fd >= l->fd_cap || l->fds[fd].intern) &&
        fd_prepare(l, fd) < 0)
        return refuse(l, gid, errno, site);
    struct eel__fd *f = &l->fds[fd];
    unsigned mask = 1u << dir, want = f->want | mask;
    if (eel__unlikely(!f->kmask ||
                      (!f->want && fd != l->current_fd && !f->forgot))) {
        if (fd_attach(l, fd, want) < 0)
            return refuse(l, gid, errno, site);
    } else if (want != f->kmask) {
        fd_mark(l, fd, f);
    }
    uint32_t e = event_new(l, g, kind, cb, tcb, arg, site);
    if (eel__unlikely(!e))
        return refuse(l, gid, ENOMEM, site);
    struct eel__event *x = &l->ev[e];
    x->fd = fd;
    x->mask = (uint8_t)mask;
    x->dir = dir;
    fd_link(l->ev, e, f);
    if (ms >= 0 && eel__heap_push(l, e, l->now + (uint64_t)ms) < 0) {
        eel__event_unlink_free(l, e);
        return refuse(l, gid, ENOMEM, site);
    }
    return finish(l, e);
}

#define SITE __builtin_return_address(0)

eel_event_id eel_add_read(eel_group_id gid, eel_callback cb, void *arg, int fd)
{
    return add_io(gid, EEL__READ, 0, cb, NULL, arg, fd, -1, SITE);
}

eel_event_id eel_add_write(eel_group_id gid, eel_callback cb, void *arg,
                           int fd)
{
    return add_io(gid, EEL__WRITE, 1, cb, NULL, arg, fd, -1, SITE);
}

eel_event_id eel_add_error(eel_group_id gid, eel_callback cb, void *arg,
                           int fd)
{
    return add_io(gid, EEL__ERROR, 2, cb, NULL, arg, fd, -1, SITE);
}

eel_event_id eel_add_read_timeout(eel_group_id gid, eel_callback cb,
                                  eel_callback tcb, void *arg, int fd,
                                  int ms)
{
    if (!tcb || ms < 0)
        return refuse(eel__loop, gid, EINVAL, SITE);
    return add_io(gid, EEL__READ_TIMEOUT, 0, cb, tcb, arg, fd, ms, SITE);
}

eel_event_id eel_add_write_timeout(eel_group_id gid, eel_callback cb,
                                   eel_callback tcb, void *arg, int fd,
                                   int ms)
{
    if (!tcb || ms < 0)
        return refuse(eel__loop, gid, EINVAL, SITE);
    return add_io(gid, EEL__WRITE_TIMEOUT, 1, cb, tcb, arg, fd, ms, SITE);
}

eel_event_id eel_add_timer(eel_group_id gid, eel_callback cb, void *arg,
                           int ms)
{
    struct eel_loop *l = eel__loop;
    const void *site = SITE;
    uint32_t g;
    if (!l || !cb || ms < 0 || !(g = eel__group_lookup(l, gid)))
        return refuse(l, gid, EINVAL, site);
    uint32_t e = event_new(l, g, EEL__TIMER, cb, NULL, arg, site);
    if (!e)
        return refuse(l, gid, ENOMEM, site);
    l->ev[e].fd = -1;
    if (eel__heap_push(l, e, l->now + (uint64_t)ms) < 0) {
        eel__event_unlink_free(l, e);
        return refuse(l, gid, ENOMEM, site);
    }
    return finish(l, e);
}

eel_event_id eel_add_signal(eel_group_id gid, eel_callback cb, void *arg,
                            int signum)
{
    struct eel_loop *l = eel__loop;
    const void *site = SITE;
    uint32_t g;
    if (!l || !cb || !(g = eel__group_lookup(l, gid)))
        return refuse(l, gid, EINVAL, site);
    uint32_t e = event_new(l, g, EEL__SIGNAL, cb, NULL, arg, site);
    if (!e)
        return refuse(l, gid, ENOMEM, site);
    if (eel__signal_watch(l, e, signum) < 0) {
        int err = errno;
        event_free(l, l->ev, e);
        return refuse(l, gid, err, site);
    }
    return finish(l, e);
}

/* ---- Cancelling ---------------------------------------------------------- */

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
        /* Events already readied this turn must not run either. */
        for (uint32_t i = l->ready_pos; i < l->ready_len; i++) {
            uint32_t e = eel__ready_live(l, i);
            if (e && eel__is_io(l->ev[e].kind) && l->ev[e].fd == fd)
                eel__event_unlink_free(l, e);
        }
        if (f->kmask)
            l->backend->set_interest(l, fd, f->kmask, 0);
        f->kmask = 0; /* a pending forget of it finds nothing to drop */
    }
    return close(fd);
}

void eel__events_free(struct eel_loop *l)
{
    free(l->ev);
    free(l->evi);
    free(l->fds);
    free(l->changes);
    free(l->forgets);
    free(l->ready);
    l->ev = NULL;
    l->evi = NULL;
    l->fds = NULL;
    l->changes = NULL;
    l->ready = NULL;
}
