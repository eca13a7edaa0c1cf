/*
 * config.h - eelplb's settings: defaults, the config file and the command
 * line.  Building a config is a pure function of (argv, file contents), so a
 * reload (SIGHUP) simply builds a new one and swaps it in when it is valid.
 */
#ifndef PLB_CONFIG_H
#define PLB_CONFIG_H

#include <stddef.h>
#include <sys/socket.h>

#define PLB_MAX_BACKENDS 64

struct plb_addr {
    char text[128]; /* as written, for logs */
    struct sockaddr_storage ss;
    socklen_t len;
};

enum plb_balance { BALANCE_ROUND_ROBIN, BALANCE_LEAST_CONN };

struct plb_config {
    struct plb_addr listen;
    int have_listen;
    struct plb_addr backends[PLB_MAX_BACKENDS];
    int nbackends;
    enum plb_balance balance;
    char health_path[256];
    int health_interval_ms, health_timeout_ms, health_rise, health_fall;
    int max_connections;    /* client connections at once */
    size_t max_header_size; /* request head bytes (431 beyond) */
    int timeout_idle_ms;    /* keep-alive wait for a request's first byte */
    int timeout_header_ms;  /* whole request head, from its first byte */
    int timeout_body_ms;    /* between reads of a request body */
    int timeout_connect_ms; /* backend connect */
    int timeout_backend_ms; /* between backend reads/writes */
    int timeout_send_ms;    /* between writes to a client */
    int retries;            /* extra backends to try for one request */
    int backend_keepalive;  /* idle connections kept per backend */
    int backend_max_conns;  /* requests in flight per backend (queue) */
    int timeout_queue_ms;   /* longest wait for a backend slot */
    int drain_ms;           /* graceful stop: how long to let requests end */
    char access_log[512];   /* "" off, "-" stdout */
    char config_path[512];  /* -c FILE, reread on SIGHUP */
};

/* Fills c from defaults, the -c file (if any) and the arguments, in that
 * order.  0, or -1 with a message in err; 1 if -h/-V printed and we should
 * exit 0. */
int config_build(struct plb_config *c, int argc, char **argv, char *err,
                 size_t errlen);
/* Parses ADDR:PORT or [V6]:PORT, resolving names; 0 or -1 with err. */
int config_parse_addr(const char *text, struct plb_addr *out, char *err,
                      size_t errlen);
/* 1 if a and b are the same socket address (their text aside). */
int config_same_addr(const struct plb_addr *a, const struct plb_addr *b);
void config_usage(void);

#endif
