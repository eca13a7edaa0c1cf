/*
 * test_signals.c - eel_add_signal: one-shot delivery with the signal number
 * as fd, signals remembered until somebody waits, several waiters, cancel,
 * bad signal numbers, and the old disposition restored at shutdown.
 */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void signal_fires_once(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    int arg;
    eel_event_id e = eel_add_signal(g, t_rec_cb, &arg, SIGUSR1);
    assert_int_not_equal(e, 0);
    assert_int_equal(eel_pending(), 1);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 1); /* nothing yet */
    assert_int_equal(raise(SIGUSR1), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
    assert_int_equal(t_log[0].fd, SIGUSR1);
    assert_int_equal(t_log[0].gid, g);
    assert_ptr_equal(t_log[0].arg, &arg);
    assert_int_equal(t_log[0].cur_ev, e);
    assert_int_equal(eel_pending(), 0);
    errno = 0;
    assert_int_equal(eel_cancel(e), -1);
    assert_int_equal(errno, EINVAL);
}

/* Raised twice before the loop looks: one registration, one call. */
static void signals_coalesce(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_signal(g, t_rec_cb, NULL, SIGUSR1), 0);
    raise(SIGUSR1);
    raise(SIGUSR1);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
    /* The second one did not linger for the next registration. */
    assert_int_not_equal(eel_add_signal(g, t_rec_cb, NULL, SIGUSR1), 0);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 1);
    assert_int_equal(t_nlog, 1);
}

/* A signal that arrives while no registration waits is kept for the next
 * one (after the handler is in place). */
static void remembered_until_registered(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_signal(g, t_rec_cb, T_TAG(1), SIGUSR1), 0);
    raise(SIGUSR1);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
    raise(SIGUSR1); /* nobody waits now */
    /* A loop turn in between must not lose it. */
    eel_group_id o = eel_new_group_id();
    assert_int_not_equal(eel_add_timer(o, t_rec_cb, T_TAG(9), 1), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 2);
    assert_int_not_equal(eel_add_signal(g, t_rec_cb, T_TAG(2), SIGUSR1), 0);
    assert_int_equal(t_run_until_calls(3, 2000), 1);
    assert_int_equal(t_tag(2), 2);
}

/* A signal raised (blocked) before the very first registration is
 * delivered to it once unblocked. */
static void raised_before_first_registration(void **state)
{
    (void)state;
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    assert_int_equal(sigprocmask(SIG_BLOCK, &set, &old), 0);
    raise(SIGUSR2); /* pending: the default action would kill us */
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_signal(g, t_rec_cb, NULL, SIGUSR2), 0);
    assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
    assert_int_equal(t_run_until_calls(1, 2000), 1);
    assert_int_equal(t_log[0].fd, SIGUSR2);
}

static void several_waiters(void **state)
{
    (void)state;
    eel_group_id a = eel_new_group_id(), b = eel_new_group_id();
    assert_int_not_equal(eel_add_signal(a, t_rec_cb, T_TAG(1), SIGUSR1), 0);
    assert_int_not_equal(eel_add_signal(b, t_rec_cb, T_TAG(2), SIGUSR1), 0);
    assert_int_not_equal(eel_add_signal(b, t_rec_cb, T_TAG(3), SIGUSR2), 0);
    raise(SIGUSR1);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 1);
    assert_int_equal(t_count(1), 1);
    assert_int_equal(t_count(2), 1);
    assert_int_equal(t_count(3), 0);
    raise(SIGUSR2);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_count(3), 1);
    assert_int_equal(t_nlog, 3);
}

static void cancel_signal(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    eel_event_id e = eel_add_signal(g, t_rec_cb, T_TAG(1), SIGUSR1);
    eel_event_id keep = eel_add_signal(g, t_rec_cb, T_TAG(2), SIGUSR1);
    assert_int_equal(eel_cancel(e), 0);
    raise(SIGUSR1);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_count(1), 0);
    assert_int_equal(t_count(2), 1);
    (void)keep;
    /* Delete a group with a signal waiter: nothing runs. */
    assert_int_not_equal(eel_add_signal(g, t_rec_cb, T_TAG(3), SIGUSR1), 0);
    eel_delete_group_id(g);
    assert_int_equal(eel_pending(), 0);
}

static void bad_signal_numbers(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    int bad[] = {0, -1, SIGKILL, SIGSTOP, 65, 1000};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errno = 0;
        assert_int_equal(eel_add_signal(g, t_rec_cb, NULL, bad[i]), 0);
        assert_int_equal(errno, EINVAL);
    }
    errno = 0;
    assert_int_equal(eel_add_signal(g, NULL, NULL, SIGUSR1), 0);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(eel_group_pending(g), 0);
    assert_int_equal(eel_pending(), 0);
}

static volatile sig_atomic_t own_handler_ran;

static void own_handler(int s)
{
    (void)s;
    own_handler_ran = 1;
}

/* eel_shutdown gives the signal back to whoever had it before. */
static void shutdown_restores_handler(void **state)
{
    (void)state;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = own_handler;
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_signal(g, t_rec_cb, NULL, SIGUSR1), 0);
    own_handler_ran = 0;
    raise(SIGUSR1);
    assert_int_equal(own_handler_ran, 0); /* the loop's handler had it */
    eel_shutdown();
    raise(SIGUSR1);
    assert_int_equal(own_handler_ran, 1);
    assert_int_equal(t_nlog, 0);
    assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
    assert_int_equal(eel_init(), 0); /* for the teardown */
}

static void *kill_later(void *arg)
{
    (void)arg;
    usleep(50 * 1000);
    kill(getpid(), SIGUSR1);
    return NULL;
}

/* A dispatch blocked with only a signal pending wakes up for it. */
static void signal_wakes_blocked_dispatch(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_signal(g, t_rec_cb, NULL, SIGUSR1), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, kill_later, NULL), 0);
    assert_int_equal(t_run_until_calls(1, 5000), 1);
    pthread_join(th, NULL);
    assert_int_equal(t_log[0].fd, SIGUSR1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(signal_fires_once, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(signals_coalesce, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(remembered_until_registered, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(raised_before_first_registration,
                                        t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(several_waiters, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(cancel_signal, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(bad_signal_numbers, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(shutdown_restores_handler, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(signal_wakes_blocked_dispatch, t_setup,
                                        t_teardown),
    };
    return cmocka_run_group_tests_name("signals", tests, NULL, NULL);
}
