/*
 * test_rearm.c - a callback registering again from inside itself.
 *
 * While a callback runs, libeel keeps its event's slot; registering the
 * same kind of wait on the same fd and group takes the slot back (that is
 * what makes re-arming cheap).  These tests pin down that it is invisible:
 * the new registration has a new id, the old id stays dead, counts are
 * right inside and after the callback, and deleting, closing or choosing a
 * different wait all behave as with a fresh slot.
 */
#include "util.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static struct {
    eel_event_id first, again; /* the id that fired, the re-registration */
    int group_pending_before, group_pending_after, loop_pending_after;
    int loop_pending_before;
    int cancel_old, cancel_old_errno;
    int rounds, max_rounds;
    int fd;
    eel_group_id other;
    int mode;
} r;

enum { PLAIN, THEN_DELETE, THEN_CLOSE, DELETE_ONLY, OTHER_GROUP, WRITE_TOO };

static void on_read(eel_group_id g, void *arg, int fd)
{
    t_rec_cb(g, arg, fd);
    t_drain(fd);
    r.group_pending_before = eel_group_pending(g);
    r.loop_pending_before = eel_pending();
    if (r.mode == DELETE_ONLY) {
        eel_delete_group_id(g);
        return;
    }
    eel_group_id to = r.mode == OTHER_GROUP ? r.other : g;
    r.again = eel_add_read(to, on_read, arg, fd);
    r.group_pending_after = eel_group_pending(g);
    r.loop_pending_after = eel_pending();
    errno = 0;
    r.cancel_old = eel_cancel(r.first);
    r.cancel_old_errno = errno;
    if (r.mode == THEN_DELETE)
        eel_delete_group_id(g);
    if (r.mode == THEN_CLOSE) {
        eel_close(fd);
        r.fd = -1;
    }
    if (r.mode == WRITE_TOO)
        eel_add_write(g, t_rec_cb, T_TAG(7), fd);
    r.first = r.again;
    if (++r.rounds >= r.max_rounds)
        eel_break();
}

static eel_group_id start(int mode, int sv[2])
{
    memset(&r, 0, sizeof(r));
    r.mode = mode;
    r.max_rounds = 1;
    t_pair(sv);
    r.fd = sv[0];
    eel_group_id g = eel_new_group_id();
    r.first = eel_add_read(g, on_read, T_TAG(1), sv[0]);
    assert_int_not_equal(r.first, 0);
    t_write1(sv[1]);
    return g;
}

static void finish(int sv[2])
{
    if (r.fd >= 0)
        close(r.fd);
    close(sv[1]);
}

static void rearm_gets_a_new_id_and_the_old_stays_dead(void **state)
{
    (void)state;
    int sv[2];
    eel_group_id g = start(PLAIN, sv);
    eel_event_id fired = r.first;
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
    assert_int_not_equal(r.again, 0);
    assert_int_not_equal(r.again, fired);
    assert_int_equal(r.cancel_old, -1);
    assert_int_equal(r.cancel_old_errno, EINVAL);
    assert_int_equal(r.group_pending_before, 0);
    assert_int_equal(r.loop_pending_before, 0);
    assert_int_equal(r.group_pending_after, 1);
    assert_int_equal(r.loop_pending_after, 1);
    /* The old id named the same slot: it must not cancel the new wait. */
    assert_int_equal(eel_cancel(fired), -1);
    assert_int_equal(eel_group_pending(g), 1);
    assert_int_equal(eel_cancel(r.again), 0);
    assert_int_equal(eel_pending(), 0);
    finish(sv);
}

static void rearmed_wait_fires_again(void **state)
{
    (void)state;
    int sv[2];
    start(PLAIN, sv);
    r.max_rounds = 3;
    for (int i = 0; i < 3; i++) {
        if (i > 0)
            t_write1(sv[1]);
        assert_true(t_run_until_calls(i + 1, 2000));
    }
    assert_int_equal(t_nlog, 3);
    assert_int_equal(eel_cancel(r.again), 0);
    finish(sv);
}

static void rearm_then_delete_group(void **state)
{
    (void)state;
    int sv[2];
    eel_group_id g = start(THEN_DELETE, sv);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
    assert_int_equal(eel_pending(), 0);
    assert_int_equal(eel_cancel(r.again), -1);
    assert_int_equal(eel_group_pending(g), -1);
    finish(sv);
}

static void delete_group_instead_of_rearming(void **state)
{
    (void)state;
    int sv[2];
    start(DELETE_ONLY, sv);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(eel_pending(), 0);
    /* The fd's waiter list is empty: a new group on it works. */
    eel_group_id g2 = eel_new_group_id();
    assert_int_not_equal(eel_add_read(g2, t_rec_cb, T_TAG(2), sv[0]), 0);
    t_write1(sv[1]);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 2);
    assert_int_equal(t_tag(1), 2);
    finish(sv);
}

static void rearm_then_eel_close(void **state)
{
    (void)state;
    int sv[2];
    start(THEN_CLOSE, sv);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
    assert_int_equal(eel_pending(), 0);
    assert_int_equal(eel_cancel(r.again), -1);
    finish(sv);
}

static void rearm_in_another_group(void **state)
{
    (void)state;
    int sv[2];
    eel_group_id g = start(OTHER_GROUP, sv);
    r.other = eel_new_group_id();
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(eel_group_pending(g), 0);
    assert_int_equal(eel_group_pending(r.other), 1);
    t_write1(sv[1]);
    r.max_rounds = 2;
    assert_true(t_run_until_calls(2, 2000));
    assert_int_equal(t_log[1].gid, r.other);
    eel_delete_group_id(r.other);
    eel_delete_group_id(g);
    assert_int_equal(eel_pending(), 0);
    finish(sv);
}

static void rearm_and_wait_to_write_too(void **state)
{
    (void)state;
    int sv[2];
    start(WRITE_TOO, sv);
    r.max_rounds = 100;
    /* The read re-armed, then the write: the socket is writable at once. */
    assert_true(t_run_until_calls(2, 2000));
    assert_int_equal(t_tag(1), 7);
    assert_int_equal(eel_cancel(r.again), 0);
    finish(sv);
}

/* ---- Two groups on one fd keep their order ------------------------------ */

static eel_event_id pair_ev[2];
static void pair_cb(eel_group_id g, void *arg, int fd)
{
    t_rec_cb(g, arg, fd);
    pair_ev[t_tag(t_nlog - 1)] = eel_add_read(g, pair_cb, arg, fd);
}

static void two_groups_on_one_fd_keep_their_order(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    eel_group_id g[2] = {eel_new_group_id(), eel_new_group_id()};
    for (int i = 0; i < 2; i++)
        pair_ev[i] = eel_add_read(g[i], pair_cb, T_TAG(i), sv[0]);
    t_write1(sv[1]); /* never read: level-triggered, ready every round */
    assert_true(t_run_until_calls(6, 2000));
    for (int i = 0; i < 6; i++)
        assert_int_equal(t_tag(i), i % 2);
    for (int i = 0; i < 2; i++)
        assert_int_equal(eel_cancel(pair_ev[i]), 0);
    close(sv[0]);
    close(sv[1]);
}

/* ---- Timers ------------------------------------------------------------- */

static eel_event_id timer_ids[4];
static int timer_n;
static void on_timer(eel_group_id g, void *arg, int fd)
{
    t_rec_cb(g, arg, fd);
    if (++timer_n < 4)
        timer_ids[timer_n] = eel_add_timer(g, on_timer, arg, 0);
}

static void timer_rearming_itself(void **state)
{
    (void)state;
    timer_n = 0;
    eel_group_id g = eel_new_group_id();
    timer_ids[0] = eel_add_timer(g, on_timer, T_TAG(3), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(t_log[i].fd, -1);
        for (int j = 0; j < i; j++)
            assert_int_not_equal(timer_ids[i], timer_ids[j]);
    }
    assert_int_equal(eel_group_pending(g), 0);
}

/* A read callback asking for a timer in its own group: a different wait,
 * so the read's slot must not be taken for it. */
static void read_then_timer(eel_group_id g, void *arg, int fd)
{
    t_rec_cb(g, arg, fd);
    eel_add_timer(g, t_rec_cb, T_TAG(2), 0);
}

static void read_callback_adding_a_timer(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    eel_group_id g = eel_new_group_id();
    eel_add_read(g, read_then_timer, T_TAG(1), sv[0]);
    t_write1(sv[1]);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 2);
    assert_int_equal(t_tag(1), 2);
    assert_int_equal(t_log[1].fd, -1);
    assert_int_equal(eel_group_pending(g), 0);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            rearm_gets_a_new_id_and_the_old_stays_dead, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(rearmed_wait_fires_again, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(rearm_then_delete_group, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(delete_group_instead_of_rearming,
                                        t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(rearm_then_eel_close, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(rearm_in_another_group, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(rearm_and_wait_to_write_too, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(two_groups_on_one_fd_keep_their_order,
                                        t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(timer_rearming_itself, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(read_callback_adding_a_timer, t_setup,
                                        t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
