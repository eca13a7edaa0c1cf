/*
 * proxy.c - the client side of the connection state machine (see proxy.h
 * and conn.h): accepting, reading requests and their bodies, error replies,
 * keep-alive and closing.  relay.c has the backend side.
 *
 * One group per client connection; the backend connection serving its
 * current request belongs to the same group, so one eel_delete_group_id()
 * ends everything.  Every callback either registers the next step, exactly
 * once, or ends the chain in conn_finish().  The chain (eelstatechart draws
 * it):
 *
 *   client_read_head_cb --> backend_connected_cb --> backend_write_cb
 *        ^                                        \-> client_forward_body_cb
 *        |                                         -> backend_read_head_cb
 *        |                                         -> client_write_cb
 *        |                                        <-> backend_read_body_cb
 *        +---- keep-alive ------------------------/   -> client_linger_cb
 */
#include "proxy.h"
#include "accesslog.h"
#include "conn.h"
#include "headers.h"
#include "plb.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINGER_MS 2000

#define CONN_CACHE 256

static struct conn *conns;
static int nconns;
static struct conn *cache; /* released blocks, linked by next */
static int ncache;

static void client_read_head_cb(eel_group_id gid, void *arg, int fd);
static void client_head_timeout_cb(eel_group_id gid, void *arg, int fd);
static void client_forward_body_cb(eel_group_id gid, void *arg, int fd);
static void client_body_timeout_cb(eel_group_id gid, void *arg, int fd);
static void client_linger_cb(eel_group_id gid, void *arg, int fd);
static void client_linger_timeout_cb(eel_group_id gid, void *arg, int fd);
static void client_pipelined_cb(eel_group_id gid, void *arg, int fd);
static void request_begin(struct conn *c);
static void request_parse(struct conn *c);

int proxy_count(void)
{
    return nconns;
}

static void log_request(struct conn *c)
{
    struct access_entry e = {c->client_ip,
                             c->method,
                             c->target,
                             c->minor,
                             c->status,
                             c->sent,
                             c->be ? c->be->addr.text : NULL,
                             eel_now() - c->t_start,
                             c->ntried};
    accesslog_write(&e);
}

/* A connection's state and its three buffers are one block, recycled
 * through a small cache: same-sized blocks reuse each other's holes, so the
 * heap does not fragment and grow under changing load. */
static size_t block_size(size_t *icap, size_t *hcap)
{
    *icap = g_config.max_header_size + 8192;
    *hcap = (*icap > OBUF_SIZE ? *icap : OBUF_SIZE) + 1024;
    return sizeof(struct conn) + *icap + *hcap + OBUF_SIZE;
}

static struct conn *conn_alloc(void)
{
    size_t icap, hcap, size = block_size(&icap, &hcap);
    struct conn *c = NULL;
    while (cache && !c) {
        c = cache;
        cache = c->next;
        ncache--;
        if (c->block != size) {
            free(c);
            c = NULL;
        }
    }
    if (!c && !(c = malloc(size)))
        return NULL;
    memset(c, 0, sizeof(*c));
    c->block = size;
    c->icap = icap;
    c->hcap = hcap;
    c->ibuf = (char *)(c + 1);
    c->hbuf = c->ibuf + icap;
    c->obuf = c->hbuf + hcap;
    return c;
}

static void conn_release(struct conn *c)
{
    if (ncache >= CONN_CACHE) {
        free(c);
        return;
    }
    c->next = cache;
    cache = c;
    ncache++;
}

/* The end of the chain: every path of every callback gets here or
 * registers the next event. */
void conn_finish(struct conn *c)
{
    eel_group_id gid = c->gid;
    if (c->queued)
        queue_remove(c);
    backend_drop(c);
    eel_close(c->cfd);
    if (c->prev)
        c->prev->next = c->next;
    else
        conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    nconns--;
    conn_release(c);
    eel_delete_group_id(gid);
}

/* A failure after the response began: nothing sensible can be sent. */
void conn_abort(struct conn *c)
{
    if (c->status == 0)
        c->status = 499;
    log_request(c);
    conn_finish(c);
}

void proxy_accept(int fd, const struct sockaddr_storage *peer)
{
    struct conn *c = conn_alloc();
    eel_group_id gid = c ? eel_new_group_id() : 0;
    if (!gid) {
        if (c)
            conn_release(c);
        close(fd); /* no events were registered on it */
        return;
    }
    c->gid = gid;
    c->cfd = fd;
    c->bfd = -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (peer->ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)peer)->sin6_addr,
                  c->client_ip, sizeof(c->client_ip));
    else
        inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr,
                  c->client_ip, sizeof(c->client_ip));
    c->next = conns;
    if (conns)
        conns->prev = c;
    conns = c;
    nconns++;
    request_begin(c);
}

void proxy_stop_idle(void)
{
    struct conn *c = conns, *next;
    for (; c; c = next) {
        next = c->next;
        if (c->phase == PH_HEAD && c->ilen == 0)
            conn_finish(c);
    }
}

void proxy_stop_all(void)
{
    while (conns)
        conn_abort(conns);
}

/* Waits for (more of) a request head, within the idle or head timeout. */
static void wait_request(struct conn *c)
{
    int ms = g_config.timeout_idle_ms;
    if (c->ilen > 0) {
        uint64_t now = eel_now();
        ms = c->head_deadline > now ? (int)(c->head_deadline - now) : 0;
    }
    c->phase = PH_HEAD;
    if (!eel_add_read_timeout(c->gid, client_read_head_cb,
                              client_head_timeout_cb, c, c->cfd, ms))
        conn_finish(c);
}

static void request_begin(struct conn *c)
{
    c->method[0] = c->target[0] = 0;
    c->status = 0;
    c->sent = c->from_backend = 0;
    c->ntried = 0;
    c->queue_deadline = 0;
    c->hlen = c->hoff = 0;
    c->olen = c->ooff = c->oend = 0;
    c->body_end = c->body_off = 0;
    c->body_discarded = c->backend_close = c->backend_eof = 0;
    c->t_start = eel_now();
    c->head_deadline = c->t_start + (uint64_t)g_config.timeout_header_ms;
    if (c->ilen == 0) {
        wait_request(c);
        return;
    }
    /* A pipelined request is already here: parse it on the next turn, so
     * that each request starts from a callback of its own. */
    c->phase = PH_BUSY;
    if (!eel_add_timer(c->gid, client_pipelined_cb, c, 0))
        conn_finish(c);
}

static void client_read_head_cb(eel_group_id gid, void *arg, int fd)
{
    struct conn *c = arg;
    (void)gid;
    ssize_t n = read(fd, c->ibuf + c->ilen, c->icap - c->ilen);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        wait_request(c);
        return;
    }
    if (n <= 0) {
        conn_finish(c); /* the client left (or broke) between requests */
        return;
    }
    if (c->ilen == 0) {
        c->t_start = eel_now();
        c->head_deadline = c->t_start + (uint64_t)g_config.timeout_header_ms;
    }
    c->ilen += (size_t)n;
    request_parse(c);
}

static void client_pipelined_cb(eel_group_id gid, void *arg, int fd)
{
    (void)gid;
    (void)fd;
    request_parse(arg);
}

static void client_head_timeout_cb(eel_group_id gid, void *arg, int fd)
{
    struct conn *c = arg;
    (void)gid;
    (void)fd;
    if (c->ilen == 0)
        conn_finish(c); /* an idle keep-alive connection: just close */
    else
        reply_error(c, 408); /* a slow (or slowloris) request head */
}

static void copy_span(char *dst, size_t cap, struct http_span s)
{
    size_t n = s.n < cap - 1 ? s.n : cap - 1;
    memcpy(dst, s.p, n);
    dst[n] = 0;
}

/* Sends "100 Continue" for a client waiting for it; 0 or -1. */
static int send_continue(struct conn *c)
{
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    ssize_t n = write(c->cfd, cont, sizeof(cont) - 1);
    return n == (ssize_t)sizeof(cont) - 1 ? 0 : -1;
}

/* A whole head is in ibuf: remember what we need of it, write the
 * backend's version into hbuf and drop the original. */
static void request_accept(struct conn *c, const struct http_msg *m)
{
    c->phase = PH_BUSY;
    copy_span(c->method, sizeof(c->method), m->method);
    copy_span(c->target, sizeof(c->target), m->target);
    c->minor = m->minor;
    c->is_head = http_span_eq(m->method, "HEAD");
    c->idempotent = http_method_idempotent(m->method);
    c->client_close = m->conn_close || plb_stopping;
    c->hlen = head_build_request(c->hbuf, c->hcap, m, c->client_ip);
    c->hoff = 0;
    int expect = m->expect_continue && m->minor == 1;
    http_framer_init(&c->req_body, m->body, m->content_length);
    memmove(c->ibuf, c->ibuf + m->head_len, c->ilen - m->head_len);
    c->ilen -= m->head_len;
    if (c->hlen == 0) {
        reply_error(c, 431);
        return;
    }
    size_t used = 0;
    if (http_framer_feed(&c->req_body, c->ibuf, c->ilen, &used) < 0) {
        reply_error(c, 400);
        return;
    }
    c->body_end = used;
    if (expect && !http_framer_done(&c->req_body) && send_continue(c) < 0) {
        conn_finish(c);
        return;
    }
    backend_choose(c);
}

static void request_parse(struct conn *c)
{
    struct http_msg m;
    int rc = http_parse_request(c->ibuf, c->ilen, g_config.max_header_size, &m);
    if (rc == HTTP_AGAIN)
        wait_request(c);
    else if (rc < 0)
        reply_error(c, -rc);
    else
        request_accept(c, &m);
}

/* Waits for the client to send more of the request body. */
void wait_body(struct conn *c)
{
    if (c->ilen == c->icap) {
        /* All of it went to the backend: reuse the space.  The request can
         * no longer be resent to another backend. */
        c->ilen = c->body_end = c->body_off = 0;
        c->body_discarded = 1;
    }
    if (!eel_add_read_timeout(c->gid, client_forward_body_cb,
                              client_body_timeout_cb, c, c->cfd,
                              g_config.timeout_body_ms))
        conn_finish(c);
}

/* Client body bytes are readable: the paper's client_forward_request. */
static void client_forward_body_cb(eel_group_id gid, void *arg, int fd)
{
    struct conn *c = arg;
    (void)gid;
    ssize_t n = read(fd, c->ibuf + c->ilen, c->icap - c->ilen);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        /* Wait again: returning without a registration here would strand
         * the request (the plb-0.3 bug eelverify found). */
        wait_body(c);
        return;
    }
    if (n <= 0) {
        conn_abort(c); /* the client left in the middle of its body */
        return;
    }
    size_t used = 0;
    if (http_framer_feed(&c->req_body, c->ibuf + c->ilen, (size_t)n, &used) <
        0) {
        conn_abort(c); /* a malformed chunk; the backend has half of it */
        return;
    }
    c->ilen += (size_t)n;
    c->body_end += used;
    backend_send(c);
}

static void client_body_timeout_cb(eel_group_id gid, void *arg, int fd)
{
    (void)gid;
    (void)fd;
    conn_abort(arg);
}

/* The response (or the part in obuf) is out: what next? */
void response_done(struct conn *c)
{
    log_request(c);
    if (c->bfd >= 0 && !c->backend_close && !c->backend_eof &&
        http_framer_done(&c->resp_body)) {
        backend_put_idle(c->be, c->bfd);
        c->bfd = -1;
    }
    backend_drop(c);
    if (c->client_close || plb_stopping) {
        c->phase = PH_LINGER;
        c->linger_deadline = eel_now() + LINGER_MS;
        shutdown(c->cfd, SHUT_WR);
        if (!eel_add_read_timeout(c->gid, client_linger_cb,
                                  client_linger_timeout_cb, c, c->cfd,
                                  LINGER_MS))
            conn_finish(c);
        return;
    }
    /* Keep the connection; pipelined bytes move to the front. */
    memmove(c->ibuf, c->ibuf + c->body_end, c->ilen - c->body_end);
    c->ilen -= c->body_end;
    request_begin(c);
}

/* Answers with status and closes the connection after it. */
void reply_error(struct conn *c, int status)
{
    backend_drop(c);
    c->phase = PH_BUSY;
    c->status = status;
    c->client_close = 1;
    c->hlen = head_build_error(c->hbuf, c->hcap, status);
    c->hoff = 0;
    c->olen = c->ooff = c->oend = 0;
    http_framer_init(&c->resp_body, BODY_NONE, 0);
    client_send(c);
}

/* After our last response: read and drop what the client still sends, so
 * closing does not reset the connection before it has read the response. */
static void client_linger_cb(eel_group_id gid, void *arg, int fd)
{
    struct conn *c = arg;
    char sink[4096];
    ssize_t n = read(fd, sink, sizeof(sink));
    uint64_t now = eel_now();
    if ((n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR))) &&
        now < c->linger_deadline) {
        if (!eel_add_read_timeout(gid, client_linger_cb,
                                  client_linger_timeout_cb, c, fd,
                                  (int)(c->linger_deadline - now)))
            conn_finish(c);
        return;
    }
    conn_finish(c);
}

static void client_linger_timeout_cb(eel_group_id gid, void *arg, int fd)
{
    (void)gid;
    (void)fd;
    conn_finish(arg);
}

void proxy_free(void)
{
    proxy_stop_all();
    while (cache) {
        struct conn *c = cache;
        cache = c->next;
        free(c);
    }
    ncache = 0;
}
