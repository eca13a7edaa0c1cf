/*
 * rt.h - state shared by the run-time checks (check.c), the tracer
 * (trace.c), the profiler (profile.c) and the symbol resolver (symbols.c).
 * src/instrument.c receives the loop's hooks and calls into these.
 *
 * The state is per thread, like the loop it watches.  Side tables are
 * indexed by the loop's own slot numbers (event slot, group slot) and stamped
 * with the slot's generation, so a stale entry is never mistaken for the
 * live one.  Nothing here is touched unless one of EEL_CHECK, EEL_TRACE or
 * EEL_PROFILE was set at eel_init().
 */
#ifndef EEL_RT_H
#define EEL_RT_H

#include "../loop.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RT_CHECK 1u   /* EEL_CHECK=1 */
#define RT_ABORT 2u   /* EEL_CHECK=abort */
#define RT_TRACE 4u   /* EEL_TRACE=FILE */
#define RT_PROFILE 8u /* EEL_PROFILE=1|FILE */

/* How an event slot's last registration ended (for "cancel of a fired
 * event" reports). */
enum rt_end { RT_PENDING = 0, RT_FIRED = 1, RT_CANCELLED = 2 };

struct rt_event {
    uint64_t gen;    /* gen (loop.h) this entry describes */
    uint8_t end;     /* enum rt_end */
    uint64_t flow;   /* registration serial: the trace's flow id */
    uint64_t reg_ns; /* when it was registered */
    eel_callback cb; /* what would have run, for stale-cancel reports */
};

struct rt_group {
    uint64_t gen;     /* gen (loop.h) this entry describes */
    uint8_t reported; /* a leak was reported already */
    uint8_t touched;  /* queued in rt_state.touched */
    uint64_t track;   /* trace: the group's tid */
    const void *site; /* where eel_new_group_id() was called */
};

/* The identity of a waited fd, to notice it was closed under its events. */
struct rt_fd {
    dev_t dev;
    ino_t ino;
    uint8_t known;    /* dev/ino recorded for the current waiters */
    uint8_t reported; /* closed-fd report made for them */
};

struct rt_prof; /* profile.c */

struct rt_state {
    unsigned mode;
    struct rt_event *ev;
    uint32_t ev_cap;
    struct rt_group *grp;
    uint32_t grp_cap;
    struct rt_fd *fds;
    uint32_t fd_cap;

    /* Groups to look at when the running callback returns. */
    uint32_t *touched;
    uint32_t ntouched, touched_cap;
    /* l->npending the callback should leave if only hooked paths ran:
     * anything less means events went away unseen (eel_close). */
    int64_t expect_pending;
    /* A callback that called eel_break() hands control back to code that
     * may still register or delete: its groups are checked when the loop
     * next waits, with this callback named, or at eel_shutdown(). */
    struct eel__fired deferred;
    int has_deferred;

    /* The running callback, captured before it can reuse its own slots. */
    uint64_t cb_start_ns;
    uint64_t cb_wait_ns;       /* registration to start; ~0 when unknown */
    const void *cb_group_site; /* its group's creation site (profile) */
    uint64_t cb_track;         /* its group's trace track */
    eel_callback last_cb;      /* the callback that returned last */
    struct rt_prof *prof;
    int outside_open;       /* trace: "outside callbacks" slice is open */
    uint64_t outside_track; /* trace: its tid, one per loop */
};

extern __thread struct rt_state *eel__rt
    __attribute__((tls_model("initial-exec")));

uint64_t eel__rt_now_ns(void);
/* Grows side table p of *cap entries of size bytes so that entry i exists,
 * and to at least loop_cap (the loop's own table's size, so both grow
 * together); new entries are zeroed.  NULL when out of memory (p and *cap
 * unchanged). */
void *eel__rt_grow(void *p, uint32_t *cap, uint32_t i, uint32_t loop_cap,
                   size_t size);
/* Side-table entries, grown on demand; NULL only when out of memory. */
struct rt_event *eel__rt_event(struct eel_loop *l, uint32_t e);
struct rt_group *eel__rt_group(struct eel_loop *l, uint32_t g);
const char *eel__rt_kind_name(uint8_t kind);

/* symbols.c: names for code addresses, cached; thread-safe.  The strings
 * live until exit. */
const char *eel__rt_func_name(const void *fn);  /* "readcb" or "0x4011d6" */
const char *eel__rt_site_name(const void *ret); /* "t.c:57 (main)" */
/* Closes the files the resolver opened; called before each wait. */
void eel__rt_symbols_release(void);

/* check.c */
void eel__check_after(struct eel_loop *l, const struct eel__fired *f);
void eel__check_touch(struct eel_loop *l, uint32_t g);
void eel__check_registered(struct eel_loop *l, uint32_t e);
void eel__check_misuse(struct eel_loop *l, int what, uint64_t id,
                       const void *site);
void eel__check_before_wait(struct eel_loop *l);
void eel__check_shutdown(struct eel_loop *l);

/* trace.c: one trace file per process, shared by every thread's loop. */
int eel__trace_open(const char *path);
void eel__trace_group_new(struct eel_loop *l, uint32_t g, const void *site);
void eel__trace_group_deleted(struct eel_loop *l, uint32_t g);
void eel__trace_registered(struct eel_loop *l, uint32_t e);
void eel__trace_cancelled(struct eel_loop *l, uint32_t e);
void eel__trace_before(struct eel_loop *l, const struct eel__fired *f);
void eel__trace_after(struct eel_loop *l, const struct eel__fired *f,
                      uint64_t end_ns);
void eel__trace_idle(struct eel_loop *l);
/* Writes the closing brackets so the file is valid JSON now; later events
 * reopen it.  Safe to call at any time (atexit, before abort). */
void eel__trace_seal(void);

/* profile.c */
int eel__prof_open(const char *dest);
void eel__prof_group_new(struct eel_loop *l, uint32_t g, const void *site);
void eel__prof_after(struct eel_loop *l, const struct eel__fired *f,
                     uint64_t end_ns);
/* Folds this thread's tables into the process's; printed at exit. */
void eel__prof_merge(struct eel_loop *l);
void eel__prof_print(void);

#endif /* EEL_RT_H */
