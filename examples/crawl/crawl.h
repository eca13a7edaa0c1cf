/*
 * crawl.h - what the scheduler (crawl.c), the connections (fetch.c) and
 * the program's front end (main.c) share: options, jobs, hosts, counters.
 */
#ifndef CRAWL_CRAWL_H
#define CRAWL_CRAWL_H

#include "http.h"
#include "robots.h"
#include "url.h"

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define CRAWL_AGENT "eelcrawl"

struct crawl_options {
    int max_conns;  /* -c: connections in parallel */
    int host_conns; /* per-host connection limit */
    int delay_ms;   /* between request starts to one host */
    int depth;      /* links followed from the start URLs */
    int connect_timeout_ms;
    int read_timeout_ms; /* longest silence while a response is due */
    int max_redirects;
    size_t max_size;      /* largest body kept */
    const char *outdir;   /* NULL: pages are not saved */
    char **host_patterns; /* --hosts globs; NULL: the start hosts */
    int nhost_patterns;
    int robots;   /* honour robots.txt */
    int verbose;  /* one line per URL on stdout */
    int progress; /* progress line on stderr */
};

/* One URL to fetch. */
struct job {
    struct url url;
    char *key; /* canonical URL string */
    int depth;
    int redirects; /* redirect hops that led here */
    int is_robots;
    int retried; /* already re-sent after a stale keep-alive connection */
    struct job *next;
};

enum host_state {
    HOST_NEW,
    HOST_RESOLVING,
    HOST_ROBOTS,
    HOST_READY,
    HOST_FAILED
};

struct host {
    char *key; /* "name:port" */
    char *name;
    int port;
    enum host_state state;
    int dns_error; /* why the lookup failed (HOST_FAILED): enum dns_error */
    struct in_addr addr;
    struct robots robots;
    int robots_started;
    struct job *qhead, *qtail; /* waiting jobs */
    int active;                /* open connections */
    int delay_ms;              /* max(--delay, Crawl-delay) */
    uint64_t next_start;
    struct host *next;
};

struct crawl_stats {
    uint64_t pages, bytes, saved;
    uint64_t errors, http_errors, timeouts, dns_errors, redirect_errors;
    uint64_t redirects, robots_skipped, out_of_scope, unsupported;
    uint64_t requests, reused;
    uint64_t start_ms;
};

extern struct crawl_options crawl_opt;
extern struct crawl_stats crawl_stats;

/* ---- crawl.c: the scheduler ---- */
int crawl_init(void);
/* Queues a start URL; -1 (with a message) if it is unusable. */
int crawl_add_start(const char *url);
/* Starts what can start; called after every change. */
void crawl_pump(void);
/* A response (resp != NULL) or a failure (err) for job; frees job. */
void crawl_job_done(struct host *h, struct job *job, struct http_resp *resp,
                    const char *err);
/* Puts job back at the head of its host's queue (a retry). */
void crawl_requeue(struct host *h, struct job *job);
/* A connection may carry another request: the next job, or NULL. */
struct job *crawl_take_job(struct host *h);
/* A connection of h has closed. */
void crawl_conn_closed(struct host *h);
/* Stops: drops queued work and open connections (SIGINT). */
void crawl_interrupt(void);
int crawl_interrupted(void);
/* Jobs waiting in host queues. */
size_t crawl_queued(void);
/* Crawl is over (nothing queued, nothing running): set by the scheduler. */
typedef void (*crawl_finished_fn)(void);
void crawl_on_finished(crawl_finished_fn fn);
void crawl_free(void);
void job_free(struct job *j);

/* ---- fetch.c: one HTTP connection ---- */
/* Opens a connection to h for job; 0, or -1 (job untouched). */
int conn_open(struct host *h, struct job *job);
/* Connections open now. */
int conn_count(void);
/* Closes every connection without reporting (interrupt). */
void conn_abort_all(void);

#endif
