/*
 * relay.c - the backend side of the connection state machine (see conn.h):
 * waiting for a backend slot, connecting (or reusing an idle connection),
 * sending the request and its body, reading the response and relaying it
 * to the client.
 *
 * Failover: a request whose backend fails before sending a single response
 * byte goes to another backend if it is idempotent (or was never sent) and
 * its body is still wholly in the buffer.
 */
#include "accesslog.h"
#include "conn.h"
#include "headers.h"
#include "plb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static struct conn *queue_head, *queue_tail;

static void backend_connected_cb(eel_group_id gid, void *arg, int fd);
static void backend_connect_timeout_cb(eel_group_id gid, void *arg, int fd);
static void backend_write_cb(eel_group_id gid, void *arg, int fd);
static void backend_read_head_cb(eel_group_id gid, void *arg, int fd);
static void backend_read_body_cb(eel_group_id gid, void *arg, int fd);
static void backend_timeout_cb(eel_group_id gid, void *arg, int fd);
static void backend_queue_timeout_cb(eel_group_id gid, void *arg, int fd);
static void backend_slot_free_cb(eel_group_id gid, void *arg, int fd);
static void client_write_cb(eel_group_id gid, void *arg, int fd);
static void client_send_timeout_cb(eel_group_id gid, void *arg, int fd);

void queue_remove(struct conn *c)
{
    struct conn **p = &queue_head, *prev = NULL;
    while (*p && *p != c) {
        prev = *p;
        p = &(*p)->qnext;
    }
    if (*p)
        *p = c->qnext;
    if (queue_tail == c)
        queue_tail = prev;
    c->qnext = NULL;
    c->queued = 0;
}

/* A backend slot was freed: wake the oldest waiting request (in its own
 * group, on the next loop turn). */
static void queue_kick(void)
{
    struct conn *w = queue_head;
    if (!w)
        return;
    queue_remove(w);
    eel_cancel(w->queue_ev);
    w->queue_ev = eel_add_timer(w->gid, backend_slot_free_cb, w, 0);
    if (!w->queue_ev)
        conn_finish(w);
}

/* Drops the backend connection without reusing it. */
void backend_drop(struct conn *c)
{
    if (c->bfd >= 0)
        eel_close(c->bfd);
    c->bfd = -1;
    if (c->be) {
        backend_end(c->be);
        c->be = NULL;
        queue_kick();
    }
}

/* Every backend is at backend_max_conns (or others wait already): wait for
 * a slot, first come first served.  A request woken for a slot that someone
 * else took goes back to the front, with what is left of its time. */
static void queue_wait(struct conn *c)
{
    uint64_t now = eel_now();
    int again = c->queue_deadline != 0;
    if (!again)
        c->queue_deadline = now + (uint64_t)g_config.timeout_queue_ms;
    int ms = c->queue_deadline > now ? (int)(c->queue_deadline - now) : 0;
    c->queue_ev = eel_add_timer(c->gid, backend_queue_timeout_cb, c, ms);
    if (!c->queue_ev) {
        conn_finish(c);
        return;
    }
    c->queued = 1;
    if (again) {
        c->qnext = queue_head;
        queue_head = c;
        if (!queue_tail)
            queue_tail = c;
        return;
    }
    c->qnext = NULL;
    if (queue_tail)
        queue_tail->qnext = c;
    else
        queue_head = c;
    queue_tail = c;
}

static void backend_queue_timeout_cb(eel_group_id gid, void *arg, int fd)
{
    struct conn *c = arg;
    (void)gid;
    (void)fd;
    queue_remove(c);
    reply_error(c, 503);
}

static void backend_slot_free_cb(eel_group_id gid, void *arg, int fd)
{
    (void)gid;
    (void)fd;
    backend_choose(arg);
}

static int local_shortage(int err)
{
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

/* The backend failed before a response byte: retry elsewhere if safe. */
static void backend_fail(struct conn *c, enum failure why, int connecting)
{
    if (c->be && (connecting || why == FAIL_CONNECT))
        backend_failed(c->be);
    backend_drop(c);
    c->last_failure = why;
    int resendable = !c->body_discarded && c->from_backend == 0 &&
                     (c->idempotent || why == FAIL_CONNECT);
    if (resendable) {
        /* backend_choose answers 502/504 once the retries are spent */
        c->hoff = 0;
        c->body_off = 0;
        backend_choose(c);
    } else {
        reply_error(c, c->from_backend == 0 && why == FAIL_TIMEOUT ? 504 : 502);
    }
}

void backend_choose(struct conn *c)
{
    struct backend *be = NULL;
    int full = 0;
    /* First come, first served: a new request queues behind those waiting
     * (one that has waited is here because a slot was handed to it). */
    if (queue_head && !c->queue_deadline && c->ntried == 0) {
        queue_wait(c);
        return;
    }
    if (c->ntried <= g_config.retries)
        be = pool_pick(c->tried, c->ntried, &full);
    if (!be && full) {
        queue_wait(c);
        return;
    }
    if (!be) {
        int tried = c->ntried > 0;
        reply_error(c, !tried                            ? 503
                       : c->last_failure == FAIL_TIMEOUT ? 504
                                                         : 502);
        return;
    }
    c->tried[c->ntried++] = be;
    c->be = be;
    backend_begin(be);
    int fd = backend_take_idle(be);
    if (fd >= 0) {
        c->bfd = fd;
        backend_send(c);
        return;
    }
    int rc = backend_connect(be, &c->bfd);
    if (rc < 0 && local_shortage(errno))
        reply_error(c, 503); /* our problem, not the backend's */
    else if (rc < 0)
        backend_fail(c, FAIL_CONNECT, 1);
    else if (rc == 0)
        backend_send(c);
    else if (!eel_add_write_timeout(c->gid, backend_connected_cb,
                                    backend_connect_timeout_cb, c, c->bfd,
                                    g_config.timeout_connect_ms))
        conn_finish(c);
}

static void backend_connected_cb(eel_group_id gid, void *arg, int fd)
{
    struct conn *c = arg;
    int err = 0;
    socklen_t len = sizeof(err);
    (void)gid;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
        backend_fail(c, FAIL_CONNECT, 1);
    else
        backend_send(c);
}

static void backend_connect_timeout_cb(eel_group_id gid, void *arg, int fd)
{
    (void)gid;
    (void)fd;
    backend_fail(arg, FAIL_CONNECT, 1);
}

/* Waits for (more of) the response head. */
static void wait_response_head(struct conn *c)
{
    if (!eel_add_read_timeout(c->gid, backend_read_head_cb, backend_timeout_cb,
                              c, c->bfd, g_config.timeout_backend_ms))
        conn_finish(c);
}

/* Waits for more of the response body. */
static void wait_response_body(struct conn *c)
{
    if (!eel_add_read_timeout(c->gid, backend_read_body_cb, backend_timeout_cb,
                              c, c->bfd, g_config.timeout_backend_ms))
        conn_finish(c);
}

static void wait_response(struct conn *c)
{
    c->olen = 0;
    wait_response_head(c);
}

/* Writes the request head and whatever body is buffered to the backend. */
void backend_send(struct conn *c)
{
    for (;;) {
        struct iovec iov[2] = {
            {c->hbuf + c->hoff, c->hlen - c->hoff},
            {c->ibuf + c->body_off, c->body_end - c->body_off}};
        if (iov[0].iov_len == 0 && iov[1].iov_len == 0) {
            if (http_framer_done(&c->req_body))
                wait_response(c);
            else
                wait_body(c);
            return;
        }
        ssize_t n = writev(c->bfd, iov, 2);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            if (!eel_add_write_timeout(c->gid, backend_write_cb,
                                       backend_timeout_cb, c, c->bfd,
                                       g_config.timeout_backend_ms))
                conn_finish(c);
            return;
        }
        if (n < 0) {
            backend_fail(c, FAIL_IO, 0);
            return;
        }
        size_t k = (size_t)n, h = iov[0].iov_len < k ? iov[0].iov_len : k;
        c->hoff += h;
        c->body_off += k - h;
    }
}

static void backend_write_cb(eel_group_id gid, void *arg, int fd)
{
    (void)gid;
    (void)fd;
    backend_send(arg);
}

static void response_begin(struct conn *c, const struct http_msg *m)
{
    c->status = m->status;
    c->backend_close = m->conn_close || m->body == BODY_TO_EOF;
    c->client_close |= m->body == BODY_TO_EOF || plb_stopping;
    c->hlen =
        head_build_response(c->hbuf, c->hcap, m, c->minor, c->client_close);
    c->hoff = 0;
    if (c->hlen == 0) {
        reply_error(c, 502);
        return;
    }
    http_framer_init(&c->resp_body, m->body, m->content_length);
    size_t used = 0;
    c->ooff = m->head_len;
    if (http_framer_feed(&c->resp_body, c->obuf + c->ooff, c->olen - c->ooff,
                         &used) < 0) {
        reply_error(c, 502);
        return;
    }
    c->oend = c->ooff + used;
    if (c->oend < c->olen)
        c->backend_close = 1; /* bytes after the response: don't reuse */
    client_send(c);
}

static void backend_read_head_cb(eel_group_id gid, void *arg, int fd)
{
    struct conn *c = arg;
    (void)gid;
    ssize_t n = read(fd, c->obuf + c->olen, OBUF_SIZE - c->olen);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        wait_response_head(c);
        return;
    }
    if (n <= 0) {
        backend_fail(c, FAIL_IO, 0); /* retried if no byte came yet */
        return;
    }
    c->olen += (size_t)n;
    c->from_backend += (uint64_t)n;
    for (;;) {
        struct http_msg m;
        int rc =
            http_parse_response(c->obuf, c->olen, OBUF_SIZE, c->is_head, &m);
        if (rc == HTTP_AGAIN) {
            wait_response_head(c);
            return;
        }
        if (rc < 0 || m.status == 101) {
            reply_error(c, 502);
            return;
        }
        if (m.status >= 200) {
            response_begin(c, &m);
            return;
        }
        /* An interim 1xx response: the client was answered already. */
        memmove(c->obuf, c->obuf + m.head_len, c->olen - m.head_len);
        c->olen -= m.head_len;
    }
}

/* Writes the head and buffered body bytes to the client. */
void client_send(struct conn *c)
{
    for (;;) {
        struct iovec iov[2] = {{c->hbuf + c->hoff, c->hlen - c->hoff},
                               {c->obuf + c->ooff, c->oend - c->ooff}};
        if (iov[0].iov_len == 0 && iov[1].iov_len == 0)
            break;
        ssize_t n = writev(c->cfd, iov, iov[1].iov_len ? 2 : 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            if (!eel_add_write_timeout(c->gid, client_write_cb,
                                       client_send_timeout_cb, c, c->cfd,
                                       g_config.timeout_send_ms))
                conn_finish(c);
            return;
        }
        if (n < 0) {
            conn_abort(c); /* the client went away */
            return;
        }
        size_t k = (size_t)n, h = iov[0].iov_len < k ? iov[0].iov_len : k;
        c->hoff += h;
        c->ooff += k - h;
        c->sent += k;
    }
    if (c->bfd < 0 || http_framer_done(&c->resp_body) || c->backend_eof) {
        response_done(c);
        return;
    }
    c->olen = c->ooff = c->oend = 0;
    wait_response_body(c);
}

static void client_write_cb(eel_group_id gid, void *arg, int fd)
{
    (void)gid;
    (void)fd;
    client_send(arg);
}

static void client_send_timeout_cb(eel_group_id gid, void *arg, int fd)
{
    (void)gid;
    (void)fd;
    conn_abort(arg);
}

static void backend_read_body_cb(eel_group_id gid, void *arg, int fd)
{
    struct conn *c = arg;
    (void)gid;
    ssize_t n = read(fd, c->obuf, OBUF_SIZE);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        wait_response_body(c);
        return;
    }
    if (n == 0 && c->resp_body.kind == BODY_TO_EOF) {
        c->backend_eof = 1; /* the end of a close-delimited body */
        response_done(c);
        return;
    }
    size_t used = 0;
    if (n <= 0 ||
        http_framer_feed(&c->resp_body, c->obuf, (size_t)n, &used) < 0) {
        conn_abort(c); /* truncated or garbled: the client must see it */
        return;
    }
    c->from_backend += (uint64_t)n;
    if (used < (size_t)n)
        c->backend_close = 1;
    c->olen = (size_t)n;
    c->ooff = 0;
    c->oend = used;
    client_send(c);
}

static void backend_timeout_cb(eel_group_id gid, void *arg, int fd)
{
    struct conn *c = arg;
    (void)gid;
    (void)fd;
    if (c->status == 0)
        backend_fail(c, FAIL_TIMEOUT, 0);
    else
        conn_abort(c); /* stalled in the middle of the response */
}
