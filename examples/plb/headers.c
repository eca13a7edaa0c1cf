/*
 * headers.c - rewriting request and response heads for forwarding.
 *
 * Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection and are not
 * forwarded: each side of the proxy gets its own Connection header.  Expect
 * is dropped too because eelplb answers "100 Continue" itself.
 */
#include "headers.h"

#include <stdio.h>
#include <string.h>

struct out {
    char *p;
    size_t len, cap;
    int overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->overflow || o->cap - o->len < n) {
        o->overflow = 1;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_span(struct out *o, struct http_span s)
{
    put(o, s.p, s.n);
}

static int hop_by_hop(struct http_span name)
{
    static const char *const drop[] = {
        "connection", "keep-alive", "proxy-connection", "te",
        "upgrade",    "trailer",    "expect",           NULL};
    for (int i = 0; drop[i]; i++)
        if (http_span_eq(name, drop[i]))
            return 1;
    return 0;
}

static void put_header(struct out *o, const struct http_header *h)
{
    put_span(o, h->name);
    put(o, ": ", 2);
    put_span(o, h->value);
    put(o, "\r\n", 2);
}

size_t head_build_request(char *out, size_t cap, const struct http_msg *m,
                          const char *client_ip)
{
    struct out o = {out, 0, cap, 0};
    const struct http_header *xff = NULL;
    put_span(&o, m->method);
    put(&o, " ", 1);
    put_span(&o, m->target);
    puts_(&o, m->minor ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
    for (size_t i = 0; i < m->nheaders; i++) {
        const struct http_header *h = &m->headers[i];
        if (hop_by_hop(h->name))
            continue;
        if (http_span_eq(h->name, "x-forwarded-for")) {
            xff = h; /* merged below, keeping earlier hops */
            continue;
        }
        put_header(&o, h);
    }
    puts_(&o, "X-Forwarded-For: ");
    if (xff && xff->value.n) {
        put_span(&o, xff->value);
        put(&o, ", ", 2);
    }
    puts_(&o, client_ip);
    puts_(&o, "\r\n");
    /* HTTP/1.0 backends close after each response unless asked not to. */
    if (!m->minor)
        puts_(&o, "Connection: keep-alive\r\n");
    put(&o, "\r\n", 2);
    return o.overflow ? 0 : o.len;
}

size_t head_build_response(char *out, size_t cap, const struct http_msg *m,
                           int client_minor, int client_close)
{
    struct out o = {out, 0, cap, 0};
    put_span(&o, m->start_line);
    put(&o, "\r\n", 2);
    for (size_t i = 0; i < m->nheaders; i++)
        if (!hop_by_hop(m->headers[i].name))
            put_header(&o, &m->headers[i]);
    if (client_close)
        puts_(&o, "Connection: close\r\n");
    else if (!client_minor)
        puts_(&o, "Connection: keep-alive\r\n");
    put(&o, "\r\n", 2);
    return o.overflow ? 0 : o.len;
}

const char *http_reason(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Error";
    }
}

size_t head_build_error(char *out, size_t cap, int status)
{
    const char *reason = http_reason(status);
    int n = snprintf(out, cap,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
                     status, reason, strlen(reason) + 1, reason);
    return (n < 0 || (size_t)n >= cap) ? 0 : (size_t)n;
}
