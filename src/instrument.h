/*
 * instrument.h - hooks from the loop into the run-time checks, tracer and
 * profiler (EEL_CHECK, EEL_TRACE, EEL_PROFILE).  The loop calls them only
 * when l->instr is set, so they cost one predictable branch when off.
 */
#ifndef EEL_INSTRUMENT_H
#define EEL_INSTRUMENT_H

#include "loop.h"

enum eel__misuse {
    EEL__MISUSE_BAD_GROUP = 1, /* registration with a deleted/unknown group */
    EEL__MISUSE_STALE_CANCEL =
        2,                     /* cancel of a fired/cancelled/unknown event */
    EEL__MISUSE_BAD_DELETE = 3 /* delete of a deleted/unknown group */
};

/* Reads the environment at eel_init(); sets l->instr when anything is on. */
void eel__instr_init(struct eel_loop *l);
/* At eel_shutdown(), before the loop's memory is freed. */
void eel__instr_shutdown(struct eel_loop *l);
void eel__instr_registered(struct eel_loop *l, uint32_t e);
/* An event goes without its callback: cancelled, group deleted, fd closed. */
void eel__instr_cancelled(struct eel_loop *l, uint32_t e);
void eel__instr_group_new(struct eel_loop *l, eel_group_id gid,
                          const void *site);
void eel__instr_group_deleted(struct eel_loop *l, eel_group_id gid);
void eel__instr_group_waiting(struct eel_loop *l, eel_group_id gid,
                              int waiting);
void eel__instr_misuse(struct eel_loop *l, enum eel__misuse what, uint64_t id,
                       const void *site);
/* Around each callback. */
void eel__instr_before(struct eel_loop *l, const struct eel__fired *f);
void eel__instr_after(struct eel_loop *l, const struct eel__fired *f);
/* Before each turn's interest flush and wait. */
void eel__instr_before_wait(struct eel_loop *l);

#endif /* EEL_INSTRUMENT_H */
