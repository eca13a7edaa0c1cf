/*
 * main.c - eelplb's entry point: settings, the listening socket, accepting
 * clients, and the signals (SIGTERM/SIGINT stop gracefully, SIGHUP reloads
 * the config file and reopens the access log).
 *
 * The main group's chains: client_accept_cb (re-registered after each batch
 * of accepts, or accept_resume_cb when at the connection limit),
 * reload_signal_cb (re-registered after each reload) and stop_signal_cb,
 * which closes the listener and hands over to drain_tick_cb until every
 * connection has ended; that deletes the main group and the loop runs dry.
 */
#define _GNU_SOURCE /* accept4 */
#include "accesslog.h"
#include "config.h"
#include "plb.h"
#include "pool.h"
#include "proxy.h"

#include <eel.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ACCEPT_BATCH 64
#define ACCEPT_PAUSE_MS 20
#define DRAIN_TICK_MS 50

struct plb_config g_config;
int plb_stopping;

static int listen_fd = -1;
static int saved_argc;
static char **saved_argv;
static eel_event_id accept_ev, hup_ev, term_ev, int_ev;
static uint64_t drain_deadline;

static void client_accept_cb(eel_group_id gid, void *arg, int fd);
static void accept_wait(eel_group_id gid, void *arg, int paused);
static void accept_resume_cb(eel_group_id gid, void *arg, int fd);
static void reload_signal_cb(eel_group_id gid, void *arg, int fd);
static void stop_signal_cb(eel_group_id gid, void *arg, int fd);
static void drain_tick_cb(eel_group_id gid, void *arg, int fd);

void plb_log(const char *fmt, ...)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "eelplb %s: ", stamp);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Room for every client, every backend connection (in flight or idle) and
 * some spare. */
static rlim_t backend_fds(void)
{
    return (rlim_t)g_config.nbackends *
           (rlim_t)(g_config.backend_max_conns + g_config.backend_keepalive);
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)g_config.max_connections + backend_fds() + 256;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
        return;
    struct rlimit more = {want, rl.rlim_max > want ? rl.rlim_max : want};
    if (setrlimit(RLIMIT_NOFILE, &more) < 0) {
        more.rlim_cur = more.rlim_max = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &more);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < want) {
        rlim_t half = rl.rlim_cur > 512 ? (rl.rlim_cur - 256) / 2 : 128;
        rlim_t rest = rl.rlim_cur > backend_fds() + 256
                          ? rl.rlim_cur - backend_fds() - 256
                          : 0;
        int fit = (int)(rest > half ? rest : half);
        plb_log("fd limit %llu: max_connections lowered from %d to %d",
                (unsigned long long)rl.rlim_cur, g_config.max_connections, fit);
        g_config.max_connections = fit;
    }
}

static int open_listener(void)
{
    int fd = socket(g_config.listen.ss.ss_family,
                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&g_config.listen.ss, g_config.listen.len) <
            0 ||
        listen(fd, 4096) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* ---- accepting ---------------------------------------------------------- */

static void client_accept_cb(eel_group_id gid, void *arg, int fd)
{
    int paused = 0;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        if (proxy_count() >= g_config.max_connections) {
            paused = 1;
            break;
        }
        struct sockaddr_storage peer;
        socklen_t len = sizeof(peer);
        int cfd = accept4(fd, (struct sockaddr *)&peer, &len,
                          SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd >= 0) {
            proxy_accept(cfd, &peer);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
            errno == ENOMEM) {
            plb_log("accept: %s; pausing", strerror(errno));
            paused = 1;
        }
        break; /* EAGAIN: all accepted */
    }
    accept_wait(gid, arg, paused);
}

/* At the connection limit: look again shortly. */
static void accept_resume_cb(eel_group_id gid, void *arg, int fd)
{
    (void)fd;
    accept_wait(gid, arg, proxy_count() >= g_config.max_connections);
}

/* Waits for the next clients on listen_fd or, paused, for a while. */
static void accept_wait(eel_group_id gid, void *arg, int paused)
{
    if (paused)
        accept_ev = eel_add_timer(gid, accept_resume_cb, arg, ACCEPT_PAUSE_MS);
    else
        accept_ev = eel_add_read(gid, client_accept_cb, arg, listen_fd);
    if (!accept_ev) {
        plb_log("cannot wait for clients: %s", strerror(errno));
        eel_delete_group_id(gid);
    }
}

/* ---- signals ------------------------------------------------------------ */

static void reload(void)
{
    struct plb_config next;
    char err[600];
    int rc = config_build(&next, saved_argc, saved_argv, err, sizeof(err));
    if (rc != 0) {
        plb_log("reload failed, keeping the old config: %s", err);
        return;
    }
    if (!config_same_addr(&next.listen, &g_config.listen))
        plb_log("reload: a new listen address needs a restart; ignored");
    next.listen = g_config.listen;
    if (next.max_connections > g_config.max_connections)
        next.max_connections = g_config.max_connections; /* fds were sized */
    g_config = next;
    pool_reconfigure();
    accesslog_open();
    plb_log("reloaded: %d backends", g_config.nbackends);
}

static void reload_signal_cb(eel_group_id gid, void *arg, int signum)
{
    reload();
    hup_ev = eel_add_signal(gid, reload_signal_cb, arg, signum);
    if (!hup_ev)
        plb_log("SIGHUP no longer reloads: %s", strerror(errno));
}

static void stop_signal_cb(eel_group_id gid, void *arg, int signum)
{
    plb_log("signal %d: stopping, %d connections to drain", signum,
            proxy_count());
    plb_stopping = 1;
    eel_close(listen_fd); /* cancels a pending accept too */
    listen_fd = -1;
    eel_cancel(accept_ev); /* a paused accept's timer, if any */
    eel_cancel(hup_ev);
    eel_cancel(signum == SIGTERM ? int_ev : term_ev);
    pool_stop();
    proxy_stop_idle();
    drain_deadline = eel_now() + (uint64_t)g_config.drain_ms;
    if (!eel_add_timer(gid, drain_tick_cb, arg, 0)) {
        proxy_stop_all();
        eel_delete_group_id(gid);
    }
}

/* Waits for the last connection, or for the drain time to run out. */
static void drain_tick_cb(eel_group_id gid, void *arg, int fd)
{
    (void)fd;
    if (proxy_count() > 0 && eel_now() < drain_deadline &&
        eel_add_timer(gid, drain_tick_cb, arg, DRAIN_TICK_MS))
        return;
    if (proxy_count() > 0)
        plb_log("drain time over: closing %d connections", proxy_count());
    proxy_stop_all();
    accesslog_close();
    eel_delete_group_id(gid); /* the end of the main chain */
}

/* ---- main --------------------------------------------------------------- */

static int start(eel_group_id gid)
{
    listen_fd = open_listener();
    if (listen_fd < 0) {
        plb_log("cannot listen on %s: %s", g_config.listen.text,
                strerror(errno));
        return -1;
    }
    if (pool_start() < 0) {
        plb_log("cannot start the backend pool: %s", strerror(errno));
        return -1;
    }
    accept_ev = eel_add_read(gid, client_accept_cb, NULL, listen_fd);
    term_ev = eel_add_signal(gid, stop_signal_cb, NULL, SIGTERM);
    int_ev = eel_add_signal(gid, stop_signal_cb, NULL, SIGINT);
    hup_ev = eel_add_signal(gid, reload_signal_cb, NULL, SIGHUP);
    if (!accept_ev || !term_ev || !int_ev || !hup_ev) {
        plb_log("cannot register events: %s", strerror(errno));
        return -1;
    }
    plb_log("listening on %s, %d backends, %s", g_config.listen.text,
            g_config.nbackends,
            g_config.balance == BALANCE_LEAST_CONN ? "leastconn"
                                                   : "roundrobin");
    return 0;
}

int main(int argc, char **argv)
{
    char err[600];
    int rc = config_build(&g_config, argc, argv, err, sizeof(err));
    if (rc == 1)
        return 0;
    if (rc < 0) {
        fprintf(stderr, "eelplb: %s\n", err);
        return 2;
    }
    saved_argc = argc;
    saved_argv = argv;
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    if (eel_init() < 0) {
        fprintf(stderr, "eelplb: eel_init: %s\n", strerror(errno));
        return 1;
    }
    if (accesslog_open() < 0) {
        eel_shutdown();
        return 1;
    }
    eel_group_id gid = eel_new_group_id();
    if (!gid || start(gid) < 0) {
        if (gid)
            eel_delete_group_id(gid);
        pool_free();
        accesslog_close();
        eel_shutdown();
        return 1;
    }
    rc = eel_dispatch();
    if (rc < 0)
        plb_log("event loop failed: %s", strerror(errno));
    proxy_free();
    pool_free();
    accesslog_close();
    eel_shutdown();
    plb_log("stopped");
    return rc < 0 ? 1 : 0;
}
