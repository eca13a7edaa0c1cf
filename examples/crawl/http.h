/*
 * http.h - an incremental parser for HTTP/1.x responses.
 *
 * Bytes are fed as they arrive; the parser never reads past the message, so
 * the caller learns how many bytes belonged to the response.  Bodies may be
 * delimited by Content-Length, chunked encoding or the end of the
 * connection.  Anything malformed ends in HTTP_ERROR with a message, never
 * in undefined behaviour: the input comes from arbitrary servers.
 */
#ifndef CRAWL_HTTP_H
#define CRAWL_HTTP_H

#include "buf.h"

#include <stddef.h>

enum http_result { HTTP_ERROR = -1, HTTP_MORE = 0, HTTP_DONE = 1 };

#define HTTP_MAX_HEADER (64 * 1024)

struct http_resp {
    /* Results, valid once the headers are in (HTTP_DONE at the latest). */
    int status;                  /* 100..999 */
    int minor;                   /* HTTP/1.minor */
    long long length;            /* Content-Length, or -1 */
    int chunked;                 /* Transfer-Encoding ends in chunked */
    int keep_alive;              /* the connection may carry another request */
    char *location;              /* Location header, or NULL */
    char *content_type;          /* Content-Type header, or NULL */
    struct buf body;             /* the decoded body */
    const char *error;           /* why HTTP_ERROR was returned */
    unsigned long long received; /* raw bytes fed, for statistics */

    /* Parser state. */
    int state;
    struct buf head; /* header block or chunk-size line being read */
    unsigned long long remaining; /* bytes left in the body or chunk */
    size_t max_body;
};

void http_resp_init(struct http_resp *r, size_t max_body);
/* Feeds len bytes; *used says how many belonged to this response (the rest
 * would be the start of something else).  HTTP_MORE wants more input. */
int http_resp_feed(struct http_resp *r, const char *data, size_t len,
                   size_t *used);
/* The peer closed the connection: HTTP_DONE if that ends the body,
 * HTTP_ERROR if the response was cut short. */
int http_resp_eof(struct http_resp *r);
/* True once the response's headers have been parsed. */
int http_resp_has_headers(const struct http_resp *r);
void http_resp_free(struct http_resp *r);

#endif
