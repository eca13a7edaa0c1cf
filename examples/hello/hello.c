/* hello.c - the README's example: echo stdin lines, give up after 5 s idle. */
#include <eel.h>
#include <stdio.h>
#include <unistd.h>

static void on_line(eel_group_id gid, void *arg, int fd);

static void on_idle(eel_group_id gid, void *arg, int fd)
{
    (void)arg, (void)fd;
    printf("idle for 5 s, bye\n");
    eel_delete_group_id(gid); /* the chain ends here */
}

static void on_line(eel_group_id gid, void *arg, int fd)
{
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) { /* end of input or error: end the chain */
        eel_delete_group_id(gid);
        return;
    }
    printf("%s: %.*s", (const char *)arg, (int)n, buf);
    eel_add_read_timeout(gid, on_line, on_idle, arg, fd, 5000);
}

int main(void)
{
    if (eel_init() < 0)
        return 1;
    eel_group_id gid = eel_new_group_id();
    eel_add_read_timeout(gid, on_line, on_idle, "echo", STDIN_FILENO, 5000);
    int rc = eel_dispatch();
    eel_shutdown();
    return rc < 0;
}
