/*
 * url.h - parsing, resolving and normalising http URLs (RFC 3986).
 *
 * Every URL eelcrawl keeps is in one canonical form, so that two spellings
 * of the same page compare equal as strings: scheme and host lower-case,
 * default port dropped, fragment dropped, dot segments removed, percent
 * escapes upper-case, escapes of unreserved characters decoded, and
 * characters that may not appear raw escaped.
 */
#ifndef CRAWL_URL_H
#define CRAWL_URL_H

#include <stddef.h>

struct buf;

struct url {
    int https;   /* 1 for https (parsed, but eelcrawl cannot fetch it) */
    char *host;  /* lower-case name or IPv4 literal */
    int port;    /* 1..65535 */
    char *path;  /* always starts with '/' */
    char *query; /* without the '?'; NULL when the URL has none */
};

/* Parses an absolute http or https URL.  0, or -1 if it is not one. */
int url_parse(const char *s, struct url *out);
/* Resolves reference ref (len bytes, as found in a page) against base.
 * 0, or -1 if the result is not an http(s) URL or is malformed. */
int url_resolve(const struct url *base, const char *ref, size_t len,
                struct url *out);
/* The canonical string, malloc'd; NULL when out of memory. */
char *url_string(const struct url *u);
/* "path" or "path?query", malloc'd: the HTTP request target. */
char *url_target(const struct url *u);
/* Appends "host", or "host:port" when the port is not the scheme's
 * default: the authority as written in URLs and the Host header. */
int url_add_authority(struct buf *b, const struct url *u);
/* "host:port", malloc'd: the key of the per-host state. */
char *url_hostport(const struct url *u);
int url_copy(const struct url *src, struct url *dst);
void url_free(struct url *u);

#endif
