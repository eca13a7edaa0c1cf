/*
 * http.c - incremental HTTP/1.x response parsing (RFC 9112).
 *
 * The header block is collected whole (bounded by HTTP_MAX_HEADER) and then
 * parsed line by line, which keeps obsolete line folding and the choice of
 * body framing in one place.  The body is then decoded by a small state
 * machine: fixed length, chunked, or until the connection closes.
 */
#include "http.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    ST_HEAD,       /* collecting the status line and headers */
    ST_LENGTH,     /* Content-Length body */
    ST_CLOSE,      /* body ends when the connection closes */
    ST_CHUNK_SIZE, /* reading a chunk-size line */
    ST_CHUNK_DATA,
    ST_CHUNK_END, /* the CRLF after chunk data */
    ST_TRAILER,   /* trailer lines after the last chunk */
    ST_DONE,
    ST_ERROR
};

#define MAX_CHUNK_LINE 1024

void http_resp_init(struct http_resp *r, size_t max_body)
{
    memset(r, 0, sizeof(*r));
    r->length = -1;
    r->max_body = max_body;
    r->state = ST_HEAD;
}

void http_resp_free(struct http_resp *r)
{
    free(r->location);
    free(r->content_type);
    buf_free(&r->body);
    buf_free(&r->head);
    r->location = r->content_type = NULL;
}

int http_resp_has_headers(const struct http_resp *r)
{
    return r->state != ST_HEAD && r->status != 0;
}

static int fail(struct http_resp *r, const char *why)
{
    r->state = ST_ERROR;
    r->error = why;
    return HTTP_ERROR;
}

static int is_tchar(int c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* "HTTP/1.x NNN reason" */
static int parse_status_line(struct http_resp *r, const char *s, size_t n)
{
    if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)s[7]))
        return fail(r, "malformed status line");
    r->minor = s[7] - '0';
    if (s[8] != ' ' || !isdigit((unsigned char)s[9]) ||
        !isdigit((unsigned char)s[10]) || !isdigit((unsigned char)s[11]) ||
        (n > 12 && s[12] != ' '))
        return fail(r, "malformed status line");
    r->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    if (r->status < 100)
        return fail(r, "malformed status code");
    r->keep_alive = r->minor >= 1;
    return 0;
}

/* Does the comma-separated list v contain token tok? */
static int has_token(const char *v, const char *tok)
{
    size_t tl = strlen(tok);
    while (*v) {
        while (*v == ' ' || *v == '\t' || *v == ',')
            v++;
        const char *e = v;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > v && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if ((size_t)(t - v) == tl && strncasecmp(v, tok, tl) == 0)
            return 1;
        v = e;
    }
    return 0;
}

/* Is the last transfer coding of v "chunked"? */
static int last_is_chunked(const char *v)
{
    const char *c = strrchr(v, ',');
    c = c ? c + 1 : v;
    while (*c == ' ' || *c == '\t')
        c++;
    size_t l = strlen(c);
    while (l > 0 && (c[l - 1] == ' ' || c[l - 1] == '\t'))
        l--;
    return l == 7 && strncasecmp(c, "chunked", 7) == 0;
}

static int parse_length(struct http_resp *r, const char *v)
{
    /* A list of equal values ("5, 5") is allowed; anything else is not. */
    long long val = -1;
    while (*v) {
        while (*v == ' ' || *v == '\t' || *v == ',')
            v++;
        if (!*v)
            break;
        if (!isdigit((unsigned char)*v))
            return fail(r, "bad Content-Length");
        long long x = 0;
        while (isdigit((unsigned char)*v)) {
            if (x > (0x7fffffffffffffffLL - 9) / 10)
                return fail(r, "Content-Length too large");
            x = x * 10 + (*v++ - '0');
        }
        while (*v == ' ' || *v == '\t')
            v++;
        if (*v && *v != ',')
            return fail(r, "bad Content-Length");
        if (val >= 0 && x != val)
            return fail(r, "conflicting Content-Length");
        val = x;
    }
    if (val < 0)
        return fail(r, "bad Content-Length");
    if (r->length >= 0 && r->length != val)
        return fail(r, "conflicting Content-Length");
    r->length = val;
    return 0;
}

static int set_once(char **slot, const char *v)
{
    if (*slot)
        return 0; /* the first one wins */
    *slot = strdup(v);
    return *slot ? 0 : -1;
}

/* One unfolded header line "Name: value" (value not yet trimmed). */
static int parse_header(struct http_resp *r, char *s, int *te_seen)
{
    char *colon = strchr(s, ':');
    if (!colon || colon == s)
        return fail(r, "malformed header line");
    for (char *p = s; p < colon; p++)
        if (!is_tchar((unsigned char)*p))
            return fail(r, "malformed header name");
    *colon = '\0';
    char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t l = strlen(v);
    while (l > 0 && (v[l - 1] == ' ' || v[l - 1] == '\t'))
        v[--l] = '\0';
    for (size_t i = 0; i < l; i++)
        if ((unsigned char)v[i] < ' ' && v[i] != '\t')
            return fail(r, "control character in header");
    if (strcasecmp(s, "Content-Length") == 0)
        return parse_length(r, v);
    if (strcasecmp(s, "Transfer-Encoding") == 0) {
        *te_seen = 1;
        r->chunked = last_is_chunked(v);
    } else if (strcasecmp(s, "Connection") == 0) {
        if (has_token(v, "close"))
            r->keep_alive = 0;
        else if (has_token(v, "keep-alive"))
            r->keep_alive = 1;
    } else if (strcasecmp(s, "Location") == 0) {
        if (set_once(&r->location, v) < 0)
            return fail(r, "out of memory");
    } else if (strcasecmp(s, "Content-Type") == 0) {
        if (set_once(&r->content_type, v) < 0)
            return fail(r, "out of memory");
    }
    return 0;
}

/* Picks the body framing once all headers are known. */
static int choose_framing(struct http_resp *r, int te_seen)
{
    if (r->status < 200 || r->status == 204 || r->status == 304) {
        r->state = ST_DONE;
        return 0;
    }
    if (te_seen) {
        r->length = -1; /* Transfer-Encoding overrides Content-Length */
        if (r->chunked) {
            r->state = ST_CHUNK_SIZE;
            return 0;
        }
        r->keep_alive = 0;
        r->state = ST_CLOSE;
        return 0;
    }
    if (r->length >= 0) {
        if ((unsigned long long)r->length > r->max_body)
            return fail(r, "body too large");
        r->remaining = (unsigned long long)r->length;
        r->state = r->length ? ST_LENGTH : ST_DONE;
        return 0;
    }
    r->keep_alive = 0;
    r->state = ST_CLOSE;
    return 0;
}

/* Parses the complete header block in r->head (lines end in LF). */
static int parse_head(struct http_resp *r)
{
    char *s = r->head.data;
    int te_seen = 0, first = 1;
    char *pending = NULL; /* header line waiting for possible folding */
    while (*s) {
        char *nl = strchr(s, '\n');
        if (!nl)
            break;
        *nl = '\0';
        if (nl > s && nl[-1] == '\r')
            nl[-1] = '\0';
        if (first) {
            if (parse_status_line(r, s, strlen(s)) < 0)
                return HTTP_ERROR;
            first = 0;
        } else if (*s == ' ' || *s == '\t') {
            if (!pending)
                return fail(r, "folded line without header");
            /* obs-fold: join onto the previous line with a space. */
            char *d = pending + strlen(pending);
            *d++ = ' ';
            while (*s == ' ' || *s == '\t')
                s++;
            memmove(d, s, strlen(s) + 1);
        } else if (*s) {
            if (pending && parse_header(r, pending, &te_seen) < 0)
                return HTTP_ERROR;
            pending = s;
        }
        s = nl + 1;
    }
    if (pending && parse_header(r, pending, &te_seen) < 0)
        return HTTP_ERROR;
    if (first)
        return fail(r, "empty response head");
    return choose_framing(r, te_seen);
}

/* Collects header bytes; returns bytes taken, or -1 after fail(). */
static long feed_head(struct http_resp *r, const char *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = d[i];
        if (r->head.len == 0 && (c == '\r' || c == '\n'))
            continue; /* tolerate blank lines before the status line */
        if (c == '\0')
            return fail(r, "NUL byte in response head");
        if (r->head.len >= HTTP_MAX_HEADER)
            return fail(r, "response head too large");
        if (buf_addc(&r->head, c) < 0)
            return fail(r, "out of memory");
        if (r->head.len == 5 && memcmp(r->head.data, "HTTP/", 5) != 0)
            return fail(r, "not an HTTP response");
        size_t l = r->head.len;
        if (c == '\n' && ((l >= 2 && r->head.data[l - 2] == '\n') ||
                          (l >= 3 && r->head.data[l - 2] == '\r' &&
                           r->head.data[l - 3] == '\n'))) {
            if (parse_head(r) < 0)
                return -1;
            buf_reset(&r->head);
            if (r->status >= 100 && r->status < 200) {
                if (r->status == 101)
                    return fail(r, "unexpected protocol switch");
                /* Interim response: the real one follows. */
                free(r->location);
                free(r->content_type);
                r->location = r->content_type = NULL;
                r->status = 0;
                r->length = -1;
                r->chunked = 0;
                r->state = ST_HEAD;
            }
            return (long)i + 1;
        }
    }
    return (long)n;
}

static int add_body(struct http_resp *r, const char *d, size_t n)
{
    if (r->body.len + n > r->max_body)
        return fail(r, "body too large");
    if (buf_add(&r->body, d, n) < 0)
        return fail(r, "out of memory");
    return 0;
}

/* A chunk-size line "HEX[;ext]"; returns bytes taken or -1. */
static long feed_chunk_line(struct http_resp *r, const char *d, size_t n,
                            int trailer)
{
    for (size_t i = 0; i < n; i++) {
        if (d[i] != '\n') {
            if (r->head.len >= MAX_CHUNK_LINE)
                return fail(r, "chunk line too long");
            if (buf_addc(&r->head, d[i]) < 0)
                return fail(r, "out of memory");
            continue;
        }
        char *s = r->head.data ? r->head.data : "";
        size_t l = r->head.len;
        if (l > 0 && s[l - 1] == '\r')
            s[--l] = '\0';
        if (trailer) {
            if (l == 0)
                r->state = ST_DONE;
        } else {
            unsigned long long v = 0;
            size_t k = 0;
            for (; k < l && isxdigit((unsigned char)s[k]); k++) {
                if (v >> 59)
                    return fail(r, "chunk size too large");
                v = v * 16 +
                    (unsigned long long)(isdigit((unsigned char)s[k])
                                             ? s[k] - '0'
                                             : tolower((unsigned char)s[k]) -
                                                   'a' + 10);
            }
            while (k < l && (s[k] == ' ' || s[k] == '\t'))
                k++;
            if (k == 0 || (k < l && s[k] != ';'))
                return fail(r, "bad chunk size");
            if (v > r->max_body)
                return fail(r, "body too large");
            r->remaining = v;
            r->state = v ? ST_CHUNK_DATA : ST_TRAILER;
        }
        buf_reset(&r->head);
        return (long)i + 1;
    }
    return (long)n;
}

/* The CRLF (or bare LF) that ends chunk data. */
static long feed_chunk_end(struct http_resp *r, const char *d, size_t n)
{
    size_t i = 0;
    if (r->head.len == 0 && i < n && d[i] == '\r') {
        buf_addc(&r->head, '\r');
        i++;
    }
    if (i < n) {
        if (d[i] != '\n')
            return fail(r, "missing CRLF after chunk");
        buf_reset(&r->head);
        r->state = ST_CHUNK_SIZE;
        i++;
    }
    return (long)i;
}

/* Takes body bytes for the fixed-length, close or chunk-data states. */
static long feed_data(struct http_resp *r, const char *d, size_t n)
{
    size_t take = n;
    if (r->state != ST_CLOSE && take > r->remaining)
        take = (size_t)r->remaining;
    if (add_body(r, d, take) < 0)
        return -1;
    if (r->state != ST_CLOSE) {
        r->remaining -= take;
        if (r->remaining == 0)
            r->state = r->state == ST_LENGTH ? ST_DONE : ST_CHUNK_END;
    }
    return (long)take;
}

int http_resp_feed(struct http_resp *r, const char *data, size_t len,
                   size_t *used)
{
    size_t pos = 0;
    while (r->state != ST_DONE && r->state != ST_ERROR && pos < len) {
        long k;
        const char *d = data + pos;
        size_t n = len - pos;
        switch (r->state) {
        case ST_HEAD:
            k = feed_head(r, d, n);
            break;
        case ST_CHUNK_SIZE:
            k = feed_chunk_line(r, d, n, 0);
            break;
        case ST_TRAILER:
            k = feed_chunk_line(r, d, n, 1);
            break;
        case ST_CHUNK_END:
            k = feed_chunk_end(r, d, n);
            break;
        default:
            k = feed_data(r, d, n);
            break;
        }
        if (k < 0)
            break;
        pos += (size_t)k;
    }
    r->received += pos;
    if (used)
        *used = pos;
    if (r->state == ST_ERROR)
        return HTTP_ERROR;
    return r->state == ST_DONE ? HTTP_DONE : HTTP_MORE;
}

int http_resp_eof(struct http_resp *r)
{
    switch (r->state) {
    case ST_DONE:
        return HTTP_DONE;
    case ST_CLOSE:
        r->state = ST_DONE;
        return HTTP_DONE;
    case ST_ERROR:
        return HTTP_ERROR;
    case ST_HEAD:
        return fail(r, r->received ? "connection closed in response head"
                                   : "connection closed without response");
    default:
        return fail(r, "connection closed in response body");
    }
}
