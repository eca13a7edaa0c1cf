/*
 * report.c - turns the measured series into medians and libeel/peer ratios:
 * a table for people (stdout) and CSV or JSON for scripts.
 *
 * The ratio is median(libeel) / median(peer) for the same configuration in
 * the same process, so below 1.00 means libeel is faster than that peer.
 * Tables use one clock (CPU time unless --clock wall); the ratio of minimums
 * is printed next to it as a check: where the two disagree, noise decided.
 * A third matrix pairs the runs instead: each repetition ran libeel and the
 * peer at nearly the same moment, so the median of the per-repetition
 * ratios, with a distribution-free 95% confidence interval, says whether a
 * difference stands out of the machine's drift.
 */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const clock_name[CLK_COUNT] = {"cpu", "wall"};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of n > 0 values already sorted. */
static double median_sorted(const double *v, int n)
{
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double median(const double *v, int n)
{
    if (n == 0)
        return NAN;
    double *tmp = malloc((size_t)n * sizeof(double));
    if (!tmp)
        return NAN;
    memcpy(tmp, v, (size_t)n * sizeof(double));
    qsort(tmp, (size_t)n, sizeof(double), cmp_double);
    double m = median_sorted(tmp, n);
    free(tmp);
    return m;
}

static double minimum(const double *v, int n)
{
    double m = INFINITY;
    for (int i = 0; i < n; i++)
        m = v[i] < m ? v[i] : m;
    return m;
}

static double maximum(const double *v, int n)
{
    double m = -INFINITY;
    for (int i = 0; i < n; i++)
        m = v[i] > m ? v[i] : m;
    return m;
}

static double med(const struct series *s, int clk)
{
    return median(s->run_us[clk], s->n);
}

/* libeel's series for the same benchmark configuration, or NULL. */
static const struct series *eel_of(const struct report *r,
                                   const struct series *s)
{
    for (int i = 0; i < r->count; i++)
        if (r->s[i].bench == s->bench && r->s[i].cfg == s->cfg &&
            !strcmp(r->s[i].peer->name, "libeel"))
            return &r->s[i];
    return NULL;
}

/* libeel/peer on clock clk, of medians (or of minimums if use_min). */
static double ratio(const struct report *r, const struct series *s, int clk,
                    int use_min)
{
    const struct series *e = eel_of(r, s);
    if (!e)
        return NAN;
    if (use_min)
        return minimum(e->run_us[clk], e->n) / minimum(s->run_us[clk], s->n);
    return med(e, clk) / med(s, clk);
}

/* The largest k with P(Bin(n, 1/2) <= k - 1) <= 2.5%, or 0: order
 * statistics k and n + 1 - k bound the median at 95% or more. */
static int ci_rank(int n)
{
    double cdf = 0;
    int k = 0;
    for (int i = 0; i < n; i++) {
        cdf += exp(lgamma(n + 1.0) - lgamma(i + 1.0) - lgamma(n - i + 1.0) -
                   n * log(2.0));
        if (cdf > 0.025)
            break;
        k = i + 1;
    }
    return k;
}

struct paired {
    double med, lo, hi; /* NAN when unknown (bounds: too few runs) */
};

/* libeel/peer per repetition on clock clk: their median and its 95%
 * confidence interval. */
static struct paired paired_ratio(const struct report *r,
                                  const struct series *s, int clk)
{
    struct paired p = {NAN, NAN, NAN};
    const struct series *e = eel_of(r, s);
    int n = s->n;
    double *q = e && e->n == n && n > 0 ? malloc((size_t)n * sizeof(*q)) : NULL;
    if (!q)
        return p;
    for (int k = 0; k < n; k++)
        q[k] = e->run_us[clk][k] / s->run_us[clk][k];
    qsort(q, (size_t)n, sizeof(*q), cmp_double);
    p.med = median_sorted(q, n);
    int k = ci_rank(n);
    if (k > 0) {
        p.lo = q[k - 1];
        p.hi = q[n - k];
    }
    free(q);
    return p;
}

static void label(const struct series *s, char *buf, size_t len)
{
    snprintf(buf, len, "%s:%s", s->peer->name,
             s->mode == MODE_PERSISTENT ? "pers" : "1shot");
}

/* Ratio columns are as wide as their peer:mode label, at least 17 (a
 * paired ratio with its interval: "1.01 [0.99,1.03]"). */
static int col_width(const struct series *s)
{
    char lab[40];
    label(s, lab, sizeof(lab));
    return strlen(lab) > 17 ? (int)strlen(lab) : 17;
}

enum ratio_kind { RATIO_MEDIAN, RATIO_MIN, RATIO_PAIRED };

/* One cell of a ratio matrix. */
static void print_cell(const struct report *r, const struct series *s,
                       enum ratio_kind kind)
{
    char buf[48];
    if (kind != RATIO_PAIRED) {
        snprintf(buf, sizeof(buf), "%.2f",
                 ratio(r, s, r->clock, kind == RATIO_MIN));
    } else {
        struct paired p = paired_ratio(r, s, r->clock);
        if (isnan(p.lo))
            snprintf(buf, sizeof(buf), "%.2f", p.med);
        else
            snprintf(buf, sizeof(buf), "%.2f [%.2f,%.2f]", p.med, p.lo, p.hi);
    }
    printf(" %*s", col_width(s), buf);
}

static void print_bench(const struct report *r, const char *bench)
{
    int c = r->clock, other = CLK_COUNT - 1 - c;
    const char *cur = NULL;
    printf("\n%s: %s time, microseconds per run, median of %d (setup: "
           "registering everything + one empty turn)\n",
           bench, clock_name[c], r->runs);
    printf("%-24s %-22s %10s %10s %9s %10s %10s %8s\n", "config", "peer:mode",
           "median", "min", "ns/event", "setup", clock_name[other], "eel/peer");
    for (int i = 0; i < r->count; i++) {
        const struct series *s = &r->s[i];
        char lab[40];
        if (strcmp(s->bench, bench))
            continue;
        label(s, lab, sizeof(lab));
        double m = med(s, c);
        printf("%-24s %-22s %10.1f %10.1f %9.1f %10.1f %10.1f %8.2f\n",
               cur && !strcmp(cur, s->config) ? "" : s->config, lab, m,
               minimum(s->run_us[c], s->n), m * 1e3 / (double)s->events,
               median(s->setup_us[c], s->n), med(s, other), ratio(r, s, c, 0));
        cur = s->config;
    }
}

/* One line per configuration, one column per peer:mode other than libeel. */
static void print_ratios(const struct report *r, const char *bench,
                         enum ratio_kind kind)
{
    static const char *const what[] = {
        "ratio of median", "ratio of minimum",
        "median of the per-repetition ratios [95% confidence interval] of the"};
    const struct series *first = NULL;
    int cols = 0;
    for (int i = 0; i < r->count; i++)
        if (!strcmp(r->s[i].bench, bench)) {
            if (!first)
                first = &r->s[i];
            else if (r->s[i].cfg != first->cfg)
                break;
            cols += strcmp(r->s[i].peer->name, "libeel") != 0;
        }
    if (!first || !eel_of(r, first) || cols == 0)
        return;
    printf("\n%s: libeel/peer, %s %s times (below 1.00: libeel faster)\n",
           bench, what[kind], clock_name[r->clock]);
    printf("%-24s", "config");
    for (int i = 0; i < r->count; i++) {
        char lab[40];
        const struct series *s = &r->s[i];
        if (!strcmp(s->bench, bench) && s->cfg == first->cfg &&
            strcmp(s->peer->name, "libeel")) {
            label(s, lab, sizeof(lab));
            printf(" %*s", col_width(s), lab);
        }
    }
    for (int i = 0; i < r->count; i++) {
        const struct series *s = &r->s[i];
        if (strcmp(s->bench, bench))
            continue;
        if (i == 0 || r->s[i - 1].bench != s->bench ||
            r->s[i - 1].cfg != s->cfg)
            printf("\n%-24s", s->config);
        if (strcmp(s->peer->name, "libeel"))
            print_cell(r, s, kind);
    }
    printf("\n");
}

static void print_peers(const struct report *r)
{
    const struct peer *seen[MAX_ENTRIES];
    int nseen = 0;
    for (int i = 0; i < r->count; i++) {
        int known = 0;
        for (int k = 0; k < nseen; k++)
            known |= seen[k] == r->s[i].peer;
        if (!known && nseen < MAX_ENTRIES) {
            seen[nseen++] = r->s[i].peer;
            printf("  %-16s %-14s backend %s\n", r->s[i].peer->name,
                   r->s[i].peer->version(), r->s[i].peer->backend());
        }
    }
}

void report_table(const struct report *r)
{
    printf("eel-bench-dispatch: %d runs (+%d warm-up), peers interleaved; "
           "%s time; channel layout %s\n",
           r->runs, r->warmup, clock_name[r->clock], r->layout);
    print_peers(r);
    static const char *const benches[] = {"dispatch", "timers"};
    for (int b = 0; b < 2; b++) {
        int any = 0;
        for (int i = 0; i < r->count; i++)
            any |= !strcmp(r->s[i].bench, benches[b]);
        if (any) {
            print_bench(r, benches[b]);
            print_ratios(r, benches[b], RATIO_MEDIAN);
            print_ratios(r, benches[b], RATIO_MIN);
            print_ratios(r, benches[b], RATIO_PAIRED);
        }
    }
}

static FILE *open_out(const char *path)
{
    if (!strcmp(path, "-"))
        return stdout;
    FILE *f = fopen(path, "w");
    if (!f)
        perror(path);
    return f;
}

static int close_out(FILE *f, const char *path)
{
    int bad = ferror(f);
    if (f != stdout)
        bad |= fclose(f) != 0;
    else
        fflush(f);
    if (bad)
        fprintf(stderr, "eel-bench-dispatch: cannot write %s\n", path);
    return bad ? -1 : 0;
}

/* A ratio, or nothing (CSV) / null (JSON) when libeel was not run. */
static void put_ratio(FILE *f, double q, const char *none)
{
    if (isnan(q))
        fputs(none, f);
    else
        fprintf(f, "%.3f", q);
}

/* A paired ratio's median and interval bounds, each after its prefix (a
 * CSV separator or a JSON key). */
static void put_paired(FILE *f, struct paired p, const char *const pre[3],
                       const char *none)
{
    const double v[3] = {p.med, p.lo, p.hi};
    for (int k = 0; k < 3; k++) {
        fputs(pre[k], f);
        put_ratio(f, v[k], none);
    }
}

int report_csv(const struct report *r, const char *path)
{
    static const char *const csv_cols[3] = {",", ",", ","};
    FILE *f = open_out(path);
    if (!f)
        return -1;
    int c = r->clock;
    fprintf(f, "bench,config,peer,mode,backend,runs,events,clock,median_us,"
               "min_us,max_us,setup_median_us,ns_per_event,libeel_over_peer,"
               "libeel_over_peer_min,cpu_median_us,wall_median_us,"
               "wall_libeel_over_peer,paired_libeel_over_peer,paired_ci95_lo,"
               "paired_ci95_hi\n");
    for (int i = 0; i < r->count; i++) {
        const struct series *s = &r->s[i];
        double m = med(s, c);
        fprintf(f, "%s,%s,%s,%s,%s,%d,%ld,%s,%.2f,%.2f,%.2f,%.2f,%.2f,",
                s->bench, s->config, s->peer->name, mode_name(s->mode),
                s->peer->backend(), s->n, s->events, clock_name[c], m,
                minimum(s->run_us[c], s->n), maximum(s->run_us[c], s->n),
                median(s->setup_us[c], s->n), m * 1e3 / (double)s->events);
        put_ratio(f, ratio(r, s, c, 0), "");
        fputc(',', f);
        put_ratio(f, ratio(r, s, c, 1), "");
        fprintf(f, ",%.2f,%.2f,", med(s, CLK_CPU), med(s, CLK_WALL));
        put_ratio(f, ratio(r, s, CLK_WALL, 0), "");
        put_paired(f, paired_ratio(r, s, c), csv_cols, "");
        fputc('\n', f);
    }
    return close_out(f, path);
}

static void json_samples(FILE *f, const char *key, const double *v, int n)
{
    fprintf(f, ", \"%s\": [", key);
    for (int k = 0; k < n; k++)
        fprintf(f, "%s%.2f", k ? ", " : "", v[k]);
    fprintf(f, "]");
}

int report_json(const struct report *r, const char *path)
{
    static const char *const json_keys[3] = {
        ", \"paired\": {\"median\": ", ", \"ci95_lo\": ", ", \"ci95_hi\": "};
    FILE *f = open_out(path);
    if (!f)
        return -1;
    fprintf(f,
            "{\n  \"runs\": %d,\n  \"warmup\": %d,\n  \"clock\": \"%s\",\n"
            "  \"layout\": \"%s\",\n  \"results\": [",
            r->runs, r->warmup, clock_name[r->clock], r->layout);
    for (int i = 0; i < r->count; i++) {
        const struct series *s = &r->s[i];
        fprintf(f,
                "%s\n    {\"bench\": \"%s\", \"config\": \"%s\", "
                "\"peer\": \"%s\", \"version\": \"%s\", \"backend\": \"%s\", "
                "\"mode\": \"%s\", \"events\": %ld",
                i ? "," : "", s->bench, s->config, s->peer->name,
                s->peer->version(), s->peer->backend(), mode_name(s->mode),
                s->events);
        for (int c = 0; c < CLK_COUNT; c++) {
            fprintf(f,
                    ", \"%s\": {\"median_us\": %.2f, \"min_us\": %.2f, "
                    "\"setup_median_us\": %.2f, \"libeel_over_peer\": ",
                    clock_name[c], med(s, c), minimum(s->run_us[c], s->n),
                    median(s->setup_us[c], s->n));
            put_ratio(f, ratio(r, s, c, 0), "null");
            put_paired(f, paired_ratio(r, s, c), json_keys, "null");
            fputc('}', f);
            json_samples(f, "run_us", s->run_us[c], s->n);
            json_samples(f, "setup_us", s->setup_us[c], s->n);
            fputc('}', f);
        }
        fputc('}', f);
    }
    fprintf(f, "\n  ]\n}\n");
    return close_out(f, path);
}
