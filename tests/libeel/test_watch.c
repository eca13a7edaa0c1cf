/*
 * test_watch.c - the fast paths and the watch flag (src/loop.h, l->watch):
 * once eelgdb or the checks switch the history on, every registration is
 * recorded again (its site and cause, which eelgdb shows), including the
 * ones the fast paths would take: a callback re-arming its own read, and a
 * timer taking over the slot of one cancelled before the switch.
 *
 * White-box: links the static library and reads its loop, as eelgdb does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"

static void on_timer(eel_group_id g, void *arg, int fd)
{
    (void)g, (void)arg, (void)fd;
}

/* Was event id's registration recorded (eelgdb's site and cause)? */
static int recorded(eel_event_id id)
{
    struct eel_loop *l = eel__loop;
    uint32_t e = eel__id_slot(id);
    return l->evi[e].gen == l->ev[e].gen && l->evi[e].site != NULL;
}

static int setup(void **state)
{
    (void)state;
    eel__debug_history = 0;
    return eel_init();
}

static int teardown(void **state)
{
    (void)state;
    eel_shutdown();
    eel__debug_history = 0;
    return 0;
}

/* Unwatched, "cancel then add" takes the cancelled slot without a record. */
static void unwatched_fast_path_records_nothing(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    eel_event_id t0 = eel_add_timer(g, on_timer, NULL, 60000);
    assert_int_equal(eel_cancel(t0), 0);
    eel_event_id t1 = eel_add_timer(g, on_timer, NULL, 60000);
    assert_int_equal(eel__id_slot(t1), eel__id_slot(t0)); /* taken over */
    assert_false(recorded(t1));
}

/* The history switched on between turns (EEL_HISTORY, or eelgdb while the
 * program runs): the next turn drops the slot buried before, so the next
 * timer goes the recording way. */
static void history_switched_on_is_seen_at_the_next_turn(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    eel_event_id t0 = eel_add_timer(g, on_timer, NULL, 60000);
    assert_int_equal(eel_cancel(t0), 0);
    assert_int_equal(eel__loop->buried, eel__id_slot(t0));
    eel__debug_history = 1;
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 0);
    assert_int_equal(eel__loop->watch, 1);
    assert_int_equal(eel__loop->buried, 0);
    eel_event_id t1 = eel_add_timer(g, on_timer, NULL, 60000);
    assert_true(recorded(t1));
    /* watched, a cancel buries nothing for the fast path to take */
    assert_int_equal(eel_cancel(t1), 0);
    assert_int_equal(eel__loop->buried, 0);
    eel_event_id t2 = eel_add_timer(g, on_timer, NULL, 60000);
    assert_true(recorded(t2));
}

/* What eelgdb does when it switches the history on inside a callback
 * (history.py, watch_now): the loop's flag and its buried slot at once. */
static int reads, sv[2];
static eel_event_id rearmed;
static void on_read(eel_group_id g, void *arg, int fd)
{
    (void)arg;
    char c;
    assert_int_equal(read(fd, &c, 1), 1);
    if (++reads == 1) {
        eel__debug_history = 1; /* eelgdb: set var ... */
        eel__loop->watch = 1;
        eel__loop->buried = 0;
        rearmed = eel_add_read(g, on_read, NULL, fd);
        assert_int_equal(write(sv[1], "y", 1), 1);
    }
}

static void watch_set_inside_a_callback_records_the_rearm(void **state)
{
    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(eel_add_read(g, on_read, NULL, sv[0]), 0);
    assert_int_equal(write(sv[1], "x", 1), 1);
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(reads, 2);
    assert_int_not_equal(rearmed, 0);
    /* the re-arm went the recording way: its record names the callback
     * that made it, and it ran (a stale record would be of an older gen) */
    uint32_t e = eel__id_slot(rearmed);
    assert_int_equal(eel__loop->evi[e].gen, eel__id_gen(rearmed));
    assert_non_null(eel__loop->evi[e].site);
    eel_close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(unwatched_fast_path_records_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            history_switched_on_is_seen_at_the_next_turn, setup, teardown),
        cmocka_unit_test_setup_teardown(
            watch_set_inside_a_callback_records_the_rearm, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
