/*
 * pool.c - backend selection, health checks and idle backend connections.
 *
 * Each backend's health check is one callback chain in its own group that
 * loops for the program's life: timer -> connect -> send -> read status ->
 * timer.  Each idle keep-alive connection also sits in a group of its own,
 * waiting for the backend to close it or for the idle timeout; taking it
 * for a request deletes that group, so the fd joins the request's group.
 */
#include "pool.h"
#include "plb.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct idle_conn {
    struct idle_conn *next, *prev;
    struct backend *be;
    int fd;
    eel_group_id gid;
};

static struct backend *backends[PLB_MAX_BACKENDS];
/* Spare idle_conn records: at most as many as were ever idle at once.
 * Recycling them keeps small long-lived blocks from pinning holes in the
 * heap between the connections' big blocks. */
static struct idle_conn *spare_idle;
static int nbackends;
static unsigned rr_next;

static void health_timer_cb(eel_group_id gid, void *arg, int fd);
static void health_connected_cb(eel_group_id gid, void *arg, int fd);
static void health_read_cb(eel_group_id gid, void *arg, int fd);
static void health_timeout_cb(eel_group_id gid, void *arg, int fd);
static void idle_conn_closed_cb(eel_group_id gid, void *arg, int fd);
static void idle_conn_expired_cb(eel_group_id gid, void *arg, int fd);

static struct idle_conn *idle_alloc(void)
{
    struct idle_conn *ic = spare_idle;
    if (!ic)
        return malloc(sizeof(*ic));
    spare_idle = ic->next;
    return ic;
}

static void idle_free(struct idle_conn *ic)
{
    if (!ic)
        return;
    ic->next = spare_idle;
    spare_idle = ic;
}

/* ---- connections --------------------------------------------------------- */

int backend_connect(struct backend *be, int *fd)
{
    *fd = socket(be->addr.ss.ss_family,
                 SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (*fd < 0)
        return -1;
    int one = 1;
    setsockopt(*fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(*fd, (struct sockaddr *)&be->addr.ss, be->addr.len) == 0)
        return 0;
    if (errno == EINPROGRESS)
        return 1;
    int saved = errno;
    close(*fd); /* never registered with the loop */
    *fd = -1;
    errno = saved;
    return -1;
}

static void idle_unlink(struct idle_conn *ic)
{
    struct backend *be = ic->be;
    if (ic->prev)
        ic->prev->next = ic->next;
    else
        be->idle = ic->next;
    if (ic->next)
        ic->next->prev = ic->prev;
    be->nidle--;
}

/* Ends an idle connection's chain from inside it. */
static void idle_conn_end(eel_group_id gid, struct idle_conn *ic, int fd)
{
    idle_unlink(ic);
    eel_close(fd);
    idle_free(ic);
    eel_delete_group_id(gid);
}

/* The backend closed an idle connection (or sent something unasked). */
static void idle_conn_closed_cb(eel_group_id gid, void *arg, int fd)
{
    idle_conn_end(gid, arg, fd);
}

/* Idle too long: close before the backend does, to avoid racing it. */
static void idle_conn_expired_cb(eel_group_id gid, void *arg, int fd)
{
    idle_conn_end(gid, arg, fd);
}

void backend_put_idle(struct backend *be, int fd)
{
    struct idle_conn *ic = NULL;
    eel_group_id gid = 0;
    if (be->retired || plb_stopping ||
        be->nidle >= g_config.backend_keepalive || !(ic = idle_alloc()) ||
        !(gid = eel_new_group_id())) {
        idle_free(ic);
        eel_close(fd);
        return;
    }
    ic->be = be;
    ic->fd = fd;
    ic->gid = gid;
    if (!eel_add_read_timeout(gid, idle_conn_closed_cb, idle_conn_expired_cb,
                              ic, fd, g_config.timeout_idle_ms)) {
        eel_close(fd);
        idle_free(ic);
        eel_delete_group_id(gid);
        return;
    }
    ic->prev = NULL;
    ic->next = be->idle;
    if (be->idle)
        be->idle->prev = ic;
    be->idle = ic;
    be->nidle++;
}

int backend_take_idle(struct backend *be)
{
    struct idle_conn *ic = be->idle;
    if (!ic)
        return -1;
    idle_unlink(ic);
    int fd = ic->fd;
    eel_delete_group_id(ic->gid); /* cancels its wait; the fd stays open */
    idle_free(ic);
    return fd;
}

static void close_idle(struct backend *be)
{
    while (be->idle) {
        int fd = backend_take_idle(be);
        eel_close(fd);
    }
}

/* ---- selection ----------------------------------------------------------- */

static int was_tried(const struct backend *be, struct backend *const *tried,
                     int ntried)
{
    for (int i = 0; i < ntried; i++)
        if (tried[i] == be)
            return 1;
    return 0;
}

/* One pass over the backends; need_up limits it to healthy ones. */
static struct backend *pick_pass(struct backend *const *tried, int ntried,
                                 int need_up, int *full)
{
    struct backend *best = NULL;
    for (int k = 0; k < nbackends; k++) {
        struct backend *be = backends[(rr_next + (unsigned)k) % nbackends];
        if ((need_up && !be->up) || was_tried(be, tried, ntried))
            continue;
        if (be->active >= g_config.backend_max_conns) {
            *full = 1;
            continue;
        }
        if (g_config.balance == BALANCE_ROUND_ROBIN) {
            rr_next = (rr_next + (unsigned)k + 1) % nbackends;
            return be;
        }
        if (!best || be->active < best->active)
            best = be;
    }
    if (best)
        rr_next = (rr_next + 1) % nbackends; /* rotates least-conn ties */
    return best;
}

struct backend *pool_pick(struct backend *const *tried, int ntried, int *full)
{
    *full = 0;
    if (nbackends == 0)
        return NULL;
    struct backend *be = pick_pass(tried, ntried, 1, full);
    if (be || *full)
        return be; /* a healthy one, or wait for one */
    return pick_pass(tried, ntried, 0, full);
}

static void backend_free_if_unused(struct backend *be)
{
    if (be->retired && be->refs == 0) {
        close_idle(be);
        free(be);
    }
}

void backend_begin(struct backend *be)
{
    be->active++;
    be->refs++;
    be->requests++;
}

void backend_end(struct backend *be)
{
    be->active--;
    be->refs--;
    backend_free_if_unused(be);
}

static void set_up(struct backend *be, int up)
{
    if (be->up != up)
        plb_log("backend %s is %s", be->addr.text, up ? "up" : "down");
    be->up = up;
}

void backend_failed(struct backend *be)
{
    be->failures++;
    be->ok_streak = 0;
    set_up(be, 0);
}

/* ---- health checks ------------------------------------------------------- */

/* Ends one check: record it, close its socket, sleep until the next. */
static void health_done(eel_group_id gid, struct backend *be, int ok)
{
    if (be->hc_fd >= 0) {
        eel_close(be->hc_fd);
        be->hc_fd = -1;
    }
    if (ok) {
        be->fail_streak = 0;
        if (++be->ok_streak >= g_config.health_rise)
            set_up(be, 1);
    } else {
        be->ok_streak = 0;
        if (++be->fail_streak >= g_config.health_fall)
            set_up(be, 0);
    }
    if (!eel_add_timer(gid, health_timer_cb, be, g_config.health_interval_ms)) {
        plb_log("health check of %s stopped: %s", be->addr.text,
                strerror(errno));
        eel_delete_group_id(gid);
        be->hc_gid = 0;
    }
}

static void health_timer_cb(eel_group_id gid, void *arg, int fd)
{
    struct backend *be = arg;
    (void)fd;
    be->hc_len = 0;
    if (backend_connect(be, &be->hc_fd) < 0) {
        health_done(gid, be, 0);
        return;
    }
    if (!eel_add_write_timeout(gid, health_connected_cb, health_timeout_cb, be,
                               be->hc_fd, g_config.health_timeout_ms))
        health_done(gid, be, 0);
}

static void health_connected_cb(eel_group_id gid, void *arg, int fd)
{
    struct backend *be = arg;
    char req[512];
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
        health_done(gid, be, 0);
        return;
    }
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
                     "User-Agent: eelplb-health\r\n\r\n",
                     g_config.health_path, be->addr.text);
    /* A fresh socket's send buffer always takes a request this small. */
    if (n <= 0 || (size_t)n >= sizeof(req) || write(fd, req, (size_t)n) != n) {
        health_done(gid, be, 0);
        return;
    }
    if (!eel_add_read_timeout(gid, health_read_cb, health_timeout_cb, be, fd,
                              g_config.health_timeout_ms))
        health_done(gid, be, 0);
}

static void health_read_cb(eel_group_id gid, void *arg, int fd)
{
    struct backend *be = arg;
    ssize_t n =
        read(fd, be->hc_buf + be->hc_len, sizeof(be->hc_buf) - be->hc_len);
    if (n > 0)
        be->hc_len += (size_t)n;
    /* Nothing yet, or less than a status line: wait for more. */
    if ((n < 0 && (errno == EAGAIN || errno == EINTR)) ||
        (n > 0 && be->hc_len < 12)) {
        if (!eel_add_read_timeout(gid, health_read_cb, health_timeout_cb, be,
                                  fd, g_config.health_timeout_ms))
            health_done(gid, be, 0);
        return;
    }
    /* "HTTP/1.x NNN": 2xx and 3xx mean healthy. */
    const char *b = be->hc_buf;
    int ok = be->hc_len >= 12 && memcmp(b, "HTTP/1.", 7) == 0 && b[8] == ' ' &&
             (b[9] == '2' || b[9] == '3');
    health_done(gid, be, ok);
}

static void health_timeout_cb(eel_group_id gid, void *arg, int fd)
{
    (void)fd;
    health_done(gid, arg, 0);
}

/* ---- lifecycle ----------------------------------------------------------- */

static struct backend *backend_new(const struct plb_addr *addr)
{
    struct backend *be = calloc(1, sizeof(*be));
    if (!be)
        return NULL;
    be->addr = *addr;
    be->up = 1; /* optimistic until the first checks say otherwise */
    be->refs = 1;
    be->hc_fd = -1;
    be->hc_gid = eel_new_group_id();
    if (!be->hc_gid || !eel_add_timer(be->hc_gid, health_timer_cb, be, 0)) {
        if (be->hc_gid)
            eel_delete_group_id(be->hc_gid);
        free(be);
        return NULL;
    }
    return be;
}

/* Ends be's health-check chain from outside it. */
static void backend_stop_checks(struct backend *be)
{
    if (be->hc_fd >= 0)
        eel_close(be->hc_fd);
    be->hc_fd = -1;
    if (be->hc_gid)
        eel_delete_group_id(be->hc_gid);
    be->hc_gid = 0;
}

/* Drops be from service; freed once no request holds it. */
static void backend_retire(struct backend *be)
{
    backend_stop_checks(be);
    be->retired = 1;
    close_idle(be);
    be->refs--;
    backend_free_if_unused(be);
}

int pool_start(void)
{
    nbackends = 0;
    for (int i = 0; i < g_config.nbackends; i++) {
        struct backend *be = backend_new(&g_config.backends[i]);
        if (!be)
            return -1;
        backends[nbackends++] = be;
    }
    return 0;
}

void pool_reconfigure(void)
{
    struct backend *next[PLB_MAX_BACKENDS];
    int nnext = 0;
    for (int i = 0; i < g_config.nbackends; i++) {
        struct backend *keep = NULL;
        for (int k = 0; k < nbackends && !keep; k++)
            if (backends[k] &&
                config_same_addr(&backends[k]->addr, &g_config.backends[i])) {
                keep = backends[k];
                backends[k] = NULL;
            }
        if (!keep)
            keep = backend_new(&g_config.backends[i]);
        if (keep)
            next[nnext++] = keep;
    }
    for (int k = 0; k < nbackends; k++)
        if (backends[k])
            backend_retire(backends[k]);
    memcpy(backends, next, sizeof(next[0]) * (size_t)nnext);
    nbackends = nnext;
    rr_next = 0;
}

void pool_stop(void)
{
    for (int k = 0; k < nbackends; k++) {
        backend_stop_checks(backends[k]);
        close_idle(backends[k]);
    }
}

void pool_free(void)
{
    for (int k = 0; k < nbackends; k++)
        backend_retire(backends[k]);
    nbackends = 0;
    while (spare_idle) {
        struct idle_conn *ic = spare_idle;
        spare_idle = ic->next;
        free(ic);
    }
}
