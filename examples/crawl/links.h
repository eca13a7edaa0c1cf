/*
 * links.h - finds the links in an HTML page: every href and src attribute
 * of every tag, plus <base href>.  A tolerant scanner, not a full HTML
 * parser: it skips comments, declarations and the raw text of <script> and
 * <style>, and decodes character references in attribute values.
 */
#ifndef CRAWL_LINKS_H
#define CRAWL_LINKS_H

#include <stddef.h>

enum link_kind { LINK_REF = 0, LINK_BASE = 1 };

/* ref is the decoded attribute value (not NUL-terminated, len bytes). */
typedef void (*links_cb)(void *arg, enum link_kind kind, const char *ref,
                         size_t len);

/* Calls cb for each link in html[0..len) in document order.
 * Returns the number of links reported, or -1 when out of memory. */
long links_extract(const char *html, size_t len, links_cb cb, void *arg);

#endif
