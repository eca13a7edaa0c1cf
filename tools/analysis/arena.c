/*
 * arena.c - memory for the analysis core: one arena per program (freed in
 * one go), growable arrays and an open-addressing string map.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ea_chunk {
    struct ea_chunk *next;
    size_t used, size;
    max_align_t data[];
};

static void oom(void)
{
    fputs("eel analysis: out of memory\n", stderr);
    abort();
}

void *ea_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *ea_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *ea_alloc(struct ea_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct ea_chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t size = n > 65536 ? n : 65536;
        c = ea_xmalloc(sizeof(*c) + size);
        c->size = size;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    char *p = (char *)c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *ea_strndup(struct ea_arena *a, const char *s, size_t n)
{
    char *d = ea_alloc(a, n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *ea_strdup(struct ea_arena *a, const char *s)
{
    return ea_strndup(a, s, strlen(s));
}

char *ea_printf(struct ea_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *d = ea_alloc(a, (size_t)(n < 0 ? 0 : n) + 1);
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

void ea_arena_free(struct ea_arena *a)
{
    struct ea_chunk *c = a->head;
    while (c) {
        struct ea_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
}

void ea_vec_push(struct ea_vec *vec, void *p)
{
    if (vec->n == vec->cap) {
        vec->cap = vec->cap ? vec->cap * 2 : 8;
        vec->v = ea_xrealloc(vec->v, vec->cap * sizeof(void *));
    }
    vec->v[vec->n++] = p;
}

void ea_vec_free(struct ea_vec *vec)
{
    free(vec->v);
    vec->v = NULL;
    vec->n = vec->cap = 0;
}

void **ea_vec_finish(struct ea_arena *a, struct ea_vec *vec, size_t *n)
{
    void **out = ea_alloc(a, (vec->n ? vec->n : 1) * sizeof(void *));
    if (vec->n)
        memcpy(out, vec->v, vec->n * sizeof(void *));
    *n = vec->n;
    ea_vec_free(vec);
    return out;
}

struct ea_map_slot {
    const char *key;
    void *val;
    uint64_t hash;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h | 1;
}

static struct ea_map_slot *find_slot(const struct ea_map *m, const char *key,
                                     uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct ea_map_slot *s = &m->slots[i];
        if (!s->key || (s->hash == h && strcmp(s->key, key) == 0))
            return s;
    }
}

void *ea_map_get(const struct ea_map *m, const char *key)
{
    if (!m->cap)
        return NULL;
    struct ea_map_slot *s = find_slot(m, key, hash_str(key));
    return s->key ? s->val : NULL;
}

static void grow(struct ea_map *m)
{
    struct ea_map old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->slots = calloc(m->cap, sizeof(*m->slots));
    if (!m->slots)
        oom();
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].key)
            *find_slot(m, old.slots[i].key, old.slots[i].hash) =
                old.slots[i];
    free(old.slots);
}

void *ea_map_put(struct ea_map *m, struct ea_arena *a, const char *key,
                 void *val)
{
    if ((m->n + 1) * 2 > m->cap)
        grow(m);
    uint64_t h = hash_str(key);
    struct ea_map_slot *s = find_slot(m, key, h);
    if (s->key) {
        void *prev = s->val;
        s->val = val;
        return prev;
    }
    s->key = ea_strdup(a, key);
    s->hash = h;
    s->val = val;
    m->n++;
    return NULL;
}

void ea_map_free(struct ea_map *m)
{
    free(m->slots);
    m->slots = NULL;
    m->n = m->cap = 0;
}

int ea_map_at(const struct ea_map *m, size_t i, const char **key, void **val)
{
    if (i >= m->cap || !m->slots[i].key)
        return 0;
    *key = m->slots[i].key;
    *val = m->slots[i].val;
    return 1;
}

const char *ea_intern(struct ea_map *m, struct ea_arena *a, const char *s)
{
    const char *got = ea_map_get(m, s);
    if (got)
        return got;
    char *d = ea_strdup(a, s);
    ea_map_put(m, a, s, d);
    return d;
}
