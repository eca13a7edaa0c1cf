/*
 * strmap.c - open addressing with linear probing, kept at most half full.
 * Entries are never removed (the crawler never forgets a URL), which keeps
 * probing simple: an empty slot always ends a search.
 */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

static struct strmap_entry *find(const struct strmap *m, const char *key)
{
    size_t i = (size_t)hash(key) & (m->cap - 1);
    while (m->slots[i].key && strcmp(m->slots[i].key, key) != 0)
        i = (i + 1) & (m->cap - 1);
    return &m->slots[i];
}

struct strmap_entry *strmap_get(const struct strmap *m, const char *key)
{
    if (!m->cap)
        return NULL;
    struct strmap_entry *e = find(m, key);
    return e->key ? e : NULL;
}

static int grow(struct strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    struct strmap_entry *old = m->slots;
    size_t oldcap = m->cap;
    m->slots = calloc(cap, sizeof(*m->slots));
    if (!m->slots) {
        m->slots = old;
        return -1;
    }
    m->cap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].key)
            *find(m, old[i].key) = old[i];
    free(old);
    return 0;
}

struct strmap_entry *strmap_put(struct strmap *m, const char *key, int *added)
{
    if ((m->count + 1) * 2 > m->cap && grow(m) < 0)
        return NULL;
    struct strmap_entry *e = find(m, key);
    *added = 0;
    if (!e->key) {
        if (!(e->key = strdup(key)))
            return NULL;
        e->value = NULL;
        m->count++;
        *added = 1;
    }
    return e;
}

void strmap_free(struct strmap *m, void (*free_value)(void *))
{
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key)
            continue;
        free(m->slots[i].key);
        if (free_value)
            free_value(m->slots[i].value);
    }
    free(m->slots);
    m->slots = NULL;
    m->cap = m->count = 0;
}
