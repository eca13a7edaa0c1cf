/*
 * test_cancel.c - eel_cancel: 0 for a pending event of any kind; EINVAL for
 * a fired, cancelled or never-issued id, and a stale id is never mistaken
 * for the new event that reuses its slot.
 */
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

static void expect_einval(eel_event_id e)
{
    errno = 0;
    assert_int_equal(eel_cancel(e), -1);
    assert_int_equal(errno, EINVAL);
}

static void cancel_each_kind(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    t_write1(sv[1]); /* ready, so only the cancel stops them */
    eel_group_id g = eel_new_group_id();
    eel_event_id ids[] = {
        eel_add_timer(g, t_rec_cb, NULL, 0),
        eel_add_read(g, t_rec_cb, NULL, sv[0]),
        eel_add_write(g, t_rec_cb, NULL, sv[0]),
        eel_add_error(g, t_rec_cb, NULL, sv[0]),
        eel_add_read_timeout(g, t_rec_cb, t_rec_cb, NULL, sv[0], 0),
        eel_add_write_timeout(g, t_rec_cb, t_rec_cb, NULL, sv[0], 0),
        eel_add_signal(g, t_rec_cb, NULL, SIGUSR1),
    };
    unsigned n = sizeof(ids) / sizeof(ids[0]);
    for (unsigned i = 0; i < n; i++)
        assert_int_not_equal(ids[i], 0);
    for (unsigned i = 0; i < n; i++) {
        assert_int_equal(eel_cancel(ids[i]), 0);
        assert_int_equal(eel_pending(), (int)(n - 1 - i));
        expect_einval(ids[i]); /* cancelled: a second cancel fails */
    }
    raise(SIGUSR1);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 0);
    close(sv[0]);
    close(sv[1]);
}

static void cancel_fired(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    eel_event_id e = eel_add_timer(g, t_rec_cb, NULL, 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
    expect_einval(e);
}

static int self_cancel_ret, self_cancel_errno;

static void self_cancel_cb(eel_group_id g, void *arg, int fd)
{
    (void)g, (void)arg, (void)fd;
    errno = 0;
    self_cancel_ret = eel_cancel(eel_current_event());
    self_cancel_errno = errno;
}

/* While its callback runs, an event has fired: cancelling it fails. */
static void cancel_self_in_callback(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_timer(g, self_cancel_cb, NULL, 0), 0);
    self_cancel_ret = 0;
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(self_cancel_ret, -1);
    assert_int_equal(self_cancel_errno, EINVAL);
}

static void cancel_unknown(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    eel_event_id e = eel_add_timer(g, t_rec_cb, NULL, 1000);
    expect_einval(0);
    expect_einval(e + 1);             /* a slot never used */
    expect_einval(e + (1ull << 32));  /* a future generation */
    expect_einval(e - (1ull << 32));  /* a past generation */
    expect_einval(e & 0xffffffffull); /* generation 0 */
    expect_einval(0xffffffffull);     /* slot far out of range */
    expect_einval((eel_event_id)-1);
    assert_int_equal(eel_pending(), 1);
    assert_int_equal(eel_cancel(e), 0);
}

/* Ids never repeat, and an old id cannot cancel the slot's new owner. */
static void stale_id_not_confused(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    enum { N = 500 };
    static eel_event_id old[N];
    for (int i = 0; i < N; i++) {
        old[i] = eel_add_timer(g, t_rec_cb, T_TAG(1), 0);
        assert_int_not_equal(old[i], 0);
        assert_int_equal(eel_cancel(old[i]), 0);
        for (int j = 0; j < i; j++)
            assert_int_not_equal(old[i], old[j]);
    }
    eel_event_id live = eel_add_timer(g, t_rec_cb, T_TAG(2), 0);
    for (int i = 0; i < N; i++) {
        assert_int_not_equal(live, old[i]);
        expect_einval(old[i]);
    }
    assert_int_equal(eel_pending(), 1);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
    assert_int_equal(t_tag(0), 2);
    /* Fired ids are just as dead. */
    expect_einval(live);
}

static void cancel_after_group_deleted(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    eel_event_id e = eel_add_timer(g, t_rec_cb, NULL, 0);
    eel_delete_group_id(g);
    expect_einval(e);
    eel_group_id g2 = eel_new_group_id(); /* may reuse both slots */
    eel_event_id e2 = eel_add_timer(g2, t_rec_cb, NULL, 0);
    assert_int_not_equal(e2, e);
    expect_einval(e);
    assert_int_equal(eel_group_pending(g2), 1);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
}

/* Cancelling one of several waiters on an fd leaves the others armed. */
static void cancel_one_of_many_on_fd(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    eel_group_id g = eel_new_group_id();
    eel_event_id a = eel_add_read(g, t_rec_cb, T_TAG(1), sv[0]);
    eel_event_id b = eel_add_read(g, t_rec_cb, T_TAG(2), sv[0]);
    eel_event_id c = eel_add_read(g, t_rec_cb, T_TAG(3), sv[0]);
    assert_true(a && b && c);
    assert_int_equal(eel_cancel(b), 0);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 2); /* flush the change */
    t_write1(sv[1]);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 2);
    assert_int_equal(t_count(2), 0);
    /* Cancel every waiter: the fd must go quiet (no busy loop), and a
     * new registration must still be heard. */
    a = eel_add_read(g, t_rec_cb, T_TAG(4), sv[0]);
    assert_int_equal(eel_cancel(a), 0);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 0);
    assert_int_not_equal(eel_add_read(g, t_rec_cb, T_TAG(5), sv[0]), 0);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_count(4), 0);
    assert_int_equal(t_count(5), 1);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(cancel_each_kind, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(cancel_fired, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(cancel_self_in_callback, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(cancel_unknown, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(stale_id_not_confused, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(cancel_after_group_deleted, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(cancel_one_of_many_on_fd, t_setup,
                                        t_teardown),
    };
    return cmocka_run_group_tests_name("cancel", tests, NULL, NULL);
}
