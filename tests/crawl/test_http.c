/*
 * test_http.c - the HTTP response parser: every framing (Content-Length,
 * chunked, close-delimited), input split at every byte, interim responses,
 * connection reuse flags, and malformed input, which must end in an error
 * and never in a crash (random and mutated inputs included).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "http.h"

#define MAX_BODY (1 << 20)

/* Feeds s whole, or in pieces of `step` bytes; returns the final result
 * (after eof if eof is set) and leaves r initialised for inspection. */
static int parse(struct http_resp *r, const char *s, size_t len, size_t step,
                 int eof)
{
    http_resp_init(r, MAX_BODY);
    int rc = HTTP_MORE;
    size_t pos = 0;
    if (step == 0)
        step = len ? len : 1;
    while (pos < len && rc == HTTP_MORE) {
        size_t n = len - pos < step ? len - pos : step, used;
        rc = http_resp_feed(r, s + pos, n, &used);
        assert_true(used <= n);
        pos += used;
    }
    if (rc == HTTP_MORE && eof)
        rc = http_resp_eof(r);
    return rc;
}

static void expect_body(const char *msg, int eof, int status, const char *body,
                        int keep_alive)
{
    for (size_t step = 0; step <= 7; step++) {
        struct http_resp r;
        int rc = parse(&r, msg, strlen(msg), step, eof);
        if (rc != HTTP_DONE)
            fail_msg("step %zu: rc %d (%s) for:\n%s", step, rc,
                     r.error ? r.error : "", msg);
        assert_int_equal(r.status, status);
        assert_int_equal(r.body.len, strlen(body));
        if (r.body.len)
            assert_memory_equal(r.body.data, body, r.body.len);
        assert_int_equal(r.keep_alive, keep_alive);
        http_resp_free(&r);
    }
}

static void expect_error(const char *msg, size_t len, int eof)
{
    for (size_t step = 0; step <= 3; step++) {
        struct http_resp r;
        int rc = parse(&r, msg, len, step, eof);
        if (rc != HTTP_ERROR)
            fail_msg("step %zu: rc %d, expected an error for:\n%s", step, rc,
                     msg);
        assert_non_null(r.error);
        http_resp_free(&r);
    }
}

static void test_content_length(void **state)
{
    (void)state;
    expect_body("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0, 200,
                "hello", 1);
    expect_body("HTTP/1.1 404 Not Found\r\nContent-length:  3 \r\n\r\nabc", 0,
                404, "abc", 1);
    expect_body("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, 200, "", 1);
    expect_body("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n"
                "Content-Length: 2\r\n\r\nab",
                0, 200, "ab", 1);
    expect_body("HTTP/1.1 200 OK\nContent-Length: 2\n\nab", 0, 200, "ab", 1);
    expect_body("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nab", 0, 200, "ab",
                0);
    expect_body("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
                "Content-Length: 2\r\n\r\nab",
                0, 200, "ab", 1);
    expect_body("HTTP/1.1 200 OK\r\nConnection: Close\r\n"
                "Content-Length: 2\r\n\r\nab",
                0, 200, "ab", 0);
    expect_body("\r\nHTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx", 0, 200, "x",
                1);
}

static void test_chunked(void **state)
{
    (void)state;
    expect_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                "5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n",
                0, 200, "hello world!", 1);
    expect_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
                "A\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n",
                0, 200, "0123456789", 1);
    /* Transfer-Encoding wins over Content-Length. */
    expect_body("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
                "Transfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n",
                0, 200, "abc", 1);
}

static void test_close_delimited(void **state)
{
    (void)state;
    expect_body("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>hi", 1,
                200, "<p>hi", 0);
    expect_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz", 1, 200,
                "zz", 0);
    expect_body("HTTP/1.1 200 OK\r\n\r\n", 1, 200, "", 0);
}

static void test_no_body(void **state)
{
    (void)state;
    expect_body("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", 0, 204,
                "", 1);
    expect_body("HTTP/1.1 304 Not Modified\r\n\r\n", 0, 304, "", 1);
    expect_body("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early\r\n"
                "Link: </x>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
                "\r\nz",
                0, 200, "z", 1);
}

static void test_headers(void **state)
{
    (void)state;
    const char *m = "HTTP/1.1 301 Moved\r\nLocation: /new\r\n"
                    "Content-Type: text/html;\r\n charset=utf-8\r\n"
                    "Location: /ignored\r\nX-Empty:\r\n"
                    "Content-Length: 0\r\n\r\nEXTRA";
    struct http_resp r;
    http_resp_init(&r, MAX_BODY);
    size_t used;
    assert_int_equal(http_resp_feed(&r, m, strlen(m), &used), HTTP_DONE);
    assert_int_equal(used, strlen(m) - 5); /* EXTRA is not ours */
    assert_string_equal(r.location, "/new");
    assert_string_equal(r.content_type, "text/html; charset=utf-8");
    assert_true(http_resp_has_headers(&r));
    http_resp_free(&r);
}

static void test_malformed(void **state)
{
    (void)state;
    static const char *bad[] = {
        "HTTP/2 200 OK\r\n\r\n",
        "FOO/1.1 200 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 099 Low\r\n\r\n",
        "HTTP/1.1 abc OK\r\n\r\n",
        "HTTP/1.1 101 Switching\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nx",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n", /* > max */
        "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
        "HTTP/1.1 200 OK\r\n folded first\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\x01b\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;x\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "3\r\nabcX\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "FFFFFFFFFFFFFFFFFFFF\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "200000\r\n", /* chunk larger than max body */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_error(bad[i], strlen(bad[i]), 1);
    /* A NUL in the head. */
    expect_error("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", 27, 1);
    /* Truncated messages end in an error at EOF. */
    expect_error("", 0, 1);
    expect_error("HTTP/1.1 200 OK\r\nContent-Le", 27, 1);
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", 41, 1);
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
                 51, 1);
}

static void test_limits(void **state)
{
    (void)state;
    /* A head over HTTP_MAX_HEADER is refused, not buffered forever. */
    size_t n = HTTP_MAX_HEADER + 100;
    char *m = malloc(n);
    memcpy(m, "HTTP/1.1 200 OK\r\nX: ", 20);
    memset(m + 20, 'a', n - 20);
    expect_error(m, n, 0);
    /* A close-delimited body over the limit. */
    struct http_resp r;
    http_resp_init(&r, 10);
    size_t used;
    const char *h = "HTTP/1.1 200 OK\r\n\r\n";
    assert_int_equal(http_resp_feed(&r, h, strlen(h), &used), HTTP_MORE);
    assert_int_equal(http_resp_feed(&r, m, 11, &used), HTTP_ERROR);
    assert_string_equal(r.error, "body too large");
    http_resp_free(&r);
    free(m);
}

/* Random bytes, and valid messages with random bytes changed: whatever
 * happens, no crash, and DONE/ERROR/MORE only. */
static void test_fuzz(void **state)
{
    (void)state;
    const char *valid =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
        "Content-Length: 4\r\nLocation: /x\r\n\r\n4\r\nabcd\r\n0\r\n\r\n";
    char buf[256];
    srand(12345);
    for (int iter = 0; iter < 20000; iter++) {
        size_t len;
        if (iter % 2) {
            len = strlen(valid);
            memcpy(buf, valid, len);
            for (int k = rand() % 4; k >= 0; k--)
                buf[rand() % len] = (char)(rand() % 256);
        } else {
            len = (size_t)(rand() % (int)sizeof(buf));
            for (size_t k = 0; k < len; k++)
                buf[k] = (char)(rand() % 256);
            if (len > 8 && iter % 4 == 0)
                memcpy(buf, "HTTP/1.1 ", 9);
        }
        struct http_resp r;
        int rc = parse(&r, buf, len, (size_t)(1 + rand() % 16), 1);
        assert_true(rc == HTTP_DONE || rc == HTTP_ERROR || rc == HTTP_MORE);
        if (rc == HTTP_ERROR)
            assert_non_null(r.error);
        http_resp_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_close_delimited),
        cmocka_unit_test(test_no_body),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
