/*
 * gen.c - writes a synthetic libeel program of about N lines for the
 * eelverify benchmark: M modules (one file each), every module a
 * connection with a read / parse / write / timeout callback chain, error
 * paths, goto cleanup, loops, switch, helpers, heap buffers and
 * descriptors, plus main.c starting them all.  With BUGS > 0, that many
 * modules get the paper's plb bug (return on EINTR), each worth exactly
 * two findings (the group and the connection leak), so the benchmark can
 * check that the count of findings is right, not just the time.
 * Usage: gen OUTDIR LINES [BUGS]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <stdarg.h>

/* Writes and counts the lines written (into *l). */
static void out(FILE *o, int *l, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void out(FILE *o, int *l, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    for (const char *p = buf; *p; p++)
        *l += *p == '\n';
    fputs(buf, o);
}

/* One module; returns the number of lines written. */
static int module(FILE *o, int i, int bug)
{
    int l = 0;
#define P(...) out(o, &l, __VA_ARGS__)
    P("/* generated module %d */\n", i);
    P("#include <errno.h>\n");
    P("#include <stdlib.h>\n");
    P("#include <string.h>\n");
    P("#include <unistd.h>\n");
    P("#include \"eel.h\"\n");
    P("struct conn%d {\n    int fd;\n    int state;\n    size_t len;\n"
      "    char *buf;\n};\n",
      i);
    P("static void m%d_read(eel_group_id gid, void *arg, int fd);\n", i);
    P("static void m%d_write(eel_group_id gid, void *arg, int fd);\n", i);
    P("static void m%d_timeout(eel_group_id gid, void *arg, int fd);\n", i);
    /* cleanup helper */
    P("static void m%d_free(struct conn%d *c, eel_group_id gid)\n{\n", i, i);
    P("    free(c->buf);\n    if (c->fd >= 0)\n        close(c->fd);\n");
    P("    free(c);\n    eel_delete_group_id(gid);\n}\n");
    /* a filler helper with a switch and a loop */
    P("static int m%d_score(const char *p, size_t n)\n{\n", i);
    P("    int s = 0;\n    for (size_t k = 0; k < n; k++) {\n");
    P("        switch (p[k]) {\n        case 'a':\n            s += 1;\n"
      "            break;\n        case 'b':\n            s += 2;\n"
      "            break;\n        case '\\n':\n            if (s > 100)\n"
      "                return s;\n            break;\n        default:\n"
      "            s ^= p[k];\n        }\n    }\n    return s;\n}\n");
    /* parse: consumes the group and the connection on every path */
    P("static int m%d_parse(struct conn%d *c, eel_group_id gid)\n{\n", i, i);
    P("    int s = m%d_score(c->buf, c->len);\n", i);
    P("    if (s < 0) {\n        m%d_free(c, gid);\n        return -1;\n    "
      "}\n",
      i);
    P("    if (c->len < %d) {\n", 16 + i % 7);
    P("        eel_add_read_timeout(gid, m%d_read, m%d_timeout, c, c->fd, "
      "%d);\n",
      i, i, 1000 + i);
    P("        return 0;\n    }\n");
    P("    c->state = s & 3;\n");
    P("    eel_add_write(gid, m%d_write, c, c->fd);\n    return 1;\n}\n", i);
    /* read callback */
    P("static void m%d_read(eel_group_id gid, void *arg, int fd)\n{\n", i);
    P("    struct conn%d *c = arg;\n    char tmp[512];\n", i);
    P("    ssize_t n = read(fd, tmp, sizeof(tmp));\n");
    P("    if (n < 0) {\n        if (errno == EINTR || errno == EAGAIN)\n");
    if (bug)
        P("            return;\n");
    else
        P("            goto again;\n");
    P("        m%d_free(c, gid);\n        return;\n    }\n", i);
    P("    if (n == 0) {\n        m%d_free(c, gid);\n        return;\n    }\n",
      i);
    P("    char *nb = realloc(c->buf, c->len + (size_t)n);\n");
    P("    if (nb == NULL) {\n        m%d_free(c, gid);\n        return;\n"
      "    }\n",
      i);
    P("    memcpy(nb + c->len, tmp, (size_t)n);\n    c->buf = nb;\n");
    P("    c->len += (size_t)n;\n");
    P("    if (m%d_parse(c, gid) < 0)\n        return;\n    return;\n", i);
    P("again:\n    eel_add_read_timeout(gid, m%d_read, m%d_timeout, c, fd, "
      "%d);\n}\n",
      i, i, 500 + i);
    /* write callback with a loop and goto cleanup */
    P("static void m%d_write(eel_group_id gid, void *arg, int fd)\n{\n", i);
    P("    struct conn%d *c = arg;\n    size_t off = 0;\n", i);
    P("    char *out = malloc(c->len + 1);\n    if (!out)\n        goto "
      "fail;\n");
    P("    for (size_t k = 0; k < c->len; k++)\n        out[k] = "
      "(char)(c->buf[k] "
      "^ %d);\n",
      i & 127);
    P("    while (off < c->len) {\n        ssize_t w = write(fd, out + off, "
      "c->len - off);\n");
    P("        if (w < 0) {\n            if (errno == EINTR)\n"
      "                continue;\n            free(out);\n"
      "            goto fail;\n        }\n        off += (size_t)w;\n    }\n");
    P("    free(out);\n    c->len = 0;\n");
    P("    if (c->state == 2) {\n        m%d_free(c, gid);\n        return;\n"
      "    }\n",
      i);
    P("    eel_add_read_timeout(gid, m%d_read, m%d_timeout, c, fd, %d);\n", i,
      i, 700 + i);
    P("    return;\nfail:\n    m%d_free(c, gid);\n}\n", i);
    /* timeout */
    P("static void m%d_timeout(eel_group_id gid, void *arg, int fd)\n{\n", i);
    P("    (void)fd;\n    m%d_free(arg, gid);\n}\n", i);
    /* start */
    P("int m%d_start(int fd)\n{\n", i);
    P("    struct conn%d *c = calloc(1, sizeof(*c));\n", i);
    P("    if (c == NULL)\n        return -1;\n");
    P("    c->fd = fd;\n    eel_group_id g = eel_new_group_id();\n");
    P("    if (g == 0) {\n        free(c);\n        return -1;\n    }\n");
    P("    eel_add_read_timeout(g, m%d_read, m%d_timeout, c, fd, %d);\n", i, i,
      100 + i);
    P("    return 0;\n}\n");
#undef P
    return l;
}

static int write_main(const char *dir, int n)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/main.c", dir);
    FILE *o = fopen(path, "w");
    if (!o)
        return -1;
    fprintf(o, "/* generated main */\n#include \"eel.h\"\n");
    for (int i = 0; i < n; i++)
        fprintf(o, "int m%d_start(int fd);\n", i);
    fprintf(o,
            "int main(void)\n{\n    if (eel_init() < 0)\n        return 1;\n");
    for (int i = 0; i < n; i++)
        fprintf(o, "    if (m%d_start(%d) < 0)\n        return 1;\n", i, i + 3);
    fprintf(o, "    return eel_dispatch() < 0;\n}\n");
    return fclose(o) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: gen OUTDIR LINES [BUGS]\n");
        return 2;
    }
    const char *dir = argv[1];
    long want = strtol(argv[2], NULL, 10);
    int bugs = argc > 3 ? atoi(argv[3]) : 0;
    if (want <= 0 || bugs < 0) {
        fprintf(stderr, "gen: bad LINES or BUGS\n");
        return 2;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        perror(dir);
        return 2;
    }
    long lines = 0;
    int n = 0;
    while (lines < want) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/mod%d.c", dir, n);
        FILE *o = fopen(path, "w");
        if (!o) {
            perror(path);
            return 2;
        }
        /* Spread the bugs: every k-th module. */
        int bug = bugs > 0 && n % 7 == 3 && n / 7 < bugs;
        lines += module(o, n, bug);
        if (fclose(o) != 0)
            return 2;
        n++;
        lines += 3; /* main.c's share */
    }
    if (write_main(dir, n) < 0) {
        perror("main.c");
        return 2;
    }
    printf("%d modules\n", n);
    return 0;
}
