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
static eel_group_id flush_gid;
static int flush_pending;

static void accesslog_flush_cb(eel_group_id gid, void *arg, int fd)
{
    (void)arg;
    (void)fd;
    if (log_file)
        fflush(log_file);
    flush_pending = 0;
    eel_delete_group_id(gid);
    flush_gid = 0;
}

/* Arms one flush a second after the first unflushed line. */
static void schedule_flush(void)
{
    if (flush_pending)
        return;
    eel_group_id gid = eel_new_group_id();
    if (!gid) {
        fflush(log_file);
        return;
    }
    if (!eel_add_timer(gid, accesslog_flush_cb, NULL, 1000)) {
        eel_delete_group_id(gid);
        fflush(log_file);
        return;
    }
    flush_gid = gid;
    flush_pending = 1;
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
    if (!path[0])
        return 0;
    if (strcmp(path, "-") == 0) {
        log_file = stdout;
        return 0;
    }
    log_file = fopen(path, "a");
    if (!log_file) {
        plb_log("access log %s: %s", path, strerror(errno));
        return -1;
    }
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
    fprintf(log_file, "%s - - [%s] \"%s %s HTTP/1.%d\" %d %llu backend=%s "
            "ms=%llu tries=%d\n",
            e->client, stamp, e->method[0] ? e->method : "-",
            e->target[0] ? e->target : "-", e->minor, e->status,
            (unsigned long long)e->bytes, e->backend ? e->backend : "-",
            (unsigned long long)e->ms, e->tries);
    schedule_flush();
}

void accesslog_close(void)
{
    if (flush_pending) {
        eel_delete_group_id(flush_gid); /* ends the flush chain early */
        flush_pending = 0;
        flush_gid = 0;
    }
    if (log_file) {
        fflush(log_file);
        if (log_file != stdout)
            fclose(log_file);
    }
    log_file = NULL;
}
