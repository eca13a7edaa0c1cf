/*
 * dnsbuild.h - builds DNS responses for the tests (the crawler itself only
 * ever builds queries).  Kept deliberately independent of dnsmsg.c so the
 * codec is checked against a second implementation.
 */
#ifndef CRAWL_TEST_DNSBUILD_H
#define CRAWL_TEST_DNSBUILD_H

#include <stdint.h>
#include <string.h>

struct dnsb {
    uint8_t m[512];
    size_t len;
};

static inline void dnsb_u16(struct dnsb *b, unsigned v)
{
    b->m[b->len++] = (uint8_t)(v >> 8);
    b->m[b->len++] = (uint8_t)v;
}

static inline void dnsb_name(struct dnsb *b, const char *name)
{
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t l = dot ? (size_t)(dot - name) : strlen(name);
        b->m[b->len++] = (uint8_t)l;
        memcpy(b->m + b->len, name, l);
        b->len += l;
        name += l + (dot ? 1 : 0);
    }
    b->m[b->len++] = 0;
}

/* Header and question; flags e.g. 0x8180 (response, RD, RA, NOERROR). */
static inline void dnsb_start(struct dnsb *b, unsigned id, unsigned flags,
                              const char *qname, unsigned ancount)
{
    b->len = 0;
    dnsb_u16(b, id);
    dnsb_u16(b, flags);
    dnsb_u16(b, 1);
    dnsb_u16(b, ancount);
    dnsb_u16(b, 0);
    dnsb_u16(b, 0);
    dnsb_name(b, qname);
    dnsb_u16(b, 1); /* A */
    dnsb_u16(b, 1); /* IN */
}

/* An answer whose owner is a pointer to offset `owner` (12: the qname). */
static inline void dnsb_a(struct dnsb *b, unsigned owner, const uint8_t ip[4])
{
    dnsb_u16(b, 0xC000 | owner);
    dnsb_u16(b, 1);
    dnsb_u16(b, 1);
    dnsb_u16(b, 0);
    dnsb_u16(b, 300);
    dnsb_u16(b, 4);
    memcpy(b->m + b->len, ip, 4);
    b->len += 4;
}

/* A CNAME from the name at `owner` to target (written out in full);
 * returns the offset of the target name, for later pointers. */
static inline size_t dnsb_cname(struct dnsb *b, unsigned owner,
                                const char *target)
{
    dnsb_u16(b, 0xC000 | owner);
    dnsb_u16(b, 5);
    dnsb_u16(b, 1);
    dnsb_u16(b, 0);
    dnsb_u16(b, 300);
    size_t rdlen_at = b->len;
    dnsb_u16(b, 0);
    size_t start = b->len;
    dnsb_name(b, target);
    size_t rdlen = b->len - start;
    b->m[rdlen_at] = (uint8_t)(rdlen >> 8);
    b->m[rdlen_at + 1] = (uint8_t)rdlen;
    return start;
}

#endif
