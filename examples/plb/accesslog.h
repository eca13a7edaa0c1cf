/*
 * accesslog.h - one line per request, buffered and flushed once a second by
 * a timer chain in a group of its own that lives while a log is open
 * (writing each line at once would cost a system call per request).
 */
#ifndef PLB_ACCESSLOG_H
#define PLB_ACCESSLOG_H

#include <stdint.h>

struct access_entry {
    const char *client;
    const char *method, *target;
    int minor;
    int status;     /* 0: no response was sent */
    uint64_t bytes; /* response bytes sent to the client */
    const char *backend;
    uint64_t ms;
    int tries;
};

/* Opens (or reopens, on reload) the log named by g_config.access_log. */
int accesslog_open(void);
void accesslog_write(const struct access_entry *e);
void accesslog_close(void);

#endif
