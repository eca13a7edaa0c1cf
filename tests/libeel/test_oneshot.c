/*
 * test_oneshot.c - one registration gives at most one call: an fd that
 * stays ready, a timer, a signal raised again, and many registrations at
 * once each get exactly their one call.
 */
#include "util.h"

#include <signal.h>
#include <unistd.h>

/* The fd stays readable (never drained) and writable: still one call each,
 * and dispatch returns because nothing is pending any more. */
static void level_ready_fd_fires_once(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    t_write1(sv[1]);
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_read(g, t_rec_cb, T_TAG(1), sv[0]), 0);
    assert_int_not_equal(eel_add_write(g, t_rec_cb, T_TAG(2), sv[0]), 0);
    assert_int_equal(eel_dispatch(), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(eel_run(EEL_RUN_NOWAIT), 0);
    assert_int_equal(t_nlog, 2);
    assert_int_equal(t_count(1), 1);
    assert_int_equal(t_count(2), 1);
    close(sv[0]);
    close(sv[1]);
}

static void timer_and_signal_fire_once(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(1), 0), 0);
    assert_int_not_equal(eel_add_signal(g, t_rec_cb, T_TAG(2), SIGUSR1), 0);
    raise(SIGUSR1);
    assert_int_equal(eel_dispatch(), 0);
    raise(SIGUSR1);
    for (int i = 0; i < 5; i++)
        assert_int_equal(eel_run(EEL_RUN_NOWAIT), 0);
    assert_int_equal(t_count(1), 1);
    assert_int_equal(t_count(2), 1);
}

static int hits[3000];

static void count_cb(eel_group_id g, void *arg, int fd)
{
    (void)g, (void)fd;
    hits[(intptr_t)arg]++;
}

/* Many registrations on one ready fd: every one called exactly once. */
static void many_registrations_one_call_each(void **state)
{
    (void)state;
    enum { N = 3000 };
    int sv[2];
    t_pair(sv);
    t_write1(sv[1]);
    for (int i = 0; i < N; i++)
        hits[i] = 0;
    eel_group_id g = eel_new_group_id();
    for (int i = 0; i < N; i++) {
        eel_event_id e = i % 3 == 0 ? eel_add_read(g, count_cb, T_TAG(i), sv[0])
                         : i % 3 == 1
                             ? eel_add_write(g, count_cb, T_TAG(i), sv[0])
                             : eel_add_read_timeout(g, count_cb, count_cb,
                                                    T_TAG(i), sv[0], 0);
        assert_int_not_equal(e, 0);
    }
    assert_int_equal(eel_group_pending(g), N);
    assert_int_equal(eel_dispatch(), 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(hits[i], 1);
    assert_int_equal(eel_group_pending(g), 0);
    close(sv[0]);
    close(sv[1]);
}

static int chain_left;

static void chain_cb(eel_group_id g, void *arg, int fd)
{
    t_rec_cb(g, arg, fd);
    if (--chain_left > 0)
        eel_add_read(g, chain_cb, arg, fd); /* one new registration */
}

/* Re-registering from the callback gives exactly one more call per
 * registration, even though the fd stays readable throughout. */
static void rearm_counts_exactly(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    t_write1(sv[1]);
    chain_left = 50;
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_read(g, chain_cb, T_TAG(1), sv[0]), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 50);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(level_ready_fd_fires_once, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(timer_and_signal_fire_once, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(many_registrations_one_call_each,
                                        t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(rearm_counts_exactly, t_setup,
                                        t_teardown),
    };
    return cmocka_run_group_tests_name("oneshot", tests, NULL, NULL);
}
