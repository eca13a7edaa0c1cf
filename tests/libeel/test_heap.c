/*
 * test_heap.c - the timer heap from the inside: after every operation of
 * long random runs the heap must be a heap, every event must know its
 * place, the dead entries of lazily cancelled timers must be counted and
 * bounded, and timers must fire in (deadline, registration) order, across
 * a renumbering of the registration counter too.
 *
 * White-box: links the static library and reads its loop (src/loop.h), so
 * it is built and run apart from the public-API tests (one backend: the
 * heap does not depend on it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "heap.h"
#include "loop.h"

#define MAXT 4000

static struct {
    eel_event_id id;
    int ms, order, live;
} t[MAXT];
static int nt, fired[MAXT], nfired;

static void on_timer(eel_group_id g, void *arg, int fd)
{
    (void)g, (void)fd;
    fired[nfired++] = (int)(intptr_t)arg;
}

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* The heap property, every back pointer, and the dead count. */
static void check_heap(void)
{
    struct eel_loop *l = eel__loop;
    uint32_t dead = 0;
    for (uint32_t i = 0; i < l->heap_len; i++) {
        uint32_t e = l->heap[i].ev;
        assert_int_equal(l->ev[e].heap, i + 1);
        if (i > 0)
            assert_true(l->heap[(i - 1) / EEL__ARITY].key <= l->heap[i].key);
        dead += l->ev[e].state == EEL__CANCELLED;
    }
    assert_int_equal(dead, l->heap_dead);
}

/* What compaction keeps after a turn or a growth: the dead at most half of
 * the heap (plus its small floor). */
static void check_compact(void)
{
    struct eel_loop *l = eel__loop;
    assert_true(l->heap_dead <= 64 || l->heap_dead <= l->heap_len / 2);
}

static void add(eel_group_id g, int ms)
{
    assert_true(nt < MAXT);
    t[nt].ms = ms;
    t[nt].order = nt;
    t[nt].live = 1;
    t[nt].id = eel_add_timer(g, on_timer, (void *)(intptr_t)nt, ms);
    assert_int_not_equal(t[nt].id, 0);
    nt++;
}

/* Cancels timer i (it must still be pending) and marks it dead. */
static void cancel(int i)
{
    assert_int_equal(eel_cancel(t[i].id), 0);
    t[i].live = 0;
}

static int by_deadline(const void *a, const void *b)
{
    const int *x = a, *y = b;
    if (t[*x].ms != t[*y].ms)
        return t[*x].ms - t[*y].ms;
    return t[*x].order - t[*y].order;
}

/* Run everything and compare with the live timers in expected order.  The
 * loop's time stood still while the test registered, so a timer's
 * deadline is the same base plus its ms. */
static void run_and_compare(void)
{
    static int want[MAXT];
    int n = 0;
    for (int i = 0; i < nt; i++)
        if (t[i].live)
            want[n++] = i;
    qsort(want, (size_t)n, sizeof(want[0]), by_deadline);
    nfired = 0;
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(nfired, n);
    for (int i = 0; i < n; i++)
        assert_int_equal(fired[i], want[i]);
    assert_int_equal(eel__loop->heap_dead, 0);
}

static int setup(void **state)
{
    (void)state;
    nt = nfired = 0;
    return eel_init();
}

static int teardown(void **state)
{
    (void)state;
    eel_shutdown();
    return 0;
}

/* Adds, cancels, and "cancel then add" (which takes the dead entry over),
 * with few distinct timeouts so that ties are everywhere. */
static void random_operations_keep_the_heap(void **state)
{
    (void)state;
    eel_group_id g[3] = {eel_new_group_id(), eel_new_group_id(),
                         eel_new_group_id()};
    for (int step = 0; step < 3000; step++) {
        uint32_t op = rnd(10);
        int victim = nt ? (int)rnd((uint32_t)nt) : -1;
        if (op < 4 || victim < 0 || !t[victim].live) {
            add(g[rnd(3)], (int)rnd(4));
        } else {
            cancel(victim);
            if (op < 7)
                add(g[rnd(3)], (int)rnd(4));
        }
        check_heap();
    }
    run_and_compare();
}

/* Many timers cancelled: cancelling itself never compacts (it stays O(1)),
 * but the heap's next growth does, instead of growing; the group counts
 * stay right and the rest fire in order. */
static void mass_cancel_compacts_before_growing(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    for (int i = 0; i < 2048; i++)
        add(g, (int)rnd(3));
    uint32_t cap = eel__loop->heap_cap;
    assert_int_equal(eel__loop->heap_len, cap); /* full */
    for (int i = 0; i < 2000; i++) {
        if (i % 10 == 0)
            continue;
        cancel(i);
        check_heap();
    }
    assert_int_equal(eel__loop->heap_dead, 1800);
    assert_int_equal(eel_group_pending(g), 248);
    add(g, 1); /* takes the last cancelled entry over */
    add(g, 2); /* the heap is full: compacted, not grown */
    check_heap();
    check_compact();
    assert_int_equal(eel__loop->heap_cap, cap);
    assert_int_equal(eel__loop->heap_dead, 0);
    assert_int_equal(eel__loop->heap_len, 250);
    run_and_compare();
}

/* Cancels without a registration after them: the next turn compacts. */
static void mass_cancel_compacts_at_the_next_turn(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    for (int i = 0; i < 1000; i++)
        add(g, 60000 + (int)rnd(3));
    for (int i = 0; i < 900; i++)
        cancel(i);
    assert_int_equal(eel__loop->heap_len, 1000);
    assert_int_equal(eel_run(EEL_RUN_NOWAIT), 100);
    check_heap();
    check_compact();
    assert_int_equal(eel__loop->heap_len, 100);
    assert_int_equal(eel_group_pending(g), 100);
}

/* The slots of cancelled timers are taken back before the event table
 * grows: an I/O registration that finds no free slot compacts the heap. */
static void dead_slots_reused_before_the_table_grows(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    eel_group_id g = eel_new_group_id();
    add(g, 60000);
    uint32_t cap = eel__loop->ev_cap;
    while (eel__loop->ev_free)
        add(g, 60000);
    for (int i = 0; i < nt - 10; i++)
        cancel(i);
    assert_int_not_equal(eel_add_read(g, on_timer, NULL, sv[0]), 0);
    assert_int_equal(eel__loop->ev_cap, cap);
    assert_int_equal(eel__loop->heap_dead, 0);
    assert_int_equal(eel__loop->heap_len, 10);
    assert_int_equal(eel_group_pending(g), 11);
    check_heap();
    eel_close(sv[0]);
    close(sv[1]);
}

/* A group deleted while its cancelled timers wait dead in the heap: the
 * slots are let go when their entries leave, never counted again. */
static void delete_group_with_dead_entries(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id(), h = eel_new_group_id();
    for (int i = 0; i < 50; i++)
        add(i % 2 ? g : h, 1);
    for (int i = 0; i < 50; i += 4)
        cancel(i);
    eel_delete_group_id(h);
    for (int i = 0; i < 50; i += 2)
        t[i].live = 0;
    check_heap();
    assert_int_equal(eel_pending(), 25);
    /* a new timer in another group takes the last dead entry over */
    add(g, 0);
    check_heap();
    run_and_compare();
}

/* The registration counter runs out: the heap is renumbered and equal
 * deadlines still fire in registration order. */
static void seq_renumbering_keeps_order(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id();
    for (int i = 0; i < 20; i++)
        add(g, i % 2);
    eel__loop->timer_seq = (UINT32_C(1) << EEL__SEQ_BITS) - 7;
    for (int i = 0; i < 20; i++) {
        add(g, i % 2);
        check_heap();
    }
    assert_true(eel__loop->timer_seq < 100); /* it was renumbered */
    cancel(3);
    add(g, 0);
    check_heap();
    run_and_compare();
}

/* A dead entry changes kind when it is taken over: an I/O wait with a
 * timeout becomes a timer and a timer an I/O wait with a timeout.  Each
 * must then behave as its new self: the timer fires with fd -1 and never
 * for the old fd's data, the I/O wait fires for its fd's data. */
static int io_fired, io_timed_out;
static void on_io(eel_group_id g, void *arg, int fd)
{
    (void)g, (void)arg;
    io_fired = fd;
}
static void on_io_timeout(eel_group_id g, void *arg, int fd)
{
    (void)g, (void)arg, (void)fd;
    io_timed_out++;
}

static void dead_entries_change_kind(void **state)
{
    (void)state;
    int a[2], b[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
    eel_group_id g = eel_new_group_id();
    /* an I/O wait's entry becomes a timer's */
    eel_event_id r =
        eel_add_read_timeout(g, on_io, on_io_timeout, NULL, a[0], 10000);
    assert_int_not_equal(r, 0);
    assert_int_equal(eel_cancel(r), 0);
    add(g, 0);
    check_heap();
    assert_int_equal(write(a[1], "x", 1), 1); /* nobody waits on a[0] now */
    /* a timer's entry becomes an I/O wait's */
    eel_event_id tt = eel_add_timer(g, on_timer, (void *)(intptr_t)999, 5000);
    assert_int_equal(eel_cancel(tt), 0);
    io_fired = -1;
    io_timed_out = 0;
    assert_int_not_equal(
        eel_add_read_timeout(g, on_io, on_io_timeout, NULL, b[0], 10000), 0);
    check_heap();
    assert_int_equal(write(b[1], "y", 1), 1);
    nfired = 0;
    assert_int_equal(eel_dispatch(), 0);
    assert_int_equal(nfired, 1); /* the timer, once */
    assert_int_equal(fired[0], 0);
    assert_int_equal(io_fired, b[0]);
    assert_int_equal(io_timed_out, 0);
    assert_int_equal(eel_pending(), 0);
    assert_int_equal(eel__loop->heap_dead, 0);
    for (int i = 0; i < 2; i++)
        close(a[i]), close(b[i]);
}

/* The last cancelled timer's group is deleted: its entry no longer
 * belongs to anything and is not taken over (a new timer trusts the
 * group of the slot it takes); it is dropped when it reaches the top. */
static void dead_entry_of_a_deleted_group(void **state)
{
    (void)state;
    eel_group_id g = eel_new_group_id(), h = eel_new_group_id();
    eel_event_id t0 = eel_add_timer(h, on_timer, (void *)(intptr_t)77, 3);
    assert_int_equal(eel_cancel(t0), 0);
    assert_int_equal(eel__loop->buried, eel__id_slot(t0));
    eel_delete_group_id(h);
    assert_int_equal(eel__loop->buried, 0);
    assert_int_equal(eel_group_pending(h), -1);
    /* the deleted group's id is refused, even with the slot at hand */
    assert_int_equal(eel_add_timer(h, on_timer, NULL, 1), 0);
    assert_int_equal(eel_add_timer(0, on_timer, NULL, 1), 0);
    add(g, 5);
    assert_int_not_equal(eel__id_slot(t[nt - 1].id), eel__id_slot(t0));
    check_heap();
    assert_int_equal(eel__loop->heap_dead, 1);
    assert_int_equal(eel_group_pending(g), 1);
    run_and_compare();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(random_operations_keep_the_heap, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(mass_cancel_compacts_before_growing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(mass_cancel_compacts_at_the_next_turn,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            dead_slots_reused_before_the_table_grows, setup, teardown),
        cmocka_unit_test_setup_teardown(delete_group_with_dead_entries, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(seq_renumbering_keeps_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(dead_entries_change_kind, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(dead_entry_of_a_deleted_group, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
