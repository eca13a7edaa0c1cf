/*
 * bench.h - shared definitions of the dispatch benchmark: the work every
 * peer (libeel, libevent, libev, libuv) runs, the per-event step they all
 * share, and the interface each peer file implements.
 *
 * Keeping the per-event work (read one byte, pass one byte on) in one inline
 * function here means the peers differ only in how their event loop finds
 * the ready fd and re-arms it, which is what the benchmark compares.
 */
#ifndef EEL_BENCH_H
#define EEL_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

/* How a peer keeps its read watchers armed. */
enum bench_mode {
    MODE_PERSISTENT = 0, /* the peer's idiomatic recurring watcher */
    MODE_ONESHOT = 1,    /* stopped on entry, restarted in the callback */
    MODE_COUNT
};

/* N read channels: channel i is read on rfd[i] and written on wfd[i]. */
struct channels {
    int n;
    int *rfd;
    int *wfd;
    int pairs;   /* socketpairs behind them */
    int compact; /* 1: both ends of a pair are read (fd limit too low) */
};

/* One dispatch configuration: N channels, A tokens, W extra writes. */
struct dispatch_cfg {
    int n, active, writes;
};

/* One timer churn configuration: T pending timers, C cancel+add operations,
 * a non-blocking loop turn every `turn_every` operations. */
struct timer_cfg {
    int standing;
    int ops;
    int turn_every;
    const int *timeout_ms; /* standing + ops timeouts, far in the future */
    const int *victim;     /* ops indexes in [0, standing) */
};

/* The two clocks every phase is timed on.  CPU time (the thread's, user +
 * system) leaves out the moments another process had the CPU, which on a
 * shared machine is most of the noise; wall time is what a user waits. */
enum bench_clock { CLK_CPU = 0, CLK_WALL = 1, CLK_COUNT };

struct stamp {
    double us[CLK_COUNT];
};

/* What one run measured and counted. */
struct run_result {
    double setup_us[CLK_COUNT]; /* registering everything + one empty turn */
    double run_us[CLK_COUNT];   /* the measured phase */
    long callbacks; /* read callbacks run (dispatch) / fired (timers) */
    long reads;     /* bytes read (dispatch) */
    long ops;       /* timers: operations whose add succeeded, counted in
                     * the timed loop as they are done (never copied from
                     * the configuration) */
    long errors;    /* failed library calls or short reads/writes */
    long extra;     /* peer check: pending timers left (timers) */
};

/* The circulation state a dispatch run shares with its callbacks. */
struct circ {
    const struct channels *ch;
    int n;       /* channels in use */
    long target; /* reads that end the run: active + writes */
    long writes_left;
    long reads;
    long callbacks;
    long errors;
};

/* One read callback's work: read one byte from channel i (fd), and while
 * writes remain pass one byte on to channel i+1.  Returns 1 once every byte
 * of the run has been read, so the caller stops its loop. */
static inline int circ_step(struct circ *c, int i, int fd)
{
    char b;
    c->callbacks++;
    if (read(fd, &b, 1) == 1) {
        c->reads++;
        if (c->writes_left > 0) {
            int j = i + 1 == c->n ? 0 : i + 1;
            c->writes_left--;
            if (write(c->ch->wfd[j], "e", 1) != 1)
                c->errors++;
        }
    }
    return c->reads == c->target;
}

/* A peer: its name and two benchmarks.  Each returns 0, or -1 after printing
 * why to stderr.  `mode` is one of the peer's `modes` bits. */
struct peer {
    const char *name;
    unsigned modes;   /* 1u << enum bench_mode */
    int only_by_name; /* run only when --peer names it */
    const char *(*backend)(void);
    const char *(*version)(void);
    int (*dispatch)(enum bench_mode mode, const struct channels *ch,
                    const struct dispatch_cfg *cfg, struct run_result *res);
    int (*timers)(enum bench_mode mode, const struct timer_cfg *cfg,
                  struct run_result *res);
};

/* One measured series: a benchmark configuration run by one peer/mode. */
struct series {
    const char *bench; /* "dispatch" or "timers" */
    char config[48];   /* "N=100 A=1 W=100", "T=100 C=100000" */
    int cfg;           /* index of the configuration within its bench */
    const struct peer *peer;
    enum bench_mode mode;
    long events; /* events per run: A+W reads, or C operations */
    int n;       /* samples recorded */
    double *run_us[CLK_COUNT];
    double *setup_us[CLK_COUNT];
};

/* What to run: the peer/mode entries, the configurations, how often. */
#define MAX_CFG 16
#define MAX_ENTRIES 16

struct entry {
    const struct peer *peer;
    enum bench_mode mode;
};

struct timer_spec {
    int standing, ops;
};

struct plan {
    struct entry e[MAX_ENTRIES];
    int ne;
    struct dispatch_cfg d[MAX_CFG];
    int nd;
    struct timer_spec t[MAX_CFG];
    int nt;
    int runs, warmup, turn_every;
    int drop_ops; /* testing: the peers get C - drop_ops timer operations */
    int do_dispatch, do_timers, quiet, compact;
    enum bench_clock clock;
    const char *csv, *json;
};

/* run.c: runs the plan interleaved, checking every run; fills the series
 * (dispatch configs x entries, then timer configs x entries). */
int run_plan(const struct plan *p, struct series *s, const struct channels *ch,
             const struct timer_cfg *tc);

/* report.c: tables on stdout, CSV and JSON files ("-" = stdout). */
struct report {
    int runs, warmup;
    enum bench_clock clock; /* the one tables and ratios use */
    const char *layout;
    struct series *s;
    int count;
};
void report_table(const struct report *r);
int report_csv(const struct report *r, const char *path);
int report_json(const struct report *r, const char *path);

/* channels.c */
int channels_open(struct channels *ch, int n, int compact);
void channels_close(struct channels *ch);
void circ_begin(struct circ *c, const struct channels *ch,
                const struct dispatch_cfg *cfg);
int circ_seed(struct circ *c, const struct dispatch_cfg *cfg);
int channels_drained(const struct channels *ch, int n);
struct stamp stamp_now(void);
void stamp_phases(struct run_result *res, struct stamp t0, struct stamp t1,
                  struct stamp t2);

/* A dispatch run's result: its phase times and the circulation's counts.
 * Inline, like circ_step, so the peers' code is what it was when each
 * filled these fields itself. */
static inline void circ_result(const struct circ *c, struct run_result *res,
                               struct stamp t0, struct stamp t1,
                               struct stamp t2)
{
    stamp_phases(res, t0, t1, t2);
    res->callbacks = c->callbacks;
    res->reads = c->reads;
    res->errors = c->errors;
}

/* The peers compiled in (peers.c), NULL-terminated. */
extern const struct peer *const bench_peers[];

const char *mode_name(enum bench_mode mode);

#endif /* EEL_BENCH_H */
