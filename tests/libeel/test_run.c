/*
 * test_run.c - eel_run(EEL_RUN_NOWAIT / ONCE / DEFAULT) for embedding the
 * loop in another one, eel_break inside and outside a dispatch, and the
 * pending counts eel_run returns.
 */
#include "util.h"

#include <poll.h>
#include <unistd.h>

static void nowait_never_blocks(void **state)
{
    (void)state;
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 0); /* nothing at all */
    eel_group_id g = eel_new_group_id();
    int sv[2];
    t_pair(sv);
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, NULL, 10000), 0);
    assert_int_not_equal(eel_add_read(g, t_rec_cb, NULL, sv[0]), 0);
    uint64_t t0 = t_clock_ms();
    for (int i = 0; i < 10; i++)
        assert_int_equal(eel_run(EEL_RUN_NOWAIT), 2);
    assert_true(t_clock_ms() - t0 < 1000);
    assert_int_equal(t_nlog, 0);
    close(sv[0]);
    close(sv[1]);
}

static void once_waits_for_one_turn(void **state)
{
    (void)state;
    assert_int_equal(eel_run(EEL_RUN_ONCE), 0); /* nothing: no wait */
    eel_group_id g = eel_new_group_id();
    eel_update_time();
    uint64_t t0 = t_clock_ms();
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(1), 30), 0);
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(2), 400), 0);
    assert_int_equal(eel_run(EEL_RUN_ONCE), 1);
    assert_int_equal(t_nlog, 1);
    assert_int_equal(t_tag(0), 1);
    assert_true(t_clock_ms() - t0 >= 30);
    assert_true(t_clock_ms() - t0 < 400);
    assert_int_equal(eel_run(EEL_RUN_ONCE), 0);
    assert_int_equal(t_nlog, 2);
}

static void default_is_dispatch(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    for (int i = 0; i < 3; i++)
        assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(i), i * 3), 0);
    assert_int_equal(eel_run(EEL_RUN_DEFAULT), 0);
    assert_int_equal(t_nlog, 3);
}

/* An outer loop polls its own fd and gives libeel a non-blocking turn per
 * iteration; both make progress. */
static int ping_left, ping_fd;

static void ping_cb(eel_group_id g, void *arg, int fd)
{
    t_rec_cb(g, arg, fd);
    t_drain(fd);
    if (--ping_left > 0) {
        eel_add_read(g, ping_cb, arg, fd);
        t_write1(ping_fd);
    }
}

static void embedded_in_outer_loop(void **state)
{
    (void)state;
    int mine[2], outer[2];
    t_pair(mine);
    t_pair(outer);
    ping_left = 20;
    ping_fd = mine[1];
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_read(g, ping_cb, T_TAG(1), mine[0]), 0);
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(2), 20), 0);
    t_write1(mine[1]);
    t_write1(outer[1]);
    int outer_seen = 0, left = 1;
    uint64_t end = t_clock_ms() + 3000;
    while (left > 0 && t_clock_ms() < end) {
        struct pollfd p = {outer[0], POLLIN, 0};
        if (poll(&p, 1, 1) == 1) {
            outer_seen += t_drain(outer[0]);
            t_write1(outer[1]);
        }
        left = eel_run(EEL_RUN_NOWAIT);
        assert_true(left >= 0);
    }
    assert_int_equal(left, 0);
    assert_int_equal(t_count(1), 20);
    assert_int_equal(t_count(2), 1);
    assert_true(outer_seen > 0);
    close(mine[0]), close(mine[1]), close(outer[0]), close(outer[1]);
}

static void break_cb(eel_group_id g, void *arg, int fd)
{
    t_rec_cb(g, arg, fd);
    eel_break();
}

/* eel_break in a callback: the dispatch returns after that callback; the
 * rest stays pending for the next one. */
static void break_inside_dispatch(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_timer(g, break_cb, T_TAG(1), 0), 0);
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(2), 0), 0);
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(3), 0), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
    assert_int_equal(eel_pending(), 2);
    assert_int_equal(eel_dispatch(), 0); /* the break is used up */
    assert_int_equal(t_nlog, 3);
    assert_int_equal(t_tag(1), 2);
    assert_int_equal(t_tag(2), 3);
}

/* Events left ready by a break can still be cancelled, deleted or
 * eel_close'd before the next dispatch, and then never run. */
static void break_then_cancel_leftovers(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    t_write1(sv[1]);
    eel_group_id g = eel_new_group_id(), h = eel_new_group_id();
    /* The fd events are queued before the timers in a turn, so the break
     * has to come from one of them. */
    assert_int_not_equal(eel_add_read(g, break_cb, T_TAG(1), sv[0]), 0);
    assert_int_not_equal(eel_add_write(h, t_rec_cb, T_TAG(2), sv[0]), 0);
    eel_event_id t3 = eel_add_timer(g, t_rec_cb, T_TAG(3), 0);
    assert_int_not_equal(eel_add_timer(h, t_rec_cb, T_TAG(4), 0), 0);
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(5), 0), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1); /* only the read: it broke */
    assert_int_equal(eel_pending(), 4);
    assert_int_equal(eel_close(sv[0]), 0); /* drops the ready write */
    assert_int_equal(eel_cancel(t3), 0);   /* a ready timer */
    eel_delete_group_id(h);                /* the ready timer 4 */
    assert_int_equal(eel_pending(), 1);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 2);
    assert_int_equal(t_tag(1), 5);
    close(sv[1]);
}

/* In the other run modes too. */
static void break_inside_run_modes(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_timer(g, break_cb, T_TAG(1), 0), 0);
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(2), 0), 0);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 1);
    assert_int_equal(t_nlog, 1);
    assert_int_not_equal(eel_add_timer(g, break_cb, T_TAG(3), 0), 0);
    /* Queue: 2 (left over), then 3 which breaks; 4 must wait. */
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(4), 0), 0);
    assert_int_equal(eel_run(EEL_RUN_ONCE), 1);
    assert_int_equal(t_nlog, 3);
    assert_int_equal(t_tag(1), 2);
    assert_int_equal(t_tag(2), 3);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 0);
    assert_int_equal(t_tag(3), 4);
}

/* eel_break outside a dispatch: the next one returns at once, running
 * nothing; the one after is normal. */
static void break_outside_dispatch(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(1), 0), 0);
    eel_break();
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 0);
    assert_int_equal(eel_pending(), 1);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
    /* Also for eel_run, which reports what is still pending. */
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(2), 0), 0);
    eel_break();
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 1);
    assert_int_equal(t_nlog, 1);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 0);
    assert_int_equal(t_nlog, 2);
}

/* A break from the last callback leaves no stale break behind. */
static void break_with_nothing_left(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_timer(g, break_cb, T_TAG(1), 0), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(2), 0), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(nowait_never_blocks, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(once_waits_for_one_turn, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(default_is_dispatch, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(embedded_in_outer_loop, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(break_inside_dispatch, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(break_then_cancel_leftovers, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(break_inside_run_modes, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(break_outside_dispatch, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(break_with_nothing_left, t_setup,
                                        t_teardown),
    };
    return cmocka_run_group_tests_name("run", tests, NULL, NULL);
}
