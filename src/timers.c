/*
 * timers.c - timer deadlines in a 4-ary min-heap.
 *
 * Four children per node halve the tree's height against a binary heap and
 * keep siblings in one cache line; ties are broken by registration order so
 * timers with equal deadlines fire in the order they were added.
 */
#include "loop.h"

#include <stdlib.h>

#define ARITY 4

static inline int before(const struct eel__heap_entry *a,
                  const struct eel__heap_entry *b)
{
    return a->deadline < b->deadline ||
           (a->deadline == b->deadline && (int32_t)(a->seq - b->seq) < 0);
}

static inline void place(struct eel_loop *l, uint32_t i, struct eel__heap_entry h)
{
    l->heap[i] = h;
    l->ev[h.ev].heap = i + 1;
}

static void sift_up(struct eel_loop *l, uint32_t i)
{
    struct eel__heap_entry h = l->heap[i];
    while (i > 0) {
        uint32_t p = (i - 1) / ARITY;
        if (!before(&h, &l->heap[p]))
            break;
        place(l, i, l->heap[p]);
        i = p;
    }
    place(l, i, h);
}

static void sift_down(struct eel_loop *l, uint32_t i)
{
    struct eel__heap_entry h = l->heap[i];
    for (;;) {
        uint32_t c = i * ARITY + 1, best = i;
        const struct eel__heap_entry *b = &h;
        for (uint32_t k = c; k < c + ARITY && k < l->heap_len; k++) {
            if (before(&l->heap[k], b)) {
                best = k;
                b = &l->heap[k];
            }
        }
        if (best == i)
            break;
        place(l, i, l->heap[best]);
        i = best;
    }
    place(l, i, h);
}

int eel__heap_push(struct eel_loop *l, uint32_t e, uint64_t deadline)
{
    if (l->heap_len == l->heap_cap) {
        uint32_t cap = l->heap_cap ? l->heap_cap * 2 : 64;
        struct eel__heap_entry *h = realloc(l->heap, cap * sizeof(*h));
        if (!h)
            return -1;
        l->heap = h;
        l->heap_cap = cap;
    }
    struct eel__heap_entry h = {deadline, l->timer_seq++, e};
    l->heap[l->heap_len] = h;
    l->ev[e].heap = ++l->heap_len;
    sift_up(l, l->heap_len - 1);
    return 0;
}

void eel__heap_remove(struct eel_loop *l, uint32_t e)
{
    uint32_t i = l->ev[e].heap - 1;
    l->ev[e].heap = 0;
    if (i == --l->heap_len)
        return;
    struct eel__heap_entry last = l->heap[l->heap_len];
    place(l, i, last);
    if (i > 0 && before(&last, &l->heap[(i - 1) / ARITY]))
        sift_up(l, i);
    else
        sift_down(l, i);
}

/* Moves every timer due by the cached time to the ready queue.  Only the
 * queue runs callbacks, so a 0 ms timer added by one of them waits for the
 * next turn. */
void eel__expire_timers(struct eel_loop *l)
{
    while (l->heap_len && l->heap[0].deadline <= l->now) {
        uint32_t e = l->heap[0].ev;
        eel__heap_remove(l, e);
        uint8_t kind = l->ev[e].kind;
        if (kind != EEL__TIMER)
            eel__event_unlink_io(l, e); /* the I/O half never happened */
        eel__ready_push(l, e, EEL__EXPIRED);
    }
}

/* Milliseconds until the first deadline, -1 if there is none. */
int eel__next_timeout(struct eel_loop *l)
{
    if (!l->heap_len)
        return -1;
    uint64_t d = l->heap[0].deadline;
    if (d <= l->now)
        return 0;
    d -= l->now;
    return d > 0x7fffffff ? 0x7fffffff : (int)d;
}

void eel__timers_free(struct eel_loop *l)
{
    free(l->heap);
    l->heap = NULL;
    l->heap_len = l->heap_cap = 0;
}
