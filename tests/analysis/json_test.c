/*
 * json_test.c - the JSON string writer every eel tool shares: each byte
 * written as RFC 8259 asks (the short escapes where it names one, \u00xx
 * for the other control characters, everything else as it is).
 */
#include "analysis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

/* What ea_json_string writes for s. */
static char *written(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        abort();
    ea_json_string(m, s);
    fclose(m);
    return buf;
}

static void expect(const char *s, const char *want, const char *what)
{
    char *got = written(s);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "FAIL %s: got %s, want %s\n", what, got, want);
        failures++;
    }
    free(got);
}

/* The expected text of one byte, worked out independently of the
 * writer's table: RFC 8259 section 7. */
static void want_byte(unsigned char c, char *out)
{
    const char *named = c == '"'    ? "\\\""
                        : c == '\\' ? "\\\\"
                        : c == '\b' ? "\\b"
                        : c == '\f' ? "\\f"
                        : c == '\n' ? "\\n"
                        : c == '\r' ? "\\r"
                        : c == '\t' ? "\\t"
                                    : NULL;
    if (named)
        sprintf(out, "\"%s\"", named);
    else if (c < 0x20)
        sprintf(out, "\"\\u00%02x\"", c);
    else
        sprintf(out, "\"%c\"", c);
}

int main(void)
{
    for (unsigned c = 1; c < 256; c++) {
        char in[2] = {(char)c, 0}, want[16], what[32];
        want_byte((unsigned char)c, want);
        snprintf(what, sizeof what, "byte 0x%02x", c);
        expect(in, want, what);
    }
    expect(NULL, "\"\"", "NULL");
    expect("", "\"\"", "empty");
    expect("a\r\nb\x01", "\"a\\r\\nb\\u0001\"", "mixed");
    expect("caf\xc3\xa9", "\"caf\xc3\xa9\"", "UTF-8");
    if (failures)
        fprintf(stderr, "%d failures\n", failures);
    else
        printf("ok\n");
    return failures != 0;
}
