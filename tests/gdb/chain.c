/*
 * chain.c - the program the eelgdb tests debug: three client connections
 * (one group each) and their three servers (one group each) talk over
 * socketpairs at the same time, so several groups are always active.
 *
 * Client chain: start_conn -> on_writable -> (arm_read, a helper)
 * on_reply | on_timeout -> (through a registrar function pointer)
 * on_pause -> (ARM_WRITE, a macro) on_writable ...  Server 0 echoes at
 * once, server 1 after 30 ms, server 2 never (its client times out).
 * The REG:name comments mark lines the tests look up; keep them.
 */
#include <eel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NCONN 3
#define ROUNDS 2

struct conn {
    int id;
    eel_group_id gid;
    int fd;
    int rounds;
    int timeout_ms; /* long where the server answers: stepping is slow */
    void (*registrar)(struct conn *c); /* how on_reply schedules a pause */
    eel_callback after_pause;          /* the callback that pause calls */
};

struct server {
    int id;
    eel_group_id gid;
    int fd;
    int delay_ms; /* -1: never answer */
};

static struct conn conns[NCONN];
static struct server servers[NCONN];
int replies_seen; /* on_reply calls so far, all groups: the tests read it */
int timeouts_seen;

static void on_writable(eel_group_id gid, void *arg, int fd);
static void on_reply(eel_group_id gid, void *arg, int fd);
static void on_timeout(eel_group_id gid, void *arg, int fd);
static void on_request(eel_group_id gid, void *arg, int fd);

#define ARM_WRITE(c) eel_add_write((c)->gid, on_writable, (c), (c)->fd)

static void finish_conn(struct conn *c)
{
    eel_delete_group_id(c->gid);
    eel_close(c->fd);
}

static void arm_read(struct conn *c)
{
    eel_add_read_timeout(c->gid, on_reply, on_timeout, c, c->fd, /* REG:arm */
                         c->timeout_ms);
}

static void on_pause(eel_group_id gid, void *arg, int fd)
{
    struct conn *c = arg;
    (void)gid, (void)fd;
    ARM_WRITE(c); /* REG:macro */
}

static void schedule_pause(struct conn *c)
{
    eel_add_timer(c->gid, c->after_pause, c, 5); /* REG:pause */
}

static void on_writable(eel_group_id gid, void *arg, int fd)
{
    struct conn *c = arg;
    (void)gid;
    if (write(fd, "ping", 4) != 4) {
        finish_conn(c);
        return;
    }
    arm_read(c); /* REG:helper */
}

static void on_reply(eel_group_id gid, void *arg, int fd)
{
    struct conn *c = arg;
    char buf[16];
    (void)gid;
    replies_seen++;
    if (read(fd, buf, sizeof buf) <= 0 || ++c->rounds >= ROUNDS) {
        finish_conn(c);
        return;
    }
    c->registrar(c); /* REG:fnptr */
}

static void on_timeout(eel_group_id gid, void *arg, int fd)
{
    struct conn *c = arg;
    (void)gid, (void)fd;
    timeouts_seen++;
    printf("conn %d timed out\n", c->id);
    finish_conn(c);
}

static void on_echo(eel_group_id gid, void *arg, int fd)
{
    struct server *s = arg;
    (void)gid, (void)fd; /* fd is -1: this is a timer */
    if (write(s->fd, "pong", 4) == 4)
        eel_add_read(s->gid, on_request, s, s->fd); /* REG:server */
}

static void on_request(eel_group_id gid, void *arg, int fd)
{
    struct server *s = arg;
    char buf[16];
    (void)gid;
    if (read(fd, buf, sizeof buf) <= 0) { /* client gone */
        eel_delete_group_id(s->gid);
        eel_close(fd);
        return;
    }
    if (s->delay_ms < 0) { /* silent: only notice the client leaving */
        eel_add_read(s->gid, on_request, s, s->fd);
        return;
    }
    eel_add_timer(s->gid, on_echo, s, s->delay_ms);
}

static void start_conn(struct conn *c)
{
    ARM_WRITE(c); /* REG:start */
}

int main(void)
{
    if (eel_init() < 0) {
        perror("eel_init");
        return 1;
    }
    for (int i = 0; i < NCONN; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
            perror("socketpair");
            return 1;
        }
        conns[i] = (struct conn){i, eel_new_group_id(), sv[0], 0,
                                 i == 2 ? 200 : 10000, schedule_pause,
                                 on_pause};
        servers[i] = (struct server){i, eel_new_group_id(), sv[1],
                                     i == 2 ? -1 : i * 30};
        eel_add_read(servers[i].gid, on_request, &servers[i], sv[1]);
    }
    for (int i = 0; i < NCONN; i++)
        start_conn(&conns[i]); /* REG:main */
    int rc = eel_dispatch(); /* REG:dispatch */
    printf("done: %d replies, %d timeouts\n", replies_seen, timeouts_seen);
    eel_shutdown();
    return rc < 0;
}
