/*
 * dnsmsg.h - the DNS wire format (RFC 1035), as much of it as a stub
 * resolver asking for IPv4 addresses needs: building an A query and
 * reading the addresses (following CNAMEs) out of a response.
 */
#ifndef CRAWL_DNSMSG_H
#define CRAWL_DNSMSG_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_MAX_MSG 512 /* plain UDP, no EDNS */
#define DNS_MAX_ADDRS 8
#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_CLASS_IN 1

enum dns_rcode {
    DNS_RCODE_OK = 0,
    DNS_RCODE_FORMERR = 1,
    DNS_RCODE_SERVFAIL = 2,
    DNS_RCODE_NXDOMAIN = 3,
    DNS_RCODE_REFUSED = 5
};

struct dns_answer {
    int rcode;     /* enum dns_rcode or another RFC 1035 code */
    int truncated; /* TC bit */
    int naddr;
    struct in_addr addr[DNS_MAX_ADDRS];
};

/* Writes a recursive query for name (dotted, optional final dot) into out.
 * Returns its length, or -1 if name is not a valid domain name or cap is
 * too small. */
int dns_encode_query(uint8_t *out, size_t cap, uint16_t id, const char *name,
                     uint16_t qtype);
/* Reads a response to query (id, name, type A).  0 with *ans filled, or -1
 * if the message is malformed or not the answer to that question (which
 * a resolver must then ignore: it may be forged or stale). */
int dns_decode_response(const uint8_t *msg, size_t len, uint16_t id,
                        const char *name, struct dns_answer *ans);
/* Reads the (possibly compressed) name at off into out as dotted text.
 * Returns the offset just past the name in place, or -1 when malformed. */
long dns_read_name(const uint8_t *msg, size_t len, size_t off, char *out,
                   size_t cap);

#endif
