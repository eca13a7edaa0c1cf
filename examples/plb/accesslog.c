/*
 * accesslog.c - the access log (see accesslog.h).
 *
 * Format: client - - [time] "METHOD target HTTP/1.x" status bytes
 * backend=HOST:PORT ms=N tries=N
 */
#include "accesslog.h"
#include "plb.h"

#include <eel.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static FILE *log_file;
static eel_group_id flush_gid; /* the flush chain, while a log is open */
static int flush_each;         /* no flush chain: flush every line */

/* Once a second: push the buffered lines out. */
static void accesslog_flush_cb(eel_group_id gid, void *arg, int fd)
{
    (void)fd;
    if (log_file)
        fflush(log_file);
    if (!eel_add_timer(gid, accesslog_flush_cb, arg, 1000)) {
        plb_log("access log: cannot schedule flushes: %s", strerror(errno));
        flush_each = 1;
        eel_delete_group_id(gid);
        flush_gid = 0;
    }
}

static void stop_flushing(void)
{
    if (flush_gid)
        eel_delete_group_id(flush_gid); /* ends the flush chain */
    flush_gid = 0;
}

static void start_flushing(void)
{
    if (flush_gid)
        return;
    flush_gid = eel_new_group_id();
    if (flush_gid && eel_add_timer(flush_gid, accesslog_flush_cb, NULL, 1000))
        return;
    if (flush_gid)
        eel_delete_group_id(flush_gid);
    flush_gid = 0;
    flush_each = 1;
}

int accesslog_open(void)
{
    if (log_file) {
        fflush(log_file);
        if (log_file != stdout)
            fclose(log_file);
        log_file = NULL;
    }
    const char *path = g_config.access_log;
    if (!path[0]) {
        stop_flushing();
        return 0;
    }
    log_file = strcmp(path, "-") == 0 ? stdout : fopen(path, "a");
    if (!log_file) {
        plb_log("access log %s: %s", path, strerror(errno));
        stop_flushing();
        return -1;
    }
    start_flushing();
    return 0;
}

void accesslog_write(const struct access_entry *e)
{
    static time_t cached_sec;
    static char stamp[40];
    if (!log_file)
        return;
    time_t now = time(NULL);
    if (now != cached_sec) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%d/%b/%Y:%H:%M:%S +0000", &tm);
        cached_sec = now;
    }
    fprintf(log_file,
            "%s - - [%s] \"%s %s HTTP/1.%d\" %d %llu backend=%s "
            "ms=%llu tries=%d\n",
            e->client, stamp, e->method[0] ? e->method : "-",
            e->target[0] ? e->target : "-", e->minor, e->status,
            (unsigned long long)e->bytes, e->backend ? e->backend : "-",
            (unsigned long long)e->ms, e->tries);
    if (flush_each)
        fflush(log_file);
}

void accesslog_close(void)
{
    stop_flushing();
    if (log_file) {
        fflush(log_file);
        if (log_file != stdout)
            fclose(log_file);
    }
    log_file = NULL;
}
