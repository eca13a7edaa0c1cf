/*
 * test_timeout.c - eel_add_read_timeout / eel_add_write_timeout: exactly
 * one of cb or timeout_cb runs, with the fd as argument; the losing half
 * leaves no trace (no late call, no leftover interest or pending count).
 */
#include "util.h"

#include <errno.h>
#include <unistd.h>

static void io_cb(eel_group_id g, void *arg, int fd)
{
    (void)arg;
    t_rec_cb(g, T_TAG(1), fd);
}

static void to_cb(eel_group_id g, void *arg, int fd)
{
    (void)arg;
    t_rec_cb(g, T_TAG(2), fd);
}

static void read_timeout_times_out(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    eel_group_id g = eel_new_group_id();
    uint64_t t0 = eel_update_time();
    eel_event_id e = eel_add_read_timeout(g, io_cb, to_cb, NULL, sv[0], 30);
    assert_int_not_equal(e, 0);
    assert_int_equal(eel_group_pending(g), 1);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
    assert_int_equal(t_tag(0), 2);
    assert_int_equal(t_log[0].fd, sv[0]); /* timeout_cb gets the fd too */
    assert_int_equal(t_log[0].cur_ev, e);
    assert_true(t_log[0].at >= t0 + 30);
    /* Data arriving now must not call anything: the event is gone. */
    t_write1(sv[1]);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 0);
    assert_int_equal(t_nlog, 1);
    errno = 0;
    assert_int_equal(eel_cancel(e), -1);
    assert_int_equal(errno, EINVAL);
    close(sv[0]);
    close(sv[1]);
}

static void read_timeout_reads(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    eel_group_id g = eel_new_group_id();
    eel_event_id e = eel_add_read_timeout(g, io_cb, to_cb, NULL, sv[0], 50);
    assert_int_not_equal(e, 0);
    t_write1(sv[1]);
    assert_int_equal(eel_dispatch(), 0); /* returns: the timer went too */
    assert_int_equal(t_nlog, 1);
    assert_int_equal(t_tag(0), 1);
    assert_int_equal(t_log[0].fd, sv[0]);
    /* Wait past the timeout: the timeout half must never run. */
    eel_group_id w = eel_new_group_id();
    assert_int_not_equal(eel_add_timer(w, t_rec_cb, T_TAG(3), 80), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_count(2), 0);
    assert_int_equal(t_count(3), 1);
    close(sv[0]);
    close(sv[1]);
}

static void write_timeout_both_ways(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    eel_group_id g = eel_new_group_id();
    /* Writable at once: cb. */
    assert_int_not_equal(
        eel_add_write_timeout(g, io_cb, to_cb, NULL, sv[0], 40), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
    assert_int_equal(t_tag(0), 1);
    /* Buffer full: timeout_cb. */
    char buf[4096] = {0};
    while (write(sv[0], buf, sizeof(buf)) > 0) {
    }
    assert_int_not_equal(
        eel_add_write_timeout(g, io_cb, to_cb, NULL, sv[0], 20), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 2);
    assert_int_equal(t_tag(1), 2);
    assert_int_equal(t_log[1].fd, sv[0]);
    close(sv[0]);
    close(sv[1]);
}

/* Ready and expired in the same turn: still exactly one call. */
static void ready_and_expired_same_turn(void **state)
{
    (void)state;
    enum { N = 50 };
    int sv[N][2];
    eel_group_id g = eel_new_group_id();
    for (int i = 0; i < N; i++) {
        t_pair(sv[i]);
        t_write1(sv[i][1]);
        assert_int_not_equal(
            eel_add_read_timeout(g, io_cb, to_cb, NULL, sv[i][0], i % 2), 0);
    }
    t_spin_ms(5); /* all deadlines are past before the first turn */
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, N);
    for (int i = 0; i < N; i++) {
        int n = 0;
        for (int k = 0; k < t_nlog; k++)
            n += t_log[k].fd == sv[i][0];
        assert_int_equal(n, 1);
    }
    for (int i = 0; i < N; i++)
        close(sv[i][0]), close(sv[i][1]);
}

static void cancel_timeout_event(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    eel_group_id g = eel_new_group_id();
    eel_event_id e = eel_add_read_timeout(g, io_cb, to_cb, NULL, sv[0], 10);
    assert_int_equal(eel_cancel(e), 0);
    assert_int_equal(eel_pending(), 0);
    t_write1(sv[1]);
    eel_group_id w = eel_new_group_id();
    assert_int_not_equal(eel_add_timer(w, t_rec_cb, T_TAG(3), 30), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
    assert_int_equal(t_tag(0), 3);
    close(sv[0]);
    close(sv[1]);
}

/* Both callbacks are required; the timeout must not be negative. */
static void timeout_argument_errors(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    eel_group_id g = eel_new_group_id();
    struct {
        eel_callback cb, tcb;
        int fd, ms, err;
    } cases[] = {
        {io_cb, NULL, sv[0], 10, EINVAL}, {NULL, to_cb, sv[0], 10, EINVAL},
        {NULL, NULL, sv[0], 10, EINVAL},  {io_cb, to_cb, sv[0], -1, EINVAL},
        {io_cb, to_cb, -1, 10, EBADF},    {io_cb, to_cb, 9999, 10, EBADF},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        errno = 0;
        assert_int_equal(eel_add_read_timeout(g, cases[i].cb, cases[i].tcb,
                                              NULL, cases[i].fd, cases[i].ms),
                         0);
        assert_int_equal(errno, cases[i].err);
        errno = 0;
        assert_int_equal(eel_add_write_timeout(g, cases[i].cb, cases[i].tcb,
                                               NULL, cases[i].fd, cases[i].ms),
                         0);
        assert_int_equal(errno, cases[i].err);
    }
    assert_int_equal(eel_pending(), 0);
    /* 0 ms is allowed: the timeout half runs on the next turn. */
    assert_int_not_equal(eel_add_read_timeout(g, io_cb, to_cb, NULL, sv[0], 0),
                         0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
    assert_int_equal(t_tag(0), 2);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(read_timeout_times_out, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(read_timeout_reads, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(write_timeout_both_ways, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(ready_and_expired_same_turn, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(cancel_timeout_event, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(timeout_argument_errors, t_setup,
                                        t_teardown),
    };
    return cmocka_run_group_tests_name("timeout", tests, NULL, NULL);
}
