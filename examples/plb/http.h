/*
 * http.h - HTTP/1.1 message-head parsing and body framing for eelplb.
 *
 * Pure functions over byte buffers: no I/O, no allocation, no libeel.  The
 * proxy feeds them whatever it has read so far; they say "need more", "bad"
 * (with the status to answer) or "done", so the same code serves requests
 * from clients, responses from backends, the health checker and the fuzzer.
 */
#ifndef PLB_HTTP_H
#define PLB_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS 64

/* Parser verdicts.  Negative values are HTTP status codes to answer with. */
enum http_verdict {
    HTTP_DONE = 1,          /* a whole head was parsed */
    HTTP_AGAIN = 0,         /* need more bytes */
    HTTP_BAD = -400,        /* malformed */
    HTTP_TOO_LARGE = -431,  /* head over the limit or too many headers */
    HTTP_NOT_IMPL = -501,   /* transfer coding we cannot frame */
    HTTP_BAD_VERSION = -505 /* not HTTP/1.x */
};

/* A slice of the buffer the head was parsed from. */
struct http_span {
    const char *p;
    size_t n;
};

struct http_header {
    struct http_span name, value;
};

/* How the body that follows a head is delimited. */
enum http_body_kind {
    BODY_NONE,    /* no body at all */
    BODY_LENGTH,  /* Content-Length bytes */
    BODY_CHUNKED, /* chunked transfer coding */
    BODY_TO_EOF   /* responses only: until the backend closes */
};

struct http_msg {
    struct http_span start_line;     /* request or status line */
    struct http_span method, target; /* requests */
    int status;                      /* responses */
    int minor;                       /* HTTP/1.<minor>, 0 or 1 */
    size_t head_len;                 /* bytes up to and incl. the blank line */
    enum http_body_kind body;
    uint64_t content_length;
    int conn_close;      /* Connection: close, or 1.0 without keep-alive */
    int expect_continue; /* Expect: 100-continue */
    int upgrade;         /* Upgrade header present (not supported) */
    int has_host;
    size_t nheaders;
    struct http_header headers[HTTP_MAX_HEADERS]; /* last: not cleared */
};

/* Parses a request head at buf[0..len).  max_head bounds the head's size:
 * a head not complete within it gives HTTP_TOO_LARGE. */
int http_parse_request(const char *buf, size_t len, size_t max_head,
                       struct http_msg *m);
/* Parses a response head; is_head_request and the status decide whether a
 * body follows. */
int http_parse_response(const char *buf, size_t len, size_t max_head,
                        int is_head_request, struct http_msg *m);

/* 1 for methods that may be sent twice (RFC 9110 9.2.2). */
int http_method_idempotent(struct http_span method);
/* Case-insensitive comparison of a span with a C string. */
int http_span_eq(struct http_span s, const char *lit);

/* Tracks where a body ends while its bytes stream through unchanged. */
struct http_framer {
    enum http_body_kind kind;
    uint64_t left;  /* bytes left of the body or of the current chunk */
    int state;      /* chunked decoder state */
    unsigned count; /* digits or line bytes seen in the current state */
};

void http_framer_init(struct http_framer *f, enum http_body_kind kind,
                      uint64_t length);
/* Feeds n bytes; *used says how many belong to the body.  Returns 1 when the
 * body is complete, 0 when more is needed, -1 on a malformed chunk. */
int http_framer_feed(struct http_framer *f, const char *p, size_t n,
                     size_t *used);
/* 1 once the framer has seen the body's end. */
int http_framer_done(const struct http_framer *f);

#endif
