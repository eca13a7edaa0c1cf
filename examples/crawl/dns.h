/*
 * dns.h - non-blocking name resolution on the libeel loop.
 *
 * Names are looked up in the hosts file first, then asked of the
 * nameservers in resolv.conf over UDP (IPv4 addresses only).  Each lookup
 * is one libeel group whose chain is dns_write -> dns_read (or
 * dns_timeout, which retries), ending when the answer is handed back.
 */
#ifndef CRAWL_DNS_H
#define CRAWL_DNS_H

#include <netinet/in.h>

enum dns_error {
    DNS_OK = 0,
    DNS_ENOTFOUND = 1, /* NXDOMAIN or no address for the name */
    DNS_ETIMEDOUT = 2, /* no nameserver answered in time */
    DNS_EFAIL = 3,     /* server failure, bad name, out of resources */
    DNS_EBADANSWER = 4 /* only malformed answers came back in time */
};

struct dns_options {
    const char *resolv_conf; /* NULL: /etc/resolv.conf */
    const char *hosts;       /* NULL: /etc/hosts */
    const char *server;      /* "ADDR[:PORT]" replacing the nameservers */
};

/* Called once per lookup, from the loop, never from dns_resolve(). */
typedef void (*dns_done_fn)(void *arg, int error, struct in_addr addr);

/* Reads the configuration.  0, or -1 with a message on stderr. */
int dns_init(const struct dns_options *opt);
/* Starts a lookup.  0, or -1 (out of resources; done is not called). */
int dns_resolve(const char *name, dns_done_fn done, void *arg);
/* Lookups still in flight. */
int dns_pending(void);
/* Ends every lookup in flight without calling back (interrupt). */
void dns_abort_all(void);
void dns_free(void);
const char *dns_strerror(int error);

#endif
