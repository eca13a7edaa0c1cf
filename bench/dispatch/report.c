/*
 * report.c - turns the measured series into medians and libeel/peer ratios:
 * a table for people (stdout) and CSV or JSON for scripts.
 *
 * The ratio is median(libeel) / median(peer) for the same configuration in
 * the same process, so below 1.00 means libeel is faster than that peer.
 */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double tmp[n > 0 ? n : 1];
    if (n == 0)
        return NAN;
    memcpy(tmp, v, (size_t)n * sizeof(double));
    qsort(tmp, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
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

static double ratio(const struct report *r, const struct series *s)
{
    const struct series *e = eel_of(r, s);
    if (!e)
        return NAN;
    return median(e->run_us, e->n) / median(s->run_us, s->n);
}

static void label(const struct series *s, char *buf, size_t len)
{
    snprintf(buf, len, "%s:%s", s->peer->name,
             s->mode == MODE_PERSISTENT ? "pers" : "1shot");
}

/* Ratio columns are as wide as their peer:mode label, at least 15. */
static int col_width(const struct series *s)
{
    char lab[40];
    label(s, lab, sizeof(lab));
    return strlen(lab) > 15 ? (int)strlen(lab) : 15;
}

static void print_bench(const struct report *r, const char *bench)
{
    const char *cur = NULL;
    printf("\n%s: microseconds per run, median of %d (setup: registering "
           "everything + one empty turn)\n",
           bench, r->runs);
    printf("%-24s %-22s %10s %10s %9s %10s %8s\n", "config", "peer:mode",
           "median", "min", "ns/event", "setup", "eel/peer");
    for (int i = 0; i < r->count; i++) {
        const struct series *s = &r->s[i];
        char lab[40];
        if (strcmp(s->bench, bench))
            continue;
        label(s, lab, sizeof(lab));
        double med = median(s->run_us, s->n);
        printf("%-24s %-22s %10.1f %10.1f %9.1f %10.1f %8.2f\n",
               cur && !strcmp(cur, s->config) ? "" : s->config, lab, med,
               minimum(s->run_us, s->n), med * 1e3 / (double)s->events,
               median(s->setup_us, s->n), ratio(r, s));
        cur = s->config;
    }
}

/* One line per configuration, one column per peer:mode other than libeel. */
static void print_ratios(const struct report *r, const char *bench)
{
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
    printf("\n%s: libeel/peer ratio of medians (below 1.00: libeel faster)\n",
           bench);
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
            printf(" %*.2f", col_width(s), ratio(r, s));
    }
    printf("\n");
}

void report_table(const struct report *r)
{
    printf("eel-bench-dispatch: %d runs (+%d warm-up), peers interleaved; "
           "channel layout %s\n",
           r->runs, r->warmup, r->layout);
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
    static const char *const benches[] = {"dispatch", "timers"};
    for (int b = 0; b < 2; b++) {
        int any = 0;
        for (int i = 0; i < r->count; i++)
            any |= !strcmp(r->s[i].bench, benches[b]);
        if (any) {
            print_bench(r, benches[b]);
            print_ratios(r, benches[b]);
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

/* NaN (no libeel in the run) is written as an empty CSV field. */
int report_csv(const struct report *r, const char *path)
{
    FILE *f = open_out(path);
    if (!f)
        return -1;
    fprintf(f, "bench,config,peer,mode,backend,runs,events,median_us,min_us,"
               "max_us,setup_median_us,ns_per_event,libeel_over_peer\n");
    for (int i = 0; i < r->count; i++) {
        const struct series *s = &r->s[i];
        double med = median(s->run_us, s->n), q = ratio(r, s);
        fprintf(f, "%s,%s,%s,%s,%s,%d,%ld,%.2f,%.2f,%.2f,%.2f,%.2f,", s->bench,
                s->config, s->peer->name, mode_name(s->mode),
                s->peer->backend(), s->n, s->events, med,
                minimum(s->run_us, s->n), maximum(s->run_us, s->n),
                median(s->setup_us, s->n), med * 1e3 / (double)s->events);
        if (!isnan(q))
            fprintf(f, "%.3f", q);
        fprintf(f, "\n");
    }
    return close_out(f, path);
}

static void json_samples(FILE *f, const char *key, const double *v, int n)
{
    fprintf(f, "\"%s\": [", key);
    for (int k = 0; k < n; k++)
        fprintf(f, "%s%.2f", k ? ", " : "", v[k]);
    fprintf(f, "]");
}

int report_json(const struct report *r, const char *path)
{
    FILE *f = open_out(path);
    if (!f)
        return -1;
    fprintf(f,
            "{\n  \"runs\": %d,\n  \"warmup\": %d,\n  \"layout\": \"%s\",\n"
            "  \"results\": [",
            r->runs, r->warmup, r->layout);
    for (int i = 0; i < r->count; i++) {
        const struct series *s = &r->s[i];
        double med = median(s->run_us, s->n), q = ratio(r, s);
        fprintf(f,
                "%s\n    {\"bench\": \"%s\", \"config\": \"%s\", "
                "\"peer\": \"%s\", \"version\": \"%s\", \"backend\": \"%s\", "
                "\"mode\": \"%s\", \"events\": %ld, \"median_us\": %.2f, "
                "\"min_us\": %.2f, \"setup_median_us\": %.2f, "
                "\"ns_per_event\": %.2f, \"libeel_over_peer\": ",
                i ? "," : "", s->bench, s->config, s->peer->name,
                s->peer->version(), s->peer->backend(), mode_name(s->mode),
                s->events, med, minimum(s->run_us, s->n),
                median(s->setup_us, s->n), med * 1e3 / (double)s->events);
        if (isnan(q))
            fprintf(f, "null, ");
        else
            fprintf(f, "%.3f, ", q);
        json_samples(f, "run_us", s->run_us, s->n);
        fprintf(f, ", ");
        json_samples(f, "setup_us", s->setup_us, s->n);
        fprintf(f, "}");
    }
    fprintf(f, "\n  ]\n}\n");
    return close_out(f, path);
}
