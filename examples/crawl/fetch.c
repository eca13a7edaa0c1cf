/*
 * fetch.c - one HTTP/1.1 connection to a host, as a libeel callback chain.
 *
 * Each connection is one group.  Its chain:
 *
 *   conn_open -> conn_connected (W) | conn_connect_timeout (TO)
 *   conn_connected -> conn_send (W) | conn_io_timeout (TO)
 *   conn_send -> conn_send | conn_recv (R) | conn_io_timeout
 *   conn_recv -> conn_recv | conn_send (next request, keep-alive) | delete
 *   conn_io_timeout, conn_connect_timeout -> delete
 *
 * Every path ends in conn_close(), which eel_close()s the socket and
 * deletes the group.  The scheduler learns about each response through
 * crawl_job_done() and may hand the connection another job of the same
 * host (crawl_take_job) to reuse it.
 */
#include "buf.h"
#include "crawl.h"
#include "eel.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_CHUNK 65536
#define READS_PER_TURN 8 /* then yield to other connections */

struct conn {
    eel_group_id gid; /* for conn_abort_all only; chains pass gid */
    int fd;
    struct host *host;
    struct job *job;
    struct buf req;
    size_t req_off;
    struct http_resp resp;
    int nreq; /* requests sent on this connection */
    char err[128];
    struct conn *prev, *next;
};

static struct conn *conns;
static int nconns;

static void conn_connected(eel_group_id gid, void *arg, int fd);
static void conn_connect_timeout(eel_group_id gid, void *arg, int fd);
static void conn_send(eel_group_id gid, void *arg, int fd);
static void conn_recv(eel_group_id gid, void *arg, int fd);
static void conn_io_timeout(eel_group_id gid, void *arg, int fd);

int conn_count(void)
{
    return nconns;
}

static void conn_unlink(struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    nconns--;
}

/* Closes the socket, deletes the group and frees c with its job (not
 * reported); returns c's host. */
static struct host *conn_destroy(struct conn *c, eel_group_id gid)
{
    struct host *h = c->host;
    eel_close(c->fd);
    eel_delete_group_id(gid);
    conn_unlink(c);
    if (c->job)
        job_free(c->job);
    http_resp_free(&c->resp);
    buf_free(&c->req);
    free(c);
    return h;
}

/* The end of every chain: the socket and the group go, the scheduler is
 * told (it may start new connections from here). */
static void conn_close(struct conn *c, eel_group_id gid)
{
    crawl_conn_closed(conn_destroy(c, gid));
}

/* Ends the job with an error (or, if retry is set, puts it back in the
 * queue) and closes the connection. */
static void conn_end_job(struct conn *c, eel_group_id gid, const char *why,
                         int retry)
{
    struct job *j = c->job;
    c->job = NULL;
    if (retry) {
        j->retried = 1;
        crawl_requeue(c->host, j);
    } else {
        crawl_job_done(c->host, j, NULL, why);
    }
    conn_close(c, gid);
}

/* A failure for the current job; the connection is closed. */
static void conn_fail(struct conn *c, eel_group_id gid, const char *why)
{
    conn_end_job(c, gid, why, 0);
}

/* The server closed or reset the connection.  On a reused connection
 * before any byte of the answer, that is the normal keep-alive race (the
 * server timed the connection out as we sent): retry once, fresh. */
static void conn_lost(struct conn *c, eel_group_id gid, const char *why)
{
    conn_end_job(c, gid, why,
                 c->nreq > 1 && c->resp.received == 0 && !c->job->retried);
}

static void conn_failf(struct conn *c, eel_group_id gid, const char *what,
                       int err)
{
    snprintf(c->err, sizeof(c->err), "%s: %s", what, strerror(err));
    if (err == ECONNRESET || err == EPIPE)
        conn_lost(c, gid, c->err);
    else
        conn_fail(c, gid, c->err);
}

/* Builds the request for c->job and waits to send it. */
static void conn_request(struct conn *c, eel_group_id gid)
{
    const struct url *u = &c->job->url;
    char *target = url_target(u);
    buf_reset(&c->req);
    c->req_off = 0;
    http_resp_free(&c->resp);
    http_resp_init(&c->resp, crawl_opt.max_size);
    int rc =
        target ? buf_printf(&c->req, "GET %s HTTP/1.1\r\nHost: ", target) : -1;
    free(target);
    if (rc == 0)
        rc = url_add_authority(&c->req, u);
    if (rc == 0)
        rc = buf_adds(&c->req, "\r\nUser-Agent: " CRAWL_AGENT "/1.0\r\n"
                               "Accept: */*\r\n"
                               "Accept-Encoding: identity\r\n"
                               "Connection: keep-alive\r\n\r\n");
    if (rc < 0) {
        conn_fail(c, gid, "out of memory");
        return;
    }
    c->nreq++;
    crawl_stats.requests++;
    if (c->nreq > 1)
        crawl_stats.reused++;
    if (!eel_add_write_timeout(gid, conn_send, conn_io_timeout, c, c->fd,
                               crawl_opt.read_timeout_ms))
        conn_failf(c, gid, "event", errno);
}

int conn_open(struct host *h, struct job *job)
{
    struct conn *c = calloc(1, sizeof(*c));
    if (!c)
        return -1;
    eel_group_id gid = eel_new_group_id();
    if (!gid) {
        free(c);
        return -1;
    }
    c->gid = gid;
    c->host = h;
    c->job = job;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)h->port),
                             .sin_addr = h->addr};
    int rc =
        c->fd < 0 ? -1 : connect(c->fd, (struct sockaddr *)&sa, sizeof(sa));
    if (c->fd < 0 || (rc < 0 && errno != EINPROGRESS)) {
        /* Report as this job's failure, through the normal path. */
        int err = errno;
        if (c->fd >= 0)
            close(c->fd);
        eel_delete_group_id(gid);
        free(c);
        errno = err;
        return -1;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->next = conns;
    if (conns)
        conns->prev = c;
    conns = c;
    nconns++;
    h->active++; /* conn_close() gives it back through crawl_conn_closed */
    if (!eel_add_write_timeout(gid, conn_connected, conn_connect_timeout, c,
                               c->fd, crawl_opt.connect_timeout_ms))
        conn_failf(c, gid, "event", errno);
    return 0;
}

/* The connect finished, one way or the other. */
static void conn_connected(eel_group_id gid, void *arg, int fd)
{
    struct conn *c = arg;
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err) {
        conn_failf(c, gid, "connect", err);
        return;
    }
    conn_request(c, gid);
}

static void conn_connect_timeout(eel_group_id gid, void *arg, int fd)
{
    (void)fd;
    conn_fail(arg, gid, "connect timeout");
}

static void conn_io_timeout(eel_group_id gid, void *arg, int fd)
{
    (void)fd;
    conn_fail(arg, gid, "read timeout");
}

/* The socket can take (more of) the request. */
static void conn_send(eel_group_id gid, void *arg, int fd)
{
    struct conn *c = arg;
    while (c->req_off < c->req.len) {
        ssize_t n = send(fd, c->req.data + c->req_off, c->req.len - c->req_off,
                         MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            if (!eel_add_write_timeout(gid, conn_send, conn_io_timeout, c, fd,
                                       crawl_opt.read_timeout_ms))
                conn_failf(c, gid, "event", errno);
            return;
        }
        if (n < 0) {
            conn_failf(c, gid, "send", errno);
            return;
        }
        c->req_off += (size_t)n;
    }
    if (!eel_add_read_timeout(gid, conn_recv, conn_io_timeout, c, fd,
                              crawl_opt.read_timeout_ms))
        conn_failf(c, gid, "event", errno);
}

/* The response is complete: report it, then reuse or close. */
static void conn_response_done(struct conn *c, eel_group_id gid, int extra)
{
    struct job *j = c->job;
    c->job = NULL;
    int reusable = c->resp.keep_alive && !extra;
    crawl_job_done(c->host, j, &c->resp, NULL);
    struct job *next = reusable ? crawl_take_job(c->host) : NULL;
    if (!next) {
        conn_close(c, gid);
        return;
    }
    c->job = next;
    conn_request(c, gid);
}

/* Feeds n bytes; returns 1 if the chain moved on (done or failed). */
static int conn_feed(struct conn *c, eel_group_id gid, const char *data,
                     size_t n)
{
    size_t used;
    int r = http_resp_feed(&c->resp, data, n, &used);
    crawl_stats.bytes += used;
    if (r == HTTP_ERROR) {
        conn_fail(c, gid, c->resp.error);
        return 1;
    }
    if (r == HTTP_DONE) {
        conn_response_done(c, gid, used < n);
        return 1;
    }
    return 0;
}

/* Response bytes (or the end of the connection) are there. */
static void conn_recv(eel_group_id gid, void *arg, int fd)
{
    struct conn *c = arg;
    static char data[READ_CHUNK];
    for (int i = 0; i < READS_PER_TURN; i++) {
        ssize_t n = recv(fd, data, sizeof(data), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n < 0) {
            conn_failf(c, gid, "recv", errno);
            return;
        }
        if (n == 0) {
            if (http_resp_eof(&c->resp) == HTTP_DONE) {
                c->resp.keep_alive = 0;
                conn_response_done(c, gid, 0);
            } else {
                conn_lost(c, gid, c->resp.error);
            }
            return;
        }
        if (conn_feed(c, gid, data, (size_t)n))
            return;
    }
    if (!eel_add_read_timeout(gid, conn_recv, conn_io_timeout, c, fd,
                              crawl_opt.read_timeout_ms))
        conn_failf(c, gid, "event", errno);
}

/* Interrupt: every connection goes at once, no job is reported. */
void conn_abort_all(void)
{
    while (conns) {
        struct host *h = conn_destroy(conns, conns->gid);
        h->active--; /* what crawl_conn_closed() does, minus the restart */
    }
}
