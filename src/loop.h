/*
 * loop.h - libeel's internal data structures, shared by the core files and
 * the backends.  Not installed.
 *
 * Everything lives in flat arrays addressed by 32-bit slot numbers (slot 0
 * is never used, so 0 means "none"): events, groups, the per-fd table and
 * the timer heap.  Arrays may move when they grow, which can happen inside a
 * callback, so code never keeps a pointer into them across a callback call.
 *
 * An id is (generation << 24 | slot).  A slot's generation is bumped each
 * time it is freed, so a fired, cancelled or deleted id never matches the
 * slot again: lookups are O(1) and ids are never confused.  Slots keep their
 * generation already shifted (the id's high bits), so that making an id is
 * one OR and bumping one is one add.
 *
 * eelgdb reads these structures through debug info (tools/gdb): renaming a
 * field here means updating tools/gdb/python/eel_gdb/inferior.py (and
 * history.py, which sets watch and buried) as well.
 */
#ifndef EEL_LOOP_H
#define EEL_LOOP_H

#include "eel.h"
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define eel__likely(x) __builtin_expect(!!(x), 1)
#define eel__unlikely(x) __builtin_expect(!!(x), 0)
#else
#define eel__likely(x) (x)
#define eel__unlikely(x) (x)
#endif

/* What a registration is; also the "kind" eelgdb and the tracer show. */
enum eel__kind {
    EEL__TIMER = 1,
    EEL__READ = 2,
    EEL__WRITE = 3,
    EEL__ERROR = 4,
    EEL__READ_TIMEOUT = 5,
    EEL__WRITE_TIMEOUT = 6,
    EEL__SIGNAL = 7
};

/* The order matters: a pending event is >= EEL__WAITING, one whose
 * callback is due is >= EEL__READY. */
enum eel__state {
    EEL__FREE = 0,      /* on the free list */
    EEL__CANCELLED = 1, /* cancelled, left in the timer heap and (unless
                           group is 0) its group's list (timers.c) */
    EEL__FIRED = 2,     /* its callback runs; kept for a re-arm (l->held) */
    EEL__WAITING = 3,   /* in an fd/signal list and/or the timer heap */
    EEL__READY = 4,     /* in the ready array, cb will run; an I/O event
                           stays in its fd's list until then */
    EEL__EXPIRED = 5    /* in the ready array; timeout_cb (or a timer's cb) */
};

/* A timer's or signal's dir: never matches an I/O wait's (held_take). */
#define EEL__NO_DIR 3

/* Readiness bits, shared by the fd table and the backends. */
#define EEL__IN 1u
#define EEL__OUT 2u
#define EEL__ERR 4u
#define EEL__RECHECK 8u /* only in set_interest's old: verify the fd */

struct eel__event {
    uint64_t gen;     /* generation << 24: the high bits of this slot's id */
    uint8_t kind;     /* enum eel__kind */
    uint8_t state;    /* enum eel__state */
    uint8_t mask;     /* EEL__IN/OUT/ERR this event waits for */
    uint8_t dir;      /* that bit's index: 0 in, 1 out, 2 error; EEL__NO_DIR */
    int fd;           /* fd, signal number, or -1 */
    eel_group_id gid; /* its group's id (0: none, see EEL__CANCELLED); the
                         group slot is its low bits (eel__event_group) */
    uint32_t heap;    /* position in the timer heap, 0 if not there */
    uint32_t prev; /* links in the fd/signal list, ready queue or free list */
    uint32_t next;
    uint32_t gprev; /* links in the group's list */
    uint32_t gnext;
    uint32_t unused;
    eel_callback cb;
    void *arg;
}; /* 64 bytes: one cache line per event (the deadline is in the heap, a
    * *_timeout's timeout_cb beside the events: eel__event_info) */

/* What is rarely read, kept beside the events (same slot numbers) so that
 * the hot structure stays one cache line: a *_timeout registration's
 * timeout_cb, and what only the tools read.  cause and site are recorded
 * only while eel__debug_history is set (eelgdb, the run-time checks):
 * valid when gen is the event's. */
struct eel__event_info {
    eel_callback tcb;   /* EEL__READ_TIMEOUT/WRITE_TIMEOUT: the timeout_cb */
    eel_event_id cause; /* the event whose callback registered this one */
    const void *site;   /* return address of the registering call */
    uint64_t gen;       /* the event's gen when this was recorded */
};

struct eel__group {
    uint64_t gen;      /* generation << 24: the high bits of the group id */
    uint32_t npending; /* events pending in this group */
    uint32_t head;     /* first event of the group's list */
    uint8_t waiting;   /* eel_group_set_waiting() */
    uint8_t unused[3];
    uint32_t next_free;
    uint32_t pad[2]; /* 32 bytes: never across two cache lines */
};

struct eel__fd {
    uint32_t head, tail; /* waiters on this fd, in registration order */
    uint32_t n[3];       /* waiters per direction: in, out, error */
    uint8_t want;        /* EEL__IN/OUT/ERR bits that have a waiter */
    uint8_t kmask;       /* interest the kernel holds (epoll) */
    uint8_t dirty;       /* queued in the change list */
    uint8_t intern;      /* libeel's own fd (signal pipe) */
    uint8_t forgot;      /* its last waiter was cancelled in this callback */
    uint8_t narrow;      /* it spoke with no waiter: drop lazy interest */
    uint8_t pad[6];      /* 32 bytes: never across two cache lines */
};

_Static_assert(sizeof(struct eel__event) == 64, "an event is one line");
_Static_assert(sizeof(struct eel__group) == 32, "half a line");
_Static_assert(sizeof(struct eel__fd) == 32, "half a line");

struct eel__heap_entry { /* 16 bytes: four children share a cache line */
    uint64_t key;        /* deadline << 24 | registration seq (heap.h) */
    uint32_t ev;
    uint32_t unused;
};

/* One fired event, captured before its slot is freed; what the history
 * ring (eelgdb's "eel backtrace") and the run-time checks see. */
struct eel__fired {
    eel_event_id id;
    eel_event_id cause;
    eel_group_id gid;
    eel_callback cb; /* the function actually called */
    void *arg;
    const void *site;
    int fd;
    uint8_t kind;
    uint8_t timed_out;
};

#define EEL__HISTORY 256 /* callbacks remembered for eel backtrace */

struct eel_backend_ops;

struct eel_loop {
    const struct eel_backend_ops *backend;
    void *bdata; /* the backend's own state */

    struct eel__event *ev; /* 64-byte aligned: one cache line each */
    struct eel__event_info *evi;
    uint32_t ev_cap;
    uint32_t ev_free; /* free list head */

    struct eel__group *grp;
    uint32_t grp_cap;
    uint32_t grp_free;

    struct eel__fd *fds;
    uint32_t fd_cap;
    int *changes; /* fds whose wanted interest may differ from kmask */
    uint32_t nchanges, changes_cap;
    int *forgets; /* fds with .forgot set, settled after the callback */
    uint32_t nforgets, forgets_cap;

    struct eel__heap_entry *heap; /* 4-ary min-heap (heap.h) */
    uint32_t heap_len, heap_cap;
    uint32_t heap_dead; /* entries of cancelled events (EEL__CANCELLED) */
    uint32_t buried;    /* the last of those, for a new timer to take */
    uint32_t timer_seq; /* the next registration's seq (heap.h) */

    /* The ids of the events whose callback is due, in order.  A cancelled
     * one stays in the array and is skipped: its state or generation no
     * longer match. */
    eel_event_id *ready;
    uint32_t ready_pos, ready_len, ready_cap;

    uint32_t npending; /* user events pending in the loop */
    uint32_t held;     /* the running callback's slot (EEL__FIRED), or 0 */
    uint64_t now;      /* cached monotonic ms */

    eel_event_id current;   /* event whose callback is running */
    eel_group_id current_g; /* its group */
    int current_fd;         /* its fd (-1 outside callbacks, for timers) */
    uint8_t in_callback;
    uint8_t break_req;
    uint8_t shutdown_req; /* eel_shutdown() was called from a callback */
    uint8_t instr; /* run-time checks/trace/profile on (src/instrument.c) */
    /* eel__debug_history || instr, read once a turn (and set by eelgdb
     * when it switches the history on): the fast paths' one test.  While
     * it is set no slot is buried (l->buried), so eel_add_timer's fast
     * path, which records nothing, needs no test of its own. */
    uint8_t watch;

    struct eel__signals *sig; /* allocated on first eel_add_signal */

    struct eel__fired hist[EEL__HISTORY]; /* ring, for eel backtrace */
    uint32_t hist_next;
    uint64_t gen_base; /* first generation of new slots: differs per loop */
};

/* The calling thread's loop; exported so eelgdb can find it.  initial-exec
 * keeps the shared library's access to it a single instruction. */
extern __thread struct eel_loop *eel__loop
    __attribute__((tls_model("initial-exec")));

/* ids: 24 bits of slot (16M events or groups pending at once) and 40 bits
 * of generation, so that even a slot re-armed a million times a second
 * takes twelve days to bring an id back.  A gen below is the generation
 * shifted into place: an id with its slot bits cleared. */
#define EEL__SLOT_BITS 24
#define EEL__MAX_SLOTS (UINT32_C(1) << EEL__SLOT_BITS)
#define EEL__GEN_ONE ((uint64_t)EEL__MAX_SLOTS)
static inline uint64_t eel__make_id(uint64_t gen, uint32_t slot)
{
    return gen | slot;
}
static inline uint32_t eel__id_slot(uint64_t id)
{
    return (uint32_t)(id & (EEL__MAX_SLOTS - 1));
}
static inline uint64_t eel__id_gen(uint64_t id)
{
    return id & ~(uint64_t)(EEL__MAX_SLOTS - 1);
}
/* The next generation of a slot.  It may wrap to 0: no id is ever 0 all
 * the same, since slot 0 is never used. */
static inline uint64_t eel__next_gen(uint64_t gen)
{
    return gen + EEL__GEN_ONE;
}
static inline eel_group_id eel__group_id(struct eel_loop *l, uint32_t slot)
{
    return eel__make_id(l->grp[slot].gen, slot);
}

/* The slot of the group event x belongs to (0: none). */
static inline uint32_t eel__event_group(const struct eel__event *x)
{
    return eel__id_slot(x->gid);
}

/* Does a due event of this kind have a timeout_cb (eel__event_info)? */
static inline int eel__has_tcb(uint8_t kind)
{
    return kind == EEL__READ_TIMEOUT || kind == EEL__WRITE_TIMEOUT;
}

/* Timers and signals have no fd (a signal's fd field is its number). */
static inline int eel__is_io(uint8_t kind)
{
    return kind != EEL__TIMER && kind != EEL__SIGNAL;
}

/* The slot of ready-array entry i if its event is still due, or 0 if it was
 * cancelled (or its slot reused) after it was readied. */
static inline uint32_t eel__ready_live(const struct eel_loop *l, uint32_t i)
{
    uint32_t e = eel__id_slot(l->ready[i]);
    const struct eel__event *x = &l->ev[e];
    int live = x->state >= EEL__READY && eel__make_id(x->gen, e) == l->ready[i];
    return live ? e : 0;
}

/* Leave the group's list. */
static inline void eel__group_unlink(struct eel_loop *l, struct eel__event *ev,
                                     uint32_t e)
{
    struct eel__event *x = &ev[e];
    if (x->gprev)
        ev[x->gprev].gnext = x->gnext;
    else
        l->grp[eel__event_group(x)].head = x->gnext;
    if (x->gnext)
        ev[x->gnext].gprev = x->gprev;
}

/* Where event slot e of generation gen was registered (return address)
 * and by which callback's event, if that was recorded; else NULL and 0. */
static inline const void *eel__site(const struct eel_loop *l, uint32_t e,
                                    uint64_t gen)
{
    return l->evi[e].gen == gen ? l->evi[e].site : NULL;
}
static inline eel_event_id eel__cause(const struct eel_loop *l, uint32_t e,
                                      uint64_t gen)
{
    return l->evi[e].gen == gen ? l->evi[e].cause : 0;
}

/* Put a slot that is in no list on the free list. */
static inline void eel__slot_release(struct eel_loop *l, uint32_t e)
{
    l->ev[e].state = EEL__FREE;
    l->ev[e].next = l->ev_free;
    l->ev_free = e;
}

/* Handed out and not deleted?  The generation is bumped at both, from an
 * even start (groups.c), so a live group's is odd. */
static inline int eel__group_live(const struct eel__group *g)
{
    return (g->gen & EEL__GEN_ONE) != 0;
}

/* The group slot of a live gid, or 0.  A group slot's generation is
 * bumped when it is handed out and again when it is deleted, so the id of
 * a deleted group, or one never handed out, matches no slot (groups.c).
 * Slot 0's gen has slot bits set (EEL__GROUP0_GEN): no id matches it. */
#define EEL__GROUP0_GEN 1u
static inline uint32_t eel__group_lookup(struct eel_loop *l, eel_group_id gid)
{
    uint32_t g = eel__id_slot(gid);
    return g < l->grp_cap && eel__group_id(l, g) == gid ? g : 0;
}

/* What is pending in the loop and in group g as the API reports it: the
 * running callback's held slot is still counted until it is let go
 * (slots.h, event_hold), but is not pending. */
static inline uint32_t eel__pending(const struct eel_loop *l)
{
    return l->npending - (l->held != 0);
}
static inline uint32_t eel__group_pending(const struct eel_loop *l, uint32_t g)
{
    return l->grp[g].npending -
           (l->held && eel__event_group(&l->ev[l->held]) == g);
}

/* groups.c */
void eel__groups_free(struct eel_loop *l);

/* events.c */
int eel__fd_reserve(struct eel_loop *l, int fd);
void eel__settle_forgets(struct eel_loop *l);
void eel__fd_ready(struct eel_loop *l, int fd, unsigned revents);
int eel__flush_changes(struct eel_loop *l);
void eel__event_unlink_free(struct eel_loop *l, uint32_t e);
void eel__event_unlink_io(struct eel_loop *l, uint32_t e);
void eel__ready_push(struct eel_loop *l, uint32_t e, uint8_t state);
void eel__run_ready(struct eel_loop *l);
void eel__events_free(struct eel_loop *l);

/* timers.c (the heap itself is in heap.h) */
void eel__expire_timers(struct eel_loop *l);
void eel__heap_compact(struct eel_loop *l);
int eel__next_timeout(struct eel_loop *l);
void eel__timers_free(struct eel_loop *l);

/* signals.c */
int eel__signal_watch(struct eel_loop *l, uint32_t e, int signum);
void eel__signal_unlink(struct eel_loop *l, uint32_t e);
void eel__signal_ready(struct eel_loop *l);
void eel__signals_free(struct eel_loop *l);

/* loop.c */
uint64_t eel__clock_ms(void);
/* Like realloc from old to new bytes, but cache-line aligned and with the
 * new part zeroed (the tables' entries then never straddle two lines). */
void *eel__grow_table(void *p, size_t old, size_t new);
/* Doubles the array p of *cap elements of size bytes (first: the first
 * capacity).  The new array, *cap updated; or NULL, p and *cap unchanged. */
void *eel__grow_array(void *p, uint32_t *cap, size_t size, uint32_t first);

/* debug.c: what eelgdb reads and hooks.  eelgdb sets eel__debug_hooks to
 * have every registration reported to eel__debug_on_register(). */
extern volatile int eel__debug_hooks;
/* Non-zero: record every callback run in the loop's history ring (set by
 * eelgdb when the program starts, by the run-time checks, or by
 * EEL_HISTORY=1). */
extern volatile int eel__debug_history;
void eel__debug_register(struct eel_loop *l, uint32_t e);

#endif /* EEL_LOOP_H */
