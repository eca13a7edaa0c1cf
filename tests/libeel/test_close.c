/*
 * test_close.c - an fd closed while events wait on it.  eel_close() cancels
 * them all (even ones ready in the current round) and closes the fd.  A
 * plain close() is outside the contract (eel.h: use eel_close for fds that
 * may have events); plain_close_while_registered documents what each
 * backend then does.
 */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static void eel_close_cancels_all(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    t_write1(sv[1]);
    eel_group_id a = eel_new_group_id(), b = eel_new_group_id();
    eel_event_id ids[] = {
        eel_add_read(a, t_rec_cb, T_TAG(1), sv[0]),
        eel_add_write(a, t_rec_cb, T_TAG(1), sv[0]),
        eel_add_error(b, t_rec_cb, T_TAG(1), sv[0]),
        eel_add_read_timeout(b, t_rec_cb, t_rec_cb, T_TAG(1), sv[0], 5),
        eel_add_write_timeout(b, t_rec_cb, t_rec_cb, T_TAG(1), sv[0], 5),
    };
    eel_event_id other = eel_add_write(b, t_rec_cb, T_TAG(2), sv[1]);
    for (unsigned i = 0; i < 5; i++)
        assert_int_not_equal(ids[i], 0);
    assert_int_equal(eel_pending(), 6);
    int fd = sv[0];
    assert_int_equal(eel_close(fd), 0);
    assert_int_equal(fcntl(fd, F_GETFD), -1); /* really closed */
    assert_int_equal(eel_pending(), 1);
    assert_int_equal(eel_group_pending(a), 0);
    assert_int_equal(eel_group_pending(b), 1);
    for (unsigned i = 0; i < 5; i++) {
        errno = 0;
        assert_int_equal(eel_cancel(ids[i]), -1);
        assert_int_equal(errno, EINVAL);
    }
    t_spin_ms(10); /* past the timeouts: they must not fire either */
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
    assert_int_equal(t_tag(0), 2);
    (void)other;
    /* The number comes back as a new file: it works normally. */
    int nv[2];
    t_pair(nv);
    int mine = nv[0] == fd ? nv[0] : nv[1], peer = nv[0] == fd ? nv[1] : nv[0];
    T_REQUIRE_REUSE(mine, fd);
    assert_int_not_equal(eel_add_read(a, t_rec_cb, T_TAG(3), mine), 0);
    t_write1(peer);
    assert_int_equal(t_run_until_calls(2, 1000), 1);
    assert_int_equal(t_tag(1), 3);
    close(nv[0]);
    close(nv[1]);
    close(sv[1]);
}

static void eel_close_without_events(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    assert_int_equal(eel_close(sv[0]), 0); /* unknown to the loop */
    errno = 0;
    assert_int_equal(eel_close(sv[0]), -1); /* already closed */
    assert_int_equal(errno, EBADF);
    errno = 0;
    assert_int_equal(eel_close(-1), -1);
    assert_int_equal(errno, EBADF);
    /* Registered once, fired, then eel_close'd. */
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_write(g, t_rec_cb, NULL, sv[1]), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(eel_close(sv[1]), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
}

/* Read and write both ready on one fd, in two groups; whichever callback
 * runs first eel_close()s the fd: the other must not run. */
static int closer_fd, closer_ret;

static void closer_cb(eel_group_id g, void *arg, int fd)
{
    t_rec_cb(g, arg, fd);
    closer_ret = eel_close(closer_fd);
}

static void eel_close_ready_same_fd(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    t_write1(sv[1]);
    closer_fd = sv[0];
    closer_ret = 99;
    eel_group_id a = eel_new_group_id(), b = eel_new_group_id();
    assert_int_not_equal(eel_add_read(a, closer_cb, T_TAG(1), sv[0]), 0);
    assert_int_not_equal(eel_add_write(b, closer_cb, T_TAG(2), sv[0]), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
    assert_int_equal(closer_ret, 0);
    assert_int_equal(eel_pending(), 0);
    close(sv[1]);
}

/* Plain close() of an fd with a waiting read, the number not reused.
 * poll reports POLLNVAL, so the waiter is called (its read() gets EBADF).
 * epoll silently forgets a closed fd, so the waiter is never called and
 * stays pending (a dispatch with nothing else would block for ever); it
 * can still be cancelled.  Either way the loop itself stays sound. */
static void plain_close_while_registered(void **state)
{
    (void)state;
    int sv[2], ov[2];
    t_pair(sv);
    t_pair(ov);
    eel_group_id g = eel_new_group_id();
    eel_event_id r = eel_add_read(g, t_rec_cb, T_TAG(1), sv[0]);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 1); /* armed in the kernel */
    close(sv[0]);
    int called = t_run_until_calls(1, 300);
    print_message("plain close() with a read waiting, %s backend: %s\n",
                  eel_backend(),
                  called ? "the waiter was called"
                         : "the waiter was never called, still pending");
    if (called) {
        assert_string_equal(eel_backend(), "poll");
        assert_int_equal(t_log[0].fd, sv[0]);
        assert_int_equal(eel_pending(), 0);
    } else {
        assert_string_equal(eel_backend(), "epoll");
        assert_int_equal(eel_pending(), 1);
        assert_int_equal(eel_cancel(r), 0);
    }
    /* The loop still works for other fds. */
    assert_int_not_equal(eel_add_read(g, t_rec_cb, T_TAG(2), ov[0]), 0);
    t_write1(ov[1]);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_count(2), 1);
    close(sv[1]);
    close(ov[0]);
    close(ov[1]);
}

/* Read registered then cancelled (nothing pending: close() is allowed),
 * the fd closed while its file stays open elsewhere (a dup, or a forked
 * child), the number reused: the new file's reader must hear only the new
 * file, never readiness of the old one. */
static void plain_close_after_cancel_with_dup(void **state)
{
    (void)state;
    int sv[2], nv[2];
    t_pair(sv);
    int keep = dup(sv[0]); /* the old file stays open */
    assert_true(keep >= 0);
    eel_group_id g = eel_new_group_id();
    eel_event_id e = eel_add_read(g, t_rec_cb, T_TAG(1), sv[0]);
    assert_int_equal(eel_cancel(e), 0);
    close(sv[0]);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 0);
    t_pair(nv);
    T_REQUIRE_REUSE(nv[0], sv[0]); /* the number came back */
    assert_int_not_equal(eel_add_read(g, t_rec_cb, T_TAG(2), nv[0]), 0);
    t_write1(sv[1]); /* the OLD file becomes readable, not nv[0] */
    for (int i = 0; i < 3; i++)
        eel_run(EEL_RUN_NOWAIT);
    int spurious = t_nlog;
    char c;
    int readable = read(nv[0], &c, 1) == 1;
    if (spurious)
        print_error("read callback on fd %d, which has no data\n", nv[0]);
    assert_false(readable);
    assert_int_equal(spurious, 0);
    close(keep), close(sv[1]), close(nv[0]), close(nv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(eel_close_cancels_all, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(eel_close_without_events, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(eel_close_ready_same_fd, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(plain_close_while_registered, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(plain_close_after_cancel_with_dup,
                                        t_setup, t_teardown),
    };
    return cmocka_run_group_tests_name("close", tests, NULL, NULL);
}
