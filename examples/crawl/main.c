/*
 * main.c - eelcrawl's front end: options, the progress line, signals and
 * the summary.  The crawl itself is crawl.c (scheduler) and fetch.c
 * (connections); this file sets them up, runs the libeel loop until the
 * crawl is finished, and reports.
 *
 * Long-lived groups: the signal group (SIGINT/SIGTERM -> on_signal) and,
 * on a terminal, the progress group (progress_tick, a timer that
 * re-registers itself).  Both are deleted when the crawl finishes, which
 * leaves the loop with nothing pending, so eel_dispatch() returns.
 */
#include "crawl.h"
#include "dns.h"
#include "eel.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROGRESS_MS 250

static eel_group_id sig_gid, progress_gid;

static void usage(FILE *f)
{
    fprintf(f, "usage: eelcrawl [options] URL...\n"
               "  -c, --connections N     parallel connections (default 16)\n"
               "      --host-conns N      connections per host (default 4)\n"
               "      --delay MS          wait between requests to a host (0)\n"
               "  -d, --depth D           link depth from the start URLs (5)\n"
               "      --hosts PATTERNS    comma-separated host globs to crawl\n"
               "                          (default: the start URLs' hosts)\n"
               "  -o, --output DIR        save pages under DIR/HOST/PATH\n"
               "      --connect-timeout MS   (default 5000)\n"
               "  -t, --read-timeout MS      (default 10000)\n"
               "      --max-redirects N   (default 5)\n"
               "      --max-size BYTES    largest page kept (default 16M)\n"
               "      --no-robots         ignore robots.txt\n"
               "      --resolv-conf PATH  (default /etc/resolv.conf)\n"
               "      --hosts-file PATH   (default /etc/hosts)\n"
               "      --dns-server ADDR[:PORT]  instead of resolv.conf's\n"
               "  -v, --verbose           one line per URL on stdout\n"
               "  -q, --quiet             no progress line\n"
               "  -h, --help, --version\n");
}

static int parse_num(const char *opt, const char *s, long min, long max,
                     long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    long mul = 1;
    if (end != s && (*end == 'k' || *end == 'K'))
        mul = 1024, end++;
    else if (end != s && (*end == 'm' || *end == 'M'))
        mul = 1024 * 1024, end++;
    if (errno || end == s || *end || v < min || v > max / mul) {
        fprintf(stderr, "eelcrawl: %s: bad value '%s' (%ld..%ld)\n", opt, s,
                min, max);
        return -1;
    }
    *out = v * mul;
    return 0;
}

static int split_hosts(char *arg)
{
    for (char *t = strtok(arg, ","); t; t = strtok(NULL, ",")) {
        char **n = realloc(crawl_opt.host_patterns,
                           (size_t)(crawl_opt.nhost_patterns + 1) * sizeof(*n));
        if (!n)
            return -1;
        crawl_opt.host_patterns = n;
        n[crawl_opt.nhost_patterns++] = t;
    }
    return 0;
}

enum {
    OPT_HOST_CONNS = 256,
    OPT_DELAY,
    OPT_HOSTS,
    OPT_CONNECT_TIMEOUT,
    OPT_MAX_REDIRECTS,
    OPT_MAX_SIZE,
    OPT_NO_ROBOTS,
    OPT_RESOLV,
    OPT_HOSTS_FILE,
    OPT_DNS_SERVER,
    OPT_VERSION
};

static const struct option longopts[] = {
    {"connections", required_argument, 0, 'c'},
    {"host-conns", required_argument, 0, OPT_HOST_CONNS},
    {"delay", required_argument, 0, OPT_DELAY},
    {"depth", required_argument, 0, 'd'},
    {"hosts", required_argument, 0, OPT_HOSTS},
    {"output", required_argument, 0, 'o'},
    {"connect-timeout", required_argument, 0, OPT_CONNECT_TIMEOUT},
    {"read-timeout", required_argument, 0, 't'},
    {"max-redirects", required_argument, 0, OPT_MAX_REDIRECTS},
    {"max-size", required_argument, 0, OPT_MAX_SIZE},
    {"no-robots", no_argument, 0, OPT_NO_ROBOTS},
    {"resolv-conf", required_argument, 0, OPT_RESOLV},
    {"hosts-file", required_argument, 0, OPT_HOSTS_FILE},
    {"dns-server", required_argument, 0, OPT_DNS_SERVER},
    {"verbose", no_argument, 0, 'v'},
    {"quiet", no_argument, 0, 'q'},
    {"help", no_argument, 0, 'h'},
    {"version", no_argument, 0, OPT_VERSION},
    {0, 0, 0, 0}};

/* "-c" or "--host-conns": for messages about an option's value. */
static const char *option_name(int c)
{
    static char name[32];
    snprintf(name, sizeof(name), "-%c", c);
    for (const struct option *o = longopts; o->name; o++)
        if (o->val == c && c >= 256)
            snprintf(name, sizeof(name), "--%s", o->name);
    return name;
}

/* Fills crawl_opt and dns; returns the index of the first URL, or -1 on a
 * usage error, or 0 when the program should just exit 0 (help). */
static int parse_args(int argc, char **argv, struct dns_options *dns)
{
    crawl_opt = (struct crawl_options){.max_conns = 16,
                                       .host_conns = 4,
                                       .depth = 5,
                                       .connect_timeout_ms = 5000,
                                       .read_timeout_ms = 10000,
                                       .max_redirects = 5,
                                       .max_size = 16 << 20,
                                       .robots = 1,
                                       .progress = isatty(STDERR_FILENO)};
    long v = 0;
    int c;
    while ((c = getopt_long(argc, argv, "c:d:o:t:vqh", longopts, NULL)) != -1) {
        const char *name = option_name(c);
        int rc = 0;
        switch (c) {
        case 'c':
            rc = parse_num(name, optarg, 1, 100000, &v);
            crawl_opt.max_conns = (int)v;
            break;
        case OPT_HOST_CONNS:
            rc = parse_num(name, optarg, 1, 100000, &v);
            crawl_opt.host_conns = (int)v;
            break;
        case OPT_DELAY:
            rc = parse_num(name, optarg, 0, 3600000, &v);
            crawl_opt.delay_ms = (int)v;
            break;
        case 'd':
            rc = parse_num(name, optarg, 0, 1000000, &v);
            crawl_opt.depth = (int)v;
            break;
        case OPT_HOSTS:
            rc = split_hosts(optarg);
            break;
        case 'o':
            crawl_opt.outdir = optarg;
            break;
        case OPT_CONNECT_TIMEOUT:
            rc = parse_num(name, optarg, 1, 3600000, &v);
            crawl_opt.connect_timeout_ms = (int)v;
            break;
        case 't':
            rc = parse_num(name, optarg, 1, 3600000, &v);
            crawl_opt.read_timeout_ms = (int)v;
            break;
        case OPT_MAX_REDIRECTS:
            rc = parse_num(name, optarg, 0, 100, &v);
            crawl_opt.max_redirects = (int)v;
            break;
        case OPT_MAX_SIZE:
            rc = parse_num(name, optarg, 1, LONG_MAX, &v);
            crawl_opt.max_size = (size_t)v;
            break;
        case OPT_NO_ROBOTS:
            crawl_opt.robots = 0;
            break;
        case OPT_RESOLV:
            dns->resolv_conf = optarg;
            break;
        case OPT_HOSTS_FILE:
            dns->hosts = optarg;
            break;
        case OPT_DNS_SERVER:
            dns->server = optarg;
            break;
        case 'v':
            crawl_opt.verbose = 1;
            break;
        case 'q':
            crawl_opt.progress = 0;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case OPT_VERSION:
            printf("eelcrawl 1.0 (libeel %s)\n", eel_version_string());
            return 0;
        default:
            usage(stderr);
            return -1;
        }
        if (rc < 0)
            return -1;
    }
    if (optind >= argc) {
        fprintf(stderr, "eelcrawl: no URL given\n");
        usage(stderr);
        return -1;
    }
    return optind;
}

/* ---- Progress and summary ----------------------------------------------- */

static void human(char *out, size_t n, double bytes)
{
    const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024 && u < 4)
        bytes /= 1024, u++;
    snprintf(out, n, u ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
}

static void progress_print(void)
{
    double secs = (double)(eel_update_time() - crawl_stats.start_ms) / 1000;
    char b[32], r[32];
    human(b, sizeof(b), (double)crawl_stats.bytes);
    human(r, sizeof(r), secs > 0 ? (double)crawl_stats.bytes / secs : 0);
    fprintf(stderr,
            "\r%llu pages  %s  %s/s  %llu errors  %d conns  %zu queued\033[K",
            (unsigned long long)crawl_stats.pages, b, r,
            (unsigned long long)crawl_stats.errors, conn_count(),
            crawl_queued());
}

/* The progress timer: redraws the line and waits for the next tick. */
static void progress_tick(eel_group_id gid, void *arg, int fd)
{
    (void)arg;
    (void)fd;
    progress_print();
    if (!eel_add_timer(gid, progress_tick, NULL, PROGRESS_MS)) {
        eel_delete_group_id(gid);
        progress_gid = 0;
    }
}

static void summary(void)
{
    const struct crawl_stats *s = &crawl_stats;
    double secs = (double)(eel_update_time() - s->start_ms) / 1000;
    char b[32], r[32];
    human(b, sizeof(b), (double)s->bytes);
    human(r, sizeof(r), secs > 0 ? (double)s->bytes / secs : 0);
    fprintf(stderr,
            "eelcrawl: %llu pages (%llu saved), %s in %.2f s (%s/s, %.0f "
            "pages/s); %llu requests, %llu on reused connections\n",
            (unsigned long long)s->pages, (unsigned long long)s->saved, b, secs,
            r, secs > 0 ? (double)s->pages / secs : 0,
            (unsigned long long)s->requests, (unsigned long long)s->reused);
    fprintf(stderr,
            "eelcrawl: %llu errors (HTTP %llu, timeouts %llu, DNS %llu, "
            "redirects %llu); %llu redirects followed; skipped: %llu "
            "robots.txt, %llu out of scope, %llu https\n",
            (unsigned long long)s->errors, (unsigned long long)s->http_errors,
            (unsigned long long)s->timeouts, (unsigned long long)s->dns_errors,
            (unsigned long long)s->redirect_errors,
            (unsigned long long)s->redirects,
            (unsigned long long)s->robots_skipped,
            (unsigned long long)s->out_of_scope,
            (unsigned long long)s->unsupported);
}

/* ---- Lifetime ------------------------------------------------------------ */

/* SIGINT or SIGTERM: stop now, still print the summary. */
static void on_signal(eel_group_id gid, void *arg, int signum)
{
    (void)arg;
    (void)signum;
    eel_delete_group_id(gid);
    sig_gid = 0;
    crawl_interrupt();
}

/* Nothing is left to do: end the long-lived groups so the loop returns. */
static void on_finished(void)
{
    if (sig_gid)
        eel_delete_group_id(sig_gid);
    sig_gid = 0;
    if (progress_gid) {
        eel_delete_group_id(progress_gid);
        progress_gid = 0;
        progress_print();
        fputc('\n', stderr);
    }
}

static int start_groups(void)
{
    sig_gid = eel_new_group_id();
    if (!sig_gid || !eel_add_signal(sig_gid, on_signal, NULL, SIGINT) ||
        !eel_add_signal(sig_gid, on_signal, NULL, SIGTERM))
        return -1;
    if (crawl_opt.progress) {
        progress_gid = eel_new_group_id();
        if (!progress_gid ||
            !eel_add_timer(progress_gid, progress_tick, NULL, PROGRESS_MS))
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct dns_options dns = {0};
    int first = parse_args(argc, argv, &dns);
    if (first <= 0)
        return first < 0 ? 1 : 0;
    signal(SIGPIPE, SIG_IGN);
    if (eel_init() < 0) {
        fprintf(stderr, "eelcrawl: eel_init: %s\n", strerror(errno));
        return 1;
    }
    int rc = 1;
    if (dns_init(&dns) < 0 || crawl_init() < 0)
        goto out;
    crawl_on_finished(on_finished);
    if (start_groups() < 0) {
        fprintf(stderr, "eelcrawl: cannot set up events: %s\n",
                strerror(errno));
        goto out;
    }
    for (int i = first; i < argc; i++)
        if (crawl_add_start(argv[i]) < 0)
            goto out;
    crawl_pump();
    if (eel_dispatch() < 0) {
        fprintf(stderr, "eelcrawl: eel_dispatch: %s\n", strerror(errno));
        goto out;
    }
    fflush(stdout);
    summary();
    rc = crawl_interrupted() ? 130 : crawl_stats.errors ? 2 : 0;
out:
    crawl_free();
    dns_free();
    eel_shutdown();
    free(crawl_opt.host_patterns);
    return rc;
}
