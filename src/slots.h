/*
 * slots.h - the small helpers of the hot path, inline in both of its
 * files: events.c (readying and running events, cancelling's bookkeeping)
 * and register.c (the registration and cancelling API).
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
 * interest or the group (held_take).  Otherwise the slot is let go when the
 * callback returns.  The backend is told about a changed interest only at
 * the next wait (eel__flush_changes), so re-arming never costs a system
 * call.
 *
 * The helpers are forced inline and read each array through one local
 * pointer, which is what keeps libeel below the instruction count of the
 * fastest loops (bench/dispatch/callgrind.sh).
 */
#ifndef EEL_SLOTS_H
#define EEL_SLOTS_H

#include "heap.h"
#include "loop.h"

#include <stdlib.h>

#define HOT static inline __attribute__((always_inline))

/* events.c: the rare halves, out of line */
void eel__fd_mark_slow(struct eel_loop *l, int fd);
int eel__ready_grow(struct eel_loop *l);
int eel__grow_events(struct eel_loop *l);

/* Queue fd for the next flush, where its interest is compared again. */
HOT void fd_mark(struct eel_loop *l, int fd, struct eel__fd *f)
{
    if (f->dirty)
        return;
    if (eel__unlikely(l->nchanges == l->changes_cap)) {
        eel__fd_mark_slow(l, fd);
        return;
    }
    l->changes[l->nchanges++] = fd;
    f->dirty = 1;
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

/* Appends e, now due, to the ready array, which has room. */
HOT void ready_append(struct eel_loop *l, struct eel__event *x, uint32_t e,
                      uint8_t state)
{
    l->ready[l->ready_len++] = eel__make_id(x->gen, e);
    x->state = state;
}

HOT void ready_push(struct eel_loop *l, struct eel__event *x, uint32_t e,
                    uint8_t state)
{
    if (eel__unlikely(l->ready_len == l->ready_cap) && eel__ready_grow(l) < 0)
        abort(); /* cannot run a due callback, nor drop it silently */
    ready_append(l, x, e, state);
}

/* Reports fd ready with revents (EEL__IN/OUT/ERR) to the loop: what the
 * backends call for each fd the kernel names.  The usual case is inline,
 * in the backend's loop over the kernel's answer: the fd has one waiter,
 * waiting for what came, without a deadline, and the ready array has
 * room.  Everything else is eel__fd_ready's (events.c). */
HOT void eel__fd_report(struct eel_loop *l, int fd, unsigned revents)
{
    if (eel__likely((uint32_t)fd < l->fd_cap)) {
        uint32_t e = l->fds[fd].head; /* 0 for libeel's own fds */
        struct eel__event *x = &l->ev[e];
        if (eel__likely(e && e == l->fds[fd].tail && x->state == EEL__WAITING &&
                        (revents & x->mask) && !x->heap &&
                        l->ready_len < l->ready_cap)) {
            ready_append(l, x, e, EEL__READY);
            return;
        }
    }
    eel__fd_ready(l, fd, revents);
}

/* Enter group g's list and count as pending. */
HOT void group_link(struct eel_loop *l, uint32_t e, uint32_t g)
{
    struct eel__event *ev = l->ev, *x = &ev[e];
    struct eel__group *gr = &l->grp[g];
    x->gid = eel__group_id(l, g);
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
    if (eel__unlikely(!l->ev_free) && eel__grow_events(l) < 0)
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
    l->grp[eel__event_group(x)].npending--;
    l->npending--;
}

/* Return a pending slot to the free list; the caller unlinked it. */
HOT void event_free(struct eel_loop *l, struct eel__event *ev, uint32_t e)
{
    event_retire(l, &ev[e]);
    slot_put(l, ev, e);
}

/* The event is running its callback: its slot is held for a re-arm
 * (held_take), its id already stale.  It still counts as pending in its
 * group and the loop until it is let go (held_release), so that the
 * common re-arm touches no count; what the API and the tools report
 * leaves it out (eel__pending, eel__group_pending). */
HOT void event_hold(struct eel_loop *l, struct eel__event *x, uint32_t e)
{
    x->gen = eel__next_gen(x->gen);
    x->state = EEL__FIRED;
    l->held = e;
}

/* A cancelled (retired) event that has an entry in the timer heap: the
 * entry stays there, dead, and the slot in its group's list, until a new
 * timed registration takes them over (buried_take), the entry reaches the
 * top of the heap or the heap is compacted (timers.c: checked once a turn
 * and before a table grows, never here, so that a cancel is a few
 * stores). */
HOT void event_bury(struct eel_loop *l, struct eel__event *x, uint32_t e,
                    int unwatched)
{
    x->state = EEL__CANCELLED;
    if (unwatched) /* see l->watch */
        l->buried = e;
    l->heap_dead++;
}

/* The last buried slot, e, taken for a registration in group g; its heap
 * entry is the caller's to move. */
HOT void buried_take(struct eel_loop *l, uint32_t e, uint32_t g)
{
    struct eel__event *x = &l->ev[e];
    l->buried = 0;
    l->heap_dead--;
    /* Mostly "cancel, then a new timeout" in the same group. */
    if (eel__likely(eel__event_group(x) == g)) {
        l->grp[g].npending++;
        l->npending++;
    } else {
        eel__group_unlink(l, l->ev, e); /* a buried slot has a group */
        group_link(l, e, g);
    }
}

/* A slot in group g with a place in the timer heap at deadline: the last
 * buried one, or a fresh one.  0 if out of memory. */
HOT uint32_t timed_slot(struct eel_loop *l, uint32_t g, uint64_t deadline)
{
    uint32_t e = l->buried;
    if (e) {
        buried_take(l, e, g);
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
    x->arg = arg;
    if (eel__has_tcb(kind)) /* known where it is inlined: no test */
        l->evi[e].tcb = tcb;
}

/* The held slot is pending again (it was still counted: event_hold). */
HOT void held_claim(struct eel_loop *l)
{
    l->held = 0;
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
    if (x->fd != fd || eel__event_group(x) != g || x->dir != dir)
        return 0;
    held_claim(l);
    return e;
}

#endif /* EEL_SLOTS_H */
