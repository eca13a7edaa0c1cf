/*
 * test_errors.c - every error path: NULL callbacks, negative timeouts, bad
 * fds (EBADF), no loop or a dead group (EINVAL), re-entering the loop from
 * a callback (EDEADLK), bad run modes.  A failed call leaves nothing
 * pending and the loop fully usable.
 */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static eel_group_id grp;

/* Every fd-taking registration, so each error is checked on all of them. */
static eel_event_id add_kind(int kind, eel_callback cb, int fd)
{
    switch (kind) {
    case 0:
        return eel_add_read(grp, cb, NULL, fd);
    case 1:
        return eel_add_write(grp, cb, NULL, fd);
    case 2:
        return eel_add_error(grp, cb, NULL, fd);
    case 3:
        return eel_add_read_timeout(grp, cb, t_rec_cb, NULL, fd, 10);
    default:
        return eel_add_write_timeout(grp, cb, t_rec_cb, NULL, fd, 10);
    }
}
#define NKINDS 5

static void expect_fail(eel_event_id e, int err)
{
    assert_int_equal(e, 0);
    assert_int_equal(errno, err);
}

static void null_callback(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    grp = eel_new_group_id();
    for (int k = 0; k < NKINDS; k++) {
        errno = 0;
        expect_fail(add_kind(k, NULL, sv[0]), EINVAL);
    }
    errno = 0;
    expect_fail(eel_add_timer(grp, NULL, NULL, 0), EINVAL);
    errno = 0;
    expect_fail(eel_add_signal(grp, NULL, NULL, SIGUSR1), EINVAL);
    assert_int_equal(eel_pending(), 0);
    assert_int_equal(eel_group_pending(grp), 0);
    close(sv[0]);
    close(sv[1]);
}

static void negative_timeout(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    grp = eel_new_group_id();
    int bad[] = {-1, INT_MIN};
    for (int i = 0; i < 2; i++) {
        errno = 0;
        expect_fail(eel_add_timer(grp, t_rec_cb, NULL, bad[i]), EINVAL);
        errno = 0;
        expect_fail(
            eel_add_read_timeout(grp, t_rec_cb, t_rec_cb, NULL, sv[0], bad[i]),
            EINVAL);
        errno = 0;
        expect_fail(
            eel_add_write_timeout(grp, t_rec_cb, t_rec_cb, NULL, sv[0], bad[i]),
            EINVAL);
    }
    assert_int_equal(eel_pending(), 0);
    /* The fd must not be left with interest: a dispatch returns at once. */
    assert_int_equal(eel_dispatch(), 0);
    close(sv[0]);
    close(sv[1]);
}

static void bad_fds(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    int closed = dup(sv[0]);
    assert_true(closed >= 0);
    close(closed);
    grp = eel_new_group_id();
    int bad[] = {-1, -2, INT_MIN, closed, 9999};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        for (int k = 0; k < NKINDS; k++) {
            errno = 0;
            expect_fail(add_kind(k, t_rec_cb, bad[i]), EBADF);
        }
    }
    assert_int_equal(eel_pending(), 0);
    /* The loop still works on good fds. */
    assert_int_not_equal(add_kind(1, t_rec_cb, sv[0]), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
    close(sv[0]);
    close(sv[1]);
}

/* An fd that had a registration (fired or cancelled, so nothing is pending
 * and close() is allowed), then closed: registering it again must fail with
 * EBADF like any other fd that is not open, before or after a loop turn. */
static void closed_fd_with_past_registration(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    grp = eel_new_group_id();
    int bad = 0;
    for (int turn = 0; turn < 2; turn++) {
        int fd = dup(sv[0]);
        assert_true(fd >= 0);
        eel_event_id e = eel_add_read(grp, t_rec_cb, NULL, fd);
        assert_int_equal(eel_cancel(e), 0);
        if (turn)
            assert_int_equal(eel_run(EEL_RUN_NOWAIT), 0);
        close(fd);
        errno = 0;
        e = eel_add_read(grp, t_rec_cb, NULL, fd);
        if (e != 0 || errno != EBADF) {
            print_error("%s a loop turn: registration on closed fd %d %s\n",
                        turn ? "after" : "without", fd,
                        e ? "accepted" : "failed, wrong errno");
            bad++;
            if (e)
                eel_cancel(e);
        }
    }
    assert_int_equal(bad, 0);
    close(sv[0]);
    close(sv[1]);
}

/* An absurdly large fd number is not open, so EBADF - and the loop must
 * neither crash nor try to allocate gigabytes making room for it.  Each
 * case runs in a child so that a crash fails this test only. */
static int huge_fd_child(int registered_first)
{
    /* Die of a crash here rather than in cmocka's handler, which would
     * carry on with the other tests in this child. */
    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    signal(SIGABRT, SIG_DFL);
    if (!t_instrumented()) {
        /* Make a huge allocation fail fast whatever the overcommit
         * policy; ASan and valgrind refuse it on their own. */
        struct rlimit rl = {1ul << 31, 1ul << 31};
        setrlimit(RLIMIT_AS, &rl);
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return 2;
    if (registered_first && !eel_add_read(grp, t_rec_cb, NULL, sv[0]))
        return 3; /* the fd table now exists */
    int huge[] = {INT_MAX, INT_MAX - 1, 1 << 30};
    for (int i = 0; i < 3; i++) {
        errno = 0;
        if (eel_add_read(grp, t_rec_cb, NULL, huge[i]) != 0 || errno != EBADF)
            return 10 + i;
    }
    return 0;
}

static void huge_fd(void **state)
{
    (void)state;
    grp = eel_new_group_id();
    int bad = 0;
    for (int first = 0; first < 2; first++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            _exit(huge_fd_child(first));
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        if (WIFSIGNALED(st))
            print_error("%s: child killed by signal %d\n",
                        first ? "fd table grown" : "empty fd table",
                        WTERMSIG(st));
        else if (WEXITSTATUS(st))
            print_error("%s: child exit %d (wrong errno for a huge fd)\n",
                        first ? "fd table grown" : "empty fd table",
                        WEXITSTATUS(st));
        bad += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
    }
    assert_int_equal(bad, 0);
}

static void dead_group(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    grp = eel_new_group_id();
    eel_delete_group_id(grp);
    for (int k = 0; k < NKINDS; k++) {
        errno = 0;
        expect_fail(add_kind(k, t_rec_cb, sv[0]), EINVAL);
    }
    errno = 0;
    expect_fail(eel_add_timer(grp, t_rec_cb, NULL, 0), EINVAL);
    errno = 0;
    expect_fail(eel_add_signal(grp, t_rec_cb, NULL, SIGUSR1), EINVAL);
    grp = 0;
    errno = 0;
    expect_fail(eel_add_timer(grp, t_rec_cb, NULL, 0), EINVAL);
    assert_int_equal(eel_pending(), 0);
    close(sv[0]);
    close(sv[1]);
}

static int nested_dispatch, nested_run, nested_init;
static int nested_dispatch_errno, nested_run_errno, nested_init_errno;

static void nested_cb(eel_group_id g, void *arg, int fd)
{
    t_rec_cb(g, arg, fd);
    errno = 0;
    nested_dispatch = eel_dispatch();
    nested_dispatch_errno = errno;
    errno = 0;
    nested_run = eel_run(EEL_RUN_NOWAIT);
    nested_run_errno = errno;
    errno = 0;
    nested_init = eel_init();
    nested_init_errno = errno;
}

static void dispatch_from_callback(void **state)
{
    (void)state;
    grp = eel_new_group_id();
    assert_int_not_equal(eel_add_timer(grp, nested_cb, T_TAG(1), 0), 0);
    assert_int_not_equal(eel_add_timer(grp, t_rec_cb, T_TAG(2), 0), 0);
    assert_int_not_equal(eel_add_timer(grp, t_rec_cb, T_TAG(3), 5), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(nested_dispatch, -1);
    assert_int_equal(nested_dispatch_errno, EDEADLK);
    assert_int_equal(nested_run, -1);
    assert_int_equal(nested_run_errno, EDEADLK);
    assert_int_equal(nested_init, -1);
    assert_int_equal(nested_init_errno, EBUSY);
    /* The outer dispatch went on undisturbed, in order. */
    assert_int_equal(t_nlog, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(t_tag(i), i + 1);
}

static void bad_run_mode(void **state)
{
    (void)state;
    int modes[] = {3, -1, 100};
    for (int i = 0; i < 3; i++) {
        errno = 0;
        assert_int_equal(eel_run((enum eel_run_mode)modes[i]), -1);
        assert_int_equal(errno, EINVAL);
    }
}

/* A regular file cannot be polled by epoll; poll calls it always ready.
 * Either way the registration must not hang or half-exist. */
static void regular_file(void **state)
{
    (void)state;
    char path[] = "/tmp/eeltest-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    grp = eel_new_group_id();
    errno = 0;
    eel_event_id e = eel_add_read(grp, t_rec_cb, NULL, fd);
    if (e == 0) {
        /* epoll refuses regular files with EPERM. */
        assert_string_equal(eel_backend(), "epoll");
        assert_int_equal(errno, EPERM);
        assert_int_equal(eel_pending(), 0);
    } else {
        assert_int_equal(t_run_until_calls(1, 1000), 1);
    }
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(null_callback, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(negative_timeout, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(bad_fds, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(closed_fd_with_past_registration,
                                        t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(huge_fd, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(dead_group, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(dispatch_from_callback, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(bad_run_mode, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(regular_file, t_setup, t_teardown),
    };
    return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
