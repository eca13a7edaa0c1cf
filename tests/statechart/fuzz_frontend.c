/*
 * fuzz_frontend.c - libFuzzer target for the analysis core's walk and
 * eelstatechart's labelling: each input is a C file; whatever clang makes
 * of it, loading, labelling, charting and JSON output must not crash.
 * Build: cmake -DEEL_FUZZ=ON with CC=clang; run: fuzz_frontend CORPUS_DIR
 * (seeds: tests/statechart/fixtures).  EEL_FUZZ_INCLUDE names eel.h's dir.
 */
#include "statechart.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/eel-fuzz-%d.c", (int)getpid());
    FILE *f = fopen(path, "w");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    const char *inc = getenv("EEL_FUZZ_INCLUDE");
    const char *files[] = {path};
    const char *flags[] = {"-I", inc ? inc : "include", "-w"};
    struct ea_input in = {.files = files, .nfiles = 1, .flags = flags,
                          .nflags = 3};
    FILE *null = fopen("/dev/null", "w");
    enum ea_load_status st;
    struct ea_program *prog = ea_program_load(&in, null, &st);
    if (prog) {
        struct sc_ctx cx = {.prog = prog};
        struct sc_result res;
        sc_compute_labels(&cx);
        if (sc_build_charts(&cx, NULL, &res) == 0) {
            sc_write_json(&res, null);
            sc_write_dot(&res, null);
        }
        sc_free_result(&res);
        sc_free_ctx(&cx);
        ea_program_free(prog);
    }
    fclose(null);
    unlink(path);
    return 0;
}
