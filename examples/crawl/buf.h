/*
 * buf.h - a growable byte buffer, the one piece of string handling every
 * eelcrawl file shares (URL building, HTTP bodies, request text).
 * Contents are always NUL-terminated so they can be used as C strings.
 */
#ifndef CRAWL_BUF_H
#define CRAWL_BUF_H

#include <stddef.h>

struct buf {
    char *data; /* NUL-terminated; NULL until something is added */
    size_t len;
    size_t cap;
};

/* Each returns 0, or -1 when memory runs out (the buffer is unchanged). */
int buf_reserve(struct buf *b, size_t extra);
int buf_add(struct buf *b, const void *data, size_t len);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Hands the contents to the caller (malloc'd; "" when empty) and resets b. */
char *buf_take(struct buf *b);

#endif
