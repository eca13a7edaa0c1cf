/*
 * fuzz_http.c - libFuzzer target for eelplb's HTTP parser, body framer and
 * head rewriting.
 *
 * Beyond "no crash" (ASan/UBSan do that part) it checks properties: a parsed
 * head lies inside the input, rewritten heads fit their buffer, and feeding
 * a body to the framer in two pieces gives the same verdict as in one.
 * The first input byte picks the mode and the split point.
 */
#include "headers.h"
#include "http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void inside(const char *buf, size_t len, struct http_span s)
{
    if (s.n && (s.p < buf || s.p + s.n > buf + len))
        abort();
}

static void check_msg(const char *buf, size_t len, const struct http_msg *m)
{
    if (m->head_len > len || m->nheaders > HTTP_MAX_HEADERS)
        abort();
    inside(buf, len, m->start_line);
    inside(buf, len, m->method);
    inside(buf, len, m->target);
    for (size_t i = 0; i < m->nheaders; i++) {
        inside(buf, len, m->headers[i].name);
        inside(buf, len, m->headers[i].value);
    }
}

/* The framer must not care how the bytes are split. */
static void framer_split(const char *p, size_t n, size_t cut,
                         enum http_body_kind kind, uint64_t length)
{
    struct http_framer a, b;
    size_t ua = 0, ub1 = 0, ub2 = 0;
    http_framer_init(&a, kind, length);
    http_framer_init(&b, kind, length);
    int ra = http_framer_feed(&a, p, n, &ua);
    if (cut > n)
        cut = n;
    int rb = http_framer_feed(&b, p, cut, &ub1);
    if (rb == 0 && ub1 == cut)
        rb = http_framer_feed(&b, p + cut, n - cut, &ub2);
    else
        ub2 = 0;
    if (ua > n || ub1 + ub2 > n)
        abort();
    if (ra != rb || (ra >= 0 && ua != ub1 + ub2))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char out[70000];
    if (size < 1)
        return 0;
    unsigned mode = data[0];
    const char *buf = (const char *)data + 1;
    size_t len = size - 1;
    struct http_msg m;
    size_t limit = 256 + (mode & 0x3f) * 128;

    int rc = http_parse_request(buf, len, limit, &m);
    if (rc == HTTP_DONE) {
        check_msg(buf, len, &m);
        size_t n = head_build_request(out, sizeof(out), &m, "127.0.0.1");
        if (n > sizeof(out))
            abort();
        (void)http_method_idempotent(m.method);
        framer_split(buf + m.head_len, len - m.head_len, mode % 7, m.body,
                     m.content_length);
    } else if (rc != HTTP_AGAIN && rc != HTTP_BAD && rc != HTTP_TOO_LARGE &&
               rc != HTTP_NOT_IMPL && rc != HTTP_BAD_VERSION) {
        abort();
    }

    rc = http_parse_response(buf, len, limit, mode & 1, &m);
    if (rc == HTTP_DONE) {
        check_msg(buf, len, &m);
        size_t n = head_build_response(out, sizeof(out), &m, mode & 2, 0);
        if (n > sizeof(out))
            abort();
    }
    /* the chunked framer on raw input */
    framer_split(buf, len, (mode * 13) % (len + 1), BODY_CHUNKED, 0);
    return 0;
}
