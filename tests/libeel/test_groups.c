/*
 * test_groups.c - group ids: new/delete, pending counts, stale ids and
 * their generation, eel_group_set_waiting.
 */
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

static void new_ids_are_distinct_and_nonzero(void **state)
{
    (void)state;
    enum { N = 300 }; /* more than one growth of the group table */
    eel_group_id ids[N];
    for (int i = 0; i < N; i++) {
        ids[i] = eel_new_group_id();
        assert_int_not_equal(ids[i], 0);
        assert_int_equal(eel_group_pending(ids[i]), 0);
        for (int j = 0; j < i; j++)
            assert_int_not_equal(ids[i], ids[j]);
    }
    for (int i = 0; i < N; i++)
        eel_delete_group_id(ids[i]);
}

/* A deleted id is never handed out again, even when its slot is reused,
 * and every use of the stale id is rejected. */
static void stale_ids_rejected(void **state)
{
    (void)state;
    eel_group_id seen[1000];
    int n = 0;
    for (int round = 0; round < 1000; round++) {
        eel_group_id g = eel_new_group_id();
        assert_int_not_equal(g, 0);
        for (int i = 0; i < n; i++)
            assert_int_not_equal(g, seen[i]);
        seen[n++] = g;
        eel_delete_group_id(g);
        errno = 0;
        assert_int_equal(eel_group_pending(g), -1);
        assert_int_equal(errno, EINVAL);
    }
    eel_group_id live = eel_new_group_id(); /* likely in a stale one's slot */
    for (int i = 0; i < n; i++) {
        errno = 0;
        assert_int_equal(eel_add_timer(seen[i], t_rec_cb, NULL, 0), 0);
        assert_int_equal(errno, EINVAL);
        errno = 0;
        eel_delete_group_id(seen[i]); /* ignored, errno set */
        assert_int_equal(errno, EINVAL);
        assert_int_equal(eel_group_set_waiting(seen[i], 1), -1);
    }
    /* The stale deletes did not touch the live group in the same slot. */
    assert_int_not_equal(eel_add_timer(live, t_rec_cb, NULL, 0), 0);
    assert_int_equal(eel_group_pending(live), 1);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_nlog, 1);
    assert_int_equal(t_log[0].gid, live);
}

static void forged_ids_rejected(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    eel_group_id bad[] = {0,
                          g + 1,
                          g ^ (1ull << 32),
                          g + (1ull << 32),
                          (eel_group_id)-1,
                          0xffffffffull};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errno = 0;
        assert_int_equal(eel_group_pending(bad[i]), -1);
        assert_int_equal(errno, EINVAL);
        errno = 0;
        assert_int_equal(eel_add_timer(bad[i], t_rec_cb, NULL, 1), 0);
        assert_int_equal(errno, EINVAL);
    }
    assert_int_equal(eel_group_pending(g), 0);
    assert_int_equal(eel_pending(), 0);
}

/* Pending counts follow registrations, firing and cancelling. */
static void pending_counts(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    eel_group_id a = eel_new_group_id(), b = eel_new_group_id();
    eel_event_id t1 = eel_add_timer(a, t_rec_cb, T_TAG(1), 0);
    eel_event_id t2 = eel_add_timer(a, t_rec_cb, T_TAG(2), 60000);
    eel_event_id r = eel_add_read(a, t_rec_cb, T_TAG(3), sv[0]);
    eel_event_id w = eel_add_write(b, t_rec_cb, T_TAG(4), sv[0]);
    assert_true(t1 && t2 && r && w);
    assert_int_equal(eel_group_pending(a), 3);
    assert_int_equal(eel_group_pending(b), 1);
    assert_int_equal(eel_pending(), 4);
    assert_int_equal(eel_cancel(t2), 0);
    assert_int_equal(eel_group_pending(a), 2);
    assert_int_equal(eel_pending(), 3);
    /* One non-blocking turn: the 0 ms timer and the write fire. */
    int left = eel_run(EEL_RUN_NOWAIT);
    assert_int_equal(left, 1);
    assert_int_equal(t_count(1), 1);
    assert_int_equal(t_count(4), 1);
    assert_int_equal(eel_group_pending(a), 1); /* the read */
    assert_int_equal(eel_group_pending(b), 0); /* empty but alive */
    assert_int_not_equal(eel_add_timer(b, t_rec_cb, T_TAG(5), 0), 0);
    eel_delete_group_id(a);
    assert_int_equal(eel_pending(), 1);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_count(3), 0); /* the deleted group's read never ran */
    assert_int_equal(t_count(5), 1);
    close(sv[0]);
    close(sv[1]);
}

/* Deleting a group cancels all its events, of every kind, and only them. */
static void delete_cancels_everything(void **state)
{
    (void)state;
    int sv[2];
    t_pair(sv);
    t_write1(sv[1]); /* make the reads ready: they must still not run */
    eel_group_id g = eel_new_group_id(), other = eel_new_group_id();
    eel_event_id ids[] = {
        eel_add_timer(g, t_rec_cb, T_TAG(1), 0),
        eel_add_read(g, t_rec_cb, T_TAG(1), sv[0]),
        eel_add_write(g, t_rec_cb, T_TAG(1), sv[0]),
        eel_add_error(g, t_rec_cb, T_TAG(1), sv[0]),
        eel_add_read_timeout(g, t_rec_cb, t_rec_cb, T_TAG(1), sv[0], 0),
        eel_add_write_timeout(g, t_rec_cb, t_rec_cb, T_TAG(1), sv[0], 0),
        eel_add_signal(g, t_rec_cb, T_TAG(1), SIGURG),
    };
    for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        assert_int_not_equal(ids[i], 0);
    assert_int_not_equal(eel_add_read(other, t_rec_cb, T_TAG(2), sv[0]), 0);
    assert_int_equal(eel_group_pending(g), 7);
    eel_delete_group_id(g);
    assert_int_equal(eel_pending(), 1);
    for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        errno = 0;
        assert_int_equal(eel_cancel(ids[i]), -1);
        assert_int_equal(errno, EINVAL);
    }
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(t_count(1), 0);
    assert_int_equal(t_count(2), 1);
    close(sv[0]);
    close(sv[1]);
}

static void set_waiting(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    assert_int_equal(eel_group_set_waiting(g, 1), 0);
    assert_int_equal(eel_group_set_waiting(g, 0), 0);
    assert_int_equal(eel_group_set_waiting(g, 42), 0);
    /* Waiting is a declaration only: no event, nothing pending. */
    assert_int_equal(eel_group_pending(g), 0);
    assert_int_equal(eel_pending(), 0);
    assert_int_equal(eel_dispatch(), 0);
    eel_delete_group_id(g);
    errno = 0;
    assert_int_equal(eel_group_set_waiting(g, 1), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(eel_group_set_waiting(0, 1), -1);
    assert_int_equal(errno, EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(new_ids_are_distinct_and_nonzero,
                                        t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(stale_ids_rejected, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(forged_ids_rejected, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(pending_counts, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(delete_cancels_everything, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(set_waiting, t_setup, t_teardown),
    };
    return cmocka_run_group_tests_name("groups", tests, NULL, NULL);
}
