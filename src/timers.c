/*
 * timers.c - what the loop does with the timer heap (heap.h) once a turn:
 * move due timers to the ready array, and say how long it may wait.
 */
#include "heap.h"
#include "loop.h"

#include <stdlib.h>

int eel__heap_grow(struct eel_loop *l)
{
    uint32_t cap = l->heap_cap ? l->heap_cap * 2 : 64;
    struct eel__heap_entry *h = realloc(l->heap, cap * sizeof(*h));
    if (!h)
        return -1;
    l->heap = h;
    l->heap_cap = cap;
    return 0;
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
