/*
 * check_test.c - EEL_CHECK: each report, asserted word for word, and the
 * silence of correct programs.  Run once per backend (EEL_BACKEND).
 *
 * Ids in the expected text are predictable: a fresh loop hands out group
 * and event slot 1 first, generation 1, so the first of each is 0x1000001.
 */
#include "harness.h"

#include <fcntl.h>
#include <sys/socket.h>

#define G1 "0x1000001"
#define G2 "0x1000002"

static void end_group(eel_group_id g, void *arg, int fd)
{
    (void)arg, (void)fd;
    eel_delete_group_id(g);
}

static void nothing(eel_group_id g, void *arg, int fd)
{
    (void)g, (void)arg, (void)fd;
}

/* ---- A chain that ends without deleting its group ------------------------ */

static void second(eel_group_id g, void *arg, int fd)
{
    (void)g, (void)arg, (void)fd;
    /* forgets to delete g or register: the leak */
}

static void first(eel_group_id g, void *arg, int fd)
{
    (void)arg, (void)fd;
    AT(2), eel_add_timer(g, second, NULL, 0);
}

static void leak_main(void)
{
    eel_group_id g;
    AT(0), g = eel_new_group_id();
    AT(1), eel_add_timer(g, first, NULL, 0);
    eel_dispatch();
}

static void leak_want(char *w, size_t n)
{
    snprintf(w, n,
             "eel-check: leak: group " G1 " has nothing pending after second "
             "returned\n"
             "eel-check:   group created at check_test.c:%d (leak_main)\n"
             "eel-check:   chain, newest first:\n"
             "eel-check:     second [timer] registered at check_test.c:%d "
             "(first)\n"
             "eel-check:     first [timer] registered at check_test.c:%d "
             "(leak_main)\n"
             "eel-check:     (registered outside any callback)\n",
             sh->line[0], sh->line[2], sh->line[1]);
}

/* ---- The same with the group marked as waiting: no report ---------------- */

static void waiting_main(void)
{
    eel_group_id g = eel_new_group_id();
    eel_group_set_waiting(g, 1);
    eel_add_timer(g, first, NULL, 0);
    eel_dispatch();
}

/* ---- A group made in a callback and left with nothing -------------------- */

static void spawner(eel_group_id g, void *arg, int fd)
{
    (void)arg, (void)fd;
    AT(2), eel_new_group_id();
    eel_delete_group_id(g);
}

static void orphan_main(void)
{
    eel_group_id g;
    AT(0), g = eel_new_group_id();
    AT(1), eel_add_timer(g, spawner, NULL, 0);
    eel_dispatch();
}

static void orphan_want(char *w, size_t n)
{
    snprintf(w, n,
             "eel-check: leak: group " G2 " has nothing pending after spawner "
             "returned\n"
             "eel-check:   group created at check_test.c:%d (spawner)\n"
             "eel-check:   chain, newest first:\n"
             "eel-check:     spawner [timer] registered at check_test.c:%d "
             "(orphan_main)\n"
             "eel-check:     (registered outside any callback)\n",
             sh->line[2], sh->line[1]);
}

/* ---- eel_close() of an fd another group waits on ------------------------- */

static void closer(eel_group_id g, void *arg, int fd)
{
    (void)arg, (void)fd;
    eel_close(sh->fd[0]);
    eel_delete_group_id(g);
}

static void closed_by_other_main(void)
{
    int p[2];
    if (pipe(p) < 0)
        exit(4);
    sh->fd[0] = p[0];
    eel_group_id reader, other;
    AT(0), reader = eel_new_group_id();
    eel_add_read(reader, nothing, NULL, p[0]);
    other = eel_new_group_id();
    AT(1), eel_add_timer(other, closer, NULL, 1);
    eel_dispatch();
    close(p[1]);
}

static void closed_by_other_want(char *w, size_t n)
{
    snprintf(w, n,
             "eel-check: leak: group " G1 " has nothing pending after closer "
             "returned\n"
             "eel-check:   group created at check_test.c:%d "
             "(closed_by_other_main)\n"
             "eel-check:   chain, newest first:\n"
             "eel-check:     closer [timer] registered at check_test.c:%d "
             "(closed_by_other_main)\n"
             "eel-check:     (registered outside any callback)\n",
             sh->line[0], sh->line[1]);
}

/* ---- Registration with a deleted or unknown group ------------------------ */

static void bad_group_main(void)
{
    eel_group_id g = eel_new_group_id();
    eel_delete_group_id(g);
    AT(0), eel_add_timer(g, nothing, NULL, 0);
    AT(1), eel_add_read((eel_group_id)12345, nothing, NULL, 0);
}

static void bad_group_want(char *w, size_t n)
{
    snprintf(w, n,
             "eel-check: registration with deleted group " G1
             " at check_test.c:%d (bad_group_main)\n"
             "eel-check: registration with unknown group 0x3039 at "
             "check_test.c:%d (bad_group_main)\n",
             sh->line[0], sh->line[1]);
}

/* ---- Cancel of a fired, then of a cancelled event ------------------------ */

static void cancel_fired(eel_group_id g, void *arg, int fd)
{
    (void)arg, (void)fd;
    AT(1), eel_cancel(sh->ev[0]);
    eel_event_id t = eel_add_timer(g, end_group, NULL, 1000);
    eel_cancel(t);
    AT(2), eel_cancel(t);
    eel_delete_group_id(g);
}

static void cancel_main(void)
{
    eel_group_id g = eel_new_group_id();
    AT(0), sh->ev[0] = eel_add_timer(g, cancel_fired, NULL, 0);
    eel_dispatch();
}

static void cancel_want(char *w, size_t n)
{
    snprintf(w, n,
             "eel-check: cancel of event 0x1000001 that already fired "
             "(callback cancel_fired) at check_test.c:%d (cancel_fired) (in "
             "callback cancel_fired)\n"
             "eel-check: cancel of event 0x2000001 that was already "
             "cancelled at check_test.c:%d (cancel_fired) (in callback "
             "cancel_fired)\n",
             sh->line[1], sh->line[2]);
}

/* ---- Deleting a group twice ---------------------------------------------- */

static void double_delete_main(void)
{
    eel_group_id g = eel_new_group_id();
    eel_delete_group_id(g);
    AT(0), eel_delete_group_id(g);
}

static void double_delete_want(char *w, size_t n)
{
    snprintf(w, n,
             "eel-check: delete of already deleted group " G1
             " at check_test.c:%d (double_delete_main)\n",
             sh->line[0]);
}

/* ---- close() (not eel_close) of an fd with a waiting event --------------- */

static void closed_fd_main(void)
{
    int p[2];
    if (pipe(p) < 0)
        exit(4);
    sh->fd[0] = p[0];
    eel_group_id g = eel_new_group_id();
    AT(0), eel_add_read(g, nothing, NULL, p[0]);
    close(p[0]);
    eel_add_timer(g, end_group, NULL, 20);
    eel_dispatch();
    close(p[1]);
}

static void closed_fd_want(char *w, size_t n)
{
    snprintf(w, n,
             "eel-check: fd %d was closed while event 0x1000001 waits on "
             "it\n"
             "eel-check:   nothing [read fd %d] of group " G1
             " registered at check_test.c:%d (closed_fd_main)\n"
             "eel-check:   (close fds that have events with eel_close())\n",
             sh->fd[0], sh->fd[0], sh->line[0]);
}

static void reused_fd_main(void)
{
    int p[2];
    if (pipe(p) < 0)
        exit(4);
    sh->fd[0] = p[0];
    eel_group_id g = eel_new_group_id();
    AT(0), eel_add_read(g, nothing, NULL, p[0]);
    close(p[0]);
    if (open("/dev/null", O_RDONLY) != p[0])
        exit(5);
    eel_add_timer(g, end_group, NULL, 20);
    eel_dispatch();
    close(p[0]);
    close(p[1]);
}

static void reused_fd_want(char *w, size_t n)
{
    snprintf(w, n,
             "eel-check: fd %d was closed and reused for another file while "
             "event 0x1000001 waits on it\n"
             "eel-check:   nothing [read fd %d] of group " G1
             " registered at check_test.c:%d (reused_fd_main)\n"
             "eel-check:   (close fds that have events with eel_close())\n",
             sh->fd[0], sh->fd[0], sh->line[0]);
}

/* The same from a callback, while another event of the group waits on the
 * fd (with epoll the loop wakes that one with an error first; with poll it
 * stays in the fd's list; both are seen). */
static void on_error(eel_group_id g, void *arg, int fd)
{
    (void)arg, (void)fd;
    eel_delete_group_id(g);
}

static void read_and_close(eel_group_id g, void *arg, int fd)
{
    char c;
    (void)g, (void)arg;
    if (read(fd, &c, 1) != 1)
        exit(4);
    close(fd); /* bug: on_error still waits on fd */
}

static void closed_in_callback_main(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
        write(sv[1], "x", 1) != 1)
        exit(4);
    sh->fd[0] = sv[0];
    eel_group_id g = eel_new_group_id();
    eel_add_read(g, read_and_close, NULL, sv[0]);
    AT(0), eel_add_error(g, on_error, NULL, sv[0]);
    eel_dispatch();
    close(sv[1]);
}

static void closed_in_callback_want(char *w, size_t n)
{
    snprintf(w, n,
             "eel-check: fd %d was closed while event 0x1000002 waits on "
             "it\n"
             "eel-check:   on_error [error fd %d] of group " G1
             " registered at check_test.c:%d (closed_in_callback_main)\n"
             "eel-check:   (close fds that have events with eel_close())\n",
             sh->fd[0], sh->fd[0], sh->line[0]);
}

/* ---- A group alive with nothing pending at eel_shutdown ------------------ */

static void shutdown_main(void)
{
    AT(0), eel_new_group_id();
    eel_group_id w = eel_new_group_id();
    eel_group_set_waiting(w, 1); /* on purpose: not reported */
}

static void shutdown_want(char *w, size_t n)
{
    snprintf(w, n,
             "eel-check: group " G1 " still alive with nothing pending at "
             "eel_shutdown\n"
             "eel-check:   group created at check_test.c:%d (shutdown_main)\n",
             sh->line[0]);
}

/* ---- A correct program: reads, times out, ends its chains ---------------- */

static void got(eel_group_id g, void *arg, int fd)
{
    char c;
    (void)arg;
    if (read(fd, &c, 1) == 1)
        eel_add_read_timeout(g, got, end_group, NULL, fd, 10);
    else
        eel_delete_group_id(g);
}

static void clean_main(void)
{
    int p[2];
    if (pipe(p) < 0)
        exit(4);
    if (write(p[1], "ab", 2) != 2)
        exit(4);
    eel_group_id g = eel_new_group_id();
    eel_add_read_timeout(g, got, end_group, NULL, p[0], 1000);
    eel_group_id h = eel_new_group_id();
    eel_add_timer(h, end_group, NULL, 5);
    eel_dispatch();
    close(p[0]);
    close(p[1]);
}

/* ---- eel_break() from a callback: main may still end the chain --------- */

static void stopper(eel_group_id g, void *arg, int fd)
{
    (void)g, (void)arg, (void)fd;
    eel_break(); /* leaves g empty: main deletes it */
}

static void break_main(void)
{
    eel_group_id g = eel_new_group_id();
    eel_add_timer(g, stopper, NULL, 0);
    eel_dispatch();
    eel_delete_group_id(g);
}

/* ... but if the loop is resumed with the group still empty, it leaked. */
static void break_resume_main(void)
{
    eel_group_id g, h;
    AT(0), g = eel_new_group_id();
    AT(1), eel_add_timer(g, stopper, NULL, 0);
    h = eel_new_group_id();
    eel_add_timer(h, end_group, NULL, 10);
    eel_dispatch();
    eel_dispatch();
}

static void break_resume_want(char *w, size_t n)
{
    snprintf(w, n,
             "eel-check: leak: group " G1 " has nothing pending after stopper "
             "returned\n"
             "eel-check:   group created at check_test.c:%d "
             "(break_resume_main)\n"
             "eel-check:   chain, newest first:\n"
             "eel-check:     stopper [timer] registered at check_test.c:%d "
             "(break_resume_main)\n"
             "eel-check:     (registered outside any callback)\n",
             sh->line[0], sh->line[1]);
}

/* ---- An EEL_CHECK value that is not understood -------------------------- */

static void bad_env_want(char *w, size_t n)
{
    snprintf(w, n,
             "eel: EEL_CHECK=yes not understood (use 1 or abort); "
             "checks are off\n");
}

/* ---- The runner ---------------------------------------------------------- */

struct scenario {
    const char *name;
    void (*fn)(void);
    void (*want)(char *, size_t); /* NULL: no output */
    const char *mode;             /* EEL_CHECK value */
};

static const struct scenario cases[] = {
    {"leak", leak_main, leak_want, "1"},
    {"leak_abort", leak_main, leak_want, "abort"},
    {"leak_unchecked", leak_main, NULL, "0"},
    {"waiting_is_not_leak", waiting_main, NULL, "1"},
    {"orphan_group", orphan_main, orphan_want, "1"},
    {"eel_close_empties_other_group", closed_by_other_main,
     closed_by_other_want, "1"},
    {"bad_group", bad_group_main, bad_group_want, "1"},
    {"stale_cancel", cancel_main, cancel_want, "1"},
    {"double_delete", double_delete_main, double_delete_want, "1"},
    {"closed_fd", closed_fd_main, closed_fd_want, "1"},
    {"reused_fd", reused_fd_main, reused_fd_want, "1"},
    {"closed_fd_in_callback", closed_in_callback_main, closed_in_callback_want,
     "1"},
    {"shutdown_alive", shutdown_main, shutdown_want, "1"},
    {"clean_program", clean_main, NULL, "1"},
    {"break_then_main_deletes", break_main, NULL, "1"},
    {"break_then_resume", break_resume_main, break_resume_want, "1"},
    {"bad_env_value", clean_main, bad_env_want, "yes"},
};

int main(void)
{
    harness_init();
    static struct outcome o;
    char want[8192];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct scenario *c = &cases[i];
        run_child(c->fn, "EEL_CHECK", c->mode, &o);
        want[0] = 0;
        if (c->want)
            c->want(want, sizeof(want));
        expect_text(c->name, o.err, want);
        expect_status(c->name, o.status, strcmp(c->mode, "abort") == 0);
    }
    printf("%s: %d failed\n", failures ? "FAIL" : "PASS", failures);
    return failures != 0;
}
