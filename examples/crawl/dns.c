/*
 * dns.c - the asynchronous stub resolver.
 *
 * Configuration (resolv.conf: nameserver, search/domain, options timeout,
 * attempts, ndots; and the hosts file) is read once.  A lookup walks its
 * candidate names (the search list applied as ndots says), and for each
 * asks the nameservers in turn, each up to `attempts` times, over one
 * connected UDP socket per lookup.  Answers whose id or question do not
 * match are ignored, so a late or forged packet cannot end a lookup.
 */
#include "dns.h"
#include "dnsmsg.h"
#include "eel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_SERVERS 3
#define MAX_SEARCH 6

struct host_entry {
    char *name;
    struct in_addr addr;
};

static struct {
    struct sockaddr_in servers[MAX_SERVERS];
    int nservers;
    char *search[MAX_SEARCH];
    int nsearch;
    int timeout_ms, attempts, ndots;
    struct host_entry *hosts;
    size_t nhosts;
    int pending;
} conf;

struct lookup {
    eel_group_id gid;
    int fd;
    char *cands[MAX_SEARCH + 1]; /* names to try, in order */
    int ncands, cand;
    int server, tries; /* position in the retry schedule */
    uint16_t id;
    uint8_t query[DNS_MAX_MSG];
    int qlen;
    uint64_t deadline;
    int garbled; /* a datagram with our id could not be read */
    int error;
    struct in_addr addr;
    dns_done_fn done;
    void *arg;
    struct lookup *prev, *next; /* all lookups in flight */
};

static struct lookup *inflight;

const char *dns_strerror(int error)
{
    switch (error) {
    case DNS_OK:
        return "ok";
    case DNS_ENOTFOUND:
        return "host not found";
    case DNS_ETIMEDOUT:
        return "DNS timeout";
    case DNS_EBADANSWER:
        return "malformed DNS answer";
    default:
        return "DNS failure";
    }
}

/* ---- Configuration ---------------------------------------------------- */

static int parse_server(const char *s, struct sockaddr_in *sa)
{
    char host[64];
    int port = 53;
    const char *colon = strchr(s, ':');
    size_t hl = colon ? (size_t)(colon - s) : strlen(s);
    if (hl >= sizeof(host))
        return -1;
    memcpy(host, s, hl);
    host[hl] = '\0';
    if (colon) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (*end || p < 1 || p > 65535)
            return -1;
        port = (int)p;
    }
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static void clear_search(void)
{
    for (int i = 0; i < conf.nsearch; i++)
        free(conf.search[i]);
    conf.nsearch = 0;
}

static void parse_options(char *rest)
{
    for (char *t = strtok(rest, " \t"); t; t = strtok(NULL, " \t")) {
        if (strncmp(t, "timeout:", 8) == 0)
            conf.timeout_ms = atoi(t + 8) * 1000;
        else if (strncmp(t, "attempts:", 9) == 0)
            conf.attempts = atoi(t + 9);
        else if (strncmp(t, "ndots:", 6) == 0)
            conf.ndots = atoi(t + 6);
    }
}

static void parse_resolv_line(char *line)
{
    char *key = strtok(line, " \t");
    if (!key)
        return;
    char *rest = strtok(NULL, "");
    if (!rest)
        return;
    if (strcmp(key, "nameserver") == 0) {
        char *a = strtok(rest, " \t");
        if (a && conf.nservers < MAX_SERVERS &&
            parse_server(a, &conf.servers[conf.nservers]) == 0)
            conf.nservers++; /* IPv6 nameservers are skipped */
    } else if (strcmp(key, "search") == 0 || strcmp(key, "domain") == 0) {
        clear_search(); /* the last search/domain line wins */
        for (char *t = strtok(rest, " \t"); t && conf.nsearch < MAX_SEARCH;
             t = strtok(NULL, " \t"))
            if ((conf.search[conf.nsearch] = strdup(t)))
                conf.nsearch++;
    } else if (strcmp(key, "options") == 0) {
        parse_options(rest);
    }
}

static void add_host(const char *name, struct in_addr a)
{
    struct host_entry *h =
        realloc(conf.hosts, (conf.nhosts + 1) * sizeof(*conf.hosts));
    if (!h)
        return;
    conf.hosts = h;
    if ((h[conf.nhosts].name = strdup(name))) {
        h[conf.nhosts].addr = a;
        conf.nhosts++;
    }
}

static void parse_hosts_line(char *line)
{
    char *ip = strtok(line, " \t");
    struct in_addr a;
    if (!ip || inet_pton(AF_INET, ip, &a) != 1)
        return; /* blank, comment or IPv6 line */
    for (char *n = strtok(NULL, " \t"); n; n = strtok(NULL, " \t"))
        add_host(n, a);
}

/* Hands each line of path, cut at the first of the characters in `cut`,
 * to parse.  A missing file is no error: the defaults apply. */
static int read_lines(const char *path, const char *cut, void (*parse)(char *))
{
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    char line[1024];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, cut)] = '\0';
        parse(line);
    }
    fclose(f);
    return 0;
}

int dns_init(const struct dns_options *opt)
{
    memset(&conf, 0, sizeof(conf));
    conf.timeout_ms = 5000;
    conf.attempts = 2;
    conf.ndots = 1;
    const char *rc =
        opt && opt->resolv_conf ? opt->resolv_conf : "/etc/resolv.conf";
    const char *hosts = opt && opt->hosts ? opt->hosts : "/etc/hosts";
    if (read_lines(rc, "#;\r\n", parse_resolv_line) < 0) {
        fprintf(stderr, "eelcrawl: %s: %s\n", rc, strerror(errno));
        return -1;
    }
    if (read_lines(hosts, "#\r\n", parse_hosts_line) < 0) {
        fprintf(stderr, "eelcrawl: %s: %s\n", hosts, strerror(errno));
        return -1;
    }
    if (opt && opt->server) {
        if (parse_server(opt->server, &conf.servers[0]) < 0) {
            fprintf(stderr, "eelcrawl: bad DNS server '%s'\n", opt->server);
            return -1;
        }
        conf.nservers = 1;
    }
    if (conf.nservers == 0) /* the resolver's traditional default */
        parse_server("127.0.0.1", &conf.servers[conf.nservers++]);
    if (conf.timeout_ms < 100)
        conf.timeout_ms = 100;
    if (conf.attempts < 1)
        conf.attempts = 1;
    return 0;
}

void dns_free(void)
{
    clear_search();
    for (size_t i = 0; i < conf.nhosts; i++)
        free(conf.hosts[i].name);
    free(conf.hosts);
    conf.hosts = NULL;
    conf.nhosts = 0;
}

int dns_pending(void)
{
    return conf.pending;
}

/* ---- Lookups ---------------------------------------------------------- */

static void dns_write(eel_group_id gid, void *arg, int fd);
static void dns_read(eel_group_id gid, void *arg, int fd);
static void dns_timeout(eel_group_id gid, void *arg, int fd);
static void dns_local_answer(eel_group_id gid, void *arg, int fd);

static int lookup_hosts(const char *name, struct in_addr *a)
{
    if (inet_pton(AF_INET, name, a) == 1)
        return 1;
    for (size_t i = 0; i < conf.nhosts; i++)
        if (strcasecmp(conf.hosts[i].name, name) == 0) {
            *a = conf.hosts[i].addr;
            return 1;
        }
    return 0;
}

/* Fills the candidate names: the search list first when the name has
 * fewer than ndots dots, last otherwise; never for a name ending in '.'. */
static int make_candidates(struct lookup *q, const char *name)
{
    int dots = 0;
    for (const char *p = name; *p; p++)
        dots += (*p == '.');
    size_t nl = strlen(name);
    int absolute = nl > 0 && name[nl - 1] == '.';
    int as_is_first = absolute || dots >= conf.ndots;
    if (as_is_first && !(q->cands[q->ncands++] = strdup(name)))
        return -1;
    for (int i = 0; !absolute && i < conf.nsearch; i++) {
        char *c = malloc(nl + strlen(conf.search[i]) + 2);
        if (!c)
            return -1;
        sprintf(c, "%s.%s", name, conf.search[i]);
        q->cands[q->ncands++] = c;
    }
    if (!as_is_first && !(q->cands[q->ncands++] = strdup(name)))
        return -1;
    return 0;
}

static void lookup_unlink(struct lookup *q)
{
    if (q->prev)
        q->prev->next = q->next;
    else
        inflight = q->next;
    if (q->next)
        q->next->prev = q->prev;
    conf.pending--;
}

/* Closes the socket, deletes the group and frees q (not reported). */
static void lookup_free(struct lookup *q, eel_group_id gid)
{
    if (q->fd >= 0)
        eel_close(q->fd);
    eel_delete_group_id(gid);
    for (int i = 0; i < q->ncands; i++)
        free(q->cands[i]);
    free(q);
}

/* Ends the lookup's chain: closes, deletes the group, reports. */
static void lookup_finish(struct lookup *q, eel_group_id gid, int error)
{
    lookup_unlink(q);
    dns_done_fn done = q->done;
    void *arg = q->arg;
    struct in_addr addr = q->addr;
    lookup_free(q, gid);
    done(arg, error, addr);
}

/* Opens a socket to the current server and queues the query for sending.
 * Returns 0, or -1 when the lookup had to end. */
static int lookup_send(struct lookup *q, eel_group_id gid)
{
    if (q->fd >= 0) {
        eel_close(q->fd);
        q->fd = -1;
    }
    uint16_t id;
    if (getrandom(&id, sizeof(id), 0) != sizeof(id))
        id = (uint16_t)(rand() & 0xffff);
    q->id = id;
    q->qlen = dns_encode_query(q->query, sizeof(q->query), q->id,
                               q->cands[q->cand], DNS_TYPE_A);
    if (q->qlen < 0)
        return -1;
    q->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (q->fd < 0)
        return -1;
    const struct sockaddr_in *sa = &conf.servers[q->server];
    if (connect(q->fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0)
        return -1;
    if (!eel_add_write(gid, dns_write, q, q->fd))
        return -1;
    return 0;
}

/* Moves to the next server/attempt; 0 if one is left, -1 if not. */
static int next_try(struct lookup *q)
{
    if (++q->server < conf.nservers)
        return 0;
    q->server = 0;
    return ++q->tries < conf.attempts ? 0 : -1;
}

/* Starts over with the next candidate name; ends the lookup if none. */
static void next_candidate(struct lookup *q, eel_group_id gid, int error)
{
    if (++q->cand >= q->ncands) {
        lookup_finish(q, gid, error);
        return;
    }
    q->server = q->tries = q->garbled = 0;
    if (lookup_send(q, gid) < 0)
        lookup_finish(q, gid, DNS_EFAIL);
}

int dns_resolve(const char *name, dns_done_fn done, void *arg)
{
    struct lookup *q = calloc(1, sizeof(*q));
    if (!q)
        return -1;
    q->fd = -1;
    q->done = done;
    q->arg = arg;
    eel_group_id gid = eel_new_group_id();
    q->gid = gid;
    if (!gid) {
        free(q);
        return -1;
    }
    int local = lookup_hosts(name, &q->addr);
    int ok = local ? eel_add_timer(gid, dns_local_answer, q, 0) != 0
                   : make_candidates(q, name) == 0 && lookup_send(q, gid) == 0;
    if (!ok) {
        lookup_free(q, gid);
        return -1;
    }
    q->next = inflight;
    if (inflight)
        inflight->prev = q;
    inflight = q;
    conf.pending++;
    return 0;
}

void dns_abort_all(void)
{
    while (inflight) {
        struct lookup *q = inflight;
        lookup_unlink(q);
        lookup_free(q, q->gid);
    }
}

/* The name was an address or in the hosts file: answer on the next turn,
 * so callers never see their callback run inside dns_resolve(). */
static void dns_local_answer(eel_group_id gid, void *arg, int fd)
{
    (void)fd;
    lookup_finish(arg, gid, DNS_OK);
}

/* The UDP socket can take the query. */
static void dns_write(eel_group_id gid, void *arg, int fd)
{
    struct lookup *q = arg;
    ssize_t n = send(fd, q->query, (size_t)q->qlen, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        if (!eel_add_write(gid, dns_write, q, fd))
            lookup_finish(q, gid, DNS_EFAIL);
        return;
    }
    if (n != q->qlen) { /* unreachable server: try the next one */
        if (next_try(q) < 0 || lookup_send(q, gid) < 0)
            lookup_finish(q, gid, DNS_EFAIL);
        return;
    }
    q->deadline = eel_now() + (uint64_t)conf.timeout_ms;
    if (!eel_add_read_timeout(gid, dns_read, dns_timeout, q, fd,
                              conf.timeout_ms))
        lookup_finish(q, gid, DNS_EFAIL);
}

/* Keeps waiting for the right answer until the attempt's deadline. */
static void wait_again(struct lookup *q, eel_group_id gid)
{
    uint64_t now = eel_now();
    int left = q->deadline > now ? (int)(q->deadline - now) : 0;
    if (!eel_add_read_timeout(gid, dns_read, dns_timeout, q, q->fd, left))
        lookup_finish(q, gid, DNS_EFAIL);
}

/* A datagram (or an error such as ICMP port unreachable) arrived. */
static void dns_read(eel_group_id gid, void *arg, int fd)
{
    struct lookup *q = arg;
    uint8_t msg[DNS_MAX_MSG];
    ssize_t n = recv(fd, msg, sizeof(msg), 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) {
            wait_again(q, gid);
        } else if (next_try(q) < 0 || lookup_send(q, gid) < 0) {
            lookup_finish(q, gid, DNS_EFAIL); /* e.g. port unreachable */
        }
        return;
    }
    struct dns_answer ans;
    if (dns_decode_response(msg, (size_t)n, q->id, q->cands[q->cand], &ans) <
        0) {
        /* Not an answer we can use: ignore it (it may be forged), but
         * remember when it carried our id, so that running out of time
         * afterwards is reported as the server's bad answer. */
        if (n >= 2 && (uint16_t)(msg[0] << 8 | msg[1]) == q->id)
            q->garbled = 1;
        wait_again(q, gid);
        return;
    }
    if (ans.rcode == DNS_RCODE_OK && ans.naddr > 0) {
        q->addr = ans.addr[0];
        lookup_finish(q, gid, DNS_OK);
    } else if (ans.rcode == DNS_RCODE_OK || ans.rcode == DNS_RCODE_NXDOMAIN) {
        next_candidate(q, gid, DNS_ENOTFOUND);
    } else if (next_try(q) < 0 || lookup_send(q, gid) < 0) {
        lookup_finish(q, gid, DNS_EFAIL); /* SERVFAIL/REFUSED everywhere */
    }
}

/* No usable answer in time: ask again, or the next server.  When none is
 * left, the lookup timed out, unless a server did answer (with a message
 * that could not be read): that is a DNS failure, not a timeout. */
static void dns_timeout(eel_group_id gid, void *arg, int fd)
{
    (void)fd;
    struct lookup *q = arg;
    if (next_try(q) < 0)
        lookup_finish(q, gid, q->garbled ? DNS_EBADANSWER : DNS_ETIMEDOUT);
    else if (lookup_send(q, gid) < 0)
        lookup_finish(q, gid, DNS_EFAIL); /* out of resources */
}
