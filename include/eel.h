/*
 * eel.h - the Explicit Event Library (libeel), public interface.
 *
 * Every registration names its callback, its argument and its group (the
 * logical connection) explicitly, and fires at most once.  Keeping all of it
 * in the call's arguments, rather than in long-lived watcher structures, is
 * what lets the eel tools (eelstatechart, eelverify, eelgdb) follow a
 * program's callback chains statically and at run time.
 *
 * One loop per thread: every function acts on the calling thread's loop,
 * created by eel_init().  Functions that fail return 0 or -1 and set errno.
 */
#ifndef EEL_H
#define EEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EEL_VERSION_MAJOR 1
#define EEL_VERSION_MINOR 0
#define EEL_VERSION_PATCH 0
/* Encoded as major*10000 + minor*100 + patch, comparable with <, >. */
#define EEL_VERSION_NUMBER                                                     \
    (EEL_VERSION_MAJOR * 10000 + EEL_VERSION_MINOR * 100 + EEL_VERSION_PATCH)
#define EEL_VERSION_STRING "1.0.0"

/* A logical connection.  0 is never a valid group. */
typedef uint64_t eel_group_id;
/* One pending registration.  0 means "failed"; errno says why. */
typedef uint64_t eel_event_id;
/* Every callback: its group, the registration's argument, and the fd the
 * event was for (-1 for timers, the signal number for signals). */
typedef void (*eel_callback)(eel_group_id gid, void *arg, int fd);

/* ---- Loop -------------------------------------------------------------- */

/* Creates this thread's loop.  0, or -1 with errno (EBUSY: already made;
 * EINVAL: $EEL_BACKEND names no backend; ENOMEM, or the backend's error). */
int eel_init(void);
/* Runs callbacks until no event is pending or eel_break() is called.
 * 0, or -1 with errno (EINVAL: no loop on this thread; EDEADLK: called from a
 * callback; or the backend's error). */
int eel_dispatch(void);
/* How eel_run() waits. */
enum eel_run_mode {
    EEL_RUN_DEFAULT = 0, /* like eel_dispatch() */
    EEL_RUN_ONCE = 1,    /* wait for at least one event, run what is ready */
    EEL_RUN_NOWAIT = 2   /* poll without waiting, run what is ready */
};
/* One or more loop turns; for embedding libeel in another loop.  Returns the
 * number of events still pending (>= 0), or -1 with errno. */
int eel_run(enum eel_run_mode mode);
/* Makes the running eel_dispatch()/eel_run() return after the current
 * callback.  Outside a dispatch, the next dispatch returns at once. */
void eel_break(void);
/* Frees this thread's loop; pending events are dropped, callbacks not run. */
void eel_shutdown(void);
/* The loop's cached monotonic time in milliseconds, refreshed each turn. */
uint64_t eel_now(void);
/* Refreshes the cached time from the clock and returns it. */
uint64_t eel_update_time(void);
/* The polling backend in use: "epoll" or "poll" (NULL without a
 * loop).  $EEL_BACKEND chooses it at eel_init(). */
const char *eel_backend(void);
/* The library's version number and string (may differ from the header's). */
int eel_version(void);
const char *eel_version_string(void);

/* ---- Groups ------------------------------------------------------------ */

/* A new group id, never equal to one handed out before; 0 with errno. */
eel_group_id eel_new_group_id(void);
/* Cancels every pending event of the group and retires the id.  A stale or
 * unknown id is ignored (errno EINVAL is set). */
void eel_delete_group_id(eel_group_id gid);
/* Number of pending events of the group, or -1 with errno EINVAL. */
int eel_group_pending(eel_group_id gid);
/* Declares that a group waits on something other than a libeel event (a
 * queue, another group), so the run-time leak check (EEL_CHECK) does not
 * report it while it has nothing pending.  0, or -1 with errno EINVAL. */
int eel_group_set_waiting(eel_group_id gid, int waiting);

/* ---- Events ------------------------------------------------------------ */
/* All registrations are one-shot: one registration, at most one call.
 * Errors: EINVAL (no loop, unknown/deleted group, NULL callback, negative
 * timeout), EBADF (invalid fd), EPERM (epoll cannot watch the fd, e.g. a
 * regular file), ENOMEM. */

/* Calls cb after timeout_milliseconds (0: on the next loop turn). */
eel_event_id eel_add_timer(eel_group_id gid, eel_callback cb, void *cb_arg,
                           int timeout_milliseconds);
/* Calls cb once fd is readable (or at end of file, or on error). */
eel_event_id eel_add_read(eel_group_id gid, eel_callback cb, void *cb_arg,
                          int fd);
/* Calls cb once fd is writable (or on error). */
eel_event_id eel_add_write(eel_group_id gid, eel_callback cb, void *cb_arg,
                           int fd);
/* Calls cb once fd reports an error or hang-up. */
eel_event_id eel_add_error(eel_group_id gid, eel_callback cb, void *cb_arg,
                           int fd);
/* Calls exactly one of cb (fd readable) or timeout_cb (timeout_milliseconds
 * passed first; its fd argument is fd). */
eel_event_id eel_add_read_timeout(eel_group_id gid, eel_callback cb,
                                  eel_callback timeout_cb, void *cb_arg, int fd,
                                  int timeout_milliseconds);
/* Calls exactly one of cb (fd writable) or timeout_cb. */
eel_event_id eel_add_write_timeout(eel_group_id gid, eel_callback cb,
                                   eel_callback timeout_cb, void *cb_arg,
                                   int fd, int timeout_milliseconds);
/* Calls cb once signal signum is delivered; cb's fd argument is signum.
 * A signal arriving while no registration waits for it is kept until one
 * does.  Errors as above, and EINVAL for a signal that cannot be caught. */
eel_event_id eel_add_signal(eel_group_id gid, eel_callback cb, void *cb_arg,
                            int signum);
/* Cancels a pending event: 0, or -1 with errno EINVAL if it already fired,
 * was cancelled, or never existed. */
int eel_cancel(eel_event_id ev);
/* Cancels every pending event on fd, then closes it.  Use it instead of
 * close() for fds that may have events, and for a callback's own fd whose
 * number it may reuse at once (docs/api.md, "Closing fds").  Returns
 * close()'s result. */
int eel_close(int fd);

/* ---- Introspection (for tools and tests) -------------------------------- */

/* Total events pending on this thread's loop (0 without a loop). */
int eel_pending(void);
/* The group of the callback now running, or 0 outside a callback. */
eel_group_id eel_current_group(void);
/* The event whose callback is now running, or 0 outside a callback. */
eel_event_id eel_current_event(void);

#ifdef __cplusplus
}
#endif
#endif /* EEL_H */
