/*
 * debug.c - what eelgdb needs from a running program.
 *
 * eel__debug_on_register() is an empty, never-inlined function that eelgdb
 * puts a breakpoint on: its arguments are exactly what a registration named
 * (group, callbacks, argument, fd, and the call site), so the debugger
 * follows registrations made anywhere - helpers, macros, function pointers -
 * without reading source lines.  It is only called while eelgdb has set
 * eel__debug_hooks.  The history ring (filled in loop.c) records every callback
 * run, with the event that caused it, so "eel backtrace" can walk a chain back
 * through callbacks that have already returned.
 */
#include "loop.h"

volatile int eel__debug_hooks;
volatile int eel__debug_history;

__attribute__((noinline, used)) void
eel__debug_on_register(eel_event_id id, eel_group_id gid, int kind, int fd,
                       eel_callback cb, eel_callback timeout_cb, void *arg,
                       const void *site, eel_event_id cause)
{
    /* Keep the call: an empty body may be folded away otherwise. */
    __asm__ volatile("" ::"r"(id), "r"(gid), "r"(kind), "r"(fd), "r"(cb),
                     "r"(timeout_cb), "r"(arg), "r"(site), "r"(cause)
                     : "memory");
}

void eel__debug_register(struct eel_loop *l, uint32_t e)
{
    const struct eel__event *x = &l->ev[e];
    eel__debug_on_register(eel__make_id(x->gen, e), x->gid, x->kind, x->fd,
                           x->cb, eel__has_tcb(x->kind) ? l->evi[e].tcb : NULL,
                           x->arg, eel__site(l, e, x->gen),
                           eel__cause(l, e, x->gen));
}
