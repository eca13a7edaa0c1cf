/*
 * test_dnsmsg.c - the DNS codec: query bytes, answers with compression and
 * CNAME chains, rcodes, responses that must be ignored (wrong id or
 * question), and malformed or hostile packets (truncation, pointer loops,
 * random bytes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "dnsbuild.h"
#include "dnsmsg.h"

static const uint8_t ip1[4] = {127, 0, 0, 1}, ip2[4] = {10, 0, 0, 2};

static void test_encode(void **state)
{
    (void)state;
    uint8_t q[DNS_MAX_MSG];
    int n = dns_encode_query(q, sizeof(q), 0xBEEF, "www.Example.com.", 1);
    static const uint8_t want[] = {
        0xBE, 0xEF, 0x01, 0x00, 0,   1,   0,   0,   0,   0,   0,
        0,    3,    'w',  'w',  'w', 7,   'E', 'x', 'a', 'm', 'p',
        'l',  'e',  3,    'c',  'o', 'm', 0,   0,   1,   0,   1};
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(q, want, sizeof(want));
    assert_int_equal(dns_encode_query(q, sizeof(q), 1, "", 1), -1);
    assert_int_equal(dns_encode_query(q, sizeof(q), 1, "a..b", 1), -1);
    assert_int_equal(dns_encode_query(q, sizeof(q), 1, ".a", 1), -1);
    assert_int_equal(dns_encode_query(q, sizeof(q), 1, "a b", 1), -1);
    char label[80];
    memset(label, 'x', 64);
    label[64] = '\0';
    assert_int_equal(dns_encode_query(q, sizeof(q), 1, label, 1), -1);
    label[63] = '\0';
    assert_true(dns_encode_query(q, sizeof(q), 1, label, 1) > 0);
    assert_int_equal(dns_encode_query(q, 20, 1, "www.example.com", 1), -1);
}

static void test_decode_answers(void **state)
{
    (void)state;
    struct dnsb b;
    struct dns_answer a;
    dnsb_start(&b, 7, 0x8180, "www.test", 2);
    dnsb_a(&b, 12, ip1);
    dnsb_a(&b, 12, ip2);
    assert_int_equal(dns_decode_response(b.m, b.len, 7, "WWW.test.", &a), 0);
    assert_int_equal(a.rcode, 0);
    assert_int_equal(a.naddr, 2);
    assert_memory_equal(&a.addr[0], ip1, 4);
    assert_memory_equal(&a.addr[1], ip2, 4);

    /* CNAME chain, A record for the final name only. */
    dnsb_start(&b, 8, 0x8180, "alias.test", 3);
    size_t t1 = dnsb_cname(&b, 12, "mid.test");
    size_t t2 = dnsb_cname(&b, (unsigned)t1, "real.test");
    dnsb_a(&b, (unsigned)t2, ip2);
    assert_int_equal(dns_decode_response(b.m, b.len, 8, "alias.test", &a), 0);
    assert_int_equal(a.naddr, 1);
    assert_memory_equal(&a.addr[0], ip2, 4);

    /* An A record for some other name is not ours. */
    dnsb_start(&b, 9, 0x8180, "x.test", 2);
    dnsb_cname(&b, 12, "y.test");
    dnsb_a(&b, 12, ip1); /* owner x.test: dropped after the CNAME */
    assert_int_equal(dns_decode_response(b.m, b.len, 9, "x.test", &a), 0);
    assert_int_equal(a.naddr, 0);
}

static void test_rcodes(void **state)
{
    (void)state;
    struct dnsb b;
    struct dns_answer a;
    dnsb_start(&b, 1, 0x8183, "nx.test", 0);
    assert_int_equal(dns_decode_response(b.m, b.len, 1, "nx.test", &a), 0);
    assert_int_equal(a.rcode, DNS_RCODE_NXDOMAIN);
    dnsb_start(&b, 1, 0x8382, "t.test", 0); /* TC + SERVFAIL */
    assert_int_equal(dns_decode_response(b.m, b.len, 1, "t.test", &a), 0);
    assert_int_equal(a.rcode, DNS_RCODE_SERVFAIL);
    assert_true(a.truncated);
}

static void test_not_ours(void **state)
{
    (void)state;
    struct dnsb b;
    struct dns_answer a;
    dnsb_start(&b, 5, 0x8180, "www.test", 1);
    dnsb_a(&b, 12, ip1);
    assert_int_equal(dns_decode_response(b.m, b.len, 6, "www.test", &a), -1);
    assert_int_equal(dns_decode_response(b.m, b.len, 5, "www.other", &a), -1);
    b.m[2] &= 0x7F; /* a query, not a response */
    assert_int_equal(dns_decode_response(b.m, b.len, 5, "www.test", &a), -1);
}

static void test_malformed(void **state)
{
    (void)state;
    struct dnsb b;
    struct dns_answer a;
    dnsb_start(&b, 3, 0x8180, "www.test", 1);
    dnsb_a(&b, 12, ip1);
    /* Every truncation is rejected or read safely. */
    for (size_t n = 0; n < b.len; n++)
        assert_int_equal(dns_decode_response(b.m, n, 3, "www.test", &a), -1);
    /* A pointer to itself, and a forward pointer. */
    dnsb_start(&b, 4, 0x8180, "www.test", 1);
    size_t at = b.len;
    dnsb_u16(&b, 0xC000 | (unsigned)at);
    dnsb_u16(&b, 1);
    dnsb_u16(&b, 1);
    dnsb_u16(&b, 0);
    dnsb_u16(&b, 0);
    dnsb_u16(&b, 4);
    dnsb_u16(&b, 0);
    dnsb_u16(&b, 0);
    assert_int_equal(dns_decode_response(b.m, b.len, 4, "www.test", &a), -1);
    b.m[at + 1] = (uint8_t)(at + 4);
    assert_int_equal(dns_decode_response(b.m, b.len, 4, "www.test", &a), -1);
    /* rdlength past the end. */
    dnsb_start(&b, 5, 0x8180, "www.test", 1);
    dnsb_a(&b, 12, ip1);
    b.m[b.len - 5] = 200;
    assert_int_equal(dns_decode_response(b.m, b.len, 5, "www.test", &a), -1);
    char name[300];
    uint8_t loop[] = {0xC0, 0x00};
    assert_int_equal(dns_read_name(loop, sizeof(loop), 0, name, sizeof(name)),
                     -1);
}

static void test_fuzz(void **state)
{
    (void)state;
    struct dnsb b;
    struct dns_answer a;
    srand(4242);
    for (int iter = 0; iter < 50000; iter++) {
        dnsb_start(&b, 9, 0x8180, "www.test", 3);
        size_t t = dnsb_cname(&b, 12, "real.test");
        dnsb_a(&b, (unsigned)t, ip1);
        dnsb_a(&b, (unsigned)t, ip2);
        for (int k = rand() % 5; k >= 0; k--)
            b.m[rand() % (int)b.len] = (uint8_t)rand();
        size_t len = (size_t)(rand() % ((int)b.len + 1));
        int rc = dns_decode_response(b.m, len, 9, "www.test", &a);
        assert_true(rc == 0 || rc == -1);
        assert_true(a.naddr >= 0 && a.naddr <= DNS_MAX_ADDRS);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),    cmocka_unit_test(test_decode_answers),
        cmocka_unit_test(test_rcodes),    cmocka_unit_test(test_not_ours),
        cmocka_unit_test(test_malformed), cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
