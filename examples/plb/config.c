/*
 * config.c - defaults, config file and command line for eelplb.
 *
 * The file is "key value" lines with # comments; every key can also be given
 * on the command line as -o key=value, and the common ones have short
 * options.  Order: defaults, then the file, then the arguments.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_defaults(struct plb_config *c)
{
    memset(c, 0, sizeof(*c));
    c->balance = BALANCE_ROUND_ROBIN;
    strcpy(c->health_path, "/");
    c->health_interval_ms = 2000;
    c->health_timeout_ms = 1000;
    c->health_rise = 2;
    c->health_fall = 2;
    c->max_connections = 16384;
    c->max_header_size = 8192;
    c->timeout_idle_ms = 30000;
    c->timeout_header_ms = 10000;
    c->timeout_body_ms = 30000;
    c->timeout_connect_ms = 2000;
    c->timeout_backend_ms = 30000;
    c->timeout_send_ms = 30000;
    c->retries = 2;
    c->backend_keepalive = 256;
    c->backend_max_conns = 1000;
    c->timeout_queue_ms = 10000;
    c->drain_ms = 10000;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

int config_parse_addr(const char *text, struct plb_addr *out, char *err,
                      size_t errlen)
{
    char host[128];
    const char *port;
    if (strlen(text) >= sizeof(out->text))
        return fail(err, errlen, "address too long: %s", text);
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':' || (size_t)(close - text) > sizeof(host))
            return fail(err, errlen, "bad address '%s' (want [V6]:PORT)", text);
        memcpy(host, text + 1, (size_t)(close - text - 1));
        host[close - text - 1] = 0;
        port = close + 2;
    } else {
        const char *colon = strrchr(text, ':');
        if (!colon || colon == text || (size_t)(colon - text) >= sizeof(host))
            return fail(err, errlen, "bad address '%s' (want HOST:PORT)", text);
        memcpy(host, text, (size_t)(colon - text));
        host[colon - text] = 0;
        port = colon + 1;
    }
    char *end;
    long p = strtol(port, &end, 10);
    if (*port == 0 || *end != 0 || p <= 0 || p > 65535)
        return fail(err, errlen, "bad port in '%s'", text);
    struct addrinfo hints = {0}, *res;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        return fail(err, errlen, "cannot resolve '%s': %s", text,
                    gai_strerror(rc));
    memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
    out->len = res->ai_addrlen;
    freeaddrinfo(res);
    snprintf(out->text, sizeof(out->text), "%s", text);
    return 0;
}

int config_same_addr(const struct plb_addr *a, const struct plb_addr *b)
{
    return a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0;
}

static int parse_int(const char *v, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (*v == 0 || *end != 0 || errno || x < lo || x > hi)
        return -1;
    *out = (int)x;
    return 0;
}

struct int_key {
    const char *key;
    size_t off;
    int lo, hi;
};

/* clang-format off */
#define IK(k, lo, hi) {#k, offsetof(struct plb_config, k), lo, hi}
/* clang-format on */
static const struct int_key int_keys[] = {
    IK(health_interval_ms, 10, 3600000),
    IK(health_timeout_ms, 10, 600000),
    IK(health_rise, 1, 100),
    IK(health_fall, 1, 100),
    IK(max_connections, 1, 1000000),
    IK(timeout_idle_ms, 1, 86400000),
    IK(timeout_header_ms, 1, 86400000),
    IK(timeout_body_ms, 1, 86400000),
    IK(timeout_connect_ms, 1, 600000),
    IK(timeout_backend_ms, 1, 86400000),
    IK(timeout_send_ms, 1, 86400000),
    IK(retries, 0, PLB_MAX_BACKENDS),
    IK(backend_keepalive, 0, 100000),
    IK(drain_ms, 0, 3600000),
    IK(backend_max_conns, 1, 1000000),
    IK(timeout_queue_ms, 1, 600000),
};

static int copy_str(char *dst, size_t cap, const char *v, char *err,
                    size_t errlen, const char *key)
{
    if (strlen(v) >= cap)
        return fail(err, errlen, "%s: value too long", key);
    strcpy(dst, v);
    return 0;
}

/* Applies one setting; the caller has split key and value. */
static int set_key(struct plb_config *c, const char *key, const char *v,
                   char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof(int_keys) / sizeof(int_keys[0]); i++) {
        if (strcmp(key, int_keys[i].key) != 0)
            continue;
        int *field = (int *)((char *)c + int_keys[i].off);
        if (parse_int(v, int_keys[i].lo, int_keys[i].hi, field) < 0)
            return fail(err, errlen, "%s: want a number in %d..%d, got '%s'",
                        key, int_keys[i].lo, int_keys[i].hi, v);
        return 0;
    }
    if (strcmp(key, "listen") == 0) {
        c->have_listen = 1;
        return config_parse_addr(v, &c->listen, err, errlen);
    }
    if (strcmp(key, "backend") == 0) {
        if (c->nbackends == PLB_MAX_BACKENDS)
            return fail(err, errlen, "more than %d backends", PLB_MAX_BACKENDS);
        return config_parse_addr(v, &c->backends[c->nbackends++], err, errlen);
    }
    if (strcmp(key, "balance") == 0) {
        if (strcmp(v, "roundrobin") == 0 || strcmp(v, "rr") == 0)
            c->balance = BALANCE_ROUND_ROBIN;
        else if (strcmp(v, "leastconn") == 0 || strcmp(v, "lc") == 0)
            c->balance = BALANCE_LEAST_CONN;
        else
            return fail(err, errlen, "balance: want roundrobin or leastconn");
        return 0;
    }
    if (strcmp(key, "max_header_size") == 0) {
        int n;
        if (parse_int(v, 256, 1 << 20, &n) < 0)
            return fail(err, errlen, "max_header_size: want 256..1048576");
        c->max_header_size = (size_t)n;
        return 0;
    }
    if (strcmp(key, "health_path") == 0) {
        if (v[0] != '/' || strpbrk(v, " \t\r\n"))
            return fail(err, errlen, "health_path: want /path");
        return copy_str(c->health_path, sizeof(c->health_path), v, err, errlen,
                        key);
    }
    if (strcmp(key, "access_log") == 0)
        return copy_str(c->access_log, sizeof(c->access_log),
                        strcmp(v, "off") == 0 ? "" : v, err, errlen, key);
    return fail(err, errlen, "unknown setting '%s'", key);
}

static int load_file(struct plb_config *c, const char *path, char *err,
                     size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return fail(err, errlen, "%s: %s", path, strerror(errno));
    char line[1024];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char *key = strtok(line, " \t\r\n");
        if (!key)
            continue;
        char *val = strtok(NULL, " \t\r\n");
        char *extra = strtok(NULL, " \t\r\n");
        char msg[512];
        if (!val || extra)
            rc = fail(msg, sizeof(msg), "want 'key value'");
        else
            rc = set_key(c, key, val, msg, sizeof(msg));
        if (rc < 0)
            fail(err, errlen, "%s:%d: %s", path, lineno, msg);
    }
    fclose(f);
    return rc;
}

void config_usage(void)
{
    fputs("usage: eelplb -l ADDR:PORT -b HOST:PORT [-b HOST:PORT ...] "
          "[options]\n"
          "  -l ADDR:PORT  listen here\n"
          "  -b HOST:PORT  a backend (repeat for more)\n"
          "  -c FILE       config file (reread on SIGHUP)\n"
          "  -m MODE       balance: roundrobin (default) or leastconn\n"
          "  -a FILE       access log ('-' for stdout)\n"
          "  -n N          max client connections\n"
          "  -H PATH       health check path (default /)\n"
          "  -o KEY=VALUE  any config-file setting\n"
          "  -h, -V        help, version\n"
          "Signals: SIGTERM/SIGINT stop gracefully, SIGHUP reloads.\n",
          stdout);
}

/* Short option letter to config key. */
static const char *short_key(char o)
{
    switch (o) {
    case 'l':
        return "listen";
    case 'b':
        return "backend";
    case 'm':
        return "balance";
    case 'a':
        return "access_log";
    case 'n':
        return "max_connections";
    case 'H':
        return "health_path";
    default:
        return NULL;
    }
}

/* One pass over argv; file_pass only looks for -c, the other applies the
 * rest. */
static int scan_args(struct plb_config *c, int argc, char **argv, int file_pass,
                     char *err, size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            if (!file_pass)
                config_usage();
            return 1;
        }
        if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            if (!file_pass)
                puts("eelplb 1.0.0");
            return 1;
        }
        if (a[0] != '-' || a[1] == 0 || a[2] != 0)
            return fail(err, errlen, "unexpected argument '%s' (see -h)", a);
        if (i + 1 >= argc)
            return fail(err, errlen, "%s needs a value", a);
        const char *v = argv[++i];
        if (a[1] == 'c') {
            if (file_pass && copy_str(c->config_path, sizeof(c->config_path), v,
                                      err, errlen, "-c") < 0)
                return -1;
            continue;
        }
        if (file_pass)
            continue;
        if (a[1] == 'o') {
            char key[64];
            const char *eq = strchr(v, '=');
            if (!eq || (size_t)(eq - v) >= sizeof(key))
                return fail(err, errlen, "-o wants KEY=VALUE, got '%s'", v);
            memcpy(key, v, (size_t)(eq - v));
            key[eq - v] = 0;
            if (set_key(c, key, eq + 1, err, errlen) < 0)
                return -1;
            continue;
        }
        const char *key = short_key(a[1]);
        if (!key)
            return fail(err, errlen, "unknown option '%s' (see -h)", a);
        if (set_key(c, key, v, err, errlen) < 0)
            return -1;
    }
    return 0;
}

int config_build(struct plb_config *c, int argc, char **argv, char *err,
                 size_t errlen)
{
    set_defaults(c);
    int rc = scan_args(c, argc, argv, 1, err, errlen);
    if (rc != 0)
        return rc == 1 ? scan_args(c, argc, argv, 0, err, errlen) : rc;
    if (c->config_path[0] && load_file(c, c->config_path, err, errlen) < 0)
        return -1;
    rc = scan_args(c, argc, argv, 0, err, errlen);
    if (rc != 0)
        return rc;
    if (!c->have_listen)
        return fail(err, errlen, "no listen address (-l ADDR:PORT)");
    if (c->nbackends == 0)
        return fail(err, errlen, "no backends (-b HOST:PORT)");
    return 0;
}
