/*
 * pool.h - eelplb's backends: choosing one for a request (round robin or
 * least connections), active health checks, passive failure marking, and
 * the idle keep-alive connections kept open to each backend.
 */
#ifndef PLB_POOL_H
#define PLB_POOL_H

#include "config.h"

#include <eel.h>
#include <stdint.h>

struct idle_conn;

struct backend {
    struct plb_addr addr;
    int up; /* health: receives traffic */
    int ok_streak, fail_streak;
    int active;  /* requests in flight */
    int refs;    /* requests holding it, +1 while configured */
    int retired; /* dropped by a reload, freed at refs == 0 */
    uint64_t requests, failures;
    /* the health-check chain (its own group, for the program's life) */
    eel_group_id hc_gid;
    int hc_fd;
    size_t hc_len;
    char hc_buf[128];
    /* idle keep-alive connections, most recently used first */
    struct idle_conn *idle;
    int nidle;
};

/* Starts the pool from the config (g_config); 0 or -1. */
int pool_start(void);
/* Applies a reloaded config: keeps backends still listed (with their
 * health), adds new ones, retires the rest. */
void pool_reconfigure(void);
/* Stops health checks and closes idle connections (graceful stop). */
void pool_stop(void);
/* Frees the pool at exit. */
void pool_free(void);

/* A backend for a request, skipping those in tried[0..ntried) and those at
 * backend_max_conns; NULL if none is left (*full says whether one would be
 * left but for the limit).  Prefers healthy backends but falls back to
 * any. */
struct backend *pool_pick(struct backend *const *tried, int ntried, int *full);
/* A request starts / ends using be (counts for least-connections and keeps
 * a retired backend alive). */
void backend_begin(struct backend *be);
void backend_end(struct backend *be);
/* Passive health: a connection attempt to be failed. */
void backend_failed(struct backend *be);

/* Starts a non-blocking connect to be: 0 connected, 1 in progress, -1 with
 * errno.  *fd is the new socket (>= 0 unless -1 is returned). */
int backend_connect(struct backend *be, int *fd);
/* An idle connection to be, or -1; the caller now owns the fd. */
int backend_take_idle(struct backend *be);
/* Gives back a connection whose last response ended cleanly. */
void backend_put_idle(struct backend *be, int fd);

#endif
