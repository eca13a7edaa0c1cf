/*
 * cli.c - the command line every eel analysis tool shares: -p BUILD_DIR or
 * files followed by `-- COMPILER_FLAGS`, plus the tool's own options, so
 * eelstatechart and eelverify accept exactly the same inputs.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

void ea_cli_print_input_usage(FILE *out)
{
    fputs("Input (as clang-tidy):\n"
          "  -p BUILD_DIR, --build-dir=BUILD_DIR\n"
          "                 read compile_commands.json from BUILD_DIR; with\n"
          "                 FILEs, analyse only those entries\n"
          "  FILE... [-- COMPILER_FLAGS...]\n"
          "                 analyse the FILEs together as one program,\n"
          "                 compiled with the flags after `--`\n"
          "  -v, --verbose  say what is being parsed\n"
          "  -h, --help     this help;  --version  the version\n",
          out);
}

static const struct ea_cli_option *find_long(const struct ea_cli_option *o,
                                             size_t n, const char *name,
                                             size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(o[i].name) == len && strncmp(o[i].name, name, len) == 0)
            return &o[i];
    return NULL;
}

static const struct ea_cli_option *find_short(const struct ea_cli_option *o,
                                              size_t n, char c)
{
    for (size_t i = 0; i < n; i++)
        if (o[i].short_name && o[i].short_name == c)
            return &o[i];
    return NULL;
}

struct parse_state {
    int argc, i;
    char **argv;
    const char *prog;
    struct ea_vec files, flags;
};

/* The value of an option: inline ("--x=v", "-ov") or the next argument. */
static const char *take_value(struct parse_state *st, const char *inl,
                              const char *shown)
{
    if (inl)
        return inl;
    if (st->i + 1 >= st->argc) {
        fprintf(stderr, "%s: option '%s' needs a value\n", st->prog, shown);
        return NULL;
    }
    return st->argv[++st->i];
}

static enum ea_cli_result builtin(struct parse_state *st, struct ea_input *in,
                                  const char *a, int *handled)
{
    *handled = 1;
    if (!strcmp(a, "-h") || !strcmp(a, "--help"))
        return EA_CLI_HELP;
    if (!strcmp(a, "--version"))
        return EA_CLI_VERSION;
    if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
        in->verbose = 1;
        return EA_CLI_OK;
    }
    if (!strcmp(a, "-p") || !strncmp(a, "--build-dir=", 12) ||
        !strcmp(a, "--build-dir") || (!strncmp(a, "-p", 2) && a[2])) {
        const char *inl = NULL;
        if (!strncmp(a, "--build-dir=", 12))
            inl = a + 12;
        else if (a[1] == 'p' && a[2])
            inl = a + 2;
        const char *v = take_value(st, inl, "-p");
        if (!v)
            return EA_CLI_ERROR;
        in->build_dir = v;
        return EA_CLI_OK;
    }
    *handled = 0;
    return EA_CLI_OK;
}

static enum ea_cli_result tool_option(struct parse_state *st,
                                      const struct ea_cli_option *opts,
                                      size_t nopts, ea_cli_fn fn, void *ctx,
                                      const char *a)
{
    const struct ea_cli_option *o = NULL;
    const char *inl = NULL;
    if (a[1] == '-') {
        const char *eq = strchr(a + 2, '=');
        size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        o = find_long(opts, nopts, a + 2, len);
        if (o && eq)
            inl = eq + 1;
        if (o && eq && !o->has_arg) {
            fprintf(stderr, "%s: option '--%s' takes no value\n", st->prog,
                    o->name);
            return EA_CLI_ERROR;
        }
    } else if (a[1] && !a[2]) {
        o = find_short(opts, nopts, a[1]);
    } else if (a[1]) {
        o = find_short(opts, nopts, a[1]);
        if (o && o->has_arg)
            inl = a + 2;
        else
            o = NULL;
    }
    if (!o) {
        fprintf(stderr, "%s: unknown option '%s' (try --help)\n", st->prog,
                a);
        return EA_CLI_ERROR;
    }
    const char *v = NULL;
    if (o->has_arg && !(v = take_value(st, inl, a)))
        return EA_CLI_ERROR;
    if (fn && fn(ctx, o->id, v) != 0)
        return EA_CLI_ERROR;
    return EA_CLI_OK;
}

enum ea_cli_result ea_cli_parse(int argc, char **argv,
                                const struct ea_cli_option *opts,
                                size_t nopts, ea_cli_fn fn, void *ctx,
                                struct ea_input *in, const char *prog)
{
    struct parse_state st = {.argc = argc, .argv = argv, .prog = prog};
    memset(in, 0, sizeof(*in));
    enum ea_cli_result r = EA_CLI_OK;
    int dashdash = 0;
    for (st.i = 1; st.i < argc && r == EA_CLI_OK; st.i++) {
        const char *a = argv[st.i];
        if (dashdash) {
            ea_vec_push(&st.flags, (void *)a);
        } else if (!strcmp(a, "--")) {
            dashdash = 1;
        } else if (a[0] == '-' && a[1]) {
            int handled;
            r = builtin(&st, in, a, &handled);
            if (!handled)
                r = tool_option(&st, opts, nopts, fn, ctx, a);
        } else {
            ea_vec_push(&st.files, (void *)a);
        }
    }
    in->files = (const char **)st.files.v;
    in->nfiles = st.files.n;
    in->flags = (const char **)st.flags.v;
    in->nflags = st.flags.n;
    if (r == EA_CLI_OK && !in->nfiles && !in->build_dir) {
        fprintf(stderr,
                "%s: no input: give source files or -p BUILD_DIR (try "
                "--help)\n",
                prog);
        r = EA_CLI_ERROR;
    }
    return r;
}

void ea_input_free(struct ea_input *in)
{
    free((void *)in->files);
    free((void *)in->flags);
    in->files = in->flags = NULL;
    in->nfiles = in->nflags = 0;
}
