/*
 * ring.c - eel-bench-history: what libeel's always-on history ring (the
 * record "eel backtrace" walks, src/debug.c) costs per callback.
 *
 * Two loads, each timed as CPU ns per callback:
 *   pingpong  pairs of groups bounce one byte over socketpairs (a callback
 *             per read or write readiness: the realistic case);
 *   timers    many groups re-arm 0 ms timers (no I/O: callbacks are as
 *             cheap as libeel allows, so the ring's share is largest).
 * The program measures whichever libeel it is linked with; compare.sh
 * builds it against libeel with and without the ring and prints ratios.
 * Usage: eel-bench-history [callbacks [pingpong|timers]]
 *        (default: 2000000 callbacks, both loads)
 */
#include <eel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAIRS 8
#define TIMERS 256

static long budget; /* callbacks left in the current load */
static long done;

/* CPU time, not wall time: the machine is shared, and being descheduled
 * while the loop waits must not count as libeel's cost. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_bounce(eel_group_id gid, void *arg, int fd)
{
    char c;
    (void)arg;
    done++;
    if (read(fd, &c, 1) != 1 || budget-- <= 0) {
        eel_delete_group_id(gid);
        eel_break(); /* the peers' reads stay pending: stop here */
        return;
    }
    if (write(fd, &c, 1) == 1)
        eel_add_read(gid, on_bounce, NULL, fd);
}

static void on_tick(eel_group_id gid, void *arg, int fd)
{
    (void)fd;
    done++;
    if (budget-- <= 0) {
        eel_delete_group_id(gid);
        return;
    }
    eel_add_timer(gid, on_tick, arg, 0);
}

static double run_pingpong(long n)
{
    int sv[PAIRS][2];
    budget = n;
    done = 0;
    for (int i = 0; i < PAIRS; i++) {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]) < 0) {
            perror("socketpair");
            exit(1);
        }
        for (int k = 0; k < 2; k++)
            eel_add_read(eel_new_group_id(), on_bounce, NULL, sv[i][k]);
        if (write(sv[i][0], "x", 1) != 1)
            exit(1);
    }
    double t = now_s();
    if (eel_dispatch() < 0) {
        perror("eel_dispatch");
        exit(1);
    }
    t = now_s() - t;
    for (int i = 0; i < PAIRS; i++) { /* cancels what is left */
        eel_close(sv[i][0]);
        eel_close(sv[i][1]);
    }
    return t * 1e9 / (double)done;
}

static double run_timers(long n)
{
    budget = n;
    done = 0;
    for (int i = 0; i < TIMERS; i++)
        eel_add_timer(eel_new_group_id(), on_tick, NULL, 0);
    double t = now_s();
    if (eel_dispatch() < 0) {
        perror("eel_dispatch");
        exit(1);
    }
    return (now_s() - t) * 1e9 / (double)done;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    const char *only = argc > 2 ? argv[2] : "";
    if (n <= 0 || argc > 3 ||
        (*only && strcmp(only, "pingpong") && strcmp(only, "timers"))) {
        fprintf(stderr, "usage: eel-bench-history [callbacks > 0 "
                        "[pingpong|timers]]\n");
        return 2;
    }
    if (eel_init() < 0) {
        perror("eel_init");
        return 1;
    }
    if (strcmp(only, "timers") != 0)
        printf("pingpong %.1f ns/callback\n", run_pingpong(n));
    if (strcmp(only, "pingpong") != 0)
        printf("timers %.1f ns/callback\n", run_timers(n));
    eel_shutdown();
    return 0;
}
