/*
 * check.c - EEL_CHECK: the run-time twin of eelverify's group leak check,
 * and reports of API misuse.
 *
 * A group that is live, has no pending event and is not marked with
 * eel_group_set_waiting() can never be woken again: no callback of it will
 * run, so nothing will delete it.  That is checked when a callback returns,
 * for the groups the callback could have emptied (its own, the ones it
 * created, the ones whose events it cancelled), and, when the loop's count
 * of pending events shows that events went away unseen (eel_close() of an
 * fd another group waits on), for every group.  Each report is one write()
 * to stderr; EEL_CHECK=abort then aborts.
 */
#include "rt.h"
#include "../instrument.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PFX "eel-check: "
#define CHAIN_MAX 16

struct report {
    char buf[8192];
    size_t len;
};

__attribute__((format(printf, 2, 3))) static void add(struct report *r,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->buf + r->len, sizeof(r->buf) - r->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->len += (size_t)n < sizeof(r->buf) - r->len
                      ? (size_t)n
                      : sizeof(r->buf) - r->len - 1;
}

static void emit(struct report *r)
{
    size_t off = 0;
    while (off < r->len) {
        ssize_t n = write(2, r->buf + off, r->len - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    if (eel__rt->mode & RT_ABORT) {
        eel__trace_seal();
        abort();
    }
}

/* " (in callback readcb)" when a callback is running, else "". */
static void add_where(struct report *r, struct eel_loop *l)
{
    if (l->in_callback) {
        const struct eel__fired *f =
            &l->hist[(l->hist_next + EEL__HISTORY - 1) % EEL__HISTORY];
        add(r, " (in callback %s)", eel__rt_func_name((const void *)f->cb));
    }
}

static void add_link(struct report *r, const struct eel__fired *f)
{
    add(r, PFX "    %s [%s", eel__rt_func_name((const void *)f->cb),
        eel__rt_kind_name(f->kind));
    if (f->kind == EEL__SIGNAL)
        add(r, " %d", f->fd);
    else if (f->kind != EEL__TIMER)
        add(r, " fd %d", f->fd);
    if (f->timed_out)
        add(r, ", timed out");
    add(r, "] registered at %s\n", eel__rt_site_name(f->site));
}

static const struct eel__fired *hist_find(struct eel_loop *l, eel_event_id id)
{
    for (uint32_t k = 1; k <= EEL__HISTORY; k++) {
        const struct eel__fired *h =
            &l->hist[(l->hist_next + EEL__HISTORY - k) % EEL__HISTORY];
        if (h->id == id)
            return h;
    }
    return NULL;
}

/* The callbacks that led to f, newest first, through each event's cause. */
static void add_chain(struct report *r, struct eel_loop *l,
                      const struct eel__fired *f)
{
    add(r, PFX "  chain, newest first:\n");
    add_link(r, f);
    eel_event_id cause = f->cause;
    for (int depth = 1; cause; depth++) {
        const struct eel__fired *h = hist_find(l, cause);
        if (!h || depth == CHAIN_MAX) {
            add(r, PFX "    ... (older callbacks not in the history)\n");
            return;
        }
        add_link(r, h);
        cause = h->cause;
    }
    add(r, PFX "    (registered outside any callback)\n");
}

static const void *group_site(struct eel_loop *l, uint32_t g)
{
    struct rt_group *gr = eel__rt_group(l, g);
    return gr && gr->gen == l->grp[g].gen ? gr->site : NULL;
}

static void report_leak(struct eel_loop *l, uint32_t g,
                        const struct eel__fired *f)
{
    struct report r = {.len = 0};
    add(&r,
        PFX "leak: group 0x%" PRIx64 " has nothing pending after %s "
            "returned\n",
        eel__group_id(l, g), eel__rt_func_name((const void *)f->cb));
    add(&r, PFX "  group created at %s\n", eel__rt_site_name(group_site(l, g)));
    add_chain(&r, l, f);
    struct rt_group *gr = eel__rt_group(l, g);
    if (gr)
        gr->reported = 1;
    emit(&r);
}

void eel__check_touch(struct eel_loop *l, uint32_t g)
{
    struct rt_state *s = eel__rt;
    struct rt_group *gr = eel__rt_group(l, g);
    if (!gr || gr->touched)
        return;
    if (s->ntouched == s->touched_cap) {
        uint32_t *t =
            eel__grow_array(s->touched, &s->touched_cap, sizeof(*t), 16);
        if (!t)
            return;
        s->touched = t;
    }
    gr->touched = 1;
    s->touched[s->ntouched++] = g;
}

static int leaked(struct eel_loop *l, uint32_t g)
{
    const struct eel__group *x = &l->grp[g];
    if (!eel__group_live(x) || eel__group_pending(l, g) || x->waiting)
        return 0;
    struct rt_group *gr = eel__rt_group(l, g);
    return gr && !(gr->reported && gr->gen == x->gen);
}

static void check_touched(struct eel_loop *l, const struct eel__fired *f)
{
    struct rt_state *s = eel__rt;
    for (uint32_t i = 0; i < s->ntouched; i++) {
        uint32_t g = s->touched[i];
        s->grp[g].touched = 0;
        if (g < l->grp_cap && leaked(l, g))
            report_leak(l, g, f);
    }
    s->ntouched = 0;
}

void eel__check_after(struct eel_loop *l, const struct eel__fired *f)
{
    struct rt_state *s = eel__rt;
    eel__check_touch(l, eel__id_slot(f->gid));
    if ((int64_t)eel__pending(l) < s->expect_pending)
        for (uint32_t g = 1; g < l->grp_cap; g++)
            if (eel__group_live(&l->grp[g]) && !eel__group_pending(l, g))
                eel__check_touch(l, g);
    if (l->break_req) {
        s->deferred = *f;
        s->has_deferred = 1;
        return;
    }
    check_touched(l, f);
}

/* ---- Closed fds ---------------------------------------------------------- */

static struct rt_fd *fd_entry(struct eel_loop *l, int fd)
{
    struct rt_state *s = eel__rt;
    if ((uint32_t)fd >= s->fd_cap) {
        struct rt_fd *t = eel__rt_grow(s->fds, &s->fd_cap, (uint32_t)fd,
                                       l->fd_cap, sizeof(*t));
        if (!t)
            return NULL;
        s->fds = t;
    }
    return &s->fds[fd];
}

void eel__check_registered(struct eel_loop *l, uint32_t e)
{
    struct rt_state *s = eel__rt;
    const struct eel__event *x = &l->ev[e];
    if (l->in_callback)
        s->expect_pending++;
    if (!eel__is_io(x->kind) || l->fds[x->fd].head != e)
        return;
    /* The first waiter: remember which file the fd is now. */
    struct rt_fd *r = fd_entry(l, x->fd);
    struct stat st;
    if (!r || fstat(x->fd, &st) < 0)
        return;
    r->dev = st.st_dev;
    r->ino = st.st_ino;
    r->known = 1;
    r->reported = 0;
}

static void report_closed(struct eel_loop *l, int fd, uint32_t e,
                          const char *how)
{
    const struct eel__event *x = &l->ev[e];
    struct report r = {.len = 0};
    add(&r, PFX "fd %d was %s while event 0x%" PRIx64 " waits on it\n", fd, how,
        eel__make_id(x->gen, e));
    add(&r, PFX "  %s [%s fd %d] of group 0x%" PRIx64 " registered at %s\n",
        eel__rt_func_name((const void *)x->cb), eel__rt_kind_name(x->kind), fd,
        x->gid, eel__rt_site_name(eel__site(l, e, x->gen)));
    add(&r, PFX "  (close fds that have events with eel_close())\n");
    emit(&r);
}

/* Has fd an event in the ready array (readied, callback not run yet)? */
static int has_ready(struct eel_loop *l, int fd)
{
    for (uint32_t i = l->ready_pos; i < l->ready_len; i++) {
        uint32_t e = eel__ready_live(l, i);
        if (e && eel__is_io(l->ev[e].kind) && l->ev[e].fd == fd)
            return 1;
    }
    return 0;
}

/* Is the waited fd still the file its first waiter saw? */
static void check_fd(struct eel_loop *l, int fd, uint32_t e)
{
    struct rt_fd *r = fd_entry(l, fd);
    if (!r || !r->known || r->reported)
        return;
    struct stat st;
    const char *how = NULL;
    if (fstat(fd, &st) < 0)
        how = "closed";
    else if (st.st_dev != r->dev || st.st_ino != r->ino)
        how = "closed and reused for another file";
    if (!how)
        return;
    r->reported = 1;
    report_closed(l, fd, e, how);
}

void eel__check_before_wait(struct eel_loop *l)
{
    struct rt_state *s = eel__rt;
    if (s->has_deferred) {
        s->has_deferred = 0;
        check_touched(l, &s->deferred);
    }
    uint32_t n = l->fd_cap < s->fd_cap ? l->fd_cap : s->fd_cap;
    for (uint32_t fd = 0; fd < n; fd++) {
        if (l->fds[fd].head && !l->fds[fd].intern)
            check_fd(l, (int)fd, l->fds[fd].head);
        else if (!has_ready(l, (int)fd))
            s->fds[fd].known = 0;
    }
    /* Waiters the loop woke itself because their fd went bad. */
    for (uint32_t i = l->ready_pos; i < l->ready_len; i++) {
        uint32_t e = eel__ready_live(l, i);
        if (e && eel__is_io(l->ev[e].kind) && (uint32_t)l->ev[e].fd < n)
            check_fd(l, l->ev[e].fd, e);
    }
}

/* ---- Misuse -------------------------------------------------------------- */

static const char *group_state(struct eel_loop *l, eel_group_id gid)
{
    uint32_t g = eel__id_slot(gid);
    uint64_t gen = eel__id_gen(gid);
    if (gid == 0)
        return "invalid";
    if (g < l->grp_cap && gen &&
        (gen < l->grp[g].gen ||
         (gen == l->grp[g].gen && !eel__group_live(&l->grp[g]))))
        return "deleted";
    return "unknown";
}

static void add_cancel_state(struct report *r, struct eel_loop *l,
                             eel_event_id id)
{
    uint32_t e = eel__id_slot(id);
    uint64_t gen = eel__id_gen(id);
    struct rt_event *x = e && e < l->ev_cap ? eel__rt_event(l, e) : NULL;
    if (x && x->gen == gen && x->end == RT_FIRED)
        add(r, "that already fired (callback %s)",
            eel__rt_func_name((const void *)x->cb));
    else if (x && x->gen == gen && x->end == RT_CANCELLED)
        add(r, "that was already cancelled");
    else if (x && x->gen == gen)
        add(r, "whose group was deleted or fd closed");
    else if (e && e < l->ev_cap && gen && gen < l->ev[e].gen)
        add(r, "that fired or was cancelled long ago");
    else
        add(r, "that never existed");
}

void eel__check_misuse(struct eel_loop *l, int what, uint64_t id,
                       const void *site)
{
    struct report r = {.len = 0};
    switch (what) {
    case EEL__MISUSE_BAD_GROUP:
        add(&r, PFX "registration with %s group 0x%" PRIx64 " at %s",
            group_state(l, id), id, eel__rt_site_name(site));
        break;
    case EEL__MISUSE_STALE_CANCEL:
        add(&r, PFX "cancel of event 0x%" PRIx64 " ", id);
        add_cancel_state(&r, l, id);
        add(&r, " at %s", eel__rt_site_name(site));
        break;
    case EEL__MISUSE_BAD_DELETE: {
        const char *state = group_state(l, id);
        add(&r, PFX "delete of %s group 0x%" PRIx64 " at %s",
            strcmp(state, "deleted") == 0 ? "already deleted" : state, id,
            eel__rt_site_name(site));
        break;
    }
    default:
        add(&r, PFX "misuse %d of 0x%" PRIx64 " at %s", what, id,
            eel__rt_site_name(site));
    }
    add_where(&r, l);
    add(&r, "\n");
    emit(&r);
}

void eel__check_shutdown(struct eel_loop *l)
{
    for (uint32_t g = 1; g < l->grp_cap; g++) {
        if (!leaked(l, g))
            continue;
        struct report r = {.len = 0};
        add(&r,
            PFX "group 0x%" PRIx64 " still alive with nothing pending "
                "at eel_shutdown\n",
            eel__group_id(l, g));
        add(&r, PFX "  group created at %s\n",
            eel__rt_site_name(group_site(l, g)));
        emit(&r);
    }
}
