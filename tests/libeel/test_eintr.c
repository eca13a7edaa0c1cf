/*
 * test_eintr.c - signals that interrupt the poll (a handler installed
 * without SA_RESTART, fired by an interval timer every 20 ms): dispatch must
 * not fail, timers must still fire on time, I/O must still be heard.
 */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t interrupts;

static void on_alarm(int s)
{
    (void)s;
    interrupts++;
}

static void start_interrupting(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sa.sa_flags = 0; /* no SA_RESTART: the poll returns EINTR */
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
    interrupts = 0;
    struct itimerval it = {{0, 20000}, {0, 20000}};
    assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
}

/* The handler stays installed: a SIGALRM already generated may still be
 * delivered after the timer is stopped (valgrind delivers late), and the
 * default action would kill the test. */
static void stop_interrupting(void)
{
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
}

static eel_event_id idle_read;

static void timer_cb(eel_group_id g, void *arg, int fd)
{
    t_rec_cb(g, arg, fd);
    eel_cancel(idle_read); /* the last pending event: dispatch may end */
}

/* A 250 ms timer, with a read that never becomes ready keeping the loop in
 * a long wait that the signals keep interrupting. */
static void timer_on_time_despite_eintr(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    eel_group_id g = eel_new_group_id();
    idle_read = eel_add_read(g, t_rec_cb, T_TAG(2), sv[0]);
    uint64_t t0 = eel_update_time();
    assert_int_not_equal(eel_add_timer(g, timer_cb, T_TAG(1), 250), 0);
    start_interrupting();
    int r = eel_dispatch();
    int err = errno;
    stop_interrupting();
    if (r != 0)
        print_error("eel_dispatch: %s\n", strerror(err));
    assert_int_equal(r, 0);
    assert_true(interrupts >= 3); /* the wait really was interrupted */
    assert_int_equal(t_nlog, 1);
    assert_int_equal(t_tag(0), 1);
    assert_true(t_log[0].at >= t0 + 250);
    assert_true(t_log[0].at < t0 + 250 + 300); /* not re-waited from zero */
    close(sv[0]);
    close(sv[1]);
}

static void *write_later(void *arg)
{
    usleep(150 * 1000);
    char c = 'x';
    if (write(*(int *)arg, &c, 1) != 1)
        abort();
    return NULL;
}

/* An infinite wait (no timers) interrupted many times still hears I/O;
 * eel_run(EEL_RUN_ONCE) reports an interrupted turn as a turn, not an
 * error. */
static void io_heard_despite_eintr(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_read(g, t_rec_cb, T_TAG(1), sv[0]), 0);
    pthread_t th;
    /* The writer thread must not take the signals. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    assert_int_equal(pthread_create(&th, NULL, write_later, &sv[1]), 0);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    start_interrupting();
    int failures = 0, turns = 0;
    while (t_nlog == 0 && turns < 1000) {
        turns++;
        if (eel_run(EEL_RUN_ONCE) < 0)
            failures++;
    }
    stop_interrupting();
    pthread_join(th, NULL);
    assert_int_equal(failures, 0);
    assert_int_equal(t_nlog, 1);
    assert_true(interrupts >= 3);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(timer_on_time_despite_eintr, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(io_heard_despite_eintr, t_setup,
                                        t_teardown),
    };
    return cmocka_run_group_tests_name("eintr", tests, NULL, NULL);
}
