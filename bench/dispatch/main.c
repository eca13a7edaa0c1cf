/*
 * main.c - eel-bench-dispatch: runs libeel, libevent, libev and libuv side
 * by side on the classic dispatch benchmark and a timer add/cancel churn.
 *
 * Every repetition runs every configuration on every peer/mode, rotating
 * the peer order each repetition, so machine noise (this machine is shared)
 * falls on all peers alike; the report uses medians.  Every run is checked
 * (bytes read, callbacks run, sockets drained, timer operations done as the
 * peer counted them, timers left pending) and a wrong count fails the
 * program: a fast wrong answer is not a result.
 */
#define _GNU_SOURCE /* sched_setaffinity */
#include "bench.h"

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: eel-bench-dispatch [options]\n"
            "  -r, --runs N         measured repetitions (default 7)\n"
            "  -w, --warmup N       unrecorded repetitions first (default 1)\n"
            "  -p, --peer LIST      peers to run: name or name:mode, comma\n"
            "                       separated (modes: persistent, one-shot);\n"
            "                       libeel@epoll|poll force libeel's\n"
            "                       backend (default: all but those)\n"
            "  -b, --bench LIST     dispatch,timers (default both)\n"
            "  -c, --config N/A/W   a dispatch configuration (repeatable;\n"
            "                       replaces the four defaults)\n"
            "  -t, --timers T/C     a timer churn configuration: T pending,\n"
            "                       C cancel+add operations (repeatable)\n"
            "      --turn-every K   non-blocking loop turn every K timer "
            "ops (1000)\n"
            "      --csv FILE       write the results as CSV (- = stdout)\n"
            "      --json FILE      write the results and samples as JSON\n"
            "      --compact        read both ends of each socketpair (N fds\n"
            "                       for N channels; automatic when the fd\n"
            "                       limit cannot hold 2N)\n"
            "      --clock cpu|wall the clock of the tables and ratios: the\n"
            "                       thread's CPU time (default; leaves out\n"
            "                       time other processes had the CPU) or\n"
            "                       wall time; CSV and JSON have both\n"
            "      --cpu K          pin the process to CPU K\n"
            "      --drop-ops K     testing: give the peers K timer ops\n"
            "                       fewer than C; every timer run must\n"
            "                       then fail its operation count check\n"
            "  -q, --quiet          no table on stdout\n"
            "  -l, --list           list the peers and modes of this build\n"
            "  -h, --help           this text\n");
}

static int parse_int(const char *s, int *out, int min)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > 100000000)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_dispatch_cfg(const char *s, struct dispatch_cfg *c)
{
    char extra;
    if (sscanf(s, "%d/%d/%d%c", &c->n, &c->active, &c->writes, &extra) != 3 ||
        c->n < 2 || c->active < 1 || c->active > c->n || c->writes < 0 ||
        c->n > 1000000 || c->writes > 100000000) {
        fprintf(stderr,
                "eel-bench-dispatch: bad --config '%s' (want N/A/W with "
                "N >= 2, 1 <= A <= N, W >= 0)\n",
                s);
        return -1;
    }
    return 0;
}

static int parse_timer_cfg(const char *s, struct timer_spec *t)
{
    char extra;
    if (sscanf(s, "%d/%d%c", &t->standing, &t->ops, &extra) != 2 ||
        t->standing < 1 || t->ops < 0 || t->standing > 10000000 ||
        t->ops > 100000000) {
        fprintf(stderr,
                "eel-bench-dispatch: bad --timers '%s' (want T/C with "
                "T >= 1, C >= 0)\n",
                s);
        return -1;
    }
    return 0;
}

static int parse_mode(const char *s, enum bench_mode *m)
{
    if (!strcmp(s, "persistent") || !strcmp(s, "p")) {
        *m = MODE_PERSISTENT;
        return 0;
    }
    if (!strcmp(s, "one-shot") || !strcmp(s, "oneshot") || !strcmp(s, "1")) {
        *m = MODE_ONESHOT;
        return 0;
    }
    return -1;
}

static const struct peer *find_peer(const char *name)
{
    for (int i = 0; bench_peers[i]; i++)
        if (!strcmp(bench_peers[i]->name, name))
            return bench_peers[i];
    return NULL;
}

static int add_entry(struct plan *p, const struct peer *peer, enum bench_mode m)
{
    for (int i = 0; i < p->ne; i++)
        if (p->e[i].peer == peer && p->e[i].mode == m)
            return 0;
    if (p->ne == MAX_ENTRIES)
        return -1;
    p->e[p->ne].peer = peer;
    p->e[p->ne++].mode = m;
    return 0;
}

/* One --peer item: "libev" (all its modes) or "libev:one-shot". */
static int parse_peer_item(struct plan *p, char *item)
{
    char *colon = strchr(item, ':');
    enum bench_mode m = MODE_PERSISTENT;
    if (colon)
        *colon = '\0';
    const struct peer *peer = find_peer(item);
    if (!peer) {
        fprintf(stderr,
                "eel-bench-dispatch: no peer '%s' in this build "
                "(see --list)\n",
                item);
        return -1;
    }
    if (colon) {
        if (parse_mode(colon + 1, &m) != 0 || !(peer->modes & 1u << m)) {
            fprintf(stderr, "eel-bench-dispatch: %s has no mode '%s'\n", item,
                    colon + 1);
            return -1;
        }
        return add_entry(p, peer, m);
    }
    for (int k = 0; k < MODE_COUNT; k++)
        if (peer->modes & 1u << k)
            add_entry(p, peer, (enum bench_mode)k);
    return 0;
}

static int parse_peers(struct plan *p, const char *list)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", list);
    for (char *save, *it = strtok_r(buf, ",", &save); it;
         it = strtok_r(NULL, ",", &save))
        if (parse_peer_item(p, it) != 0)
            return -1;
    return 0;
}

static int parse_benches(struct plan *p, const char *list)
{
    char buf[64];
    p->do_dispatch = p->do_timers = 0;
    snprintf(buf, sizeof(buf), "%s", list);
    for (char *save, *it = strtok_r(buf, ",", &save); it;
         it = strtok_r(NULL, ",", &save)) {
        if (!strcmp(it, "dispatch"))
            p->do_dispatch = 1;
        else if (!strcmp(it, "timers"))
            p->do_timers = 1;
        else {
            fprintf(stderr,
                    "eel-bench-dispatch: no benchmark '%s' "
                    "(dispatch, timers)\n",
                    it);
            return -1;
        }
    }
    return 0;
}

static void list_peers(void)
{
    for (int i = 0; bench_peers[i]; i++) {
        const struct peer *pr = bench_peers[i];
        printf("%-16s %-14s %-11s", pr->name, pr->version(), pr->backend());
        for (int k = 0; k < MODE_COUNT; k++)
            if (pr->modes & 1u << k)
                printf(" %s", mode_name((enum bench_mode)k));
        printf("\n");
    }
}

static const struct dispatch_cfg default_dispatch[] = {
    {100, 1, 100}, {1000, 100, 1000}, {10000, 100, 1000}, {10000, 1000, 10000}};
static const struct timer_spec default_timers[] = {{100, 100000},
                                                   {10000, 100000}};

static void set_defaults(struct plan *p)
{
    if (p->nd == 0) {
        p->nd = (int)(sizeof(default_dispatch) / sizeof(*default_dispatch));
        memcpy(p->d, default_dispatch, sizeof(default_dispatch));
    }
    if (p->nt == 0) {
        p->nt = (int)(sizeof(default_timers) / sizeof(*default_timers));
        memcpy(p->t, default_timers, sizeof(default_timers));
    }
    if (p->ne == 0)
        for (int i = 0; bench_peers[i]; i++)
            for (int k = 0; k < MODE_COUNT; k++)
                if (!bench_peers[i]->only_by_name &&
                    bench_peers[i]->modes & 1u << k)
                    add_entry(p, bench_peers[i], (enum bench_mode)k);
}

enum {
    OPT_CSV = 256,
    OPT_JSON,
    OPT_TURN,
    OPT_COMPACT,
    OPT_CPU,
    OPT_CLOCK,
    OPT_DROP_OPS
};

/* Pins the process to one CPU: fewer migrations, a little less noise. */
static int pin_cpu(const char *arg)
{
    int cpu;
    cpu_set_t set;
    if (parse_int(arg, &cpu, 0) != 0 || cpu >= CPU_SETSIZE) {
        fprintf(stderr, "eel-bench-dispatch: bad CPU number '%s'\n", arg);
        return -1;
    }
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        fprintf(stderr, "eel-bench-dispatch: cannot pin to CPU %d: %s\n", cpu,
                strerror(errno));
        return -1;
    }
    return 0;
}

/* 0: run; 1: done (help, list); -1: bad usage. */
static int parse_args(int argc, char **argv, struct plan *p)
{
    static const struct option opts[] = {
        {"runs", required_argument, 0, 'r'},
        {"warmup", required_argument, 0, 'w'},
        {"peer", required_argument, 0, 'p'},
        {"bench", required_argument, 0, 'b'},
        {"config", required_argument, 0, 'c'},
        {"timers", required_argument, 0, 't'},
        {"turn-every", required_argument, 0, OPT_TURN},
        {"csv", required_argument, 0, OPT_CSV},
        {"json", required_argument, 0, OPT_JSON},
        {"quiet", no_argument, 0, 'q'},
        {"compact", no_argument, 0, OPT_COMPACT},
        {"cpu", required_argument, 0, OPT_CPU},
        {"clock", required_argument, 0, OPT_CLOCK},
        {"drop-ops", required_argument, 0, OPT_DROP_OPS},
        {"list", no_argument, 0, 'l'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "r:w:p:b:c:t:qlh", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (parse_int(optarg, &p->runs, 1) != 0)
                goto bad_number;
            break;
        case 'w':
            if (parse_int(optarg, &p->warmup, 0) != 0)
                goto bad_number;
            break;
        case OPT_TURN:
            if (parse_int(optarg, &p->turn_every, 1) != 0)
                goto bad_number;
            break;
        case OPT_DROP_OPS:
            if (parse_int(optarg, &p->drop_ops, 0) != 0)
                goto bad_number;
            break;
        case 'p':
            if (parse_peers(p, optarg) != 0)
                return -1;
            break;
        case 'b':
            if (parse_benches(p, optarg) != 0)
                return -1;
            break;
        case 'c':
            if (p->nd == MAX_CFG || parse_dispatch_cfg(optarg, &p->d[p->nd]))
                return -1;
            p->nd++;
            break;
        case 't':
            if (p->nt == MAX_CFG || parse_timer_cfg(optarg, &p->t[p->nt]))
                return -1;
            p->nt++;
            break;
        case OPT_CSV:
            p->csv = optarg;
            break;
        case OPT_JSON:
            p->json = optarg;
            break;
        case 'q':
            p->quiet = 1;
            break;
        case OPT_COMPACT:
            p->compact = 1;
            break;
        case OPT_CLOCK:
            if (!strcmp(optarg, "cpu"))
                p->clock = CLK_CPU;
            else if (!strcmp(optarg, "wall"))
                p->clock = CLK_WALL;
            else {
                fprintf(stderr, "eel-bench-dispatch: --clock cpu or wall\n");
                return -1;
            }
            break;
        case OPT_CPU:
            if (pin_cpu(optarg) != 0)
                return -1;
            break;
        case 'l':
            list_peers();
            return 1;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "eel-bench-dispatch: unexpected argument '%s'\n",
                argv[optind]);
        return -1;
    }
    set_defaults(p);
    return 0;
bad_number:
    fprintf(stderr, "eel-bench-dispatch: bad number '%s' (see --help)\n",
            optarg);
    return -1;
}

/* splitmix64: the same pseudo-random timer work for every peer and run. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Timeouts 10-70 s: far enough that none fires during a run.  The peers
 * are handed t->ops - drop operations (drop is 0 but for --drop-ops); the
 * runs are checked against t->ops. */
static int make_timer_work(const struct timer_spec *t, int turn_every, int drop,
                           struct timer_cfg *cfg, int **tmo, int **victim)
{
    uint64_t seed = 0x65656c;
    *tmo = malloc(((size_t)t->standing + t->ops) * sizeof(int));
    *victim = malloc(((size_t)t->ops + 1) * sizeof(int));
    if (!*tmo || !*victim)
        return -1;
    for (int i = 0; i < t->standing + t->ops; i++)
        (*tmo)[i] = 10000 + (int)(rng_next(&seed) % 60000);
    for (int i = 0; i < t->ops; i++)
        (*victim)[i] = (int)(rng_next(&seed) % (uint64_t)t->standing);
    cfg->standing = t->standing;
    cfg->ops = t->ops > drop ? t->ops - drop : 0;
    cfg->turn_every = turn_every;
    cfg->timeout_ms = *tmo;
    cfg->victim = *victim;
    return 0;
}

int main(int argc, char **argv)
{
    struct plan p = {.runs = 7,
                     .warmup = 1,
                     .turn_every = 1000,
                     .do_dispatch = 1,
                     .do_timers = 1};
    int rc = parse_args(argc, argv, &p);
    if (rc != 0)
        return rc < 0 ? 2 : 0;
    if (p.ne == 0) {
        fprintf(stderr, "eel-bench-dispatch: no peers in this build\n");
        return 2;
    }

    int max_n = 2;
    for (int i = 0; i < p.nd; i++)
        if (p.d[i].n > max_n)
            max_n = p.d[i].n;
    struct channels ch;
    if (p.do_dispatch && channels_open(&ch, max_n, p.compact) != 0)
        return 1;

    struct timer_cfg tc[MAX_CFG];
    int *tmo[MAX_CFG] = {0}, *vic[MAX_CFG] = {0};
    for (int i = 0; p.do_timers && i < p.nt; i++)
        if (make_timer_work(&p.t[i], p.turn_every, p.drop_ops, &tc[i], &tmo[i],
                            &vic[i]) != 0) {
            fprintf(stderr, "eel-bench-dispatch: out of memory\n");
            return 1;
        }

    int ns =
        (p.do_dispatch ? p.nd : 0) * p.ne + (p.do_timers ? p.nt : 0) * p.ne;
    struct series *s = calloc((size_t)ns + 1, sizeof(*s));
    if (!s)
        return 1;
    rc = run_plan(&p, s, p.do_dispatch ? &ch : NULL, tc);

    if (rc == 0) {
        struct report r = {
            p.runs,  p.warmup,
            p.clock, !p.do_dispatch ? "-" : ch.compact ? "compact" : "classic",
            s,       ns};
        if (!p.quiet)
            report_table(&r);
        if (p.csv && report_csv(&r, p.csv) != 0)
            rc = 1;
        if (p.json && report_json(&r, p.json) != 0)
            rc = 1;
    }
    for (int i = 0; i < ns; i++) {
        for (int c = 0; c < CLK_COUNT; c++) {
            free(s[i].run_us[c]);
            free(s[i].setup_us[c]);
        }
    }
    free(s);
    for (int i = 0; i < p.nt; i++) {
        free(tmo[i]);
        free(vic[i]);
    }
    if (p.do_dispatch)
        channels_close(&ch);
    return rc;
}
