/*
 * harness.h - runs one scenario of a runtime test in a child process with
 * chosen EEL_* variables, capturing its stderr, so that every scenario gets
 * a fresh loop and a crash or abort() is observed rather than suffered.
 *
 * Scenarios record the source lines of their calls (AT(k)) and any fd
 * numbers in `sh`, a page shared with the parent, which then builds the
 * exact text it expects from them.
 */
#ifndef RT_HARNESS_H
#define RT_HARNESS_H

#include "eel.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct shared {
    int line[16];
    int fd[4];
    eel_event_id ev[4];
    eel_group_id gid[4];
};
static struct shared *sh;

/* Records the line of the call that follows on the same line. */
#define AT(k) (sh->line[k] = __LINE__)

struct outcome {
    char err[16384]; /* the child's stderr */
    int status;      /* from waitpid */
};

static void harness_init(void)
{
    sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
}

/* Runs fn() between eel_init() and eel_shutdown() (unless fn exits) in a
 * child whose environment has `var`=`val` (or nothing set for var NULL). */
static void run_child(void (*fn)(void), const char *var, const char *val,
                      struct outcome *o)
{
    int p[2];
    memset(sh, 0, sizeof(*sh));
    memset(o, 0, sizeof(*o));
    fflush(NULL);
    if (pipe(p) < 0) {
        perror("pipe");
        exit(2);
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(2);
    }
    if (pid == 0) {
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        unsetenv("EEL_CHECK");
        unsetenv("EEL_TRACE");
        unsetenv("EEL_PROFILE");
        if (var)
            setenv(var, val, 1);
        alarm(20); /* a hang fails the scenario, not the whole test */
        if (eel_init() < 0) {
            perror("eel_init");
            exit(3);
        }
        fn();
        eel_shutdown();
        exit(0);
    }
    close(p[1]);
    size_t len = 0;
    ssize_t n;
    while ((n = read(p[0], o->err + len, sizeof(o->err) - 1 - len)) > 0)
        len += (size_t)n;
    close(p[0]);
    waitpid(pid, &o->status, 0);
}

static int failures;

__attribute__((unused)) static void
expect_text(const char *name, const char *got, const char *want)
{
    if (strcmp(got, want) == 0) {
        printf("ok   %s\n", name);
        return;
    }
    failures++;
    printf("FAIL %s\n--- expected:\n%s--- got:\n%s---\n", name, want, got);
}

static void expect_status(const char *name, int status, int want_abort)
{
    int ok = want_abort ? WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT
                        : WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (ok)
        return;
    failures++;
    printf("FAIL %s: child status 0x%x, wanted %s\n", name, status,
           want_abort ? "SIGABRT" : "exit 0");
}

#endif /* RT_HARNESS_H */
