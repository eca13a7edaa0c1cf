/*
 * heap.h - the timer heap: a 4-ary min-heap of deadlines.
 *
 * Inline, so that registering or cancelling a timer is one function with
 * no calls inside (bench/dispatch/callgrind.sh counts every instruction).
 * Four children per node halve a binary heap's height and keep siblings in
 * one cache line (16-byte entries).
 *
 * An entry's key is deadline << 24 | seq: one comparison orders deadlines
 * and, among equal ones, registration (seq counts registrations), so such
 * timers fire in the order they were added.  Deadlines are monotonic-clock
 * milliseconds, 40 bits of them (34 years of uptime; later ones are
 * clamped).  When seq runs out the heap is renumbered (timers.c).
 *
 * Positions are 0-based here; an event's `heap` field holds its position
 * + 1, so that 0 means "not in the heap".  A slot that is not in the heap
 * always has heap == 0, free slots included.
 */
#ifndef EEL_HEAP_H
#define EEL_HEAP_H

#include "loop.h"

#define EEL__ARITY 4

#define EEL__SEQ_BITS 24
#define EEL__DEADLINE_MAX ((UINT64_C(1) << (64 - EEL__SEQ_BITS)) - 1)

/* Does a fire before b? */
static inline int eel__heap_before(const struct eel__heap_entry *a,
                                   const struct eel__heap_entry *b)
{
    return a->key < b->key;
}

static inline uint64_t eel__heap_deadline(const struct eel__heap_entry *h)
{
    return h->key >> EEL__SEQ_BITS;
}

/* timers.c: gives the heap's entries seq numbers 0, 1, ... in their order,
 * when the next seq would not fit. */
void eel__heap_renumber(struct eel_loop *l);

/* Can a registration due at deadline take the next seq as it is, without
 * renumbering or clamping?  One test for both: shifted so, a seq that
 * needs renumbering sets the bits a deadline that needs clamping would. */
static inline int eel__heap_key_fits(const struct eel_loop *l,
                                     uint64_t deadline)
{
    uint64_t seq = (uint64_t)l->timer_seq << (64 - 2 * EEL__SEQ_BITS);
    return ((deadline | seq) >> (64 - EEL__SEQ_BITS)) == 0;
}

/* The key of a registration now, due at deadline. */
static inline uint64_t eel__heap_key(struct eel_loop *l, uint64_t deadline)
{
    if (eel__unlikely(l->timer_seq >> EEL__SEQ_BITS))
        eel__heap_renumber(l);
    if (eel__unlikely(deadline > EEL__DEADLINE_MAX))
        deadline = EEL__DEADLINE_MAX;
    return deadline << EEL__SEQ_BITS | l->timer_seq++;
}

static inline void eel__heap_place(struct eel__heap_entry *h,
                                   struct eel__event *ev, uint32_t i,
                                   struct eel__heap_entry x)
{
    h[i] = x;
    ev[x.ev].heap = i + 1;
}

/* Put x at position i or above, moving parents down. */
static inline __attribute__((always_inline)) void
eel__heap_up(struct eel_loop *l, uint32_t i, struct eel__heap_entry x)
{
    struct eel__heap_entry *h = l->heap;
    struct eel__event *ev = l->ev;
    while (i > 0) {
        uint32_t p = (i - 1) / EEL__ARITY;
        if (!eel__heap_before(&x, &h[p]))
            break;
        eel__heap_place(h, ev, i, h[p]);
        i = p;
    }
    eel__heap_place(h, ev, i, x);
}

/* Put x at position i or below, moving the earliest child up.  Keys are
 * distinct (seq), so ties never arise.  Nodes whose four children all
 * exist take the loop without bounds checks; the last parent, with fewer,
 * has only leaves below it. */
static inline __attribute__((always_inline)) void
eel__heap_down(struct eel_loop *l, uint32_t i, struct eel__heap_entry x)
{
    struct eel__heap_entry *h = l->heap;
    struct eel__event *ev = l->ev;
    uint32_t n = l->heap_len, c;
    while ((c = i * EEL__ARITY + 1) + 3 < n) {
        const struct eel__heap_entry *p = h + c, *m = p;
        uint64_t k = p[0].key;
        if (p[1].key < k)
            m = p + 1, k = m->key;
        if (p[2].key < k)
            m = p + 2, k = m->key;
        if (p[3].key < k)
            m = p + 3, k = m->key;
        if (x.key < k)
            goto done;
        eel__heap_place(h, ev, i, *m);
        i = (uint32_t)(m - h);
    }
    if (c < n) {
        const struct eel__heap_entry *m = h + c;
        for (uint32_t k = c + 1; k < n; k++)
            if (h[k].key < m->key)
                m = h + k;
        if (m->key < x.key) {
            eel__heap_place(h, ev, i, *m);
            i = (uint32_t)(m - h);
        }
    }
done:
    eel__heap_place(h, ev, i, x);
}

/* timers.c: make room for one more entry; -1 if out of memory. */
int eel__heap_grow(struct eel_loop *l);

/* Do dead entries (of cancelled events) make up half the heap?  Then they
 * are dropped all at once (eel__heap_compact): so the heap holds at most
 * about twice the live timers at each turn and each growth. */
static inline int eel__heap_too_dead(const struct eel_loop *l)
{
    return l->heap_dead > 64 && l->heap_dead > l->heap_len / 2;
}

static inline int eel__heap_push(struct eel_loop *l, uint32_t e,
                                 uint64_t deadline)
{
    if (eel__unlikely(l->heap_len == l->heap_cap) && eel__heap_grow(l) < 0)
        return -1;
    struct eel__heap_entry x = {eel__heap_key(l, deadline), e, 0};
    eel__heap_up(l, l->heap_len++, x);
    return 0;
}

/* Give e, which is in the heap, a new key: one sift instead of a removal
 * and an insertion. */
static inline __attribute__((always_inline)) void
eel__heap_rekey(struct eel_loop *l, uint32_t e, uint64_t key)
{
    uint32_t i = l->ev[e].heap - 1;
    struct eel__heap_entry x = {key, e, 0};
    if (i > 0 && eel__heap_before(&x, &l->heap[(i - 1) / EEL__ARITY]))
        eel__heap_up(l, i, x);
    else
        eel__heap_down(l, i, x);
}

/* Give e, which is in the heap, a new deadline (and a new place among
 * equal ones). */
static inline __attribute__((always_inline)) void
eel__heap_move(struct eel_loop *l, uint32_t e, uint64_t deadline)
{
    eel__heap_rekey(l, e, eel__heap_key(l, deadline));
}

static inline void eel__heap_remove(struct eel_loop *l, uint32_t e)
{
    uint32_t i = l->ev[e].heap - 1;
    l->ev[e].heap = 0;
    uint32_t n = --l->heap_len;
    if (i == n)
        return;
    struct eel__heap_entry last = l->heap[n];
    if (i > 0 && eel__heap_before(&last, &l->heap[(i - 1) / EEL__ARITY]))
        eel__heap_up(l, i, last);
    else
        eel__heap_down(l, i, last);
}

#endif /* EEL_HEAP_H */
