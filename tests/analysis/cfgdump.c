/*
 * cfgdump.c - prints the analysis core's CFG of every function of the
 * program given (same command line as the eel tools), for the core's
 * golden-file tests.  With --function NAME, only that function; with
 * --ends, each function's name and closing-brace locations instead.
 */
#include "analysis.h"

#include <stdio.h>
#include <string.h>

static const char *only;
static int ends;

static int opt(void *ctx, int id, const char *value)
{
    (void)ctx;
    if (id == 0)
        only = value;
    else
        ends = 1;
    return 0;
}

/* "name L:C end L:C": columns are where the name and the brace start. */
static void dump_ends(const struct ea_function *f)
{
    printf("%s %u:%u end %u:%u\n", f->uname, f->loc.line, f->loc.col,
           f->end_loc.line, f->end_loc.col);
}

int main(int argc, char **argv)
{
    static const struct ea_cli_option opts[] = {{"function", 'f', 1, 0},
                                                {"ends", 0, 0, 1}};
    struct ea_input in;
    enum ea_cli_result r =
        ea_cli_parse(argc, argv, opts, 2, opt, NULL, &in, "cfgdump");
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
        if (ends)
            dump_ends(prog->functions[i]);
        else if (!only || strcmp(prog->functions[i]->name, only) == 0)
            ea_cfg_dump(prog->functions[i], stdout);
    ea_program_free(prog);
    return 0;
}
