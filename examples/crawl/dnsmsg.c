/*
 * dnsmsg.c - encoding DNS queries and decoding responses.
 *
 * Every read is bounds-checked against the message length, and name
 * decompression may only jump backwards a bounded number of times, so a
 * hostile or corrupt packet can at worst be rejected.
 */
#include "dnsmsg.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_NAME 256 /* dotted text of a name, with NUL */

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

int dns_encode_query(uint8_t *out, size_t cap, uint16_t id, const char *name,
                     uint16_t qtype)
{
    size_t nl = strlen(name);
    if (nl > 0 && name[nl - 1] == '.')
        nl--;
    if (nl == 0 || nl > 253 || cap < 12 + nl + 2 + 4)
        return -1;
    memset(out, 0, 12);
    put16(out, id);
    out[2] = 0x01;     /* RD: recursion desired */
    put16(out + 4, 1); /* QDCOUNT */
    size_t pos = 12, start = 0;
    for (size_t i = 0; i <= nl; i++) {
        if (i < nl && name[i] != '.') {
            unsigned char c = (unsigned char)name[i];
            if (c <= ' ' || c >= 0x7f)
                return -1;
            continue;
        }
        size_t ll = i - start;
        if (ll == 0 || ll > 63)
            return -1;
        out[pos++] = (uint8_t)ll;
        memcpy(out + pos, name + start, ll);
        pos += ll;
        start = i + 1;
    }
    out[pos++] = 0;
    put16(out + pos, qtype);
    put16(out + pos + 2, DNS_CLASS_IN);
    return (int)(pos + 4);
}

long dns_read_name(const uint8_t *msg, size_t len, size_t off, char *out,
                   size_t cap)
{
    size_t o = 0, pos = off;
    long end = -1;
    int jumps = 0;
    for (;;) {
        if (pos >= len)
            return -1;
        uint8_t l = msg[pos];
        if ((l & 0xC0) == 0xC0) {
            if (pos + 1 >= len || ++jumps > 16)
                return -1;
            size_t to = (size_t)((l & 0x3F) << 8 | msg[pos + 1]);
            if (end < 0)
                end = (long)pos + 2;
            if (to >= pos)
                return -1; /* pointers must go backwards: no loops */
            pos = to;
            continue;
        }
        if (l & 0xC0)
            return -1; /* reserved label types */
        if (l == 0)
            break;
        if (pos + 1 + l > len || o + l + 2 > cap || o + l + 1 > MAX_NAME)
            return -1;
        if (o > 0)
            out[o++] = '.';
        memcpy(out + o, msg + pos + 1, l);
        o += l;
        pos += 1 + (size_t)l;
    }
    if (cap == 0)
        return -1;
    out[o] = '\0';
    return end >= 0 ? end : (long)pos + 1;
}

static int same_name(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 0 && a[la - 1] == '.')
        la--;
    if (lb > 0 && b[lb - 1] == '.')
        lb--;
    return la == lb && strncasecmp(a, b, la) == 0;
}

struct rr {
    char owner[MAX_NAME];
    uint16_t type, klass;
    size_t rdata, rdlen;
};

/* Reads the resource record at *pos and moves past it. */
static int read_rr(const uint8_t *msg, size_t len, size_t *pos, struct rr *r)
{
    long p = dns_read_name(msg, len, *pos, r->owner, sizeof(r->owner));
    if (p < 0 || (size_t)p + 10 > len)
        return -1;
    r->type = get16(msg + p);
    r->klass = get16(msg + p + 2);
    r->rdlen = get16(msg + p + 8);
    r->rdata = (size_t)p + 10;
    if (r->rdata + r->rdlen > len)
        return -1;
    *pos = r->rdata + r->rdlen;
    return 0;
}

/* Collects the A records of name, following CNAMEs in any order. */
static int collect_answers(const uint8_t *msg, size_t len, size_t first,
                           int ancount, const char *name,
                           struct dns_answer *ans)
{
    char target[MAX_NAME];
    snprintf(target, sizeof(target), "%s", name);
    for (int pass = 0, changed = 1; changed && pass < 8; pass++) {
        changed = 0;
        size_t pos = first;
        for (int i = 0; i < ancount; i++) {
            struct rr r;
            if (read_rr(msg, len, &pos, &r) < 0)
                return -1;
            if (r.klass != DNS_CLASS_IN || !same_name(r.owner, target))
                continue;
            if (r.type == DNS_TYPE_CNAME) {
                char cname[MAX_NAME];
                long e = dns_read_name(msg, len, r.rdata, cname, sizeof(cname));
                if (e < 0 || (size_t)e != r.rdata + r.rdlen)
                    return -1;
                memcpy(target, cname, sizeof(target));
                ans->naddr = 0; /* addresses belong to the new target */
                changed = 1;
                break;
            }
            if (r.type == DNS_TYPE_A && r.rdlen == 4 &&
                ans->naddr < DNS_MAX_ADDRS) {
                memcpy(&ans->addr[ans->naddr++], msg + r.rdata, 4);
            }
        }
    }
    return 0;
}

int dns_decode_response(const uint8_t *msg, size_t len, uint16_t id,
                        const char *name, struct dns_answer *ans)
{
    memset(ans, 0, sizeof(*ans));
    if (len < 12 || get16(msg) != id)
        return -1;
    if (!(msg[2] & 0x80) || (msg[2] & 0x78) != 0)
        return -1; /* not a response, or not a standard query */
    ans->truncated = (msg[2] & 0x02) != 0;
    ans->rcode = msg[3] & 0x0F;
    int qd = get16(msg + 4), an = get16(msg + 6);
    if (qd != 1)
        return -1;
    char qname[MAX_NAME];
    long p = dns_read_name(msg, len, 12, qname, sizeof(qname));
    if (p < 0 || (size_t)p + 4 > len || !same_name(qname, name) ||
        get16(msg + p) != DNS_TYPE_A || get16(msg + p + 2) != DNS_CLASS_IN)
        return -1;
    if (ans->rcode != DNS_RCODE_OK)
        return 0;
    return collect_answers(msg, len, (size_t)p + 4, an, name, ans);
}
