/*
 * bench.c - the cost of libeel's instrumentation hooks (issue 7).
 *
 * Built twice by bench/runtime/CMakeLists.txt: against the library as
 * shipped (eelrt_bench), and against a copy whose loop has the `l->instr`
 * branches compiled out (eelrt_bench_noinstr).  run.sh runs both,
 * alternately, and compares medians; with EEL_CHECK/EEL_TRACE/EEL_PROFILE
 * set it also gives the cost of each mode when on.
 *
 * Usage: eelrt_bench timers|pingpong [EVENTS]
 *   timers    64 groups, each a chain of 0 ms timers: loop overhead only
 *   pingpong  two groups bouncing one byte over a socketpair
 * Prints: WORKLOAD EVENTS WALL_S EVENTS_PER_WALL_S CPU_S EVENTS_PER_CPU_S
 * (CPU time, user + system, is what the hooks cost; on a shared machine
 * the wall clock also counts time spent waiting for a core).
 */
#include "eel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long left; /* events still to run */
static int sv[2];
static eel_group_id peers[2];

static double now_s(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void tick(eel_group_id g, void *arg, int fd)
{
    (void)fd;
    if (--left > 0)
        eel_add_timer(g, tick, arg, 0);
    else
        eel_delete_group_id(g);
}

static void run_timers(void)
{
    for (int i = 0; i < 64; i++) {
        eel_group_id g = eel_new_group_id();
        eel_add_timer(g, tick, NULL, 0);
    }
}

static void bounce(eel_group_id g, void *arg, int fd)
{
    char c;
    (void)arg;
    if (read(fd, &c, 1) != 1 || --left <= 0 || write(fd, &c, 1) != 1) {
        /* Done: end both chains, or the peer would wait for ever. */
        eel_delete_group_id(peers[0]);
        eel_delete_group_id(peers[1]);
        return;
    }
    eel_add_read(g, bounce, NULL, fd);
}

static void run_pingpong(void)
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
        perror("socketpair");
        exit(1);
    }
    for (int i = 0; i < 2; i++) {
        peers[i] = eel_new_group_id();
        eel_add_read(peers[i], bounce, NULL, sv[i]);
    }
    if (write(sv[0], "x", 1) != 1)
        exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 2 ||
        (strcmp(argv[1], "timers") && strcmp(argv[1], "pingpong"))) {
        fprintf(stderr, "usage: %s timers|pingpong [EVENTS]\n", argv[0]);
        return 2;
    }
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 1000000;
    if (n <= 0) {
        fprintf(stderr, "%s: EVENTS must be a positive number\n", argv[0]);
        return 2;
    }
    if (eel_init() < 0) {
        perror("eel_init");
        return 1;
    }
    left = n;
    int pp = strcmp(argv[1], "pingpong") == 0;
    double t0 = now_s(CLOCK_MONOTONIC);
    double c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    if (pp)
        run_pingpong();
    else
        run_timers();
    if (eel_dispatch() < 0) {
        perror("eel_dispatch");
        return 1;
    }
    double t = now_s(CLOCK_MONOTONIC) - t0;
    double c = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    eel_shutdown();
    printf("%s %ld %.6f %.0f %.6f %.0f\n", argv[1], n, t, (double)n / t, c,
           (double)n / c);
    if (pp) {
        close(sv[0]);
        close(sv[1]);
    }
    return 0;
}
