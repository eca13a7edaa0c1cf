/*
 * cfgdump.c - prints the analysis core's CFG of every function of the
 * program given (same command line as the eel tools), for the core's
 * golden-file tests.  With --function NAME, only that function.
 */
#include "analysis.h"

#include <stdio.h>
#include <string.h>

static const char *only;

static int opt(void *ctx, int id, const char *value)
{
    (void)ctx;
    (void)id;
    only = value;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct ea_cli_option opts[] = {{"function", 'f', 1, 0}};
    struct ea_input in;
    enum ea_cli_result r =
        ea_cli_parse(argc, argv, opts, 1, opt, NULL, &in, "cfgdump");
    if (r == EA_CLI_HELP) {
        ea_cli_print_input_usage(stdout);
        ea_input_free(&in);
        return 0;
    }
    if (r != EA_CLI_OK) {
        ea_input_free(&in);
        return 2;
    }
    enum ea_load_status st;
    struct ea_program *prog = ea_program_load(&in, stderr, &st);
    ea_input_free(&in);
    if (!prog)
        return 2;
    for (size_t i = 0; i < prog->nfunctions; i++)
        if (!only || strcmp(prog->functions[i]->name, only) == 0)
            ea_cfg_dump(prog->functions[i], stdout);
    ea_program_free(prog);
    return 0;
}
