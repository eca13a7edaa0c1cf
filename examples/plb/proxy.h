/*
 * proxy.h - one client connection's state machine: read a request, pick a
 * backend, forward the request (and its body), relay the response, then
 * wait for the next request on the same connection.
 */
#ifndef PLB_PROXY_H
#define PLB_PROXY_H

#include <sys/socket.h>

/* Takes over an accepted, non-blocking client socket. */
void proxy_accept(int fd, const struct sockaddr_storage *peer);
/* Client connections now open. */
int proxy_count(void);
/* Graceful stop: closes connections waiting for a request; the others
 * close after their current response. */
void proxy_stop_idle(void);
/* End of the drain: closes every connection left. */
void proxy_stop_all(void);
/* At exit: frees what is left, including the cache of spare blocks. */
void proxy_free(void);

#endif
