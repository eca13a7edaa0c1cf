/*
 * vconfig.c - eelverify's configuration: the resource pairs it knows
 * (malloc/free, open/close, socket/close, fopen/fclose... plus the user's,
 * from --pair or a config file), functions that take ownership of their
 * arguments, and small allocation helpers shared by the tool.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "eelverify: out of memory\n");
        exit(2);
    }
    return p;
}

void *xcalloc(size_t n, size_t m)
{
    void *p = calloc(n ? n : 1, m ? m : 1);
    if (!p) {
        fprintf(stderr, "eelverify: out of memory\n");
        exit(2);
    }
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "eelverify: out of memory\n");
        exit(2);
    }
    return p;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

const char *vloc_file(const struct ea_loc *l)
{
    return l->file ? l->file : "<unknown>";
}

/* Built-in pairs: the C library's allocators and descriptors. */
static const struct vpair builtin_pairs[] = {
    {"malloc", "free", VK_MEM, 0},       {"calloc", "free", VK_MEM, 0},
    {"strdup", "free", VK_MEM, 0},       {"strndup", "free", VK_MEM, 0},
    {"open", "close", VK_FD, 1},         {"openat", "close", VK_FD, 1},
    {"socket", "close", VK_FD, 1},       {"accept", "close", VK_FD, 1},
    {"accept4", "close", VK_FD, 1},      {"dup", "close", VK_FD, 1},
    {"fopen", "fclose", VK_FILE, 0},     {"fdopen", "fclose", VK_FILE, 0},
    {"opendir", "closedir", VK_USER, 0},
};

static void add_pair(struct vconfig *c, const char *acq, const char *rel,
                     enum vres_kind kind, int neg)
{
    if (c->npairs == c->cappairs) {
        c->cappairs = c->cappairs ? 2 * c->cappairs : 16;
        c->pairs = xrealloc(c->pairs, c->cappairs * sizeof(*c->pairs));
    }
    c->pairs[c->npairs++] =
        (struct vpair){xstrdup(acq), xstrdup(rel), kind, neg};
}

void vconfig_init(struct vconfig *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < sizeof(builtin_pairs) / sizeof(*builtin_pairs);
         i++) {
        const struct vpair *p = &builtin_pairs[i];
        add_pair(c, p->acquire, p->release, p->kind, p->fail_negative);
    }
}

void vconfig_free(struct vconfig *c)
{
    for (size_t i = 0; i < c->npairs; i++) {
        free((char *)c->pairs[i].acquire);
        free((char *)c->pairs[i].release);
    }
    for (size_t i = 0; i < c->nescapes; i++)
        free((char *)c->escapes[i]);
    free(c->pairs);
    free(c->escapes);
    memset(c, 0, sizeof(*c));
}

static int is_ident(const char *s, size_t n)
{
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
            return 0;
    return 1;
}

int vconfig_add_pair(struct vconfig *c, const char *spec, const char *where)
{
    const char *colon = strchr(spec, ':');
    if (!colon || !is_ident(spec, (size_t)(colon - spec)) ||
        !is_ident(colon + 1, strlen(colon + 1))) {
        fprintf(stderr,
                "eelverify: %s: bad pair '%s' (want ACQUIRE:RELEASE, two C "
                "function names)\n",
                where, spec);
        return -1;
    }
    char *acq = xstrdup(spec);
    acq[colon - spec] = 0;
    /* A user pair whose release is close() is a descriptor pair. */
    int fd = strcmp(colon + 1, "close") == 0;
    add_pair(c, acq, colon + 1, fd ? VK_FD : VK_USER, fd);
    free(acq);
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

/* One line of the config file: "pair ACQ:REL", "escape FUNC", comments. */
static int config_line(struct vconfig *c, char *line, const char *where)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = 0;
    line = trim(line);
    if (!*line)
        return 0;
    char *sp = line;
    while (*sp && !isspace((unsigned char)*sp) && *sp != '=')
        sp++;
    char sep = *sp;
    *sp = 0;
    char *val = trim(sp + (sep ? 1 : 0));
    if (*val == '=')
        val = trim(val + 1);
    if (strcmp(line, "pair") == 0)
        return vconfig_add_pair(c, val, where);
    if (strcmp(line, "escape") == 0 && is_ident(val, strlen(val))) {
        if (c->nescapes == c->capescapes) {
            c->capescapes = c->capescapes ? 2 * c->capescapes : 8;
            c->escapes =
                xrealloc(c->escapes, c->capescapes * sizeof(*c->escapes));
        }
        c->escapes[c->nescapes++] = xstrdup(val);
        return 0;
    }
    fprintf(stderr,
            "eelverify: %s: unknown setting '%s' (want 'pair ACQ:REL' or "
            "'escape FUNC')\n",
            where, line);
    return -1;
}

int vconfig_load(struct vconfig *c, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "eelverify: cannot read config '%s': %s\n", path,
                strerror(errno));
        return -1;
    }
    char buf[1024];
    unsigned lineno = 0;
    int rc = 0;
    while (fgets(buf, sizeof(buf), f)) {
        lineno++;
        char where[1200];
        snprintf(where, sizeof(where), "%s:%u", path, lineno);
        if (config_line(c, buf, where) != 0)
            rc = -1;
    }
    fclose(f);
    return rc;
}

int vconfig_pair_by_acquire(const struct vconfig *c, const char *name)
{
    if (!name)
        return -1;
    /* Later (user) pairs win over built-in ones of the same name. */
    for (size_t i = c->npairs; i-- > 0;)
        if (strcmp(c->pairs[i].acquire, name) == 0)
            return (int)i;
    return -1;
}

int vconfig_is_release(const struct vconfig *c, const char *fn, int p)
{
    if (!fn)
        return 0;
    int any_fd = strcmp(fn, "close") == 0 || strcmp(fn, "eel_close") == 0;
    if (p >= 0) {
        const struct vpair *pp = &c->pairs[p];
        if (pp->kind == VK_FD && any_fd)
            return 1;
        return strcmp(pp->release, fn) == 0;
    }
    if (any_fd)
        return 1;
    for (size_t i = 0; i < c->npairs; i++)
        if (strcmp(c->pairs[i].release, fn) == 0)
            return 1;
    return 0;
}

int vconfig_is_escape(const struct vconfig *c, const char *fn)
{
    if (!fn)
        return 0;
    for (size_t i = 0; i < c->nescapes; i++)
        if (strcmp(c->escapes[i], fn) == 0)
            return 1;
    return 0;
}
