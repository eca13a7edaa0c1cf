/*
 * test_dns.c - the asynchronous resolver on a real libeel loop, against a
 * fake nameserver on 127.0.0.1 (in the same loop, as its own group) named
 * by a custom resolv.conf, and a custom hosts file.  Covers the hosts file,
 * address literals, CNAMEs, the search list, NXDOMAIN, a forged answer
 * that must be ignored, a server that never answers (timeout, also when
 * only a forged answer came) and one that answers only with a malformed
 * message (a DNS failure, not a timeout).
 * No packet leaves the loopback interface.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns.h"
#include "dnsbuild.h"
#include "dnsmsg.h"
#include "eel.h"

static int server_fd = -1;
static eel_group_id server_gid;
static int outstanding, queries_seen;
static char dir[64], resolv_path[128], hosts_path[128];

struct result {
    const char *name;
    int error;
    char addr[INET_ADDRSTRLEN];
    int done;
};

/* Answers one query: decides by the question's name. */
static void answer(const uint8_t *q, size_t n, struct sockaddr_in *from)
{
    char name[256];
    if (n < 12 || dns_read_name(q, n, 12, name, sizeof(name)) < 0)
        return;
    unsigned id = (unsigned)(q[0] << 8 | q[1]);
    struct dnsb b;
    static const uint8_t lo[4] = {127, 0, 0, 1}, lo2[4] = {127, 0, 0, 2};
    queries_seen++;
    if (strcmp(name, "silent.test") == 0)
        return;
    if (strcmp(name, "garbled.test") == 0) {
        /* Our id and question, then an answer record cut short; no more. */
        dnsb_start(&b, id, 0x8180, name, 1);
        dnsb_u16(&b, 0xC00C);
        dnsb_u16(&b, 1);
    } else if (strcmp(name, "forged.test") == 0) {
        /* Only a forged answer (wrong id): the lookup must still time out. */
        dnsb_start(&b, id ^ 0x5555, 0x8180, name, 1);
        dnsb_a(&b, 12, lo2);
    } else if (strcmp(name, "www.test") == 0) {
        /* First a forged answer (wrong id), then the real one. */
        dnsb_start(&b, id ^ 0x5555, 0x8180, name, 1);
        dnsb_a(&b, 12, lo2);
        sendto(server_fd, b.m, b.len, 0, (struct sockaddr *)from,
               sizeof(*from));
        dnsb_start(&b, id, 0x8180, name, 2);
        size_t t = dnsb_cname(&b, 12, "real.test");
        dnsb_a(&b, (unsigned)t, lo);
    } else if (strcmp(name, "short.test") == 0) {
        dnsb_start(&b, id, 0x8180, name, 1);
        dnsb_a(&b, 12, lo2);
    } else {
        dnsb_start(&b, id, 0x8183, name, 0); /* NXDOMAIN */
    }
    sendto(server_fd, b.m, b.len, 0, (struct sockaddr *)from, sizeof(*from));
}

/* The fake server's chain: read, answer, read again. */
static void fake_server_read(eel_group_id gid, void *arg, int fd)
{
    (void)arg;
    uint8_t q[512];
    struct sockaddr_in from;
    socklen_t fl = sizeof(from);
    ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
    if (n > 0)
        answer(q, (size_t)n, &from);
    if (!eel_add_read(gid, fake_server_read, NULL, fd))
        eel_delete_group_id(gid);
}

static void on_done(void *arg, int error, struct in_addr addr)
{
    struct result *r = arg;
    assert_false(r->done);
    r->done = 1;
    r->error = error;
    inet_ntop(AF_INET, &addr, r->addr, sizeof(r->addr));
    if (--outstanding == 0) {
        /* Everything answered: end the server's chain too. */
        eel_close(server_fd);
        eel_delete_group_id(server_gid);
    }
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(eel_init(), 0);
    server_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof(sa);
    assert_int_equal(bind(server_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(server_fd, (struct sockaddr *)&sa, &sl), 0);
    server_gid = eel_new_group_id();
    assert_true(eel_add_read(server_gid, fake_server_read, NULL, server_fd));
    snprintf(dir, sizeof(dir), "/tmp/eelcrawl-dns-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(resolv_path, sizeof(resolv_path), "%s/resolv.conf", dir);
    snprintf(hosts_path, sizeof(hosts_path), "%s/hosts", dir);
    /* resolv.conf, with eelcrawl's ADDR:PORT extension for the port. */
    char text[256];
    snprintf(text, sizeof(text),
             "# test\nnameserver 127.0.0.1:%d\nsearch test\n"
             "options timeout:1 attempts:1 ndots:1\n",
             ntohs(sa.sin_port));
    write_file(resolv_path, text);
    write_file(hosts_path, "127.0.0.1 localhost\n::1 ip6-localhost\n"
                           "10.9.8.7  fromhosts.test  alias # comment\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dns_free();
    eel_shutdown();
    unlink(resolv_path);
    unlink(hosts_path);
    rmdir(dir);
    return 0;
}

static void test_resolve(void **state)
{
    (void)state;
    struct dns_options opt = {.resolv_conf = resolv_path, .hosts = hosts_path};
    assert_int_equal(dns_init(&opt), 0);
    struct result r[] = {
        {.name = "localhost"},   {.name = "ALIAS"},
        {.name = "192.0.2.9"},   {.name = "www.test"},
        {.name = "short"},       {.name = "nx.test"},
        {.name = "silent.test"}, {.name = "garbled.test"},
        {.name = "forged.test"},
    };
    size_t n = sizeof(r) / sizeof(r[0]);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(dns_resolve(r[i].name, on_done, &r[i]), 0);
        outstanding++;
    }
    assert_int_equal(dns_pending(), (int)n);
    /* An impossible name fails at once, without a callback. */
    struct result bad = {.name = "bad..name"};
    assert_int_equal(dns_resolve(bad.name, on_done, &bad), -1);
    assert_int_equal(dns_pending(), (int)n);
    for (size_t i = 0; i < n; i++)
        assert_false(r[i].done); /* never called back synchronously */
    uint64_t t0 = eel_update_time();
    int drc = eel_dispatch();
    if (drc != 0)
        fail_msg("eel_dispatch: %s", strerror(errno));
    uint64_t took = eel_update_time() - t0;
    for (size_t i = 0; i < n; i++)
        assert_true(r[i].done);
    assert_int_equal(dns_pending(), 0);
    assert_int_equal(r[0].error, DNS_OK);
    assert_string_equal(r[0].addr, "127.0.0.1");
    assert_int_equal(r[1].error, DNS_OK);
    assert_string_equal(r[1].addr, "10.9.8.7");
    assert_int_equal(r[2].error, DNS_OK);
    assert_string_equal(r[2].addr, "192.0.2.9");
    assert_int_equal(r[3].error, DNS_OK); /* the forged 127.0.0.2 ignored */
    assert_string_equal(r[3].addr, "127.0.0.1");
    assert_int_equal(r[4].error, DNS_OK); /* via "search test" */
    assert_string_equal(r[4].addr, "127.0.0.2");
    assert_int_equal(r[5].error, DNS_ENOTFOUND);
    assert_int_equal(r[6].error, DNS_ETIMEDOUT);
    assert_int_equal(r[7].error, DNS_EBADANSWER);
    assert_int_equal(r[8].error, DNS_ETIMEDOUT);
    assert_false(bad.done);
    /* silent.test (and the other two): one attempt of one second, no more. */
    assert_true(took >= 900 && took < 3000);
    /* www.test, short.test (search list first: no dot in "short"),
     * nx.test then nx.test.test, silent.test, garbled.test and forged.test
     * once: seven queries. */
    assert_int_equal(queries_seen, 7);
    assert_int_equal(eel_pending(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
