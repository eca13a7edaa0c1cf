/*
 * util.c - helpers shared by the libeel test binaries (see util.h).
 */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct t_call t_log[T_LOG_MAX];
int t_nlog;

uint64_t t_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void t_pair(int sv[2])
{
    int r =
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv);
    assert_int_equal(r, 0);
}

void t_write1(int fd)
{
    char c = 'x';
    assert_int_equal(write(fd, &c, 1), 1);
}

int t_drain(int fd)
{
    char buf[4096];
    int total = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n > 0) {
            total += (int)n;
            continue;
        }
        if (n == 0)
            return total;
        return total ? total : -1;
    }
}

void t_spin_ms(unsigned ms)
{
    uint64_t end = t_clock_ms() + ms;
    while (t_clock_ms() < end) {
    }
}

int t_instrumented(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return 1;
#endif
#endif
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "vgpreload") != NULL;
}

const char *t_backend_wanted(void)
{
    const char *b = getenv("EEL_BACKEND");
    return (b && *b) ? b : "epoll";
}

int t_setup(void **state)
{
    (void)state;
    t_log_reset();
    if (eel_init() != 0) {
        fprintf(stderr, "eel_init: %s\n", strerror(errno));
        return -1;
    }
    const char *b = eel_backend();
    if (!b || strcmp(b, t_backend_wanted()) != 0) {
        fprintf(stderr, "backend %s, wanted %s\n", b ? b : "(none)",
                t_backend_wanted());
        return -1;
    }
    return 0;
}

int t_teardown(void **state)
{
    (void)state;
    eel_shutdown();
    return 0;
}

void t_log_reset(void)
{
    memset(t_log, 0, sizeof(t_log));
    t_nlog = 0;
}

void t_rec_cb(eel_group_id gid, void *arg, int fd)
{
    if (t_nlog >= T_LOG_MAX)
        return;
    struct t_call *c = &t_log[t_nlog++];
    c->gid = gid;
    c->arg = arg;
    c->fd = fd;
    c->cur_ev = eel_current_event();
    c->cur_gid = eel_current_group();
    c->at = t_clock_ms();
}

int t_tag(int i)
{
    return (int)(intptr_t)t_log[i].arg;
}

int t_count(int tag)
{
    int n = 0;
    for (int i = 0; i < t_nlog; i++)
        n += t_tag(i) == tag;
    return n;
}

static int guard_fired;

static void guard_cb(eel_group_id gid, void *arg, int fd)
{
    (void)gid, (void)arg, (void)fd;
    guard_fired = 1;
}

static int run_until(int n, volatile int *flag, int ms)
{
    eel_group_id g = eel_new_group_id();
    assert_int_not_equal(g, 0);
    guard_fired = 0;
    assert_int_not_equal(eel_add_timer(g, guard_cb, NULL, ms), 0);
    int ok;
    for (;;) {
        ok = flag ? *flag != 0 : t_nlog >= n;
        if (ok || guard_fired)
            break;
        if (eel_run(EEL_RUN_ONCE) < 0)
            break;
    }
    eel_delete_group_id(g); /* drops the guard if it has not fired */
    return ok;
}

int t_run_until_calls(int n, int ms)
{
    return run_until(n, NULL, ms);
}

int t_run_until_flag(volatile int *flag, int ms)
{
    return run_until(0, flag, ms);
}
