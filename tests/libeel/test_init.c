/*
 * test_init.c - loop life cycle: eel_init/eel_shutdown, the version, the
 * backend chosen by $EEL_BACKEND, and what the API does with no loop.
 */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Sets $EEL_BACKEND for one eel_init and restores ctest's value after. */
static int init_with_backend(const char *name)
{
    char *saved = getenv("EEL_BACKEND") ? strdup(getenv("EEL_BACKEND")) : 0;
    if (name)
        setenv("EEL_BACKEND", name, 1);
    else
        unsetenv("EEL_BACKEND");
    int r = eel_init();
    int err = errno;
    if (saved) {
        setenv("EEL_BACKEND", saved, 1);
        free(saved);
    } else {
        unsetenv("EEL_BACKEND");
    }
    errno = err;
    return r;
}

static void init_and_shutdown(void **state)
{
    (void)state;
    assert_null(eel_backend());
    assert_int_equal(eel_init(), 0);
    assert_string_equal(eel_backend(), t_backend_wanted());
    assert_int_equal(eel_pending(), 0);
    eel_shutdown();
    assert_null(eel_backend());
    eel_shutdown();                  /* a second shutdown is harmless */
    assert_int_equal(eel_init(), 0); /* and a loop can be made again */
    eel_shutdown();
}

static void init_twice_is_ebusy(void **state)
{
    (void)state;
    assert_int_equal(eel_init(), 0);
    errno = 0;
    assert_int_equal(eel_init(), -1);
    assert_int_equal(errno, EBUSY);
    assert_non_null(eel_backend()); /* the first loop is untouched */
    eel_shutdown();
}

static void backend_selection(void **state)
{
    (void)state;
    static const char *names[] = {"epoll", "poll"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(init_with_backend(names[i]), 0);
        assert_string_equal(eel_backend(), names[i]);
        eel_shutdown();
    }
    /* Unset or empty: the default, epoll on Linux. */
    assert_int_equal(init_with_backend(NULL), 0);
    assert_string_equal(eel_backend(), "epoll");
    eel_shutdown();
    assert_int_equal(init_with_backend(""), 0);
    assert_string_equal(eel_backend(), "epoll");
    eel_shutdown();
}

static void bogus_backend_is_einval(void **state)
{
    (void)state;
    errno = 0;
    assert_int_equal(init_with_backend("bogus"), -1);
    assert_int_equal(errno, EINVAL);
    assert_null(eel_backend()); /* no half-made loop left behind */
    errno = 0;
    assert_int_equal(init_with_backend("EPOLL"), -1); /* names are exact */
    assert_int_equal(errno, EINVAL);
    assert_int_equal(eel_init(), 0); /* ctest's backend still works */
    eel_shutdown();
}

static void version(void **state)
{
    (void)state;
    assert_int_equal(EEL_VERSION_NUMBER, EEL_VERSION_MAJOR * 10000 +
                                             EEL_VERSION_MINOR * 100 +
                                             EEL_VERSION_PATCH);
    assert_int_equal(eel_version(), EEL_VERSION_NUMBER);
    assert_string_equal(eel_version_string(), EEL_VERSION_STRING);
    char buf[32];
    snprintf(buf, sizeof(buf), "%d.%d.%d", eel_version() / 10000,
             eel_version() / 100 % 100, eel_version() % 100);
    assert_string_equal(buf, eel_version_string());
}

static void cb(eel_group_id g, void *a, int fd)
{
    (void)g, (void)a, (void)fd;
}

/* Without a loop every call fails cleanly with EINVAL (or does nothing). */
static void no_loop(void **state)
{
    (void)state;
    assert_null(eel_backend());
    errno = 0;
    assert_int_equal(eel_dispatch(), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(eel_new_group_id(), 0);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    eel_delete_group_id(1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(eel_group_pending(1), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(eel_group_set_waiting(1, 1), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(eel_add_timer(1, cb, NULL, 0), 0);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(eel_add_read(1, cb, NULL, 0), 0);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(eel_add_signal(1, cb, NULL, 10), 0);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(eel_cancel(1), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(eel_pending(), 0);
    assert_int_equal(eel_current_group(), 0);
    assert_int_equal(eel_current_event(), 0);
    eel_break(); /* harmless */
    eel_shutdown();
    /* eel_now() still tells the time, from the clock. */
    uint64_t t = t_clock_ms();
    assert_true(eel_now() >= t && eel_now() <= t + 1000);
    assert_true(eel_update_time() >= t);
}

/* Shutdown drops pending events without running them, and frees all. */
static void shutdown_drops_pending(void **state)
{
    (void)state;
    int sv[2];
    t_log_reset();
    assert_int_equal(eel_init(), 0);
    t_pair(sv);
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_timer(g, t_rec_cb, NULL, 0), 0);
    assert_int_not_equal(eel_add_read(g, t_rec_cb, NULL, sv[0]), 0);
    assert_int_not_equal(eel_add_write(g, t_rec_cb, NULL, sv[1]), 0);
    assert_int_not_equal(eel_add_signal(g, t_rec_cb, NULL, SIGUSR2), 0);
    assert_int_equal(eel_pending(), 4);
    eel_shutdown();
    assert_int_equal(t_nlog, 0);
    assert_int_equal(eel_init(), 0); /* fresh loop: the old group is gone */
    assert_int_equal(eel_pending(), 0);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 0);
    assert_int_equal(t_nlog, 0);
    eel_shutdown();
    close(sv[0]);
    close(sv[1]);
}

/* Ids are never reused: not even by the next loop of the same thread, so a
 * group or event id kept from before eel_shutdown() is rejected, never
 * mistaken for one of the new loop's. */
static void ids_not_reused_across_loops(void **state)
{
    (void)state;
    t_log_reset();
    assert_int_equal(eel_init(), 0);
    eel_group_id g1 = eel_new_group_id();
    eel_event_id e1 = eel_add_timer(g1, t_rec_cb, T_TAG(1), 0);
    assert_int_not_equal(e1, 0);
    eel_shutdown();
    assert_int_equal(eel_init(), 0);
    eel_group_id g2 = eel_new_group_id();
    eel_event_id e2 = eel_add_timer(g2, t_rec_cb, T_TAG(2), 0);
    assert_int_not_equal(e2, 0);
    int same_gid = g1 == g2, same_eid = e1 == e2;
    errno = 0;
    int cancel = eel_cancel(e1); /* must not cancel e2 */
    int pending = eel_group_pending(g1);
    eel_shutdown();
    if (same_gid || same_eid)
        print_error("old ids came back: group %d, event %d\n", same_gid,
                    same_eid);
    assert_int_equal(cancel, -1);
    assert_int_equal(pending, -1);
    assert_false(same_gid);
    assert_false(same_eid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_and_shutdown),
        cmocka_unit_test(init_twice_is_ebusy),
        cmocka_unit_test(backend_selection),
        cmocka_unit_test(bogus_backend_is_einval),
        cmocka_unit_test(version),
        cmocka_unit_test(no_loop),
        cmocka_unit_test(shutdown_drops_pending),
        cmocka_unit_test(ids_not_reused_across_loops),
    };
    return cmocka_run_group_tests_name("init", tests, NULL, NULL);
}
