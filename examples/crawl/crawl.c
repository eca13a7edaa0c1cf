/*
 * crawl.c - the scheduler: which URL is fetched when, over which host.
 *
 * URLs enter through crawl_add() (start URLs, links, redirect targets),
 * are deduplicated by their canonical string, and wait in their host's
 * queue.  A host is resolved (dns.c), then its robots.txt is fetched,
 * then its queue is served by at most --host-conns connections, spaced by
 * the host's delay.  crawl_pump() starts whatever may start, round-robin
 * over hosts; a timer (its own group per wait) wakes it when a host's
 * delay expires.  When nothing is queued, running or resolving, the crawl
 * is finished.
 */
#define _GNU_SOURCE /* FNM_CASEFOLD */
#include "crawl.h"
#include "dns.h"
#include "eel.h"
#include "links.h"
#include "save.h"
#include "strmap.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct crawl_options crawl_opt;
struct crawl_stats crawl_stats;

static struct {
    struct strmap seen; /* URL -> where it redirected (char *) or NULL */
    struct host *hosts;
    struct host *rr; /* round-robin cursor */
    char **start_hosts;
    int nstart;
    size_t queued;
    eel_group_id wake_gid; /* the pending wake-up timer's group, or 0 */
    uint64_t wake_at;
    int in_pump, pump_again, interrupted, finished;
    crawl_finished_fn on_finished;
} S;

static void crawl_wake(eel_group_id gid, void *arg, int fd);

void job_free(struct job *j)
{
    url_free(&j->url);
    free(j->key);
    free(j);
}

size_t crawl_queued(void)
{
    return S.queued;
}

int crawl_interrupted(void)
{
    return S.interrupted;
}

void crawl_on_finished(crawl_finished_fn fn)
{
    S.on_finished = fn;
}

int crawl_init(void)
{
    memset(&S, 0, sizeof(S));
    crawl_stats.start_ms = eel_now();
    return 0;
}

/* ---- Reporting ---------------------------------------------------------- */

static void report(const char *what, const char *url, const char *detail)
{
    if (crawl_opt.verbose)
        printf("%s %s%s%s\n", what, url, detail ? " " : "",
               detail ? detail : "");
}

static void count_error(const char *err)
{
    crawl_stats.errors++;
    if (strstr(err, "timeout"))
        crawl_stats.timeouts++;
}

/* A URL lost because its host's name could not be resolved.  A lookup that
 * got no answer in time is a timeout; NXDOMAIN, a server failure, a
 * malformed answer or no resources for the lookup is a DNS error. */
static void count_dns_error(const struct job *j, int error)
{
    crawl_stats.errors++;
    if (error == DNS_ETIMEDOUT)
        crawl_stats.timeouts++;
    else
        crawl_stats.dns_errors++;
    report("ERR", j->key, dns_strerror(error));
}

/* ---- Hosts and queues --------------------------------------------------- */

static void host_push(struct host *h, struct job *j, int front)
{
    j->next = NULL;
    if (front) {
        j->next = h->qhead;
        h->qhead = j;
        if (!h->qtail)
            h->qtail = j;
    } else {
        if (h->qtail)
            h->qtail->next = j;
        else
            h->qhead = j;
        h->qtail = j;
    }
    S.queued++;
}

static struct job *host_pop(struct host *h)
{
    struct job *j = h->qhead;
    if (!j)
        return NULL;
    h->qhead = j->next;
    if (!h->qhead)
        h->qtail = NULL;
    S.queued--;
    j->next = NULL;
    return j;
}

/* Frees every job waiting for h, unreported. */
static void host_drop_queue(struct host *h)
{
    struct job *j;
    while ((j = host_pop(h)))
        job_free(j);
}

static struct job *job_new(const struct url *u, int depth, int redirects)
{
    struct job *j = calloc(1, sizeof(*j));
    if (!j)
        return NULL;
    if (url_copy(u, &j->url) < 0 || !(j->key = url_string(u))) {
        url_free(&j->url);
        free(j);
        return NULL;
    }
    j->depth = depth;
    j->redirects = redirects;
    return j;
}

/* A job for u, now marked seen; NULL if u was seen before (or there is
 * no memory for it). */
static struct job *job_new_unseen(const struct url *u, int depth, int redirects)
{
    struct job *j = job_new(u, depth, redirects);
    int added = 0;
    if (j && (!strmap_put(&S.seen, j->key, &added) || !added)) {
        job_free(j);
        return NULL;
    }
    return j;
}

/* Queues the host's robots.txt ahead of everything else.  Without it (no
 * memory) the host's fresh rules stay "allow all". */
static void host_queue_robots(struct host *h, const struct url *any)
{
    struct url r = {.https = 0,
                    .host = any->host,
                    .port = any->port,
                    .path = "/robots.txt",
                    .query = NULL};
    struct job *j = job_new_unseen(&r, 0, 0);
    if (!j)
        return;
    j->is_robots = 1;
    host_push(h, j, 1);
}

/* The host of u, whose url_hostport() is key; created on first use. */
static struct host *host_get(const struct url *u, const char *key)
{
    for (struct host *h = S.hosts; h; h = h->next)
        if (strcmp(h->key, key) == 0)
            return h;
    struct host *h = calloc(1, sizeof(*h));
    if (!h || !(h->name = strdup(u->host)) || !(h->key = strdup(key))) {
        if (h)
            free(h->name);
        free(h);
        return NULL;
    }
    h->port = u->port;
    h->delay_ms = crawl_opt.delay_ms;
    robots_allow_all(&h->robots);
    h->next = S.hosts;
    S.hosts = h;
    if (crawl_opt.robots)
        host_queue_robots(h, u);
    return h;
}

/* Is u, whose url_hostport() is key, to be crawled? */
static int in_scope(const struct url *u, const char *key)
{
    int ok = 0;
    if (crawl_opt.nhost_patterns) {
        for (int i = 0; i < crawl_opt.nhost_patterns && !ok; i++) {
            const char *p = crawl_opt.host_patterns[i];
            ok = fnmatch(p, strchr(p, ':') ? key : u->host, FNM_CASEFOLD) == 0;
        }
    } else {
        for (int i = 0; i < S.nstart && !ok; i++)
            ok = strcmp(S.start_hosts[i], key) == 0;
    }
    return ok;
}

static void host_resolved(void *arg, int error, struct in_addr addr);

/* Queues u unless it was seen, is out of scope or cannot be fetched. */
static void crawl_add(const struct url *u, int depth, int redirects)
{
    if (u->https) {
        crawl_stats.unsupported++;
        return;
    }
    char *key = url_hostport(u);
    if (!key || !in_scope(u, key)) {
        free(key);
        crawl_stats.out_of_scope++;
        return;
    }
    struct host *h = host_get(u, key);
    free(key);
    struct job *j = h ? job_new_unseen(u, depth, redirects) : NULL;
    if (!j)
        return;
    if (h->state == HOST_FAILED) {
        count_dns_error(j, h->dns_error);
        job_free(j);
        return;
    }
    host_push(h, j, 0);
    if (h->state == HOST_NEW) {
        h->state = HOST_RESOLVING;
        if (dns_resolve(h->name, host_resolved, h) < 0)
            host_resolved(h, DNS_EFAIL, (struct in_addr){0});
    }
}

int crawl_add_start(const char *s)
{
    struct url u;
    if (url_parse(s, &u) < 0) {
        fprintf(stderr, "eelcrawl: not an http URL: %s\n", s);
        return -1;
    }
    if (u.https) {
        fprintf(stderr, "eelcrawl: https is not supported: %s\n", s);
        url_free(&u);
        return -1;
    }
    char *key = url_hostport(&u);
    char **n = realloc(S.start_hosts, (size_t)(S.nstart + 1) * sizeof(*n));
    if (!key || !n) {
        free(key);
        url_free(&u);
        return -1;
    }
    S.start_hosts = n;
    S.start_hosts[S.nstart++] = key;
    crawl_add(&u, 0, 0);
    url_free(&u);
    return 0;
}

/* The lookup of a host's name finished. */
static void host_resolved(void *arg, int error, struct in_addr addr)
{
    struct host *h = arg;
    if (S.interrupted)
        return;
    if (error) {
        h->state = HOST_FAILED;
        h->dns_error = error;
        struct job *j;
        while ((j = host_pop(h))) {
            if (!j->is_robots)
                count_dns_error(j, error);
            job_free(j);
        }
    } else {
        h->addr = addr;
        /* Without a queued robots.txt job (disabled, or no memory for it)
         * the host is ready at once. */
        h->state = (h->qhead && h->qhead->is_robots) ? HOST_ROBOTS : HOST_READY;
    }
    crawl_pump();
}

/* The next job of h that robots.txt allows; disallowed ones are dropped. */
static struct job *host_next_allowed(struct host *h)
{
    struct job *j;
    while ((j = host_pop(h))) {
        char *target = j->is_robots ? NULL : url_target(&j->url);
        int ok = j->is_robots || !target || robots_allowed(&h->robots, target);
        free(target);
        if (ok)
            return j;
        crawl_stats.robots_skipped++;
        report("SKIP", j->key, "robots.txt");
        job_free(j);
    }
    return NULL;
}

struct job *crawl_take_job(struct host *h)
{
    if (S.interrupted || h->state != HOST_READY || h->delay_ms > 0)
        return NULL;
    return host_next_allowed(h);
}

void crawl_requeue(struct host *h, struct job *job)
{
    host_push(h, job, 1);
}

void crawl_conn_closed(struct host *h)
{
    h->active--;
    crawl_pump();
}

/* ---- Responses ---------------------------------------------------------- */

struct link_ctx {
    struct url base;
    int depth;
};

static void on_link(void *arg, enum link_kind kind, const char *ref, size_t len)
{
    struct link_ctx *lc = arg;
    struct url u;
    if (url_resolve(&lc->base, ref, len, &u) < 0)
        return; /* mailto:, javascript:, malformed... */
    if (kind == LINK_BASE) {
        url_free(&lc->base);
        lc->base = u;
        return;
    }
    crawl_add(&u, lc->depth, 0);
    url_free(&u);
}

static int is_html(const struct http_resp *r, const struct url *u)
{
    const char *ct = r->content_type;
    if (ct)
        return strncasecmp(ct, "text/html", 9) == 0 ||
               strncasecmp(ct, "application/xhtml+xml", 21) == 0;
    size_t l = strlen(u->path);
    return u->path[l - 1] == '/' ||
           (l >= 5 && strcasecmp(u->path + l - 5, ".html") == 0) ||
           (l >= 4 && strcasecmp(u->path + l - 4, ".htm") == 0);
}

static void save_ok_page(struct job *j, struct http_resp *r)
{
    crawl_stats.pages++;
    char *path = NULL;
    char detail[64];
    snprintf(detail, sizeof(detail), "%zu", r->body.len);
    if (crawl_opt.outdir) {
        if (save_page(crawl_opt.outdir, &j->url,
                      r->body.data ? r->body.data : "", r->body.len,
                      &path) < 0) {
            char msg[128];
            snprintf(msg, sizeof(msg), "save: %s", strerror(errno));
            count_error(msg);
            report("ERR", j->key, msg);
            return;
        }
        crawl_stats.saved++;
    }
    if (crawl_opt.verbose)
        printf("%d %s %s%s%s\n", r->status, j->key, detail, path ? " " : "",
               path ? path : "");
    free(path);
    if (j->is_robots || j->depth >= crawl_opt.depth || !is_html(r, &j->url))
        return;
    struct link_ctx lc = {.depth = j->depth + 1};
    if (url_copy(&j->url, &lc.base) < 0)
        return;
    if (links_extract(r->body.data ? r->body.data : "", r->body.len, on_link,
                      &lc) < 0)
        count_error("out of memory");
    url_free(&lc.base);
}

/* Does following the recorded redirects from `from` come back to `to`? */
static int redirect_loops(const char *from, const char *to)
{
    const char *k = from;
    for (int i = 0; k && i < 64; i++) {
        if (strcmp(k, to) == 0)
            return 1;
        struct strmap_entry *e = strmap_get(&S.seen, k);
        k = e ? e->value : NULL;
    }
    return 0;
}

static void follow_redirect(struct job *j, struct http_resp *r)
{
    struct url t;
    const char *err = NULL;
    crawl_stats.redirects++;
    if (url_resolve(&j->url, r->location, strlen(r->location), &t) < 0) {
        err = "bad redirect location";
    } else {
        char *tkey = url_string(&t);
        struct strmap_entry *e = strmap_get(&S.seen, j->key);
        if (tkey && e && !e->value)
            e->value = strdup(tkey);
        if (!tkey)
            err = "out of memory";
        else if (redirect_loops(tkey, j->key))
            err = "redirect loop";
        else if (j->redirects + 1 > crawl_opt.max_redirects)
            err = "too many redirects";
        if (!err && crawl_opt.verbose)
            printf("%d %s -> %s\n", r->status, j->key, tkey);
        if (!err)
            crawl_add(&t, j->depth, j->redirects + 1);
        free(tkey);
        url_free(&t);
    }
    if (err) {
        crawl_stats.redirect_errors++;
        count_error(err);
        report("ERR", j->key, err);
    }
}

static void robots_done(struct host *h, struct http_resp *r)
{
    if (r && r->status >= 200 && r->status < 300) {
        robots_free(&h->robots);
        if (robots_parse(&h->robots, r->body.data ? r->body.data : "",
                         r->body.len, CRAWL_AGENT) < 0)
            robots_allow_all(&h->robots);
        if (h->robots.crawl_delay_ms > h->delay_ms)
            h->delay_ms = h->robots.crawl_delay_ms;
    }
    /* No robots.txt, an error or a redirect: everything is allowed. */
    if (h->state == HOST_ROBOTS)
        h->state = HOST_READY;
}

static void handle_response(struct job *j, struct http_resp *r)
{
    int st = r->status;
    if ((st == 301 || st == 302 || st == 303 || st == 307 || st == 308) &&
        r->location && !j->is_robots) {
        follow_redirect(j, r);
    } else if (st >= 200 && st < 300) {
        save_ok_page(j, r);
    } else if (!j->is_robots) {
        char detail[32];
        snprintf(detail, sizeof(detail), "HTTP %d", st);
        crawl_stats.http_errors++;
        count_error(detail);
        report("ERR", j->key, detail);
    }
}

void crawl_job_done(struct host *h, struct job *job, struct http_resp *resp,
                    const char *err)
{
    if (err && !job->is_robots) {
        count_error(err);
        report("ERR", job->key, err);
    } else if (resp) {
        handle_response(job, resp);
    }
    if (job->is_robots)
        robots_done(h, resp);
    job_free(job);
    crawl_pump();
}

/* ---- Starting work ------------------------------------------------------ */

/* May h start a connection now?  Updates *earliest for delayed hosts. */
static int host_may_start(struct host *h, uint64_t now, uint64_t *earliest)
{
    if (!h->qhead || h->active >= crawl_opt.host_conns)
        return 0;
    if (h->state == HOST_ROBOTS)
        return !h->robots_started;
    if (h->state != HOST_READY)
        return 0;
    if (h->delay_ms > 0 && now < h->next_start) {
        if (!*earliest || h->next_start < *earliest)
            *earliest = h->next_start;
        return 0;
    }
    return 1;
}

/* Starts one connection for h (or drops the job it cannot start). */
static void host_start_one(struct host *h, uint64_t now)
{
    struct job *j;
    if (h->state == HOST_ROBOTS) {
        h->robots_started = 1;
        j = host_pop(h); /* the robots.txt job is at the head */
    } else {
        j = host_next_allowed(h);
    }
    if (!j)
        return;
    if (conn_open(h, j) < 0) {
        char msg[128];
        snprintf(msg, sizeof(msg), "connect: %s", strerror(errno));
        crawl_job_done(h, j, NULL, msg);
        return;
    }
    h->next_start = now + (uint64_t)h->delay_ms;
}

static void arm_wake(uint64_t at, uint64_t now)
{
    if (S.wake_gid && S.wake_at <= at)
        return; /* an earlier wake-up is already pending */
    if (S.wake_gid)
        eel_delete_group_id(S.wake_gid);
    eel_group_id gid = eel_new_group_id();
    S.wake_gid = gid;
    S.wake_at = at;
    if (gid && !eel_add_timer(gid, crawl_wake, NULL, (int)(at - now))) {
        eel_delete_group_id(gid);
        S.wake_gid = 0;
    }
}

/* A host's delay has passed. */
static void crawl_wake(eel_group_id gid, void *arg, int fd)
{
    (void)arg;
    (void)fd;
    eel_delete_group_id(gid);
    if (S.wake_gid == gid)
        S.wake_gid = 0;
    crawl_pump();
}

static void crawl_finish(void)
{
    S.finished = 1;
    if (S.wake_gid)
        eel_delete_group_id(S.wake_gid);
    S.wake_gid = 0;
    if (S.on_finished)
        S.on_finished();
}

static void pump_once(void)
{
    uint64_t now = eel_update_time(), earliest = 0;
    int moved = 1;
    while (moved && conn_count() < crawl_opt.max_conns && S.hosts) {
        moved = 0;
        /* One start per host per round: hosts share -c fairly. */
        struct host *h = S.rr ? S.rr : S.hosts;
        struct host *first = h;
        do {
            if (conn_count() >= crawl_opt.max_conns)
                break;
            if (host_may_start(h, now, &earliest)) {
                host_start_one(h, now);
                moved = 1;
            }
            h = h->next ? h->next : S.hosts;
        } while (h != first);
        S.rr = h;
    }
    if (earliest)
        arm_wake(earliest, now);
}

void crawl_pump(void)
{
    if (S.in_pump) { /* called back from inside: go round again */
        S.pump_again = 1;
        return;
    }
    if (S.interrupted || S.finished)
        return;
    S.in_pump = 1;
    do {
        S.pump_again = 0;
        pump_once();
    } while (S.pump_again);
    S.in_pump = 0;
    if (conn_count() == 0 && dns_pending() == 0 && S.queued == 0 && !S.wake_gid)
        crawl_finish();
}

void crawl_interrupt(void)
{
    if (S.interrupted || S.finished)
        return;
    S.interrupted = 1;
    conn_abort_all();
    dns_abort_all();
    for (struct host *h = S.hosts; h; h = h->next)
        host_drop_queue(h);
    crawl_finish();
}

void crawl_free(void)
{
    while (S.hosts) {
        struct host *h = S.hosts;
        S.hosts = h->next;
        host_drop_queue(h);
        robots_free(&h->robots);
        free(h->key);
        free(h->name);
        free(h);
    }
    for (int i = 0; i < S.nstart; i++)
        free(S.start_hosts[i]);
    free(S.start_hosts);
    strmap_free(&S.seen, free);
}
