/*
 * cli_test.c - the shared command-line parser of the eel tools: -p, files
 * and `--` flags, tool options in every spelling, and its errors.
 */
#include "analysis.h"

#include <stdio.h>
#include <string.h>

static int failures;
#define CHECK(c)                                                              \
    do {                                                                      \
        if (!(c)) {                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #c);                                                      \
            failures++;                                                       \
        }                                                                     \
    } while (0)

static const char *got_format, *got_out;
static int flags_seen;

static int on_opt(void *ctx, int id, const char *v)
{
    (void)ctx;
    if (id == 1)
        got_format = v;
    else if (id == 2)
        got_out = v;
    else if (id == 3)
        flags_seen++;
    return v && strcmp(v, "reject") == 0;
}

static const struct ea_cli_option opts[] = {
    {"format", 'f', 1, 1}, {"output", 'o', 1, 2}, {"quiet", 'q', 0, 3}};

static enum ea_cli_result run(int argc, const char **argv,
                              struct ea_input *in)
{
    got_format = got_out = NULL;
    flags_seen = 0;
    return ea_cli_parse(argc, (char **)argv, opts, 3, on_opt, NULL, in,
                        "test");
}

int main(void)
{
    struct ea_input in;
    const char *a1[] = {"t", "a.c", "-fjson", "--output=x", "b.c", "-q",
                        "--", "-DX=1", "-I", "inc", "a.c"};
    CHECK(run(11, a1, &in) == EA_CLI_OK);
    CHECK(in.nfiles == 2 && !strcmp(in.files[0], "a.c") &&
          !strcmp(in.files[1], "b.c"));
    CHECK(in.nflags == 4 && !strcmp(in.flags[0], "-DX=1") &&
          !strcmp(in.flags[3], "a.c"));
    CHECK(got_format && !strcmp(got_format, "json"));
    CHECK(got_out && !strcmp(got_out, "x"));
    CHECK(flags_seen == 1);
    CHECK(in.build_dir == NULL);
    ea_input_free(&in);

    const char *a2[] = {"t", "-p", "build", "--format", "dot", "-v"};
    CHECK(run(6, a2, &in) == EA_CLI_OK);
    CHECK(in.build_dir && !strcmp(in.build_dir, "build") && in.nfiles == 0);
    CHECK(in.verbose == 1 && !strcmp(got_format, "dot"));
    ea_input_free(&in);

    const char *a3[] = {"t", "--build-dir=b2", "x.c"};
    CHECK(run(3, a3, &in) == EA_CLI_OK && !strcmp(in.build_dir, "b2"));
    ea_input_free(&in);
    const char *a3b[] = {"t", "-pb3"};
    CHECK(run(2, a3b, &in) == EA_CLI_OK && !strcmp(in.build_dir, "b3"));
    ea_input_free(&in);

    const char *a4[] = {"t"};
    CHECK(run(1, a4, &in) == EA_CLI_ERROR); /* no input */
    ea_input_free(&in);
    const char *a5[] = {"t", "x.c", "--nope"};
    CHECK(run(3, a5, &in) == EA_CLI_ERROR);
    ea_input_free(&in);
    const char *a6[] = {"t", "x.c", "-o"};
    CHECK(run(3, a6, &in) == EA_CLI_ERROR); /* missing value */
    ea_input_free(&in);
    const char *a7[] = {"t", "x.c", "--quiet=3"};
    CHECK(run(3, a7, &in) == EA_CLI_ERROR); /* value for a flag */
    ea_input_free(&in);
    const char *a8[] = {"t", "x.c", "-f", "reject"};
    CHECK(run(4, a8, &in) == EA_CLI_ERROR); /* tool callback refuses */
    ea_input_free(&in);
    const char *a9[] = {"t", "--help"};
    CHECK(run(2, a9, &in) == EA_CLI_HELP);
    ea_input_free(&in);
    const char *a10[] = {"t", "-p"};
    CHECK(run(2, a10, &in) == EA_CLI_ERROR);
    ea_input_free(&in);
    const char *a11[] = {"t", "-", "--", "-x"}; /* "-" is a file name */
    CHECK(run(4, a11, &in) == EA_CLI_OK && in.nfiles == 1);
    ea_input_free(&in);

    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    else
        puts("cli: all checks passed");
    return failures != 0;
}
