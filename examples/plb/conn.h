/*
 * conn.h - the state of one client connection, shared by the two halves of
 * its state machine: proxy.c (the client side: requests in, connection
 * lifetime) and relay.c (the backend side: queueing, connecting, sending
 * the request, relaying the response).  Private to eelplb.
 */
#ifndef PLB_CONN_H
#define PLB_CONN_H

#include "config.h"
#include "http.h"
#include "pool.h"

#include <eel.h>
#include <netinet/in.h>
#include <stdint.h>

#define OBUF_SIZE 16384 /* response buffer */

enum phase { PH_HEAD, PH_BUSY, PH_LINGER };
enum failure { FAIL_CONNECT, FAIL_IO, FAIL_TIMEOUT };

struct conn {
    size_t block; /* bytes of this block: the struct, then the buffers */
    eel_group_id gid;
    int cfd, bfd;
    enum phase phase;
    struct conn *next, *prev;
    char client_ip[INET6_ADDRSTRLEN];
    uint64_t t_start, head_deadline, linger_deadline;
    /* the request: ibuf holds body bytes and then any pipelined bytes */
    char *ibuf;
    size_t icap, ilen;
    size_t body_end;    /* ibuf[0..body_end) is this request's body */
    size_t body_off;    /* of which ibuf[0..body_off) went to the backend */
    int body_discarded; /* body bytes were dropped: cannot resend */
    struct http_framer req_body;
    char method[16], target[160];
    int minor, is_head, idempotent, client_close;
    /* the head being sent: the request to the backend, then the response
     * (or our error reply) to the client */
    char *hbuf;
    size_t hcap, hlen, hoff;
    /* the backend side */
    struct backend *be;
    struct backend *tried[PLB_MAX_BACKENDS + 1];
    int ntried;
    uint64_t from_backend; /* response bytes read for this request */
    enum failure last_failure;
    /* the response */
    char *obuf;
    size_t olen, ooff, oend;
    struct http_framer resp_body;
    int status, backend_close, backend_eof;
    uint64_t sent; /* response bytes sent to the client */
    /* waiting for a backend below backend_max_conns */
    struct conn *qnext;
    int queued;
    eel_event_id queue_ev;
    uint64_t queue_deadline; /* 0 until the request first waits */
};

/* proxy.c */
void conn_finish(struct conn *c); /* ends the chain: closes, frees */
void conn_abort(struct conn *c);  /* logs a failed request, then ends */
void reply_error(struct conn *c, int status); /* answers, then closes */
void response_done(struct conn *c);           /* next request, or close */
void wait_body(struct conn *c);               /* waits for more request body */

/* relay.c */
void backend_choose(struct conn *c); /* picks, queues or connects */
void backend_drop(struct conn *c);   /* lets go of the backend */
void backend_send(struct conn *c);   /* forwards the request */
void client_send(struct conn *c);    /* relays the response */
void queue_remove(struct conn *c);

#endif
