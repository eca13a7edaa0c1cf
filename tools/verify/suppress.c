/*
 * suppress.c - per-line suppression comments.  A finding is dropped when
 * its line carries `eelverify: ignore` (all rules), `eelverify: ignore
 * eel-rule[,eel-rule]`, `NOLINT` (all rules) or `NOLINT(eel-rule,...)`
 * (also `eel-*`).  Source files are read once and cached.
 */
#include <stdlib.h>
#include <string.h>

#include "verify.h"

struct srcfile {
    char *path;
    char **lines;
    size_t nlines;
};

static struct srcfile *files;
static size_t nfiles;

static struct srcfile *load(const char *path)
{
    for (size_t i = 0; i < nfiles; i++)
        if (strcmp(files[i].path, path) == 0)
            return &files[i];
    files = xrealloc(files, (nfiles + 1) * sizeof(*files));
    struct srcfile *s = &files[nfiles++];
    memset(s, 0, sizeof(*s));
    s->path = xstrdup(path);
    FILE *f = fopen(path, "r");
    if (!f)
        return s;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        s->lines = xrealloc(s->lines, (s->nlines + 1) * sizeof(char *));
        s->lines[s->nlines++] = xstrdup(line);
    }
    free(line);
    fclose(f);
    return s;
}

/* Does the comma/space separated list at `p` (up to `end`) name the rule? */
static int list_names(const char *p, const char *end, const char *id)
{
    size_t idn = strlen(id);
    while (p < end) {
        while (p < end && (*p == ' ' || *p == ','))
            p++;
        const char *q = p;
        while (q < end && *q != ',' && *q != ' ' && *q != ')')
            q++;
        size_t n = (size_t)(q - p);
        if (n == idn && strncmp(p, id, n) == 0)
            return 1;
        if (n >= 1 && p[n - 1] == '*' && strncmp(p, id, n - 1) == 0)
            return 1;
        if (q < end && *q == ')')
            break;
        p = q;
    }
    return 0;
}

static int line_suppresses(const char *line, const char *id)
{
    const char *m = strstr(line, "eelverify: ignore");
    if (m) {
        m += strlen("eelverify: ignore");
        while (*m == ' ')
            m++;
        if (strncmp(m, "eel-", 4) != 0)
            return 1;
        const char *end = m;
        while (*end && *end != '*' && *end != '\n')
            end++;
        if (list_names(m, end, id))
            return 1;
    }
    m = strstr(line, "NOLINT");
    if (m) {
        m += strlen("NOLINT");
        if (strncmp(m, "NEXTLINE", 8) == 0)
            return 0;
        if (*m != '(')
            return 1;
        const char *end = strchr(m, ')');
        if (end && list_names(m + 1, end, id))
            return 1;
    }
    return 0;
}

int vsuppressed(const char *file, unsigned line, enum vrule rule)
{
    if (!file || line == 0)
        return 0;
    struct srcfile *s = load(file);
    if (line > s->nlines)
        return 0;
    return line_suppresses(s->lines[line - 1], vrule_id(rule));
}

void vsuppress_free(void)
{
    for (size_t i = 0; i < nfiles; i++) {
        for (size_t j = 0; j < files[i].nlines; j++)
            free(files[i].lines[j]);
        free(files[i].lines);
        free(files[i].path);
    }
    free(files);
    files = NULL;
    nfiles = 0;
}
