/*
 * test_timers.c - timers: deadline order, ties in registration order, 0 ms
 * timers on the next turn, cancelling, the monotonic clock, lateness.
 */
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <unistd.h>

static void fire_in_deadline_order(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    static const int ms[] = {30, 10, 0, 20, 5};
    eel_event_id ids[5];
    eel_update_time();
    for (int i = 0; i < 5; i++) {
        ids[i] = eel_add_timer(g, t_rec_cb, T_TAG(ms[i]), ms[i]);
        assert_int_not_equal(ids[i], 0);
    }
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 5);
    static const int want[] = {0, 5, 10, 20, 30};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(t_tag(i), want[i]);
        assert_int_equal(t_log[i].fd, -1); /* timers get fd -1 */
        assert_int_equal(t_log[i].gid, g);
        assert_int_equal(t_log[i].cur_gid, g);
    }
    /* eel_current_event() is the id the registration returned. */
    assert_int_equal(t_log[0].cur_ev, ids[2]);
    assert_int_equal(t_log[4].cur_ev, ids[0]);
    assert_int_equal(eel_current_event(), 0);
    assert_int_equal(eel_current_group(), 0);
}

/* Many timers through the heap: sorted by deadline, ties by registration. */
static int order_seen[6000], order_n;

static void order_cb(eel_group_id g, void *arg, int fd)
{
    (void)g, (void)fd;
    order_seen[order_n++] = (int)(intptr_t)arg;
}

static void ties_in_registration_order(void **state)
{
    (void)state;
    enum { N = 2000 };
    static int ms[N];
    static eel_event_id ids[N];
    eel_group_id g = eel_new_group_id();
    unsigned seed = 12345;
    order_n = 0;
    /* Registered back to back without a loop turn: one cached time, so
     * equal timeouts mean equal deadlines. */
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        ms[i] = (int)((seed >> 16) % 4);
        ids[i] = eel_add_timer(g, order_cb, T_TAG(i), ms[i]);
        assert_int_not_equal(ids[i], 0);
    }
    /* Cancelling every 7th takes entries out of the middle of the heap. */
    int cancelled = 0;
    for (int i = 3; i < N; i += 7, cancelled++)
        assert_int_equal(eel_cancel(ids[i]), 0);
    assert_int_equal(eel_pending(), N - cancelled);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(order_n, N - cancelled);
    for (int i = 0; i < order_n; i++)
        assert_int_not_equal(order_seen[i] % 7, 3);
    for (int i = 1; i < order_n; i++) {
        int a = order_seen[i - 1], b = order_seen[i];
        assert_true(ms[a] < ms[b] || (ms[a] == ms[b] && a < b));
    }
}

/* Random adds and cancels (the heap's removal from the middle, sift up and
 * down): the survivors still fire in (deadline, registration) order. */
static void heap_churn(void **state)
{
    (void)state;
    enum { OPS = 6000 };
    static eel_event_id ids[OPS];
    static int ms[OPS], live[OPS];
    eel_group_id g = eel_new_group_id();
    unsigned seed = 777;
    int n = 0, nlive = 0;
    order_n = 0;
    for (int op = 0; op < OPS; op++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = seed >> 8;
        if (nlive > 0 && r % 3 == 0) { /* cancel a random live timer */
            int k = (int)((r / 3) % (unsigned)n);
            while (!live[k])
                k = (k + 1) % n;
            assert_int_equal(eel_cancel(ids[k]), 0);
            live[k] = 0;
            nlive--;
        } else {
            ms[n] = (int)((r / 3) % 25);
            ids[n] = eel_add_timer(g, order_cb, T_TAG(n), ms[n]);
            assert_int_not_equal(ids[n], 0);
            live[n++] = 1;
            nlive++;
        }
    }
    assert_int_equal(eel_pending(), nlive);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(order_n, nlive);
    for (int i = 0; i < order_n; i++)
        assert_true(live[order_seen[i]]);
    for (int i = 1; i < order_n; i++) {
        int a = order_seen[i - 1], b = order_seen[i];
        assert_true(ms[a] < ms[b] || (ms[a] == ms[b] && a < b));
    }
}

static void add_zero_cb(eel_group_id g, void *arg, int fd)
{
    t_rec_cb(g, arg, fd);
    if (!eel_add_timer(g, t_rec_cb, T_TAG(99), 0))
        t_rec_cb(g, T_TAG(-1), fd); /* makes the test fail */
}

/* A 0 ms timer added by a callback is not run in the turn that added it. */
static void zero_ms_runs_next_turn(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_timer(g, add_zero_cb, T_TAG(1), 0), 0);
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(2), 0), 0);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 1);
    assert_int_equal(t_nlog, 2); /* 1 and 2, not the new 0 ms timer */
    assert_int_equal(t_tag(0), 1);
    assert_int_equal(t_tag(1), 2);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 0);
    assert_int_equal(t_nlog, 3);
    assert_int_equal(t_tag(2), 99);
}

/* Nor does one registered outside the loop run before eel_run is called;
 * and in dispatch it comes after everything ready in the current turn. */
static void zero_ms_after_current_turn(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    t_write1(sv[1]);
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(0), 0), 0);
    assert_int_equal(t_nlog, 0);
    assert_int_not_equal(eel_add_read(g, add_zero_cb, T_TAG(1), sv[0]), 0);
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(2), 0), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 4);
    assert_int_equal(t_tag(3), 99); /* last, after the read and both timers */
    close(sv[0]);
    close(sv[1]);
}

static int spins, spin_read_seen;

static void spin_timer_cb(eel_group_id g, void *arg, int fd)
{
    (void)arg, (void)fd;
    if (!spin_read_seen && ++spins < 1000)
        eel_add_timer(g, spin_timer_cb, NULL, 0);
}

static void spin_read_cb(eel_group_id g, void *arg, int fd)
{
    (void)g, (void)arg, (void)fd;
    spin_read_seen = 1;
}

/* A 0 ms timer that re-adds itself does not starve I/O. */
static void zero_ms_rearm_does_not_starve(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    spins = spin_read_seen = 0;
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_timer(g, spin_timer_cb, NULL, 0), 0);
    assert_int_not_equal(eel_add_read(g, spin_read_cb, NULL, sv[0]), 0);
    t_write1(sv[1]);
    assert_int_equal(eel_dispatch(), 0);
    assert_true(spin_read_seen);
    assert_true(spins <= 3);
    close(sv[0]);
    close(sv[1]);
}

static eel_event_id victim;
static int cancel_result, cancel_errno;

static void cancel_victim_cb(eel_group_id g, void *arg, int fd)
{
    t_rec_cb(g, arg, fd);
    errno = 0;
    cancel_result = eel_cancel(victim);
    cancel_errno = errno;
}

static void cancel_timers(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    eel_event_id a = eel_add_timer(g, t_rec_cb, T_TAG(1), 0);
    assert_int_equal(eel_cancel(a), 0);
    eel_event_id far = eel_add_timer(g, t_rec_cb, T_TAG(3), INT_MAX);
    assert_int_not_equal(far, 0);
    /* Equal deadlines run in registration order: 'first' runs, then finds
     * 'victim' ready in the same turn and cancels it. */
    eel_event_id first = eel_add_timer(g, cancel_victim_cb, T_TAG(4), 0);
    victim = eel_add_timer(g, t_rec_cb, T_TAG(2), 0);
    assert_int_not_equal(first, 0);
    assert_int_not_equal(victim, 0);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 1);
    assert_int_equal(cancel_result, 0);
    assert_int_equal(t_count(1), 0);
    assert_int_equal(t_count(2), 0);
    assert_int_equal(t_count(4), 1);
    assert_int_equal(eel_cancel(far), 0);
    assert_int_equal(eel_pending(), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_count(3), 0);
}

/* A timer fires no earlier than its timeout after eel_update_time(), and
 * not much later; eel_now() never goes back. */
static void timeout_is_honoured(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    uint64_t t0 = eel_update_time();
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(60), 60), 0);
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(20), 20), 0);
    uint64_t prev = eel_now();
    assert_int_equal(eel_run(EEL_RUN_ONCE), 1);
    assert_true(eel_now() >= prev);
    prev = eel_now();
    assert_int_equal(eel_dispatch(), 0);
    assert_true(eel_now() >= prev);
    assert_int_equal(t_nlog, 2);
    assert_true(t_log[0].at >= t0 + 20);
    assert_true(t_log[1].at >= t0 + 60);
    assert_true(t_log[1].at < t0 + 60 + 500); /* generous: noisy machine */
}

static void slow_cb(eel_group_id g, void *arg, int fd)
{
    t_rec_cb(g, arg, fd);
    t_spin_ms(300);
}

/* A timer that came due while a long callback ran fires right after it, not
 * its own timeout later: the wait must be computed from the real time. */
static void overdue_timer_not_delayed(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    eel_update_time();
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(2), 250), 0);
    assert_int_not_equal(eel_add_timer(g, slow_cb, T_TAG(1), 0), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 2);
    uint64_t slow_end = t_log[0].at + 300;
    /* Without the fix it fires ~250 ms after the slow callback ends. */
    assert_true(t_log[1].at < slow_end + 150);
}

/* eel_now() is cached between turns; eel_update_time() refreshes it. */
static void now_and_update_time(void **state)
{
    (void)state;
    uint64_t a = eel_now();
    t_spin_ms(30);
    assert_int_equal(eel_now(), a); /* cached: no turn ran */
    uint64_t b = eel_update_time();
    assert_true(b >= a + 30);
    assert_int_equal(eel_now(), b);
    uint64_t c = t_clock_ms();
    assert_true(b <= c);
    /* The loop's clock is CLOCK_MONOTONIC in ms (a wall clock would be
     * decades away from it), so setting the date cannot move timers. */
    assert_true(c - b <= 5);
    /* A turn refreshes it too. */
    t_spin_ms(20);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 0);
    assert_true(eel_now() >= c + 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(fire_in_deadline_order, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(ties_in_registration_order, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(heap_churn, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(zero_ms_runs_next_turn, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(zero_ms_after_current_turn, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(zero_ms_rearm_does_not_starve, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(cancel_timers, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(timeout_is_honoured, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(overdue_timer_not_delayed, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(now_and_update_time, t_setup,
                                        t_teardown),
    };
    return cmocka_run_group_tests_name("timers", tests, NULL, NULL);
}
