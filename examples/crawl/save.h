/*
 * save.h - where a fetched page goes on disk: DIR/HOST[:PORT]/PATH, with
 * "index.html" for paths ending in '/' and "?QUERY" kept in the name.
 */
#ifndef CRAWL_SAVE_H
#define CRAWL_SAVE_H

#include "url.h"

#include <stddef.h>

/* The file name for u relative to the output directory, malloc'd; NULL
 * when out of memory. */
char *save_relpath(const struct url *u);
/* Writes data to DIR/save_relpath(u), creating directories as needed.
 * 0 with *path_out (malloc'd, may be NULL) set, or -1 with errno. */
int save_page(const char *dir, const struct url *u, const void *data,
              size_t len, char **path_out);

#endif
