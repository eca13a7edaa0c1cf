/*
 * test_threads.c - one loop per thread: two threads run their own loops at
 * the same time (timers and socketpair ping-pong), each callback runs on
 * the thread that registered it, a thread without a loop gets EINVAL, and
 * one thread's shutdown leaves the others' loops alone.
 */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

struct worker {
    pthread_t thread; /* set by the creator */
    pthread_t self;   /* set by the worker itself */
    int ok_init;
    const char *backend;
    int pings, timers, wrong_thread, errors;
    int sv[2];
};

enum { ROUNDS = 2000 };

static void ping_cb(eel_group_id g, void *arg, int fd)
{
    struct worker *w = arg;
    if (!pthread_equal(pthread_self(), w->self))
        w->wrong_thread++;
    char c;
    if (read(fd, &c, 1) != 1)
        w->errors++;
    if (++w->pings < ROUNDS) {
        int to = fd == w->sv[0] ? w->sv[1] : w->sv[0];
        if (!eel_add_read(g, ping_cb, w, to) || write(fd, &c, 1) != 1)
            w->errors++;
    }
}

static void tick_cb(eel_group_id g, void *arg, int fd)
{
    struct worker *w = arg;
    (void)fd;
    if (!pthread_equal(pthread_self(), w->self))
        w->wrong_thread++;
    if (++w->timers < 20 && !eel_add_timer(g, tick_cb, w, 1))
        w->errors++;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    w->self = pthread_self();
    w->ok_init = eel_init() == 0;
    if (!w->ok_init)
        return NULL;
    w->backend = eel_backend();
    eel_group_id g = eel_new_group_id();
    char c = 'p';
    if (!eel_add_read(g, ping_cb, w, w->sv[1]) ||
        !eel_add_timer(g, tick_cb, w, 1) || write(w->sv[0], &c, 1) != 1)
        w->errors++;
    if (eel_dispatch() != 0)
        w->errors++;
    eel_shutdown();
    return NULL;
}

static void two_threads_two_loops(void **state)
{
    (void)state;
    struct worker w[2];
    memset(w, 0, sizeof(w));
    /* The main thread's loop has an event of its own meanwhile. */
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(1), 0), 0);
    for (int i = 0; i < 2; i++) {
        t_pair(w[i].sv);
        assert_int_equal(pthread_create(&w[i].thread, NULL, worker_main, &w[i]),
                         0);
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(w[i].thread, NULL), 0);
        assert_true(w[i].ok_init);
        assert_string_equal(w[i].backend, t_backend_wanted());
        assert_int_equal(w[i].pings, ROUNDS);
        assert_int_equal(w[i].timers, 20);
        assert_int_equal(w[i].wrong_thread, 0);
        assert_int_equal(w[i].errors, 0);
        close(w[i].sv[0]);
        close(w[i].sv[1]);
    }
    /* The workers' shutdowns did not touch this thread's loop. */
    assert_string_equal(eel_backend(), t_backend_wanted());
    assert_int_equal(eel_pending(), 1);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
}

struct loopless {
    eel_group_id gid;
    int gid_errno, dispatch, dispatch_errno, pending;
    const char *backend;
};

static void *loopless_main(void *arg)
{
    struct loopless *r = arg;
    errno = 0;
    r->gid = eel_new_group_id();
    r->gid_errno = errno;
    errno = 0;
    r->dispatch = eel_dispatch();
    r->dispatch_errno = errno;
    r->pending = eel_pending();
    r->backend = eel_backend();
    return NULL;
}

/* The main thread's loop is not visible from another thread. */
static void thread_without_loop(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, NULL, 0), 0);
    struct loopless r;
    memset(&r, 0, sizeof(r));
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, loopless_main, &r), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(r.gid, 0);
    assert_int_equal(r.gid_errno, EINVAL);
    assert_int_equal(r.dispatch, -1);
    assert_int_equal(r.dispatch_errno, EINVAL);
    assert_int_equal(r.pending, 0);
    assert_null(r.backend);
    assert_int_equal(eel_pending(), 1);
}

/* Signals with a loop per thread.  A second loop registering the same
 * signal, then shutting down, must not take the signal away from the first
 * loop, nor leave the handler writing into an fd it has closed. */
static pthread_barrier_t sig_barrier;

static void *sig_worker(void *arg)
{
    int *ok = arg;
    *ok = eel_init() == 0 &&
          eel_add_signal(eel_new_group_id(), t_rec_cb, NULL, SIGWINCH) != 0;
    pthread_barrier_wait(&sig_barrier); /* both loops registered... */
    pthread_barrier_wait(&sig_barrier);
    eel_shutdown(); /* ...then this one goes */
    return NULL;
}

static void signal_survives_other_loop_shutdown(int main_first)
{
    eel_group_id g = eel_new_group_id();
    int ok = 0;
    pthread_t th;
    if (main_first)
        assert_int_not_equal(eel_add_signal(g, t_rec_cb, T_TAG(1), SIGWINCH),
                             0);
    pthread_barrier_init(&sig_barrier, NULL, 2);
    assert_int_equal(pthread_create(&th, NULL, sig_worker, &ok), 0);
    pthread_barrier_wait(&sig_barrier);
    eel_event_id e = 1;
    if (!main_first)
        e = eel_add_signal(g, t_rec_cb, T_TAG(1), SIGWINCH);
    pthread_barrier_wait(&sig_barrier);
    assert_int_equal(pthread_join(th, NULL), 0);
    pthread_barrier_destroy(&sig_barrier);
    assert_true(ok);
    assert_int_not_equal(e, 0);
    /* New fds take the numbers the worker's loop just closed. */
    int sv[2], sv2[2];
    t_pair(sv);
    t_pair(sv2);
    raise(SIGWINCH);
    int got = t_run_until_calls(1, 500);
    int stray = 0;
    for (int i = 0; i < 2; i++)
        stray += (t_drain(sv[i]) > 0) + (t_drain(sv2[i]) > 0);
    assert_int_equal(stray, 0); /* no signal byte written into our fds */
    assert_true(got);           /* this loop's waiter was called */
    close(sv[0]), close(sv[1]), close(sv2[0]), close(sv2[1]);
}

static void signal_after_other_loop_shutdown_main_first(void **state)
{
    (void)state;
    signal_survives_other_loop_shutdown(1);
}

static void signal_after_other_loop_shutdown_worker_first(void **state)
{
    (void)state;
    signal_survives_other_loop_shutdown(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(two_threads_two_loops, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(thread_without_loop, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(
            signal_after_other_loop_shutdown_main_first, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(
            signal_after_other_loop_shutdown_worker_first, t_setup, t_teardown),
    };
    return cmocka_run_group_tests_name("threads", tests, NULL, NULL);
}
