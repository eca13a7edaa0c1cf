/*
 * instrument.c - dispatches the loop's hooks to the run-time checks, the
 * tracer and the profiler.  (Being written for issue 7; until then nothing
 * turns l->instr on and these hooks are never called.)
 */
#include "instrument.h"

void eel__instr_init(struct eel_loop *l)
{
    l->instr = 0;
}

void eel__instr_shutdown(struct eel_loop *l)
{
    (void)l;
}

void eel__instr_registered(struct eel_loop *l, uint32_t e)
{
    (void)l, (void)e;
}

void eel__instr_cancelled(struct eel_loop *l, uint32_t e)
{
    (void)l, (void)e;
}

void eel__instr_group_new(struct eel_loop *l, eel_group_id gid,
                          const void *site)
{
    (void)l, (void)gid, (void)site;
}

void eel__instr_group_deleted(struct eel_loop *l, eel_group_id gid)
{
    (void)l, (void)gid;
}

void eel__instr_misuse(struct eel_loop *l, enum eel__misuse what, uint64_t id,
                       const void *site)
{
    (void)l, (void)what, (void)id, (void)site;
}

void eel__instr_before(struct eel_loop *l, const struct eel__fired *f)
{
    (void)l, (void)f;
}

void eel__instr_after(struct eel_loop *l, const struct eel__fired *f)
{
    (void)l, (void)f;
}

void eel__instr_before_wait(struct eel_loop *l)
{
    (void)l;
}
