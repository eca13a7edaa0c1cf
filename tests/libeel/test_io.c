/*
 * test_io.c - read, write and error events: when they fire, their callback
 * arguments, several groups on one fd, several pending events per group.
 */
#include "util.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void read_fires_when_readable(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    eel_group_id g = eel_new_group_id();
    int arg;
    eel_event_id r = eel_add_read(g, t_rec_cb, &arg, sv[0]);
    assert_int_not_equal(r, 0);
    /* Nothing to read: a non-blocking turn runs nothing. */
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 1);
    assert_int_equal(t_nlog, 0);
    t_write1(sv[1]);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
    assert_int_equal(t_log[0].gid, g);
    assert_ptr_equal(t_log[0].arg, &arg);
    assert_int_equal(t_log[0].fd, sv[0]);
    assert_int_equal(t_log[0].cur_ev, r);
    assert_int_equal(t_log[0].cur_gid, g);
    assert_int_equal(t_drain(sv[0]), 1);
    close(sv[0]);
    close(sv[1]);
}

static void read_fires_at_eof(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_read(g, t_rec_cb, NULL, sv[0]), 0);
    close(sv[1]);
    assert_int_equal(t_run_until_calls(1, 2000), 1);
    assert_int_equal(t_drain(sv[0]), 0); /* EOF */
    close(sv[0]);
}

static void write_fires_when_writable(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    /* Fill the socket buffer so that it is not writable. */
    char buf[4096] = {0};
    while (write(sv[0], buf, sizeof(buf)) > 0) {
    }
    assert_int_equal(errno, EAGAIN);
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_write(g, t_rec_cb, T_TAG(1), sv[0]), 0);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 1);
    assert_int_equal(t_nlog, 0);
    while (t_drain(sv[1]) > 0) {
    }
    assert_int_equal(t_run_until_calls(1, 2000), 1);
    assert_int_equal(t_log[0].fd, sv[0]);
    close(sv[0]);
    close(sv[1]);
}

/* An error/hang-up event: not on readable data, but when the peer goes. */
static void error_fires_on_hangup_only(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_error(g, t_rec_cb, T_TAG(1), sv[0]), 0);
    t_write1(sv[1]);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 1);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 1);
    assert_int_equal(t_nlog, 0); /* readable, writable: no error */
    close(sv[1]);
    assert_int_equal(t_run_until_calls(1, 2000), 1);
    assert_int_equal(t_log[0].fd, sv[0]);
    assert_int_equal(eel_pending(), 0);
    close(sv[0]);
}

/* Data on an fd wakes its reader, not an error waiter on the same fd. */
static void read_and_error_waiters(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    eel_group_id a = eel_new_group_id(), b = eel_new_group_id();
    assert_int_not_equal(eel_add_error(a, t_rec_cb, T_TAG(1), sv[0]), 0);
    assert_int_not_equal(eel_add_read(b, t_rec_cb, T_TAG(2), sv[0]), 0);
    t_write1(sv[1]);
    assert_int_equal(eel_run(EEL_RUN_ONCE), 1);
    assert_int_equal(t_nlog, 1);
    assert_int_equal(t_tag(0), 2);
    /* The error waiter alone must not spin on the readable fd. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(eel_run(EEL_RUN_NOWAIT), 1);
    assert_int_equal(t_nlog, 1);
    close(sv[1]);
    assert_int_equal(t_run_until_calls(2, 2000), 1);
    assert_int_equal(t_tag(1), 1);
    close(sv[0]);
}

/* On a pipe whose reader is gone, the writer gets the error. */
static void error_on_pipe(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_error(g, t_rec_cb, T_TAG(1), p[1]), 0);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 1);
    close(p[0]);
    assert_int_equal(t_run_until_calls(1, 2000), 1);
    close(p[1]);
}

/* A hang-up also wakes read waiters (so read() reports it). */
static void hangup_wakes_readers_and_writers(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    char buf[4096] = {0};
    while (write(sv[0], buf, sizeof(buf)) > 0) {
    }
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_read(g, t_rec_cb, T_TAG(1), sv[0]), 0);
    assert_int_not_equal(eel_add_write(g, t_rec_cb, T_TAG(2), sv[0]), 0);
    close(sv[1]);
    assert_int_equal(t_run_until_calls(2, 2000), 1);
    assert_int_equal(t_count(1), 1);
    assert_int_equal(t_count(2), 1);
    close(sv[0]);
}

/* A refused non-blocking connect (loopback, a port nobody listens on)
 * wakes both the writer and the error waiter. */
static void refused_connect_wakes_writer_and_error(void **state)
{
    (void)state;
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    int probe = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(probe >= 0);
    assert_int_equal(bind(probe, (struct sockaddr *)&a, len), 0);
    assert_int_equal(getsockname(probe, (struct sockaddr *)&a, &len), 0);
    close(probe); /* the port is now closed: connecting is refused */
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(s >= 0);
    int r = connect(s, (struct sockaddr *)&a, len);
    assert_true(r == 0 || errno == EINPROGRESS || errno == ECONNREFUSED);
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_write(g, t_rec_cb, T_TAG(1), s), 0);
    assert_int_not_equal(eel_add_error(g, t_rec_cb, T_TAG(2), s), 0);
    assert_int_equal(t_run_until_calls(2, 2000), 1);
    assert_int_equal(t_count(1), 1);
    assert_int_equal(t_count(2), 1);
    close(s);
}

/* Several groups waiting on one fd: each gets its own one call. */
static void several_groups_one_fd(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    enum { G = 5 };
    eel_group_id g[G];
    for (int i = 0; i < G; i++) {
        g[i] = eel_new_group_id();
        assert_int_not_equal(eel_add_read(g[i], t_rec_cb, T_TAG(i), sv[0]), 0);
    }
    eel_group_id w = eel_new_group_id();
    assert_int_not_equal(eel_add_write(w, t_rec_cb, T_TAG(10), sv[0]), 0);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), G);
    assert_int_equal(t_count(10), 1); /* the write, alone */
    t_write1(sv[1]);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, G + 1);
    for (int i = 0; i < G; i++) {
        assert_int_equal(t_count(i), 1);
        for (int k = 0; k < t_nlog; k++)
            if (t_tag(k) == i)
                assert_int_equal(t_log[k].gid, g[i]);
    }
    close(sv[0]);
    close(sv[1]);
}

/* Several pending events in one group, on one and on different fds. */
static void several_events_one_group(void **state)
{
    (void)state;
    int a[2], b[2];
    t_pair(a);
    t_pair(b);
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_read(g, t_rec_cb, T_TAG(1), a[0]), 0);
    assert_int_not_equal(eel_add_read(g, t_rec_cb, T_TAG(2), a[0]), 0);
    assert_int_not_equal(eel_add_read(g, t_rec_cb, T_TAG(3), b[0]), 0);
    assert_int_not_equal(eel_add_write(g, t_rec_cb, T_TAG(4), b[0]), 0);
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, T_TAG(5), 10), 0);
    assert_int_equal(eel_group_pending(g), 5);
    t_write1(a[1]);
    assert_int_equal(t_run_until_calls(3, 2000), 1); /* 1, 2 and 4 */
    assert_int_equal(t_count(1) + t_count(2) + t_count(4), 3);
    t_write1(b[1]);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 5);
    for (int i = 1; i <= 5; i++)
        assert_int_equal(t_count(i), 1);
    assert_int_equal(eel_group_pending(g), 0);
    close(a[0]), close(a[1]), close(b[0]), close(b[1]);
}

/* Read and write interest on one fd come and go independently. */
static int echo_rounds;
static int echo_fd;

static void echo_read_cb(eel_group_id g, void *arg, int fd)
{
    (void)arg;
    if (t_drain(fd) > 0 && ++echo_rounds < 100) {
        eel_add_write(g, t_rec_cb, T_TAG(1), fd); /* a write in between */
        eel_add_read(g, echo_read_cb, NULL, fd);
        t_write1(echo_fd);
    }
}

static void rearm_read_from_callback(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    echo_rounds = 0;
    echo_fd = sv[1];
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_read(g, echo_read_cb, NULL, sv[0]), 0);
    t_write1(sv[1]);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(echo_rounds, 100);
    assert_int_equal(t_count(1), 99);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(read_fires_when_readable, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(read_fires_at_eof, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(write_fires_when_writable, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(error_fires_on_hangup_only, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(read_and_error_waiters, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(error_on_pipe, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(hangup_wakes_readers_and_writers,
                                        t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(refused_connect_wakes_writer_and_error,
                                        t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(several_groups_one_fd, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(several_events_one_group, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(rearm_read_from_callback, t_setup,
                                        t_teardown),
    };
    return cmocka_run_group_tests_name("io", tests, NULL, NULL);
}
