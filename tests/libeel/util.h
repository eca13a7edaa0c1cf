/*
 * util.h - helpers shared by the libeel test binaries.
 *
 * Each binary is one feature; every test gets a fresh loop (t_setup) that
 * must be on the backend ctest asked for in $EEL_BACKEND, so a test that
 * passes is known to have run on that backend.  Callbacks only record what
 * happened (the t_log); the test body makes the assertions, because a
 * cmocka failure inside a callback would longjmp out of the loop.
 */
#ifndef EEL_TEST_UTIL_H
#define EEL_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "eel.h"

/* Monotonic milliseconds, read from the clock (not the loop's cache). */
uint64_t t_clock_ms(void);
/* A non-blocking, close-on-exec AF_UNIX stream socketpair. */
void t_pair(int sv[2]);
/* Writes one byte; the peer becomes readable. */
void t_write1(int fd);
/* Reads whatever is there; returns the count (0 at EOF, -1 if none). */
int t_drain(int fd);
/* Busy-waits ms milliseconds (a callback that takes long). */
void t_spin_ms(unsigned ms);
/* True when running under AddressSanitizer or valgrind (slow, or with an
 * allocator that must not be asked for absurd sizes). */
int t_instrumented(void);
/* The backend ctest chose ($EEL_BACKEND, "epoll" when unset). */
const char *t_backend_wanted(void);

/* A test that needs a closed fd number to come back for a new file skips
 * itself when something else (say, a tracer's file) took the number. */
#define T_REQUIRE_REUSE(newfd, oldfd)                                          \
    do {                                                                       \
        if ((newfd) != (oldfd)) {                                              \
            print_message("fd %d not reused (got %d): skipped\n", (oldfd),     \
                          (newfd));                                            \
            skip();                                                            \
        }                                                                      \
    } while (0)

/* cmocka group setup/teardown: a fresh loop per test. */
int t_setup(void **state);
int t_teardown(void **state);

/* ---- What callbacks did ------------------------------------------------ */

#define T_LOG_MAX 256
struct t_call {
    eel_group_id gid;
    void *arg;
    int fd;
    eel_event_id cur_ev;  /* eel_current_event() during the call */
    eel_group_id cur_gid; /* eel_current_group() during the call */
    uint64_t at;          /* t_clock_ms() when called */
};
extern struct t_call t_log[T_LOG_MAX];
extern int t_nlog;
void t_log_reset(void);
/* A callback that only records its call. */
void t_rec_cb(eel_group_id gid, void *arg, int fd);
/* The arg of the i-th recorded call, as an integer tag. */
int t_tag(int i);
/* How many recorded calls carried tag. */
int t_count(int tag);
#define T_TAG(n) ((void *)(intptr_t)(n))

/* ---- Bounded running --------------------------------------------------- */

/* Runs the loop one turn at a time (EEL_RUN_ONCE) until t_nlog reaches n or
 * ms milliseconds pass; a guard timer in a group of its own bounds the wait,
 * so a bug that loses an event fails the test instead of hanging it.
 * Returns 1 if n calls were recorded in time. */
int t_run_until_calls(int n, int ms);
/* Same, but waits until *flag becomes non-zero. */
int t_run_until_flag(volatile int *flag, int ms);

#endif /* EEL_TEST_UTIL_H */
