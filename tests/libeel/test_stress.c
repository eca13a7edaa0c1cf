/*
 * test_stress.c - 10,000 fds (5,000 socketpairs, every end registered):
 * bytes circulate between random fds through one-shot reads re-armed from
 * their callbacks; every byte must be read exactly once, no read callback
 * may find its fd empty, and the loop must wind down to zero pending.
 */
#include "util.h"

#include <sys/resource.h>
#include <unistd.h>

enum { NPAIRS = 5000, NFDS = 2 * NPAIRS, ACTIVE = 100 };

static int fds[NFDS]; /* fds[2i], fds[2i+1]: the two ends of pair i */
static eel_group_id groups[NPAIRS];
static long written, consumed, empty_reads, calls, budget;
static unsigned seed = 1;

static int peer(int i)
{
    return i ^ 1;
}

static void write_to_random(void)
{
    seed = seed * 1103515245u + 12345u;
    int target = (int)((seed >> 8) % NFDS); /* make fds[target] readable */
    t_write1(fds[peer(target)]);
    written++;
}

static void read_cb(eel_group_id g, void *arg, int fd)
{
    (void)arg;
    calls++;
    int n = t_drain(fd);
    if (n <= 0)
        empty_reads++;
    else
        consumed += n;
    if (!eel_add_read(g, read_cb, NULL, fd))
        empty_reads += 1000000; /* fails the test */
    /* Keep ACTIVE bytes in flight until the budget is spent. */
    for (; n > 0 && written < budget; n--)
        write_to_random();
}

static int raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -1;
    rlim_t want = NFDS + 100;
    if (rl.rlim_cur >= want)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
        return -1;
    rl.rlim_cur = want;
    return setrlimit(RLIMIT_NOFILE, &rl);
}

static void ten_thousand_fds(void **state)
{
    (void)state;
    if (raise_fd_limit() < 0) {
        print_message("RLIMIT_NOFILE hard limit too low for %d fds\n", NFDS);
        skip();
    }
    for (int i = 0; i < NPAIRS; i++) {
        int sv[2];
        t_pair(sv);
        fds[2 * i] = sv[0];
        fds[2 * i + 1] = sv[1];
    }
    for (int i = 0; i < NPAIRS; i++) {
        groups[i] = eel_new_group_id();
        assert_int_not_equal(groups[i], 0);
        assert_int_not_equal(eel_add_read(groups[i], read_cb, NULL, fds[2 * i]),
                             0);
        assert_int_not_equal(
            eel_add_read(groups[i], read_cb, NULL, fds[2 * i + 1]), 0);
    }
    assert_int_equal(eel_pending(), NFDS);
    written = consumed = empty_reads = calls = 0;
    budget = t_instrumented() ? 5000 : 50000;
    for (int i = 0; i < ACTIVE; i++)
        write_to_random();
    uint64_t end = t_clock_ms() + 20000;
    while (consumed < budget && t_clock_ms() < end)
        assert_true(eel_run(EEL_RUN_ONCE) >= 0);
    assert_int_equal(written, budget);
    assert_int_equal(consumed, budget); /* every byte read exactly once */
    assert_int_equal(empty_reads, 0);   /* no spurious wake-up */
    assert_true(calls <= budget);
    assert_int_equal(eel_pending(), NFDS); /* every read re-armed */
    /* Wind down: half by deleting groups, half by eel_close. */
    for (int i = 0; i < NPAIRS / 2; i++)
        eel_delete_group_id(groups[i]);
    assert_int_equal(eel_pending(), NFDS / 2);
    for (int i = NPAIRS; i < NFDS; i++)
        assert_int_equal(eel_close(fds[i]), 0);
    assert_int_equal(eel_pending(), 0);
    assert_int_equal(eel_dispatch(), 0);
    for (int i = 0; i < NPAIRS; i++)
        close(fds[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(ten_thousand_fds, t_setup, t_teardown),
    };
    return cmocka_run_group_tests_name("stress", tests, NULL, NULL);
}
