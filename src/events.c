/*
 * events.c - registering, cancelling and readying one-shot events.
 *
 * An event slot sits in the free list, or in its group's list and one of:
 * an fd's waiter list (and maybe the timer heap), a signal's waiter list,
 * the timer heap alone.  A due event is also in the ready array; an I/O
 * one keeps its place in the fd's list until its callback runs.
 *
 * While a callback runs, its slot is kept where it was (l->held, state
 * EEL__FIRED, its id already stale): a callback that registers again the
 * same kind of wait on the same fd and group, the common "read more" of a
 * connection, takes the slot back without touching a list, the fd's
 * interest or the group.  Otherwise the slot is let go when the callback
 * returns.  The backend is told about a changed interest only at the next
 * wait (eel__flush_changes), so re-arming never costs a system call.
 *
 * This file is the hot path of every event: register, ready, run.  The
 * small helpers are forced inline and read each array through one local
 * pointer, which is what keeps libeel at or below the instruction count of
 * the fastest loops (bench/dispatch/callgrind.sh).
 */
#include "backend.h"
#include "heap.h"
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
    int *c = eel__grow_array(l->changes, &l->changes_cap, sizeof(*c), 64);
    if (!c)
        return; /* interest stays wider than needed: spurious wake-ups */
    l->changes = c;
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

/* The interest the kernel should hold: what the waiters want or, with no
 * waiter at all, read interest kept lazily (see eel__flush_changes) unless
 * the fd spoke with nobody listening.  Keeping it only for an fd without
 * waiters means a change of interest, and so the system call that finds
 * an fd closed under us, still comes when waiters are left. */
HOT unsigned fd_target(const struct eel__fd *f)
{
    return f->want ? f->want : f->narrow ? 0u : f->kmask & EEL__IN;
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
        if (fd_target(f) != f->kmask)
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

COLD int ready_grow(struct eel_loop *l)
{
    struct eel__ready *r =
        eel__grow_array(l->ready, &l->ready_cap, sizeof(*r), 256);
    if (!r)
        return -1;
    l->ready = r;
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

/* Enter group g's list and count as pending. */
HOT void group_link(struct eel_loop *l, uint32_t e, uint32_t g)
{
    struct eel__event *ev = l->ev, *x = &ev[e];
    struct eel__group *gr = &l->grp[g];
    x->group = g;
    x->gprev = 0;
    x->gnext = gr->head;
    if (gr->head)
        ev[gr->head].gprev = e;
    gr->head = e;
    gr->npending++;
    l->npending++;
}

/* Take a free slot into group g; 0 if out of memory.  The caller fills
 * in the rest (event_fill). */
HOT uint32_t slot_take(struct eel_loop *l, uint32_t g)
{
    if (eel__unlikely(!l->ev_free) && grow_events(l) < 0)
        return 0;
    uint32_t e = l->ev_free;
    l->ev_free = l->ev[e].next;
    group_link(l, e, g);
    return e;
}

/* Leave the group's list and go back to the free list. */
HOT void slot_put(struct eel_loop *l, struct eel__event *ev, uint32_t e)
{
    eel__group_unlink(l, ev, e);
    eel__slot_release(l, e);
}

/* A pending event stops being one: its id goes stale, counts drop. */
HOT void event_retire(struct eel_loop *l, struct eel__event *x)
{
    x->gen = eel__next_gen(x->gen);
    l->grp[x->group].npending--;
    l->npending--;
}

/* Return a pending slot to the free list; the caller unlinked it. */
HOT void event_free(struct eel_loop *l, struct eel__event *ev, uint32_t e)
{
    event_retire(l, &ev[e]);
    slot_put(l, ev, e);
}

/* A slot in group g with a place in the timer heap at deadline: the last
 * cancelled event's, whose entry is still in the heap and which is still
 * in its group's list (timers.c), or a fresh one.  0 if out of memory. */
HOT uint32_t timed_slot(struct eel_loop *l, uint32_t g, uint64_t deadline)
{
    uint32_t e = l->buried;
    if (e) {
        struct eel__event *x = &l->ev[e];
        l->buried = 0;
        l->heap_dead--;
        if (eel__likely(x->group == g)) { /* "cancel, then a new timeout" */
            l->grp[g].npending++;
            l->npending++;
        } else {
            if (x->group)
                eel__group_unlink(l, l->ev, e);
            group_link(l, e, g);
        }
        eel__heap_move(l, e, deadline);
        return e;
    }
    if (eel__unlikely(!(e = slot_take(l, g))))
        return 0;
    if (eel__unlikely(eel__heap_push(l, e, deadline) < 0)) {
        event_free(l, l->ev, e);
        return 0;
    }
    return e;
}

HOT void event_fill(struct eel_loop *l, uint32_t e, uint8_t kind,
                    eel_callback cb, eel_callback tcb, void *arg)
{
    struct eel__event *x = &l->ev[e];
    x->kind = kind;
    x->state = EEL__WAITING;
    x->cb = cb;
    x->tcb = tcb;
    x->arg = arg;
}

/* The running callback's slot, taken back for a registration in group g
 * on fd (-1 for a timer) in direction dir, if it waited for just that;
 * else 0. */
HOT uint32_t held_take(struct eel_loop *l, uint32_t g, int fd, uint8_t dir)
{
    uint32_t e = l->held;
    if (!e)
        return 0;
    struct eel__event *x = &l->ev[e];
    if (x->fd != fd || x->group != g || x->dir != dir)
        return 0;
    l->held = 0;
    l->grp[g].npending++;
    l->npending++;
    return e;
}

/* The running callback did not take its slot back: let it go. */
COLD void held_release(struct eel_loop *l)
{
    uint32_t e = l->held;
    struct eel__event *ev = l->ev;
    l->held = 0;
    if (eel__is_io(ev[e].kind))
        fd_unlink(l, ev, e);
    slot_put(l, ev, e);
}

HOT void unlink_free(struct eel_loop *l, uint32_t e)
{
    struct eel__event *x = &l->ev[e];
    if (eel__unlikely(x->state <= EEL__FIRED)) {
        if (x->state == EEL__FIRED) /* a group deleted or fd closed by cb */
            held_release(l);
        else /* cancelled, its group deleted: leave only the heap */
            eel__group_unlink(l, l->ev, e), x->group = 0;
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
        x->state = EEL__CANCELLED;
        l->buried = e;
        if (++l->heap_dead > 64 && l->heap_dead > l->heap_len / 2)
            eel__heap_compact(l);
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
    *timed_out = x->state == EEL__EXPIRED && x->tcb;
    eel_callback cb = *timed_out ? x->tcb : x->cb;
    *fd = x->fd;
    *cfd = eel__is_io(x->kind) ? x->fd : -1;
    if (x->kind == EEL__TIMER) {
        event_retire(l, x);
        x->state = EEL__FIRED;
        l->held = e;
    } else {
        event_free(l, l->ev, e);
    }
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
        uint32_t g = x->group;
        eel_event_id id = eel__make_id(x->gen, e);
        eel_group_id gid = eel__make_id(l->grp[g].gen, g);
        void *arg = x->arg;
        eel_callback cb;
        int fd, cfd;
        uint8_t timed_out = 0;
        if (eel__likely(x->state == EEL__READY && x->kind != EEL__SIGNAL)) {
            cb = x->cb; /* an I/O wait, still in its fd's list: hold it */
            fd = cfd = x->fd;
            event_retire(l, x);
            x->state = EEL__FIRED;
            l->held = e;
        } else {
            cb = fire_other(l, e, &fd, &cfd, &timed_out);
        }
        struct eel__fired f;
        if (eel__unlikely(eel__debug_history | l->instr))
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

/* What the debugger and the run-time checks see of a registration, and
 * where it came from (the tools' side table).  Both switch the history on
 * (eelgdb at eel_init or when it attaches, the checks at eel_init), so
 * registrations test that one flag. */
COLD void registered_slow(struct eel_loop *l, uint32_t e, const void *site)
{
    l->evi[e].cause = l->current;
    l->evi[e].site = site;
    l->evi[e].gen = l->ev[e].gen;
    if (eel__debug_hooks)
        eel__debug_register(l, e);
    if (l->instr)
        eel__instr_registered(l, e);
}

HOT eel_event_id finish(struct eel_loop *l, uint32_t e, const void *site)
{
    if (eel__unlikely(eel__debug_history))
        registered_slow(l, e, site);
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

/* Every I/O registration but the fast one (add_io). */
static __attribute__((noinline)) eel_event_id
add_io_slow(eel_group_id gid, uint8_t kind, uint8_t dir, eel_callback cb,
            eel_callback tcb, void *arg, int fd, int ms, const void *site)
{
    struct eel_loop *l = eel__loop;
    uint32_t g, e;
    if (eel__unlikely(!l || !cb || !(g = eel__group_lookup(l, gid))))
        return refuse(l, gid, EINVAL, site);
    if ((e = held_take(l, g, fd, dir))) {
        event_fill(l, e, kind, cb, tcb, arg);
        if (ms >= 0 && eel__heap_push(l, e, l->now + (uint64_t)ms) < 0) {
            unlink_free(l, e);
            return refuse(l, gid, ENOMEM, site);
        }
    } else {
        if (eel__unlikely((uint32_t)fd >= l->fd_cap || l->fds[fd].intern) &&
            fd_prepare(l, fd) < 0)
            return refuse(l, gid, errno, site);
        struct eel__fd *f = &l->fds[fd];
        unsigned mask = 1u << dir;
        if (eel__unlikely(!f->kmask ||
                          (!f->want && fd != l->current_fd && !f->forgot))) {
            if (fd_attach(l, fd, f->want | mask) < 0)
                return refuse(l, gid, errno, site);
        }
        e = ms >= 0 ? timed_slot(l, g, l->now + (uint64_t)ms) : slot_take(l, g);
        if (eel__unlikely(!e))
            return refuse(l, gid, ENOMEM, site);
        struct eel__event *x = &l->ev[e];
        x->fd = fd;
        x->mask = (uint8_t)mask;
        x->dir = dir;
        fd_link(l->ev, e, f);
        if (fd_target(f) != f->kmask)
            fd_mark(l, fd, f);
        event_fill(l, e, kind, cb, tcb, arg);
    }
    return finish(l, e, site);
}

/* A callback re-arming, without a timeout, the wait it was called for:
 * most registrations of a busy program.  Its slot is still held (see the
 * top of this file) and already linked everywhere, so the registration is
 * a few stores.  A held slot's group is live: deleting it lets the slot go.
 * Anything else, or while the debugger or the checks watch (history on),
 * takes the general path. */
HOT eel_event_id add_io(eel_group_id gid, uint8_t kind, uint8_t dir,
                        eel_callback cb, eel_callback tcb, void *arg, int fd,
                        int ms, const void *site)
{
    struct eel_loop *l = eel__loop;
    uint32_t e;
    if (eel__likely(l && cb && ms < 0 && (e = l->held))) {
        struct eel__event *x = &l->ev[e];
        uint32_t g = x->group;
        if (eel__likely(x->fd == fd && x->dir == dir &&
                        eel__group_id(l, g) == gid && !eel__debug_history)) {
            l->held = 0;
            l->grp[g].npending++;
            l->npending++;
            event_fill(l, e, kind, cb, tcb, arg);
            return eel__make_id(x->gen, e);
        }
    }
    return add_io_slow(gid, kind, dir, cb, tcb, arg, fd, ms, site);
}

#define SITE __builtin_return_address(0)

eel_event_id eel_add_read(eel_group_id gid, eel_callback cb, void *arg, int fd)
{
    return add_io(gid, EEL__READ, 0, cb, NULL, arg, fd, -1, SITE);
}

eel_event_id eel_add_write(eel_group_id gid, eel_callback cb, void *arg, int fd)
{
    return add_io(gid, EEL__WRITE, 1, cb, NULL, arg, fd, -1, SITE);
}

eel_event_id eel_add_error(eel_group_id gid, eel_callback cb, void *arg, int fd)
{
    return add_io(gid, EEL__ERROR, 2, cb, NULL, arg, fd, -1, SITE);
}

eel_event_id eel_add_read_timeout(eel_group_id gid, eel_callback cb,
                                  eel_callback tcb, void *arg, int fd, int ms)
{
    if (!tcb || ms < 0)
        return refuse(eel__loop, gid, EINVAL, SITE);
    return add_io(gid, EEL__READ_TIMEOUT, 0, cb, tcb, arg, fd, ms, SITE);
}

eel_event_id eel_add_write_timeout(eel_group_id gid, eel_callback cb,
                                   eel_callback tcb, void *arg, int fd, int ms)
{
    if (!tcb || ms < 0)
        return refuse(eel__loop, gid, EINVAL, SITE);
    return add_io(gid, EEL__WRITE_TIMEOUT, 1, cb, tcb, arg, fd, ms, SITE);
}

static __attribute__((noinline)) eel_event_id add_timer_slow(eel_group_id gid,
                                                             eel_callback cb,
                                                             void *arg, int ms,
                                                             const void *site)
{
    struct eel_loop *l = eel__loop;
    uint32_t g, e;
    if (eel__unlikely(!l || !cb || ms < 0 || !(g = eel__group_lookup(l, gid))))
        return refuse(l, gid, EINVAL, site);
    uint64_t deadline = l->now + (uint64_t)ms;
    if ((e = held_take(l, g, -1, EEL__NO_DIR))) {
        event_fill(l, e, EEL__TIMER, cb, NULL, arg);
        if (eel__unlikely(eel__heap_push(l, e, deadline) < 0)) {
            unlink_free(l, e);
            return refuse(l, gid, ENOMEM, site);
        }
    } else {
        if (eel__unlikely(!(e = timed_slot(l, g, deadline))))
            return refuse(l, gid, ENOMEM, site);
        l->ev[e].fd = -1;
        l->ev[e].dir = EEL__NO_DIR;
        event_fill(l, e, EEL__TIMER, cb, NULL, arg);
    }
    return finish(l, e, site);
}

/* "Cancel the timeout, set a new one" in the same group: the new timer
 * takes the cancelled one's slot, still in the group's list, and moves its
 * heap entry (timed_slot); done here without calls.  Anything else, or
 * while the debugger or the checks watch, takes the general path. */
eel_event_id eel_add_timer(eel_group_id gid, eel_callback cb, void *arg, int ms)
{
    struct eel_loop *l = eel__loop;
    uint32_t e, g = eel__id_slot(gid);
    if (eel__likely(l && cb && ms >= 0 && (e = l->buried) &&
                    !eel__debug_history)) {
        struct eel__event *x = &l->ev[e];
        if (eel__likely(x->group == g && g && eel__group_id(l, g) == gid)) {
            l->buried = 0;
            l->heap_dead--;
            l->grp[g].npending++;
            l->npending++;
            event_fill(l, e, EEL__TIMER, cb, NULL, arg);
            x->fd = -1;
            x->dir = EEL__NO_DIR;
            eel__heap_move(l, e, l->now + (uint64_t)ms);
            return eel__make_id(x->gen, e);
        }
    }
    return add_timer_slow(gid, cb, arg, ms, SITE);
}

eel_event_id eel_add_signal(eel_group_id gid, eel_callback cb, void *arg,
                            int signum)
{
    struct eel_loop *l = eel__loop;
    const void *site = SITE;
    uint32_t g, e;
    if (!l || !cb || !(g = eel__group_lookup(l, gid)))
        return refuse(l, gid, EINVAL, site);
    if (!(e = slot_take(l, g)))
        return refuse(l, gid, ENOMEM, site);
    event_fill(l, e, EEL__SIGNAL, cb, NULL, arg);
    l->ev[e].dir = EEL__NO_DIR;
    if (eel__signal_watch(l, e, signum) < 0) {
        int err = errno;
        event_free(l, l->ev, e);
        return refuse(l, gid, err, site);
    }
    return finish(l, e, site);
}

/* ---- Cancelling ---------------------------------------------------------- */

HOT uint32_t event_lookup(struct eel_loop *l, eel_event_id id)
{
    uint32_t e = eel__id_slot(id);
    if (!l || e == 0 || e >= l->ev_cap || l->ev[e].gen != eel__id_gen(id) ||
        l->ev[e].state < EEL__WAITING)
        return 0;
    return e;
}

static __attribute__((noinline)) int
cancel_slow(struct eel_loop *l, eel_event_id id, const void *site)
{
    uint32_t e = event_lookup(l, id);
    if (eel__unlikely(!e)) {
        if (l && l->instr)
            eel__instr_misuse(l, EEL__MISUSE_STALE_CANCEL, id, site);
        errno = EINVAL;
        return -1;
    }
    unlink_free(l, e);
    return 0;
}

/* The commonest cancel, a waiting timer's ("the answer came: drop its
 * timeout"), is a few stores: the entry only goes dead in the heap (see
 * unlink_free).  Slot 0 is all zeroes, so it fails the kind test. */
int eel_cancel(eel_event_id id)
{
    struct eel_loop *l = eel__loop;
    uint32_t e = eel__id_slot(id);
    if (eel__likely(l && e < l->ev_cap)) {
        struct eel__event *x = &l->ev[e];
        if (eel__likely(x->gen == eel__id_gen(id) && x->kind == EEL__TIMER &&
                        x->state == EEL__WAITING && !l->instr)) {
            event_retire(l, x);
            x->state = EEL__CANCELLED;
            l->buried = e;
            if (eel__unlikely(++l->heap_dead > 64 &&
                              l->heap_dead > l->heap_len / 2))
                eel__heap_compact(l);
            return 0;
        }
    }
    return cancel_slow(l, id, SITE);
}

int eel_close(int fd)
{
    struct eel_loop *l = eel__loop;
    if (l && fd >= 0 && (uint32_t)fd < l->fd_cap && !l->fds[fd].intern) {
        struct eel__fd *f = &l->fds[fd];
        /* Its waiters, readied ones included, and the running callback's
         * own slot if it was for fd. */
        while (f->head)
            unlink_free(l, f->head);
        /* I/O waits whose timer won this turn must not run either. */
        for (uint32_t i = l->ready_pos; i < l->ready_len; i++) {
            uint32_t e = eel__ready_live(l, i);
            if (e && eel__is_io(l->ev[e].kind) && l->ev[e].fd == fd)
                unlink_free(l, e);
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
