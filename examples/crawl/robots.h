/*
 * robots.h - robots.txt (RFC 9309): which paths of a host a crawler named
 * by a product token may fetch, and the Crawl-delay it asks for.
 */
#ifndef CRAWL_ROBOTS_H
#define CRAWL_ROBOTS_H

#include <stddef.h>

struct robots_rule {
    char *pattern; /* path pattern; '*' any run, trailing '$' anchors */
    int allow;
};

struct robots {
    struct robots_rule *rules; /* the rules of the groups that apply */
    size_t nrules;
    int crawl_delay_ms; /* -1 when not given */
};

/* Parses text for the crawler whose product token is agent ("eelcrawl").
 * Groups naming agent win over "*" groups.  0, or -1 when out of memory
 * (unparsable lines are ignored, as the RFC asks). */
int robots_parse(struct robots *r, const char *text, size_t len,
                 const char *agent);
/* An empty rule set: everything allowed (no robots.txt, or a 4xx). */
void robots_allow_all(struct robots *r);
/* May target ("/path?query") be fetched?  The longest matching rule
 * decides; on a tie, allow wins. */
int robots_allowed(const struct robots *r, const char *target);
void robots_free(struct robots *r);

#endif
