/*
 * test_reentrancy.c - callbacks that change the loop under its feet:
 * register, cancel, delete their own or another group, close fds (with
 * eel_close and with close()), grow the tables, shut the loop down.  The
 * hard case is an event already ready in the same poll round: once
 * cancelled, deleted or eel_close'd it must not run.
 */
#include "util.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Two events, both ready in the same round; whichever runs first kills the
 * other one in the way under test. */
enum kill_how { BY_CANCEL, BY_DELETE, BY_CLOSE };
struct duel {
    enum kill_how how;
    eel_event_id ev[2];
    eel_group_id g[2];
    int fd[2];
    int ret[2];
};
static struct duel duel;

static void duel_cb(eel_group_id g, void *arg, int fd)
{
    int me = (int)(intptr_t)arg, other = 1 - me;
    t_rec_cb(g, arg, fd);
    errno = 0;
    switch (duel.how) {
    case BY_CANCEL:
        duel.ret[me] = eel_cancel(duel.ev[other]);
        break;
    case BY_DELETE:
        eel_delete_group_id(duel.g[other]);
        duel.ret[me] = errno ? -1 : 0;
        break;
    case BY_CLOSE:
        duel.ret[me] = eel_close(duel.fd[other]);
        duel.fd[other] = -1;
        break;
    }
}

/* The two events are on two fds, or on one fd (same_fd) in two groups. */
static void run_duel(enum kill_how how, int with_timeouts, int same_fd)
{
    int a[2], b[2];
    t_pair(a);
    t_pair(b);
    t_write1(a[1]);
    t_write1(b[1]);
    duel.how = how;
    duel.fd[0] = a[0];
    duel.fd[1] = same_fd ? a[0] : b[0];
    duel.ret[0] = duel.ret[1] = 99;
    for (int i = 0; i < 2; i++) {
        duel.g[i] = eel_new_group_id();
        duel.ev[i] =
            with_timeouts
                ? eel_add_read_timeout(duel.g[i], duel_cb, duel_cb, T_TAG(i),
                                       duel.fd[i], 0)
                : eel_add_read(duel.g[i], duel_cb, T_TAG(i), duel.fd[i]);
        assert_int_not_equal(duel.ev[i], 0);
    }
    if (with_timeouts)
        t_spin_ms(2); /* both halves due: whichever wins, one call */
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1); /* exactly one of the two ran */
    int winner = t_tag(0);
    assert_int_equal(duel.ret[winner], 0); /* the other was still pending */
    assert_int_equal(duel.ret[1 - winner], 99);
    assert_int_equal(eel_pending(), 0);
    if (duel.fd[0] >= 0)
        close(duel.fd[0]);
    if (!same_fd && duel.fd[1] >= 0)
        close(duel.fd[1]);
    if (same_fd)
        close(b[0]);
    close(a[1]);
    close(b[1]);
}

static void same_round_cancel(void **state)
{
    (void)state;
    run_duel(BY_CANCEL, 0, 0);
}

static void same_round_delete(void **state)
{
    (void)state;
    run_duel(BY_DELETE, 0, 0);
}

static void same_round_eel_close(void **state)
{
    (void)state;
    run_duel(BY_CLOSE, 0, 0);
}

static void same_round_cancel_timeout_events(void **state)
{
    (void)state;
    run_duel(BY_CANCEL, 1, 0);
}

static void same_round_eel_close_timeout_events(void **state)
{
    (void)state;
    run_duel(BY_CLOSE, 1, 0);
}

static void same_round_cancel_same_fd(void **state)
{
    (void)state;
    run_duel(BY_CANCEL, 0, 1);
}

static void same_round_delete_same_fd(void **state)
{
    (void)state;
    run_duel(BY_DELETE, 1, 1);
}

/* A callback deletes its own group: the group's other events, ready in the
 * same round or not, never run, and the group cannot be used again. */
static eel_event_id late_reg;
static int late_errno;

static void delete_own_cb(eel_group_id g, void *arg, int fd)
{
    t_rec_cb(g, arg, fd);
    eel_delete_group_id(g);
    errno = 0;
    late_reg = eel_add_timer(g, t_rec_cb, T_TAG(9), 0);
    late_errno = errno;
}

static void delete_own_group(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    t_write1(sv[1]);
    eel_group_id g = eel_new_group_id(), o = eel_new_group_id();
    assert_int_not_equal(eel_add_timer(g, delete_own_cb, T_TAG(1), 0), 0);
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(2), 0), 0);
    assert_int_not_equal(eel_add_read(g, t_rec_cb, T_TAG(3), sv[0]), 0);
    assert_int_not_equal(eel_add_write(g, t_rec_cb, T_TAG(4), sv[0]), 0);
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(5), 20), 0);
    assert_int_not_equal(eel_add_timer(o, t_rec_cb, T_TAG(6), 0), 0);
    /* The fd events are polled, hence queued, before the timers expire:
     * they may run before delete_own_cb; nothing of g may run after it. */
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_count(1), 1);
    assert_int_equal(t_count(6), 1);
    /* Whatever ran before delete_own_cb may have run; nothing after it. */
    int at = 0;
    while (t_tag(at) != 1)
        at++;
    for (int i = at + 1; i < t_nlog; i++)
        assert_int_equal(t_tag(i), 6);
    assert_int_equal(t_count(2), 0); /* ready timer of the group */
    assert_int_equal(t_count(5), 0); /* a later timer of the group */
    assert_int_equal(late_reg, 0);
    assert_int_equal(late_errno, EINVAL);
    assert_int_equal(t_count(9), 0);
    errno = 0;
    assert_int_equal(eel_group_pending(g), -1);
    close(sv[0]);
    close(sv[1]);
}

/* Callbacks register in their own, another and a brand new group. */
static eel_group_id other_group;

static void spawn_cb(eel_group_id g, void *arg, int fd)
{
    t_rec_cb(g, arg, fd);
    if ((intptr_t)arg != 1)
        return;
    eel_group_id fresh = eel_new_group_id();
    if (!eel_add_timer(g, t_rec_cb, T_TAG(2), 0) ||
        !eel_add_timer(other_group, t_rec_cb, T_TAG(3), 1) ||
        !eel_add_timer(fresh, spawn_cb, T_TAG(4), 2))
        t_rec_cb(g, T_TAG(-1), fd);
}

static void register_from_callback(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    other_group = eel_new_group_id();
    assert_int_not_equal(eel_add_timer(g, spawn_cb, T_TAG(1), 0), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(t_tag(i), i + 1); /* in deadline order */
    assert_int_equal(t_log[1].gid, g);
    assert_int_equal(t_log[2].gid, other_group);
    assert_int_not_equal(t_log[3].gid, g);
    assert_int_not_equal(t_log[3].gid, other_group);
}

/* A callback registers thousands of events (the event table and the timer
 * heap move) while other events wait in the ready queue. */
static int grow_n;

static void grow_cb(eel_group_id g, void *arg, int fd)
{
    t_rec_cb(g, arg, fd);
    eel_group_id fresh = eel_new_group_id();
    for (int i = 0; i < 5000; i++)
        if (eel_add_timer(fresh, t_rec_cb, T_TAG(100), 60000))
            grow_n++;
    eel_delete_group_id(fresh);
}

static void tables_grow_inside_callback(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    t_write1(sv[1]);
    eel_group_id g = eel_new_group_id();
    grow_n = 0;
    assert_int_not_equal(eel_add_timer(g, grow_cb, T_TAG(1), 0), 0);
    for (int i = 2; i < 10; i++) {
        assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(i), 0), 0);
        assert_int_not_equal(eel_add_read(g, t_rec_cb, T_TAG(i + 10), sv[0]),
                             0);
    }
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(grow_n, 5000);
    assert_int_equal(t_nlog, 17);
    for (int i = 2; i < 10; i++) {
        assert_int_equal(t_count(i), 1);
        assert_int_equal(t_count(i + 10), 1);
    }
    assert_int_equal(t_count(100), 0);
    close(sv[0]);
    close(sv[1]);
}

/* A callback closes its fd and the fd number comes back at once (the next
 * socketpair reuses it), in the same callback, and is registered again. */
static int reuse_fds[2], reuse_new[2], reuse_with_eel_close;

static void close_and_reuse_cb(eel_group_id g, void *arg, int fd)
{
    t_rec_cb(g, arg, fd);
    t_drain(fd);
    if (reuse_with_eel_close)
        eel_close(fd);
    else
        close(fd); /* no event is pending on fd: plain close() is allowed */
    close(reuse_fds[1]);
    t_pair(reuse_new);
    if (!eel_add_read(g, t_rec_cb, T_TAG(2), reuse_new[0]))
        t_rec_cb(g, T_TAG(-1), -1);
    t_write1(reuse_new[1]);
}

static void close_and_reuse(int with_eel_close)
{
    reuse_with_eel_close = with_eel_close;
    t_pair(reuse_fds);
    t_write1(reuse_fds[1]);
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(
        eel_add_read(g, close_and_reuse_cb, T_TAG(1), reuse_fds[0]), 0);
    int done = t_run_until_calls(2, 1000);
    T_REQUIRE_REUSE(reuse_new[0], reuse_fds[0]); /* the number came back */
    assert_int_equal(t_count(-1), 0);
    assert_true(done); /* the new file's read was heard */
    close(reuse_new[0]);
    close(reuse_new[1]);
}

static void eel_close_and_reuse_fd_in_callback(void **state)
{
    (void)state;
    close_and_reuse(1);
}

/* The one case the loop cannot see without a system call on every re-arm:
 * the running callback close()s its own fd and the number comes back as a
 * new file within the same callback.  On poll it works; on epoll the kernel
 * no longer watches the fd and nothing tells the loop, so the documented
 * rule applies (close with eel_close(), see docs/api.md), and EEL_CHECK
 * reports the reused fd (tests/runtime).  Here: the rule's other half, that
 * the poll backend hears the new file. */
static void close_and_reuse_fd_in_callback(void **state)
{
    (void)state;
    if (strcmp(eel_backend(), "epoll") == 0) {
        print_message("epoll: documented limitation, use eel_close()\n");
        skip();
    }
    close_and_reuse(0);
}

/* The same without a callback: read registered and cancelled (nothing
 * pending on the fd any more), then close(), the number reused. */
static void close_and_reuse_fd_after_cancel(void **state)
{
    (void)state;
    int sv[2], nv[2];
    t_pair(sv);
    eel_group_id g = eel_new_group_id();
    eel_event_id e = eel_add_read(g, t_rec_cb, T_TAG(1), sv[0]);
    assert_int_equal(eel_cancel(e), 0);
    close(sv[0]);
    close(sv[1]);
    t_pair(nv);
    T_REQUIRE_REUSE(nv[0], sv[0]);
    assert_int_not_equal(eel_add_read(g, t_rec_cb, T_TAG(2), nv[0]), 0);
    t_write1(nv[1]);
    assert_int_equal(t_run_until_calls(1, 1000), 1);
    assert_int_equal(t_tag(0), 2);
    close(nv[0]);
    close(nv[1]);
}

/* A callback cancels every waiter of an fd and asks for another kind of
 * readiness on it: the kernel's interest must follow. */
static int switch_fd;
static eel_event_id switch_read;

static void switch_cb(eel_group_id g, void *arg, int fd)
{
    t_rec_cb(g, arg, fd);
    eel_cancel(switch_read);
    if (!eel_add_write(g, t_rec_cb, T_TAG(3), switch_fd))
        t_rec_cb(g, T_TAG(-1), fd);
}

static void switch_interest_in_callback(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    switch_fd = sv[0];
    eel_group_id g = eel_new_group_id();
    switch_read = eel_add_read(g, t_rec_cb, T_TAG(2), sv[0]);
    assert_int_not_equal(eel_add_timer(g, switch_cb, T_TAG(1), 5), 0);
    assert_int_equal(t_run_until_calls(2, 1000), 1);
    assert_int_equal(t_tag(1), 3);
    assert_int_equal(t_count(2), 0);
    close(sv[0]);
    close(sv[1]);
}

/* eel_shutdown() from a callback: the loop goes away once the dispatch
 * returns, nothing else runs, and nothing is touched after being freed
 * (ASan/valgrind check that part). */
static void shutdown_cb(eel_group_id g, void *arg, int fd)
{
    t_rec_cb(g, arg, fd);
    eel_shutdown();
}

static void shutdown_from_callback(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    t_write1(sv[1]);
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_timer(g, shutdown_cb, T_TAG(1), 0), 0);
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(2), 0), 0);
    assert_int_not_equal(eel_add_read(g, t_rec_cb, T_TAG(3), sv[0]), 0);
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(4), 50), 0);
    int r = eel_dispatch();
    assert_true(r == 0 || r == -1);
    assert_int_equal(t_count(1), 1);
    assert_int_equal(t_count(2), 0);
    assert_int_equal(t_count(4), 0);
    assert_null(eel_backend());      /* the loop is gone */
    assert_int_equal(eel_init(), 0); /* and a new one can be made */
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(same_round_cancel, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(same_round_delete, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(same_round_eel_close, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(same_round_cancel_timeout_events,
                                        t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(same_round_eel_close_timeout_events,
                                        t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(same_round_cancel_same_fd, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(same_round_delete_same_fd, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(delete_own_group, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(register_from_callback, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(tables_grow_inside_callback, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(eel_close_and_reuse_fd_in_callback,
                                        t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(close_and_reuse_fd_in_callback, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(close_and_reuse_fd_after_cancel,
                                        t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(switch_interest_in_callback, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(shutdown_from_callback, t_setup,
                                        t_teardown),
    };
    return cmocka_run_group_tests_name("reentrancy", tests, NULL, NULL);
}
