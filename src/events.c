/*
 * events.c - readying and running one-shot events: what a turn does with
 * the fds the backend reports and with the ready array, the flush of
 * changed interest to the backend, and the bookkeeping of an event that
 * goes without its callback (cancelled, group deleted, fd closed).  The
 * data structures and the inline helpers are in slots.h; the API that
 * registers and cancels is register.c.
 */
#include "backend.h"
#include "instrument.h"
#include "slots.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#define COLD static __attribute__((noinline, cold))

/* ---- fd table ------------------------------------------------------------ */

void eel__fd_mark_slow(struct eel_loop *l, int fd)
{
    int *c = eel__grow_array(l->changes, &l->changes_cap, sizeof(*c), 64);
    if (!c)
        return; /* interest stays wider than needed: spurious wake-ups */
    l->changes = c;
    l->changes[l->nchanges++] = fd;
    l->fds[fd].dirty = 1;
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
        cap > (uint32_t)fd
            ? eel__grow_table(l->fds, l->fd_cap * sizeof(*f), cap * sizeof(*f))
            : NULL;
    if (!f) {
        errno = ENOMEM;
        return -1;
    }
    l->fds = f;
    l->fd_cap = cap;
    return 0;
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
    /* The running callback's own slot is let go before the forgets are
     * settled: it does not count as a waiter. */
    int alone = !f->head || (f->head == l->held && f->tail == l->held);
    if (!f->kmask || !alone || f->forgot)
        return;
    if (!l->in_callback) {
        fd_drop(l, fd, f);
        return;
    }
    if (l->nforgets == l->forgets_cap) {
        int *p = eel__grow_array(l->forgets, &l->forgets_cap, sizeof(*p), 16);
        if (!p) {
            fd_drop(l, fd, f);
            return;
        }
        l->forgets = p;
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

int eel__ready_grow(struct eel_loop *l)
{
    eel_event_id *r = eel__grow_array(l->ready, &l->ready_cap, sizeof(*r), 256);
    if (!r)
        return -1;
    l->ready = r;
    return 0;
}

void eel__ready_push(struct eel_loop *l, uint32_t e, uint8_t state)
{
    ready_push(l, &l->ev[e], e, state);
}

/* ---- Slots --------------------------------------------------------------- */

int eel__grow_events(struct eel_loop *l)
{
    if (eel__heap_too_dead(l)) { /* dead entries hold slots: free those */
        eel__heap_compact(l);
        if (l->ev_free)
            return 0;
    }
    uint32_t old = l->ev_cap, cap = old ? old * 2 : 256;
    if (old >= EEL__MAX_SLOTS)
        return -1; /* the id has no room for more slots */
    struct eel__event_info *evi = realloc(l->evi, cap * sizeof(*evi));
    if (!evi)
        return -1;
    l->evi = evi;
    /* Aligned, so that an event is one cache line, not parts of two. */
    struct eel__event *ev =
        eel__grow_table(l->ev, old * sizeof(*ev), cap * sizeof(*ev));
    if (!ev)
        return -1;
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

/* The running callback did not take its slot back: let it go, and stop
 * counting it (event_hold). */
COLD void held_release(struct eel_loop *l)
{
    uint32_t e = l->held;
    struct eel__event *ev = l->ev;
    l->held = 0;
    l->grp[eel__event_group(&ev[e])].npending--;
    l->npending--;
    if (eel__is_io(ev[e].kind))
        fd_unlink(l, ev, e);
    slot_put(l, ev, e);
}

HOT void unlink_free(struct eel_loop *l, uint32_t e)
{
    struct eel__event *x = &l->ev[e];
    if (eel__unlikely(x->state <= EEL__FIRED)) {
        if (x->state == EEL__FIRED) { /* a group deleted or fd closed by cb */
            held_release(l);
            return;
        }
        /* Cancelled, its group deleted: it leaves all but the heap, and is
         * no longer the one a new timer takes (eel_add_timer trusts a buried
         * slot's gid to be a live group's). */
        eel__group_unlink(l, l->ev, e);
        x->gid = 0;
        if (l->buried == e)
            l->buried = 0;
        return;
    }
    /* Every way an event goes without its callback (eel_cancel, a group
     * deleted, eel_close) passes here, so the checks see them all. */
    if (eel__unlikely(l->instr))
        eel__instr_cancelled(l, e);
    if (eel__is_io(x->kind)) {
        if (x->state != EEL__EXPIRED) /* still in the fd's list */
            fd_forget(l, e);
    } else if (x->kind == EEL__SIGNAL && x->state == EEL__WAITING) {
        eel__signal_unlink(l, e);
    }
    /* A due event's entry in the ready array goes stale by itself.  One in
     * the timer heap stays there, dead, and in its group's list, until a
     * new timed registration takes it, it reaches the top of the heap or
     * the heap is compacted (timers.c): cancelling is then O(1). */
    event_retire(l, x);
    if (x->heap) {
        event_bury(l, x, e, !l->watch);
    } else {
        eel__group_unlink(l, l->ev, e);
        eel__slot_release(l, e);
    }
}

void eel__event_unlink_free(struct eel_loop *l, uint32_t e)
{
    unlink_free(l, e);
}

COLD void remember(struct eel_loop *l, const struct eel__fired *f)
{
    l->hist[l->hist_next] = *f;
    l->hist_next = (l->hist_next + 1) % EEL__HISTORY;
}

/* What running a due event that is not a readied I/O wait takes: a timer
 * (its slot is held like an I/O wait's), a signal, or an I/O wait whose
 * timer won (freed at once: no longer in its fd's list).  Sets *fd to the
 * fd the callback is given and *cfd to eel__loop's current_fd; returns
 * the function to call. */
COLD eel_callback fire_other(struct eel_loop *l, uint32_t e, int *fd, int *cfd,
                             uint8_t *timed_out)
{
    struct eel__event *x = &l->ev[e];
    *timed_out = x->state == EEL__EXPIRED && eel__has_tcb(x->kind);
    eel_callback cb = *timed_out ? l->evi[e].tcb : x->cb;
    *fd = x->fd;
    *cfd = eel__is_io(x->kind) ? x->fd : -1;
    if (x->kind == EEL__TIMER)
        event_hold(l, x, e);
    else
        event_free(l, l->ev, e);
    return cb;
}

/* What the history ring and the run-time checks see before a callback. */
COLD void before_callback(struct eel_loop *l, struct eel__fired *f,
                          eel_event_id id, eel_group_id gid, uint32_t e,
                          eel_callback cb, void *arg, int fd, uint8_t timed_out)
{
    uint64_t gen = eel__id_gen(id);
    *f = (struct eel__fired){
        id, eel__cause(l, e, gen), gid,      cb, arg, eel__site(l, e, gen),
        fd, l->ev[e].kind,         timed_out};
    if (eel__debug_history)
        remember(l, f);
    if (l->instr)
        eel__instr_before(l, f);
}

/* Runs the ready array in order until it is empty or eel_break() is
 * called.  An entry whose event was cancelled meanwhile is skipped (state
 * or generation no longer match).  Each event's id is stale before its
 * callback runs; a readied I/O wait's or a timer's slot is held for the
 * callback to take back (add_io, held_take), the others are freed at once.
 * Callbacks never add to the array (only a turn does), so its length is
 * read once; the position is stored before each call for eel_close(). */
void eel__run_ready(struct eel_loop *l)
{
    uint32_t i = l->ready_pos, n = l->ready_len;
    l->in_callback = 1;
    while (i < n && !l->break_req) {
        uint32_t e = eel__ready_live(l, i++);
        l->ready_pos = i;
        if (!e)
            continue;
        struct eel__event *x = &l->ev[e];
        eel_event_id id = l->ready[i - 1];
        eel_group_id gid = x->gid;
        void *arg = x->arg;
        eel_callback cb;
        int fd, cfd;
        uint8_t timed_out = 0;
        if (eel__likely(x->state == EEL__READY && x->kind != EEL__SIGNAL)) {
            cb = x->cb; /* an I/O wait, still in its fd's list: hold it */
            fd = cfd = x->fd;
            event_hold(l, x, e);
        } else {
            cb = fire_other(l, e, &fd, &cfd, &timed_out);
        }
        struct eel__fired f;
        if (eel__unlikely(l->watch))
            before_callback(l, &f, id, gid, e, cb, arg, fd, timed_out);
        l->current = id;
        l->current_g = gid;
        l->current_fd = cfd;
        cb(gid, arg, fd);
        if (l->held)
            held_release(l);
        if (eel__unlikely(l->nforgets))
            eel__settle_forgets(l);
        if (eel__unlikely(l->instr)) {
            l->current = 0;
            l->current_g = 0;
            l->current_fd = -1;
            eel__instr_after(l, &f);
        }
    }
    if (i == n)
        l->ready_pos = l->ready_len = 0;
    l->in_callback = 0;
    l->current = 0;
    l->current_g = 0;
    l->current_fd = -1;
}

/* Readies fd's waiters that revents concerns.  They keep their place in the
 * fd's list (and its interest) until their callback runs. */
void eel__fd_ready(struct eel_loop *l, int fd, unsigned revents)
{
    if (eel__unlikely((uint32_t)fd >= l->fd_cap))
        return;
    struct eel__fd *f = &l->fds[fd];
    if (eel__unlikely(f->intern)) {
        eel__signal_ready(l);
        return;
    }
    /* An error or hang-up wakes every waiter: a read or write will report
     * it, which is what the callback needs to see. */
    unsigned hit = revents & EEL__ERR ? ~0u : revents;
    struct eel__event *ev = l->ev;
    int woke = 0;
    for (uint32_t e = f->head; e; e = ev[e].next) {
        struct eel__event *x = &ev[e];
        if (x->state != EEL__WAITING || !(hit & x->mask))
            continue;
        if (x->heap)
            eel__heap_remove(l, e);
        ready_push(l, x, e, EEL__READY);
        woke = 1;
    }
    if (eel__unlikely(!woke)) {
        /* Interest kept lazily (see eel__flush_changes) and the fd spoke
         * with nobody listening: narrow it at the next flush. */
        f->narrow = 1;
        fd_mark(l, fd, f);
    }
}

/* Hands changed interest to the backend.  When an fd's last waiter goes,
 * its read interest is kept (lazily) rather than dropped: a connection
 * that goes quiet between a request and its response is then re-armed
 * later with no system call, and the kept interest costs nothing until the
 * fd speaks with nobody listening (eel__fd_ready then asks for the drop).
 * Write interest is always dropped: a socket is nearly always writable. */
int eel__flush_changes(struct eel_loop *l)
{
    for (uint32_t i = 0; i < l->nchanges; i++) {
        int fd = l->changes[i];
        struct eel__fd *f = &l->fds[fd];
        f->dirty = 0;
        unsigned target = fd_target(f);
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
