/*
 * http.c - HTTP/1.1 head parser and body framer (see http.h).
 *
 * Strict where laxness lets a request mean two things to two servers (request
 * smuggling): Content-Length must be plain digits and agree with itself,
 * Transfer-Encoding and Content-Length together are refused, folded header
 * lines are refused.  Lenient where it costs nothing: bare LF line ends.
 */
#include "http.h"

#include <string.h>

#define MAX_CHUNK_LINE 4096
#define MAX_TRAILERS 8192

static int is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9'))
        return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

int http_span_eq(struct http_span s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.n != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s.p[i]) != lower((unsigned char)lit[i]))
            return 0;
    return 1;
}

int http_method_idempotent(struct http_span m)
{
    static const char *const ok[] = {"GET",     "HEAD",  "PUT", "DELETE",
                                     "OPTIONS", "TRACE", NULL};
    for (int i = 0; ok[i]; i++)
        if (m.n == strlen(ok[i]) && memcmp(m.p, ok[i], m.n) == 0)
            return 1;
    return 0;
}

/* Length of the head (through the blank line) or 0 if not yet complete. */
static size_t head_end(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < len && buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* Next line of [*pos, end): returns its span without the line end. */
static int next_line(const char *buf, size_t end, size_t *pos,
                     struct http_span *line)
{
    const char *nl = memchr(buf + *pos, '\n', end - *pos);
    if (!nl)
        return 0;
    size_t stop = (size_t)(nl - buf);
    line->p = buf + *pos;
    line->n = stop - *pos;
    if (line->n > 0 && line->p[line->n - 1] == '\r')
        line->n--;
    *pos = stop + 1;
    return 1;
}

/* "HTTP/1.x": 0 or 1 for x, HTTP_BAD_VERSION for other versions. */
static int parse_version(const char *p, size_t n)
{
    if (n != 8 || memcmp(p, "HTTP/", 5) != 0 || p[6] != '.' || p[5] < '0' ||
        p[5] > '9' || p[7] < '0' || p[7] > '9')
        return HTTP_BAD;
    if (p[5] != '1')
        return HTTP_BAD_VERSION;
    return p[7] == '0' ? 0 : 1;
}

static int parse_u64(struct http_span s, uint64_t *out)
{
    uint64_t v = 0;
    if (s.n == 0 || s.n > 18)
        return -1;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s.p[i] - '0');
    }
    *out = v;
    return 0;
}

/* Calls fn on each comma-separated, trimmed element of a header value. */
static void each_token(struct http_span v, void (*fn)(struct http_span, void *),
                       void *arg)
{
    size_t i = 0;
    while (i < v.n) {
        while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == ','))
            i++;
        size_t start = i;
        while (i < v.n && v.p[i] != ',')
            i++;
        size_t stop = i;
        while (stop > start && (v.p[stop - 1] == ' ' || v.p[stop - 1] == '\t'))
            stop--;
        if (stop > start)
            fn((struct http_span){v.p + start, stop - start}, arg);
    }
}

struct conn_tokens {
    int close, keep_alive;
};

static void conn_token(struct http_span t, void *arg)
{
    struct conn_tokens *ct = arg;
    if (http_span_eq(t, "close"))
        ct->close = 1;
    else if (http_span_eq(t, "keep-alive"))
        ct->keep_alive = 1;
}

struct te_tokens {
    int count, last_chunked, chunked_seen;
};

static void te_token(struct http_span t, void *arg)
{
    struct te_tokens *te = arg;
    te->count++;
    te->last_chunked = http_span_eq(t, "chunked");
    te->chunked_seen += te->last_chunked;
}

/* Parses "name: value" into h; 0 or HTTP_BAD. */
static int parse_header(struct http_span line, struct http_header *h)
{
    size_t i = 0;
    while (i < line.n && is_tchar((unsigned char)line.p[i]))
        i++;
    if (i == 0 || i >= line.n || line.p[i] != ':')
        return HTTP_BAD;
    h->name = (struct http_span){line.p, i};
    i++;
    while (i < line.n && (line.p[i] == ' ' || line.p[i] == '\t'))
        i++;
    size_t stop = line.n;
    while (stop > i && (line.p[stop - 1] == ' ' || line.p[stop - 1] == '\t'))
        stop--;
    for (size_t k = i; k < stop; k++) {
        unsigned char c = (unsigned char)line.p[k];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return HTTP_BAD;
    }
    h->value = (struct http_span){line.p + i, stop - i};
    return 0;
}

/* Header lines from *pos to the blank line; fills m's derived fields. */
static int parse_headers(const char *buf, size_t end, size_t pos,
                         struct http_msg *m, int *te_present, int *cl_present,
                         struct conn_tokens *ct)
{
    struct http_span line;
    struct te_tokens te = {0, 0, 0};
    while (next_line(buf, end, &pos, &line) && line.n > 0) {
        if (line.p[0] == ' ' || line.p[0] == '\t')
            return HTTP_BAD; /* obsolete line folding */
        if (m->nheaders == HTTP_MAX_HEADERS)
            return HTTP_TOO_LARGE;
        struct http_header *h = &m->headers[m->nheaders++];
        if (parse_header(line, h) < 0)
            return HTTP_BAD;
        if (http_span_eq(h->name, "content-length")) {
            uint64_t v;
            if (parse_u64(h->value, &v) < 0 ||
                (*cl_present && v != m->content_length))
                return HTTP_BAD;
            m->content_length = v;
            *cl_present = 1;
        } else if (http_span_eq(h->name, "transfer-encoding")) {
            *te_present = 1;
            each_token(h->value, te_token, &te);
        } else if (http_span_eq(h->name, "connection")) {
            each_token(h->value, conn_token, ct);
        } else if (http_span_eq(h->name, "expect")) {
            m->expect_continue = http_span_eq(h->value, "100-continue");
        } else if (http_span_eq(h->name, "upgrade")) {
            m->upgrade = 1;
        } else if (http_span_eq(h->name, "host")) {
            if (m->has_host)
                return HTTP_BAD;
            m->has_host = 1;
        }
    }
    if (*te_present) {
        /* Only "chunked", once and last, can be framed by a proxy. */
        if (te.count == 0)
            return HTTP_BAD;
        if (!te.last_chunked || te.chunked_seen != 1 || te.count != 1)
            return HTTP_NOT_IMPL;
    }
    return 0;
}

static void msg_reset(struct http_msg *m)
{
    memset(m, 0, offsetof(struct http_msg, headers));
}

int http_parse_request(const char *buf, size_t len, size_t max_head,
                       struct http_msg *m)
{
    size_t skip = 0;
    /* A client may send stray line ends between requests (RFC 9112 2.2). */
    while (skip < len && skip < 4 && (buf[skip] == '\r' || buf[skip] == '\n'))
        skip++;
    size_t scan = len < max_head ? len : max_head;
    size_t end = skip <= scan ? head_end(buf + skip, scan - skip) : 0;
    if (end == 0) {
        if (len >= max_head)
            return HTTP_TOO_LARGE;
        /* An early look at the request line rejects garbage sooner. */
        for (size_t i = skip; i < len && buf[i] != ' '; i++)
            if (!is_tchar((unsigned char)buf[i]))
                return HTTP_BAD;
        return HTTP_AGAIN;
    }
    end += skip;
    msg_reset(m);
    m->head_len = end;

    size_t pos = skip;
    struct http_span line;
    next_line(buf, end, &pos, &line);
    m->start_line = line;
    size_t i = 0;
    while (i < line.n && is_tchar((unsigned char)line.p[i]))
        i++;
    if (i == 0 || i >= line.n || line.p[i] != ' ')
        return HTTP_BAD;
    m->method = (struct http_span){line.p, i};
    size_t t = ++i;
    while (i < line.n && (unsigned char)line.p[i] > 0x20 &&
           (unsigned char)line.p[i] != 0x7f)
        i++;
    if (i == t || i >= line.n || line.p[i] != ' ')
        return HTTP_BAD;
    m->target = (struct http_span){line.p + t, i - t};
    i++;
    int minor = parse_version(line.p + i, line.n - i);
    if (minor < 0)
        return minor;
    m->minor = minor;

    int te = 0, cl = 0;
    struct conn_tokens ct = {0, 0};
    int rc = parse_headers(buf, end, pos, m, &te, &cl, &ct);
    if (rc < 0)
        return rc;
    if (te && cl)
        return HTTP_BAD;
    if (m->minor == 1 && !m->has_host)
        return HTTP_BAD;
    m->conn_close = ct.close || (m->minor == 0 && !ct.keep_alive);
    if (te)
        m->body = BODY_CHUNKED;
    else if (cl && m->content_length > 0)
        m->body = BODY_LENGTH;
    else
        m->body = BODY_NONE;
    return HTTP_DONE;
}

int http_parse_response(const char *buf, size_t len, size_t max_head,
                        int is_head_request, struct http_msg *m)
{
    size_t scan = len < max_head ? len : max_head;
    size_t end = head_end(buf, scan);
    if (end == 0) {
        if (len >= max_head)
            return HTTP_TOO_LARGE;
        if (len >= 5 && memcmp(buf, "HTTP/", 5) != 0)
            return HTTP_BAD;
        return HTTP_AGAIN;
    }
    msg_reset(m);
    m->head_len = end;
    size_t pos = 0;
    struct http_span line;
    next_line(buf, end, &pos, &line);
    m->start_line = line;
    if (line.n < 12 || line.p[8] != ' ')
        return HTTP_BAD;
    int minor = parse_version(line.p, 8);
    if (minor < 0)
        return minor;
    m->minor = minor;
    int status = 0;
    for (int k = 9; k < 12; k++) {
        if (line.p[k] < '0' || line.p[k] > '9')
            return HTTP_BAD;
        status = status * 10 + (line.p[k] - '0');
    }
    if (status < 100 || (line.n > 12 && line.p[12] != ' '))
        return HTTP_BAD;
    m->status = status;

    int te = 0, cl = 0;
    struct conn_tokens ct = {0, 0};
    int rc = parse_headers(buf, end, pos, m, &te, &cl, &ct);
    if (rc == HTTP_NOT_IMPL)
        te = 2; /* unknown coding: the body runs to the close */
    else if (rc < 0)
        return rc;
    m->conn_close = ct.close || (m->minor == 0 && !ct.keep_alive);
    if (is_head_request || status < 200 || status == 204 || status == 304)
        m->body = BODY_NONE;
    else if (te == 1)
        m->body = BODY_CHUNKED;
    else if (te == 2)
        m->body = BODY_TO_EOF;
    else if (cl)
        m->body = m->content_length ? BODY_LENGTH : BODY_NONE;
    else
        m->body = BODY_TO_EOF;
    return HTTP_DONE;
}

/* ---- chunked framing --------------------------------------------------- */

enum {
    CH_SIZE,
    CH_EXT,
    CH_SIZE_LF,
    CH_DATA,
    CH_DATA_CR,
    CH_DATA_LF,
    CH_TRAILER,
    CH_TRAILER_LINE,
    CH_TRAILER_LF,
    CH_DONE
};

void http_framer_init(struct http_framer *f, enum http_body_kind kind,
                      uint64_t length)
{
    f->kind = kind;
    f->left = kind == BODY_LENGTH ? length : 0;
    f->state = (kind == BODY_NONE || (kind == BODY_LENGTH && length == 0))
                   ? CH_DONE
                   : CH_SIZE;
    f->count = 0;
}

int http_framer_done(const struct http_framer *f)
{
    return f->state == CH_DONE;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)lower((unsigned char)c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* One byte of chunk framing (not chunk data); -1 on malformed input. */
static int chunk_byte(struct http_framer *f, char c)
{
    switch (f->state) {
    case CH_SIZE: {
        int h = hexval(c);
        if (h >= 0) {
            if (++f->count > 15)
                return -1;
            f->left = f->left * 16 + (uint64_t)h;
            return 0;
        }
        if (f->count == 0)
            return -1;
        if (c == ';' || c == ' ' || c == '\t')
            f->state = CH_EXT;
        else if (c == '\r')
            f->state = CH_SIZE_LF;
        else if (c == '\n')
            f->state = f->left ? CH_DATA : CH_TRAILER;
        else
            return -1;
        f->count = 0;
        return 0;
    }
    case CH_EXT:
        if (c == '\n') {
            f->state = f->left ? CH_DATA : CH_TRAILER;
            f->count = 0;
        } else if (++f->count > MAX_CHUNK_LINE)
            return -1;
        return 0;
    case CH_SIZE_LF:
        if (c != '\n')
            return -1;
        f->state = f->left ? CH_DATA : CH_TRAILER;
        return 0;
    case CH_DATA_CR:
        if (c == '\r')
            f->state = CH_DATA_LF;
        else if (c == '\n')
            f->state = CH_SIZE;
        else
            return -1;
        f->count = 0;
        return 0;
    case CH_DATA_LF:
        if (c != '\n')
            return -1;
        f->state = CH_SIZE;
        f->count = 0;
        return 0;
    case CH_TRAILER:
        if (c == '\r')
            f->state = CH_TRAILER_LF;
        else if (c == '\n')
            f->state = CH_DONE;
        else
            f->state = CH_TRAILER_LINE;
        return 0;
    case CH_TRAILER_LF:
        if (c != '\n')
            return -1;
        f->state = CH_DONE;
        return 0;
    case CH_TRAILER_LINE:
        if (++f->count > MAX_TRAILERS)
            return -1;
        if (c == '\n')
            f->state = CH_TRAILER;
        return 0;
    }
    return -1;
}

int http_framer_feed(struct http_framer *f, const char *p, size_t n,
                     size_t *used)
{
    size_t i = 0;
    if (f->kind == BODY_TO_EOF) {
        *used = n;
        return 0;
    }
    if (f->kind == BODY_LENGTH && f->state != CH_DONE) {
        i = n < f->left ? n : (size_t)f->left;
        f->left -= i;
        if (f->left == 0)
            f->state = CH_DONE;
    }
    while (f->kind == BODY_CHUNKED && i < n && f->state != CH_DONE) {
        if (f->state == CH_DATA) {
            size_t take = (n - i) < f->left ? n - i : (size_t)f->left;
            i += take;
            f->left -= take;
            if (f->left == 0)
                f->state = CH_DATA_CR;
            continue;
        }
        if (chunk_byte(f, p[i]) < 0) {
            *used = i;
            return -1;
        }
        i++;
    }
    *used = i;
    return f->state == CH_DONE;
}
