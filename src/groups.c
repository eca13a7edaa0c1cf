/*
 * groups.c - group identifiers: the logical connections events belong to.
 *
 * A group slot keeps the list of the group's pending events, so deleting a
 * group cancels them all in time proportional to their number.
 */
#include "instrument.h"
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int grow_groups(struct eel_loop *l)
{
    uint32_t old = l->grp_cap, cap = old ? old * 2 : 64;
    if (old >= EEL__MAX_SLOTS)
        return -1; /* the id has no room for more slots */
    struct eel__group *g =
        eel__grow_table(l->grp, old * sizeof(*g), cap * sizeof(*g));
    if (!g)
        return -1;
    if (!old)
        g[0].gen = EEL__GROUP0_GEN; /* never a group: matches no id */
    for (uint32_t i = cap - 1; i >= (old ? old : 1); i--) {
        g[i].gen = l->gen_base - EEL__GEN_ONE; /* gen_base when handed out */
        g[i].next_free = l->grp_free;
        l->grp_free = i;
    }
    l->grp = g;
    l->grp_cap = cap;
    return 0;
}

eel_group_id eel_new_group_id(void)
{
    struct eel_loop *l = eel__loop;
    if (!l) {
        errno = EINVAL;
        return 0;
    }
    if (!l->grp_free && grow_groups(l) < 0) {
        errno = ENOMEM;
        return 0;
    }
    uint32_t g = l->grp_free;
    struct eel__group *gr = &l->grp[g];
    l->grp_free = gr->next_free;
    gr->gen = eel__next_gen(gr->gen); /* free slots never match an id */
    gr->waiting = 0;
    gr->npending = 0;
    gr->head = 0;
    eel_group_id gid = eel__group_id(l, g);
    if (eel__unlikely(l->instr))
        eel__instr_group_new(l, gid, __builtin_return_address(0));
    return gid;
}

void eel_delete_group_id(eel_group_id gid)
{
    struct eel_loop *l = eel__loop;
    uint32_t g = l ? eel__group_lookup(l, gid) : 0;
    if (!g) {
        if (l && l->instr)
            eel__instr_misuse(l, EEL__MISUSE_BAD_DELETE, gid,
                              __builtin_return_address(0));
        errno = EINVAL;
        return;
    }
    if (eel__unlikely(l->instr))
        eel__instr_group_deleted(l, gid);
    while (l->grp[g].head)
        eel__event_unlink_free(l, l->grp[g].head);
    struct eel__group *gr = &l->grp[g];
    gr->gen = eel__next_gen(gr->gen);
    gr->next_free = l->grp_free;
    l->grp_free = g;
}

int eel_group_pending(eel_group_id gid)
{
    struct eel_loop *l = eel__loop;
    uint32_t g = l ? eel__group_lookup(l, gid) : 0;
    if (!g) {
        errno = EINVAL;
        return -1;
    }
    return (int)eel__group_pending(l, g);
}

int eel_group_set_waiting(eel_group_id gid, int waiting)
{
    struct eel_loop *l = eel__loop;
    uint32_t g = l ? eel__group_lookup(l, gid) : 0;
    if (!g) {
        errno = EINVAL;
        return -1;
    }
    l->grp[g].waiting = waiting != 0;
    if (eel__unlikely(l->instr))
        eel__instr_group_waiting(l, gid, waiting != 0);
    return 0;
}

void eel__groups_free(struct eel_loop *l)
{
    free(l->grp);
    l->grp = NULL;
    l->grp_cap = 0;
    l->grp_free = 0;
}
