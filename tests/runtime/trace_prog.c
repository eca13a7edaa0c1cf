/*
 * trace_prog.c - a small known program for the EEL_TRACE test
 * (check_trace.py): a writer group ticks three times over a pipe, a reader
 * group reads each byte and finally times out.
 *
 *   writer_tick x3 (timer), then deletes its group
 *   reader x3 (read_timeout, read), then reader_idle (timed out): delete
 *
 * "trace_prog exit" leaves with exit() from a callback, never calling
 * eel_shutdown(), to show that the trace is still valid JSON; "trace_prog
 * leak" forgets to delete the reader group, for EEL_CHECK=abort.
 */
#include "eel.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int pipefd[2];
static int ticks, bytes, exit_early, leak;

static void writer_tick(eel_group_id g, void *arg, int fd)
{
    (void)arg, (void)fd;
    if (write(pipefd[1], "x", 1) != 1)
        exit(3);
    if (++ticks < 3)
        eel_add_timer(g, writer_tick, NULL, 5);
    else
        eel_delete_group_id(g);
}

static void reader_idle(eel_group_id g, void *arg, int fd)
{
    (void)arg, (void)fd;
    if (!leak)
        eel_delete_group_id(g);
    if (exit_early)
        exit(0);
}

static void reader(eel_group_id g, void *arg, int fd)
{
    char c;
    (void)arg;
    if (read(fd, &c, 1) == 1)
        bytes++;
    /* After the third byte nothing more comes: this one times out. */
    eel_add_read_timeout(g, reader, reader_idle, NULL, fd,
                         bytes < 3 ? 1000 : 20);
}

int main(int argc, char **argv)
{
    exit_early = argc > 1 && strcmp(argv[1], "exit") == 0;
    leak = argc > 1 && strcmp(argv[1], "leak") == 0;
    if (pipe(pipefd) < 0 || eel_init() < 0)
        return 2;
    eel_group_id w = eel_new_group_id();
    eel_group_id r = eel_new_group_id();
    eel_add_timer(w, writer_tick, NULL, 0);
    eel_add_read_timeout(r, reader, reader_idle, NULL, pipefd[0], 1000);
    if (eel_dispatch() < 0)
        return 2;
    eel_shutdown();
    return bytes == 3 ? 0 : 1;
}
