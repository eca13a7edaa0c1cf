/*
 * timers.c - what the loop does with the timer heap (heap.h) once a turn:
 * move due timers to the ready array, and say how long it may wait; and
 * the heap's dead entries.
 *
 * A cancelled event that is in the heap is not taken out at once: its
 * slot stays, state EEL__CANCELLED, in the heap and its group's list (a
 * group deleted meanwhile lets it go: group 0), until its entry reaches the
 * top (it is dropped then) or dead entries make up half the heap, when one
 * linear pass drops them all and rebuilds the heap (looked at once a turn
 * and before the heap or the event table grows).  Cancelling a timer is
 * then O(1), and the heap holds at most about twice the live timers.  The last
 * one cancelled (l->buried) is what the next timed registration takes: it
 * moves the entry to its deadline with one sift (slots.h, buried_take), so
 * that "cancel the timeout, set a new one" costs less than either alone.
 */
#include "heap.h"
#include "loop.h"

#include <stdlib.h>

int eel__heap_grow(struct eel_loop *l)
{
    if (eel__heap_too_dead(l)) {
        eel__heap_compact(l);
        if (l->heap_len < l->heap_cap)
            return 0;
    }
    struct eel__heap_entry *h =
        eel__grow_array(l->heap, &l->heap_cap, sizeof(*h), 64);
    if (!h)
        return -1;
    l->heap = h;
    return 0;
}

static int by_key(const void *a, const void *b)
{
    uint64_t x = ((const struct eel__heap_entry *)a)->key;
    uint64_t y = ((const struct eel__heap_entry *)b)->key;
    return x < y ? -1 : x > y;
}

/* Once every 16M registrations: sorted, the heap is still a heap, and
 * seq numbers given in that order keep every entry's place. */
void eel__heap_renumber(struct eel_loop *l)
{
    struct eel__heap_entry *h = l->heap;
    const uint64_t low = (UINT64_C(1) << EEL__SEQ_BITS) - 1;
    qsort(h, l->heap_len, sizeof(*h), by_key);
    for (uint32_t i = 0; i < l->heap_len; i++) {
        h[i].key = (h[i].key & ~low) | i;
        l->ev[h[i].ev].heap = i + 1;
    }
    l->timer_seq = l->heap_len;
}

/* A dead entry leaves the heap: its slot is free at last. */
static void drop_dead(struct eel_loop *l, uint32_t e)
{
    if (l->buried == e)
        l->buried = 0;
    if (l->ev[e].gid)
        eel__group_unlink(l, l->ev, e);
    l->heap_dead--;
    eel__slot_release(l, e);
}

/* Drops the dead entries at the top of the heap. */
static __attribute__((noinline)) void drop_dead_top(struct eel_loop *l)
{
    while (l->heap_len && l->ev[l->heap[0].ev].state == EEL__CANCELLED) {
        uint32_t e = l->heap[0].ev;
        eel__heap_remove(l, e);
        drop_dead(l, e);
    }
}

void eel__heap_compact(struct eel_loop *l)
{
    struct eel__heap_entry *h = l->heap;
    struct eel__event *ev = l->ev;
    uint32_t n = 0;
    for (uint32_t i = 0; i < l->heap_len; i++) {
        uint32_t e = h[i].ev;
        if (ev[e].state == EEL__CANCELLED) {
            ev[e].heap = 0;
            drop_dead(l, e);
        } else {
            h[n++] = h[i];
        }
    }
    l->heap_len = n;
    for (uint32_t i = n > 1 ? (n - 2) / EEL__ARITY + 1 : 0; i-- > 0;)
        eel__heap_down(l, i, h[i]); /* Floyd's bottom-up build */
    for (uint32_t i = 0; i < n; i++)
        ev[h[i].ev].heap = i + 1;
}

/* Moves every timer due by the cached time to the ready queue.  Only the
 * queue runs callbacks, so a 0 ms timer added by one of them waits for the
 * next turn. */
void eel__expire_timers(struct eel_loop *l)
{
    if (eel__unlikely(eel__heap_too_dead(l)))
        eel__heap_compact(l);
    while (l->heap_len && eel__heap_deadline(&l->heap[0]) <= l->now) {
        uint32_t e = l->heap[0].ev;
        eel__heap_remove(l, e);
        if (l->ev[e].state == EEL__CANCELLED) {
            drop_dead(l, e);
            continue;
        }
        uint8_t kind = l->ev[e].kind;
        if (kind != EEL__TIMER)
            eel__event_unlink_io(l, e); /* the I/O half never happened */
        eel__ready_push(l, e, EEL__EXPIRED);
    }
}

/* Milliseconds until the first deadline, -1 if there is none. */
int eel__next_timeout(struct eel_loop *l)
{
    if (l->heap_dead) /* else the wait would end early for nothing */
        drop_dead_top(l);
    if (!l->heap_len)
        return -1;
    uint64_t d = eel__heap_deadline(&l->heap[0]);
    if (d <= l->now)
        return 0;
    d -= l->now;
    return d > 0x7fffffff ? 0x7fffffff : (int)d;
}

void eel__timers_free(struct eel_loop *l)
{
    free(l->heap);
    l->heap = NULL;
    l->heap_len = l->heap_cap = l->heap_dead = l->buried = 0;
}
