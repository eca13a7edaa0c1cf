/*
 * sarif.c - writes eelverify's findings as SARIF 2.1.0 (one run, one rule
 * per eel-* id, each result with its path as a codeFlow), for editors and
 * code-scanning services.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

/* A file name as a URI reference: relative paths stay relative. */
static void json_uri(FILE *o, const char *file)
{
    if (!file)
        file = "unknown";
    char *buf = xmalloc(strlen(file) * 3 + 8);
    char *w = buf;
    if (file[0] == '/') {
        strcpy(w, "file://");
        w += 7;
    }
    for (const unsigned char *p = (const unsigned char *)file; *p; p++) {
        /* Control characters are no URI characters either (RFC 3986). */
        if (*p <= ' ' || *p == '%' || *p == '#' || *p == '?' || *p >= 0x7f)
            w += sprintf(w, "%%%02X", *p);
        else
            *w++ = (char)*p;
    }
    *w = 0;
    ea_json_string(o, buf);
    free(buf);
}

static void location(FILE *o, const struct ea_loc *l, const char *msg)
{
    fputs("{\"physicalLocation\":{\"artifactLocation\":{\"uri\":", o);
    json_uri(o, l->file);
    fprintf(o, "},\"region\":{\"startLine\":%u,\"startColumn\":%u}}",
            l->line ? l->line : 1, l->col ? l->col : 1);
    if (msg) {
        fputs(",\"message\":{\"text\":", o);
        ea_json_string(o, msg);
        fputc('}', o);
    }
    fputc('}', o);
}

static void rules_json(FILE *o)
{
    fputs("\"rules\":[", o);
    for (int i = 0; i < R_NRULES; i++) {
        fprintf(o, "%s{\"id\":", i ? "," : "");
        ea_json_string(o, vrule_id(i));
        fputs(",\"shortDescription\":{\"text\":", o);
        ea_json_string(o, vrule_summary(i));
        fputs("},\"defaultConfiguration\":{\"level\":\"warning\"}}", o);
    }
    fputc(']', o);
}

static void result_json(FILE *o, const struct vfinding *f)
{
    fputs("{\"ruleId\":", o);
    ea_json_string(o, vrule_id(f->rule));
    fprintf(o,
            ",\"ruleIndex\":%d,\"level\":\"warning\",\"message\":"
            "{\"text\":",
            (int)f->rule);
    ea_json_string(o, f->msg);
    fputs("},\"locations\":[", o);
    location(o, &f->loc, NULL);
    fputs("]", o);
    if (f->nnotes) {
        fputs(",\"codeFlows\":[{\"threadFlows\":[{\"locations\":[", o);
        for (size_t j = 0; j < f->nnotes; j++) {
            fputs(j ? ",{\"location\":" : "{\"location\":", o);
            location(o, &f->notes[j].loc, f->notes[j].msg);
            fprintf(o, ",\"executionOrder\":%zu}", j + 1);
        }
        fputs("]}]}]", o);
    }
    fputc('}', o);
}

int vsarif_write(const struct vreport *r, const char *path)
{
    FILE *o = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!o) {
        fprintf(stderr, "eelverify: cannot write '%s': %s\n", path,
                strerror(errno));
        return -1;
    }
    fputs("{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\","
          "\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":"
          "\"eelverify\",\"version\":\"1.0.0\",",
          o);
    rules_json(o);
    fputs("}},\"columnKind\":\"unicodeCodePoints\",\"results\":[", o);
    for (size_t i = 0; i < r->n; i++) {
        if (i)
            fputc(',', o);
        result_json(o, &r->items[i]);
    }
    fputs("]}]}\n", o);
    int bad = ferror(o);
    if (o != stdout)
        bad |= fclose(o) != 0;
    else
        fflush(o);
    if (bad) {
        fprintf(stderr, "eelverify: error writing '%s'\n", path);
        return -1;
    }
    return 0;
}
