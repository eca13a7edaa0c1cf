/*
 * spin.c - a libeel program that runs until killed, for eelgdb's attach
 * test (attach_test.py): a timer re-arms itself every millisecond and,
 * each time, cancels and replaces a far timeout, the "cancel then add"
 * that libeel's fast path serves without recording anything.  Prints
 * "ready" once the loop runs.
 */
#include <eel.h>
#include <stdio.h>

static eel_group_id group;
static eel_event_id timeout;

static void on_timeout(eel_group_id gid, void *arg, int fd)
{
    (void)gid, (void)arg, (void)fd;
}

static void on_tick(eel_group_id gid, void *arg, int fd)
{
    (void)arg, (void)fd;
    eel_add_timer(gid, on_tick, NULL, 1);
    eel_cancel(timeout);
    timeout = eel_add_timer(gid, on_timeout, NULL, 60000); /* REG:spin */
}

int main(void)
{
    if (eel_init() != 0)
        return 1;
    group = eel_new_group_id();
    timeout = eel_add_timer(group, on_timeout, NULL, 60000);
    eel_add_timer(group, on_tick, NULL, 1);
    printf("ready\n");
    fflush(stdout);
    return eel_dispatch();
}
