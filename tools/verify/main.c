/*
 * main.c - the eelverify command: reads the same inputs as eelstatechart
 * (-p BUILD_DIR, or files then `-- FLAGS`), checks the program for group
 * leaks, uses after delete, resource leaks along callback chains and
 * descriptors used after close, and prints gcc-style diagnostics (and
 * SARIF with --sarif).  Exit: 0 clean, 1 findings, 2 usage/parse error.
 */
#include <stdlib.h>
#include <string.h>

#include "verify.h"

enum { OPT_SARIF = 1, OPT_PAIR, OPT_CONFIG, OPT_NO_FACTS };

static const struct ea_cli_option options[] = {
    {"sarif", 0, 1, OPT_SARIF},
    {"pair", 0, 1, OPT_PAIR},
    {"config", 'c', 1, OPT_CONFIG},
    {"no-facts", 0, 0, OPT_NO_FACTS},
};

static void usage(FILE *out)
{
    fputs("Usage: eelverify [OPTIONS] FILE... [-- COMPILER_FLAGS...]\n"
          "       eelverify [OPTIONS] -p BUILD_DIR [FILE...]\n"
          "Checks a libeel program: every path through a callback registers\n"
          "or deletes its group; groups are not used after delete; paired\n"
          "resources are released or handed on (also along callback chains);\n"
          "descriptors are not used after close.\n\n",
          out);
    ea_cli_print_input_usage(out);
    fputs("Checks:\n"
          "  --pair ACQ:REL  also track the pair ACQ()/REL() (repeatable)\n"
          "  -c FILE, --config FILE\n"
          "                 read 'pair ACQ:REL' and 'escape FUNC' lines\n"
          "  --sarif FILE   also write SARIF 2.1.0 to FILE ('-': stdout)\n"
          "  --no-facts     do not prune paths with integer facts (more\n"
          "                 findings, some infeasible; for comparison)\n"
          "  -v             also says where groups and resources escape\n"
          "                 and what is not modelled\n"
          "Suppress a finding with /* eelverify: ignore */ or\n"
          "// NOLINT(eel-group-leak) on its line.\n"
          "Exit status: 0 no findings, 1 findings, 2 usage or parse error.\n",
          out);
}

static int on_option(void *ctx, int id, const char *value)
{
    struct vconfig *cfg = ctx;
    switch (id) {
    case OPT_SARIF:
        cfg->sarif_path = value;
        return 0;
    case OPT_PAIR:
        return vconfig_add_pair(cfg, value, "--pair");
    case OPT_CONFIG:
        return vconfig_load(cfg, value);
    case OPT_NO_FACTS:
        cfg->no_facts = 1;
        return 0;
    default:
        return 1;
    }
}

static int run(struct vconfig *cfg, const struct ea_input *in)
{
    enum ea_load_status status = EA_LOAD_OK;
    struct ea_program *prog = ea_program_load(in, stderr, &status);
    if (!prog) {
        fprintf(stderr, "eelverify: %s\n",
                status == EA_LOAD_PARSE ? "the input does not compile"
                                        : "cannot load the input");
        return 2;
    }
    if (!prog->eel_header_seen)
        fprintf(stderr, "eelverify: note: the input makes no libeel calls; "
                        "only resource pairs are checked\n");
    struct vreport report = {0};
    struct vctx ctx = {.prog = prog, .cfg = cfg, .report = &report};
    verify_program(&ctx);
    vreport_sort(&report);
    /* With SARIF on standard output, the text goes to standard error. */
    int sarif_stdout = cfg->sarif_path && strcmp(cfg->sarif_path, "-") == 0;
    vdiag_print(&report, sarif_stdout ? stderr : stdout);
    fflush(stdout);
    int rc = report.n ? 1 : 0;
    if (cfg->sarif_path && vsarif_write(&report, cfg->sarif_path) != 0)
        rc = 2;
    if (cfg->verbose || report.n)
        fprintf(stderr, "eelverify: %zu finding%s%s\n", report.n,
                report.n == 1 ? "" : "s",
                report.suppressed ? " (some suppressed)" : "");
    verify_free(&ctx);
    vreport_free(&report);
    ea_program_free(prog);
    vsuppress_free();
    return rc;
}

int main(int argc, char **argv)
{
    struct vconfig cfg;
    vconfig_init(&cfg);
    struct ea_input in;
    enum ea_cli_result r =
        ea_cli_parse(argc, argv, options, sizeof(options) / sizeof(*options),
                     on_option, &cfg, &in, "eelverify");
    int rc;
    if (r == EA_CLI_HELP) {
        usage(stdout);
        rc = 0;
    } else if (r == EA_CLI_VERSION) {
        puts("eelverify 1.0.0");
        rc = 0;
    } else if (r != EA_CLI_OK) {
        rc = 2;
    } else {
        cfg.verbose = in.verbose;
        rc = run(&cfg, &in);
    }
    ea_input_free(&in);
    vconfig_free(&cfg);
    return rc;
}
