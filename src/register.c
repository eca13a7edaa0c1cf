/*
 * register.c - the API that registers and cancels events: eel_add_*,
 * eel_cancel, eel_close.  Each registration has a call-free fast path for
 * what busy programs do most (a callback re-arming the wait it was called
 * for; a timer taking over the one just cancelled) and a general path
 * that validates everything and tells the kernel about new fds.
 */
#include "backend.h"
#include "instrument.h"
#include "slots.h"

#include <errno.h>
#include <unistd.h>

#define COLD static __attribute__((noinline, cold))

/* ---- Registration -------------------------------------------------------- */

/* Why a registration was refused; reported to the checks, errno set. */
COLD eel_event_id refuse(struct eel_loop *l, eel_group_id gid, int err,
                         const void *site)
{
    if (l && l->instr && err == EINVAL && !eel__group_lookup(l, gid))
        eel__instr_misuse(l, EEL__MISUSE_BAD_GROUP, gid, site);
    errno = err;
    return 0;
}

/* What the debugger and the run-time checks see of a registration, and
 * where it came from (the tools' side table).  Both switch the history on
 * (eelgdb at eel_init or when it attaches, the checks at eel_init), so
 * registrations test that one flag. */
COLD void registered_slow(struct eel_loop *l, uint32_t e, const void *site)
{
    l->evi[e].cause = l->current;
    l->evi[e].site = site;
    l->evi[e].gen = l->ev[e].gen;
    if (eel__debug_hooks)
        eel__debug_register(l, e);
    if (l->instr)
        eel__instr_registered(l, e);
}

HOT eel_event_id finish(struct eel_loop *l, uint32_t e, const void *site)
{
    if (eel__unlikely(eel__debug_history))
        registered_slow(l, e, site);
    return eel__make_id(l->ev[e].gen, e);
}

/* Tell the kernel about fd now, when it may not know it as it is: the
 * first interest, or an fd without waiters that is not the one the running
 * callback was called for nor one it just cancelled on (it may have been
 * closed and its number reused since).  This is also how a bad fd is
 * refused at registration.  Re-arming the callback's own fd, or an fd it
 * cancelled on, never comes here: closing and reusing those within the
 * same callback needs eel_close() (docs/api.md, "Closing fds"). */
COLD int fd_attach(struct eel_loop *l, int fd, unsigned want)
{
    struct eel__fd *f = &l->fds[fd];
    unsigned old = f->kmask ? f->kmask | EEL__RECHECK : 0;
    if (l->backend->set_interest(l, fd, old, want) < 0) {
        f->kmask = 0;
        return -1;
    }
    f->kmask = (uint8_t)want;
    return 0;
}

COLD int fd_prepare(struct eel_loop *l, int fd)
{
    if (fd < 0 || eel__fd_reserve(l, fd) < 0) {
        if (errno != ENOMEM)
            errno = EBADF;
        return -1;
    }
    if (l->fds[fd].intern) {
        errno = EBADF;
        return -1;
    }
    return 0;
}

/* A registration that took the held slot back (held_take): it is already
 * in its lists; a deadline puts it in the heap (it left it when it fired).
 * -1 if out of memory, the slot let go. */
HOT int rearm_held(struct eel_loop *l, uint32_t e, uint8_t kind,
                   eel_callback cb, eel_callback tcb, void *arg, int ms)
{
    event_fill(l, e, kind, cb, tcb, arg);
    if (ms >= 0 && eel__heap_push(l, e, l->now + (uint64_t)ms) < 0) {
        eel__event_unlink_free(l, e);
        return -1;
    }
    return 0;
}

/* Every I/O registration but the fast one (add_io). */
static __attribute__((noinline)) eel_event_id
add_io_slow(eel_group_id gid, uint8_t kind, uint8_t dir, eel_callback cb,
            eel_callback tcb, void *arg, int fd, int ms, const void *site)
{
    struct eel_loop *l = eel__loop;
    uint32_t g, e;
    if (eel__unlikely(!l || !cb || !(g = eel__group_lookup(l, gid))))
        return refuse(l, gid, EINVAL, site);
    if ((e = held_take(l, g, fd, dir))) {
        if (rearm_held(l, e, kind, cb, tcb, arg, ms) < 0)
            return refuse(l, gid, ENOMEM, site);
    } else {
        if (eel__unlikely((uint32_t)fd >= l->fd_cap || l->fds[fd].intern) &&
            fd_prepare(l, fd) < 0)
            return refuse(l, gid, errno, site);
        struct eel__fd *f = &l->fds[fd];
        unsigned mask = 1u << dir;
        if (eel__unlikely(!f->kmask ||
                          (!f->want && fd != l->current_fd && !f->forgot))) {
            if (fd_attach(l, fd, f->want | mask) < 0)
                return refuse(l, gid, errno, site);
        }
        e = ms >= 0 ? timed_slot(l, g, l->now + (uint64_t)ms) : slot_take(l, g);
        if (eel__unlikely(!e))
            return refuse(l, gid, ENOMEM, site);
        struct eel__event *x = &l->ev[e];
        x->fd = fd;
        x->mask = (uint8_t)mask;
        x->dir = dir;
        fd_link(l->ev, e, f);
        if (fd_target(f) != f->kmask)
            fd_mark(l, fd, f);
        event_fill(l, e, kind, cb, tcb, arg);
    }
    return finish(l, e, site);
}

/* A callback re-arming, without a timeout, the wait it was called for:
 * most registrations of a busy program.  Its slot is still held (see
 * slots.h) and already linked everywhere, so the registration is
 * a few stores.  A held slot's group is live: deleting it lets the slot go.
 * Anything else, or while the debugger or the checks watch (history on),
 * takes the general path. */
HOT eel_event_id add_io(eel_group_id gid, uint8_t kind, uint8_t dir,
                        eel_callback cb, eel_callback tcb, void *arg, int fd,
                        int ms, const void *site)
{
    struct eel_loop *l = eel__loop;
    uint32_t e;
    if (eel__likely(l && cb && ms < 0 && (e = l->held))) {
        struct eel__event *x = &l->ev[e];
        if (eel__likely(x->fd == fd && x->dir == dir && x->gid == gid &&
                        !l->watch)) {
            held_claim(l);
            event_fill(l, e, kind, cb, tcb, arg);
            return eel__make_id(x->gen, e);
        }
    }
    return add_io_slow(gid, kind, dir, cb, tcb, arg, fd, ms, site);
}

#define SITE __builtin_return_address(0)

eel_event_id eel_add_read(eel_group_id gid, eel_callback cb, void *arg, int fd)
{
    return add_io(gid, EEL__READ, 0, cb, NULL, arg, fd, -1, SITE);
}

eel_event_id eel_add_write(eel_group_id gid, eel_callback cb, void *arg, int fd)
{
    return add_io(gid, EEL__WRITE, 1, cb, NULL, arg, fd, -1, SITE);
}

eel_event_id eel_add_error(eel_group_id gid, eel_callback cb, void *arg, int fd)
{
    return add_io(gid, EEL__ERROR, 2, cb, NULL, arg, fd, -1, SITE);
}

eel_event_id eel_add_read_timeout(eel_group_id gid, eel_callback cb,
                                  eel_callback tcb, void *arg, int fd, int ms)
{
    if (!tcb || ms < 0)
        return refuse(eel__loop, gid, EINVAL, SITE);
    return add_io(gid, EEL__READ_TIMEOUT, 0, cb, tcb, arg, fd, ms, SITE);
}

eel_event_id eel_add_write_timeout(eel_group_id gid, eel_callback cb,
                                   eel_callback tcb, void *arg, int fd, int ms)
{
    if (!tcb || ms < 0)
        return refuse(eel__loop, gid, EINVAL, SITE);
    return add_io(gid, EEL__WRITE_TIMEOUT, 1, cb, tcb, arg, fd, ms, SITE);
}

static __attribute__((noinline)) eel_event_id add_timer_slow(eel_group_id gid,
                                                             eel_callback cb,
                                                             void *arg, int ms,
                                                             const void *site)
{
    struct eel_loop *l = eel__loop;
    uint32_t g, e;
    if (eel__unlikely(!l || !cb || ms < 0 || !(g = eel__group_lookup(l, gid))))
        return refuse(l, gid, EINVAL, site);
    uint64_t deadline = l->now + (uint64_t)ms;
    if ((e = held_take(l, g, -1, EEL__NO_DIR))) {
        if (rearm_held(l, e, EEL__TIMER, cb, NULL, arg, ms) < 0)
            return refuse(l, gid, ENOMEM, site);
    } else {
        if (eel__unlikely(!(e = timed_slot(l, g, deadline))))
            return refuse(l, gid, ENOMEM, site);
        l->ev[e].fd = -1;
        l->ev[e].dir = EEL__NO_DIR;
        event_fill(l, e, EEL__TIMER, cb, NULL, arg);
    }
    return finish(l, e, site);
}

/* "Cancel the timeout, set a new one" in the same group: the new timer
 * takes the cancelled one's slot, still in the group's list, and moves its
 * heap entry (buried_take); done here without calls.  Anything else takes
 * the general path. */
eel_event_id eel_add_timer(eel_group_id gid, eel_callback cb, void *arg, int ms)
{
    struct eel_loop *l = eel__loop;
    if (eel__unlikely(!l) || eel__unlikely(ms < 0))
        return add_timer_slow(gid, cb, arg, ms, SITE);
    uint32_t e = l->buried;
    uint64_t deadline = l->now + (uint64_t)ms;
    /* No calls below: the seq number must not need renumbering nor the
     * deadline clamping (heap.h).  The buried slot's group is live (see
     * unlink_free), so its gid is the whole check of gid, and there is
     * none while the debugger or the checks watch (l->watch). */
    if (eel__likely(e && cb && eel__heap_key_fits(l, deadline))) {
        struct eel__event *x = &l->ev[e];
        if (eel__likely(x->gid == gid)) {
            buried_take(l, e, eel__id_slot(gid));
            event_fill(l, e, EEL__TIMER, cb, NULL, arg);
            x->mask = 0;
            x->dir = EEL__NO_DIR;
            x->fd = -1;
            eel__heap_rekey(l, e, deadline << EEL__SEQ_BITS | l->timer_seq++);
            return eel__make_id(x->gen, e);
        }
    }
    return add_timer_slow(gid, cb, arg, ms, SITE);
}

eel_event_id eel_add_signal(eel_group_id gid, eel_callback cb, void *arg,
                            int signum)
{
    struct eel_loop *l = eel__loop;
    const void *site = SITE;
    uint32_t g, e;
    if (!l || !cb || !(g = eel__group_lookup(l, gid)))
        return refuse(l, gid, EINVAL, site);
    if (!(e = slot_take(l, g)))
        return refuse(l, gid, ENOMEM, site);
    event_fill(l, e, EEL__SIGNAL, cb, NULL, arg);
    l->ev[e].dir = EEL__NO_DIR;
    if (eel__signal_watch(l, e, signum) < 0) {
        int err = errno;
        event_free(l, l->ev, e);
        return refuse(l, gid, err, site);
    }
    return finish(l, e, site);
}

/* ---- Cancelling ---------------------------------------------------------- */

HOT uint32_t event_lookup(struct eel_loop *l, eel_event_id id)
{
    uint32_t e = eel__id_slot(id);
    if (!l || e == 0 || e >= l->ev_cap || l->ev[e].gen != eel__id_gen(id) ||
        l->ev[e].state < EEL__WAITING)
        return 0;
    return e;
}

static __attribute__((noinline)) int
cancel_slow(struct eel_loop *l, eel_event_id id, const void *site)
{
    uint32_t e = event_lookup(l, id);
    if (eel__unlikely(!e)) {
        if (l && l->instr)
            eel__instr_misuse(l, EEL__MISUSE_STALE_CANCEL, id, site);
        errno = EINVAL;
        return -1;
    }
    eel__event_unlink_free(l, e);
    return 0;
}

/* The commonest cancel, a waiting timer's ("the answer came: drop its
 * timeout"), is a few stores: the entry only goes dead in the heap (see
 * unlink_free).  Slot 0 is all zeroes, so it fails the kind test. */
int eel_cancel(eel_event_id id)
{
    struct eel_loop *l = eel__loop;
    uint32_t e = eel__id_slot(id);
    if (eel__likely(l && e < l->ev_cap)) {
        struct eel__event *x = &l->ev[e];
        if (eel__likely(eel__make_id(x->gen, e) == id &&
                        x->kind == EEL__TIMER && x->state == EEL__WAITING &&
                        !l->watch)) {
            event_retire(l, x);
            event_bury(l, x, e, 1);
            return 0;
        }
    }
    return cancel_slow(l, id, SITE);
}

int eel_close(int fd)
{
    struct eel_loop *l = eel__loop;
    if (l && fd >= 0 && (uint32_t)fd < l->fd_cap && !l->fds[fd].intern) {
        struct eel__fd *f = &l->fds[fd];
        /* Its waiters, readied ones included, and the running callback's
         * own slot if it was for fd. */
        while (f->head)
            eel__event_unlink_free(l, f->head);
        /* I/O waits whose timer won this turn must not run either. */
        for (uint32_t i = l->ready_pos; i < l->ready_len; i++) {
            uint32_t e = eel__ready_live(l, i);
            if (e && eel__is_io(l->ev[e].kind) && l->ev[e].fd == fd)
                eel__event_unlink_free(l, e);
        }
        if (f->kmask)
            l->backend->set_interest(l, fd, f->kmask, 0);
        f->kmask = 0; /* a pending forget of it finds nothing to drop */
    }
    return close(fd);
}
