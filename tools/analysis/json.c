/*
 * json.c - the one JSON string writer of the eel tools (eelstatechart's
 * JSON, eelverify's SARIF), so both escape every character the same way,
 * as RFC 8259 asks.
 */
#include "analysis.h"

void ea_json_string(FILE *out, const char *s)
{
    /* The two-character escapes RFC 8259 names, by control character. */
    static const char short_esc[0x20] = {
        ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20 && short_esc[*p])
            fprintf(out, "\\%c", short_esc[*p]);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else /* UTF-8 and DEL pass through: JSON text may hold them */
            fputc(*p, out);
    }
    fputc('"', out);
}
