/*
 * main.c - eelstatechart: draws the callback chains of a libeel program
 * (paper, section 3.2).  Exit status: 0 charted (possibly empty), 2 usage
 * or parse error, 1 output error.
 */
#include "statechart.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_FORMAT, OPT_OUTPUT, OPT_ENTRY, OPT_MAX_LABELS };
enum fmt { FMT_DOT, FMT_SVG, FMT_JSON };

struct opts {
    enum fmt fmt;
    const char *output;
    const char *entry;
    size_t max_labels;
};

static int on_opt(void *ctx, int id, const char *v)
{
    struct opts *o = ctx;
    switch (id) {
    case OPT_FORMAT:
        if (!strcmp(v, "dot"))
            o->fmt = FMT_DOT;
        else if (!strcmp(v, "svg"))
            o->fmt = FMT_SVG;
        else if (!strcmp(v, "json"))
            o->fmt = FMT_JSON;
        else {
            fprintf(stderr,
                    "eelstatechart: unknown format '%s' (dot, svg, json)\n", v);
            return 1;
        }
        return 0;
    case OPT_OUTPUT:
        o->output = v;
        return 0;
    case OPT_ENTRY:
        o->entry = v;
        return 0;
    case OPT_MAX_LABELS: {
        char *end;
        unsigned long n = strtoul(v, &end, 10);
        if (*end || n == 0) {
            fprintf(stderr, "eelstatechart: --max-labels needs a number\n");
            return 1;
        }
        o->max_labels = n;
        return 0;
    }
    }
    return 1;
}

static void usage(FILE *out)
{
    fputs("Usage: eelstatechart [OPTIONS] FILE... [-- COMPILER_FLAGS]\n"
          "       eelstatechart [OPTIONS] -p BUILD_DIR [FILE...]\n"
          "Draws the callback chains of a libeel program: one chart per\n"
          "group creation site, from callback to callback.\n\n"
          "Options:\n"
          "  -f, --format=dot|svg|json  output format (default dot)\n"
          "  -o, --output=FILE          write to FILE (default stdout)\n"
          "  -e, --entry=FUNC           start at FUNC (default main);\n"
          "                             FUNC@file.c: the one in that file\n"
          "      --max-labels=N         labels kept per function (4096)\n",
          out);
    ea_cli_print_input_usage(out);
}

static int write_out(const struct opts *o, const struct sc_result *r)
{
    FILE *out = stdout;
    if (o->output && strcmp(o->output, "-") != 0) {
        out = fopen(o->output, "w");
        if (!out) {
            fprintf(stderr, "eelstatechart: %s: %s\n", o->output,
                    strerror(errno));
            return 1;
        }
    }
    int rc = 0;
    if (o->fmt == FMT_JSON)
        sc_write_json(r, out);
    else if (o->fmt == FMT_DOT)
        sc_write_dot(r, out);
    else
        rc = sc_write_svg(r, out) ? 1 : 0;
    if (fflush(out) != 0 || ferror(out))
        rc = 1;
    if (out != stdout && fclose(out) != 0)
        rc = 1;
    return rc;
}

int main(int argc, char **argv)
{
    static const struct ea_cli_option table[] = {
        {"format", 'f', 1, OPT_FORMAT},
        {"output", 'o', 1, OPT_OUTPUT},
        {"entry", 'e', 1, OPT_ENTRY},
        {"max-labels", 0, 1, OPT_MAX_LABELS},
    };
    struct opts o = {0};
    struct ea_input in;
    enum ea_cli_result cr =
        ea_cli_parse(argc, argv, table, 4, on_opt, &o, &in, "eelstatechart");
    if (cr != EA_CLI_OK) {
        if (cr == EA_CLI_HELP)
            usage(stdout);
        else if (cr == EA_CLI_VERSION)
            puts("eelstatechart 1.0.0");
        ea_input_free(&in);
        return cr == EA_CLI_ERROR ? 2 : 0;
    }
    enum ea_load_status st;
    struct ea_program *prog = ea_program_load(&in, stderr, &st);
    ea_input_free(&in);
    if (!prog)
        return 2;
    struct sc_ctx cx = {.prog = prog, .max_labels = o.max_labels};
    sc_compute_labels(&cx);
    struct sc_result res;
    int rc = 0;
    if (sc_build_charts(&cx, o.entry, &res) != 0) {
        fprintf(stderr, "eelstatechart: %s\n", res.warnings[0]);
        rc = 2;
    } else {
        for (size_t i = 0; i < res.nwarnings; i++)
            fprintf(stderr, "eelstatechart: warning: %s\n", res.warnings[i]);
        if (prog->neel_calls == 0)
            fprintf(stderr, "eelstatechart: the program makes no libeel "
                            "calls: the chart is empty\n");
        else if (res.ncharts == 0)
            fprintf(stderr, "eelstatechart: no group is created or "
                            "registered from the entry: the chart is "
                            "empty\n");
        rc = write_out(&o, &res);
    }
    sc_free_result(&res);
    sc_free_ctx(&cx);
    ea_program_free(prog);
    return rc;
}
