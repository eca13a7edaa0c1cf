/*
 * strmap.h - a hash map from strings to pointers: the crawler's memory of
 * every URL it has queued (and where that URL redirected).
 */
#ifndef CRAWL_STRMAP_H
#define CRAWL_STRMAP_H

#include <stddef.h>

struct strmap_entry {
    char *key; /* owned by the map */
    void *value;
};

struct strmap {
    struct strmap_entry *slots;
    size_t cap, count;
};

/* The entry for key, or NULL. */
struct strmap_entry *strmap_get(const struct strmap *m, const char *key);
/* Adds key (copied) if absent; returns its entry, *added says whether it
 * was new.  NULL when out of memory. */
struct strmap_entry *strmap_put(struct strmap *m, const char *key, int *added);
/* Frees the map; free_value (may be NULL) is called on each value. */
void strmap_free(struct strmap *m, void (*free_value)(void *));

#endif
