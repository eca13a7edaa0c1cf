/*
 * test_http.c - unit tests of eelplb's HTTP head parser, body framer and
 * head rewriting (cmocka).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "headers.h"
#include "http.h"

static int req(const char *s, struct http_msg *m)
{
    return http_parse_request(s, strlen(s), 8192, m);
}

static void test_request_basic(void **state)
{
    struct http_msg m;
    (void)state;
    const char *s = "GET /a?b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    "NEXT";
    assert_int_equal(req(s, &m), HTTP_DONE);
    assert_int_equal(m.head_len, strlen(s) - 4);
    assert_true(http_span_eq(m.method, "GET"));
    assert_int_equal(m.target.n, 4);
    assert_int_equal(m.minor, 1);
    assert_true(m.conn_close);
    assert_int_equal(m.body, BODY_NONE);
    assert_int_equal(m.nheaders, 2);
}

static void test_request_incomplete_and_limits(void **state)
{
    struct http_msg m;
    char big[9000];
    (void)state;
    assert_int_equal(req("GET / HTTP/1.1\r\nHost: x\r\n", &m), HTTP_AGAIN);
    assert_int_equal(req("", &m), HTTP_AGAIN);
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    assert_int_equal(req(big, &m), HTTP_TOO_LARGE);
    /* lone LF line ends are accepted */
    assert_int_equal(req("GET / HTTP/1.0\n\n", &m), HTTP_DONE);
    assert_true(m.conn_close); /* 1.0 without keep-alive */
    assert_int_equal(
        req("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &m), HTTP_DONE);
    assert_false(m.conn_close);
}

static void test_request_errors(void **state)
{
    struct http_msg m;
    (void)state;
    assert_int_equal(req("GET / HTTP/1.1\r\n\r\n", &m), HTTP_BAD);
    assert_int_equal(req("GET / HTTP/3.0\r\nHost: x\r\n\r\n", &m),
                     HTTP_BAD_VERSION);
    assert_int_equal(req("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", &m), HTTP_BAD);
    assert_int_equal(req("G\x01T /", &m), HTTP_BAD); /* early reject */
    assert_int_equal(req("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n",
                         &m),
                     HTTP_BAD);
    assert_int_equal(req("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                         "Content-Length: 2\r\n\r\n",
                         &m),
                     HTTP_BAD);
    assert_int_equal(req("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1"
                         "\r\n\r\n",
                         &m),
                     HTTP_BAD);
    assert_int_equal(req("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                         "chunked, gzip\r\n\r\n",
                         &m),
                     HTTP_NOT_IMPL);
    assert_int_equal(req("GET / HTTP/1.1\r\nHost: x\r\n y\r\n\r\n", &m),
                     HTTP_BAD);
    assert_int_equal(req("GET / HTTP/1.1\r\nHost : x\r\n\r\n", &m), HTTP_BAD);
}

static void test_request_bodies(void **state)
{
    struct http_msg m;
    (void)state;
    assert_int_equal(req("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12"
                         "\r\nExpect: 100-continue\r\n\r\n",
                         &m),
                     HTTP_DONE);
    assert_int_equal(m.body, BODY_LENGTH);
    assert_int_equal(m.content_length, 12);
    assert_true(m.expect_continue);
    assert_int_equal(req("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                         "Chunked\r\n\r\n",
                         &m),
                     HTTP_DONE);
    assert_int_equal(m.body, BODY_CHUNKED);
}

static void test_response(void **state)
{
    struct http_msg m;
    (void)state;
    const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    assert_int_equal(http_parse_response(s, strlen(s), 8192, 0, &m), HTTP_DONE);
    assert_int_equal(m.status, 200);
    assert_int_equal(m.body, BODY_LENGTH);
    assert_int_equal(http_parse_response(s, strlen(s), 8192, 1, &m), HTTP_DONE);
    assert_int_equal(m.body, BODY_NONE); /* answer to HEAD */
    s = "HTTP/1.0 200 OK\r\n\r\n";
    assert_int_equal(http_parse_response(s, strlen(s), 8192, 0, &m), HTTP_DONE);
    assert_int_equal(m.body, BODY_TO_EOF);
    assert_true(m.conn_close);
    s = "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n";
    assert_int_equal(http_parse_response(s, strlen(s), 8192, 0, &m), HTTP_DONE);
    assert_int_equal(m.body, BODY_NONE);
    s = "HTTP/1.1 20 OK\r\n\r\n";
    assert_int_equal(http_parse_response(s, strlen(s), 8192, 0, &m), HTTP_BAD);
    assert_int_equal(http_parse_response("SMTP", 4, 8192, 0, &m), HTTP_AGAIN);
    assert_int_equal(http_parse_response("SMTP ready", 10, 8192, 0, &m),
                     HTTP_BAD);
}

static void test_framer_length(void **state)
{
    struct http_framer f;
    size_t used;
    (void)state;
    http_framer_init(&f, BODY_LENGTH, 5);
    assert_int_equal(http_framer_feed(&f, "abc", 3, &used), 0);
    assert_int_equal(used, 3);
    assert_int_equal(http_framer_feed(&f, "deGET", 5, &used), 1);
    assert_int_equal(used, 2);
    http_framer_init(&f, BODY_NONE, 0);
    assert_true(http_framer_done(&f));
}

static void test_framer_chunked(void **state)
{
    const char *body = "5;ext=1\r\nhello\r\n10\r\n0123456789abcdef\r\n"
                       "0\r\nTrailer: x\r\n\r\nGET";
    size_t n = strlen(body), used, total = 0;
    struct http_framer f;
    (void)state;
    /* byte by byte: the same end as all at once */
    http_framer_init(&f, BODY_CHUNKED, 0);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = http_framer_feed(&f, body + i, 1, &used);
        total += used;
    }
    assert_int_equal(rc, 1);
    assert_int_equal(total, n - 3);
    http_framer_init(&f, BODY_CHUNKED, 0);
    assert_int_equal(http_framer_feed(&f, body, n, &used), 1);
    assert_int_equal(used, n - 3);
    /* malformed */
    http_framer_init(&f, BODY_CHUNKED, 0);
    assert_int_equal(http_framer_feed(&f, "x\r\n", 3, &used), -1);
    http_framer_init(&f, BODY_CHUNKED, 0);
    assert_int_equal(http_framer_feed(&f, "2\r\nabX", 6, &used), -1);
    http_framer_init(&f, BODY_CHUNKED, 0);
    assert_int_equal(http_framer_feed(&f, "10000000000000000\r\n", 19, &used),
                     -1);
}

static void test_rewrite(void **state)
{
    struct http_msg m;
    char out[1024];
    (void)state;
    const char *s = "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n"
                    "X-Forwarded-For: 10.0.0.1\r\nKeep-Alive: 5\r\nA: b\r\n"
                    "\r\n";
    assert_int_equal(req(s, &m), HTTP_DONE);
    size_t n = head_build_request(out, sizeof(out), &m, "127.0.0.9");
    out[n] = 0;
    assert_string_equal(out, "GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n"
                             "X-Forwarded-For: 10.0.0.1, 127.0.0.9\r\n\r\n");
    assert_int_equal(head_build_request(out, 20, &m, "127.0.0.9"), 0);
    s = "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n"
        "\r\n";
    assert_int_equal(http_parse_response(s, strlen(s), 8192, 0, &m), HTTP_DONE);
    n = head_build_response(out, sizeof(out), &m, 1, 1);
    out[n] = 0;
    assert_string_equal(out, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
                             "Connection: close\r\n\r\n");
    n = head_build_error(out, sizeof(out), 431);
    assert_true(n > 0 && strncmp(out, "HTTP/1.1 431 ", 13) == 0);
}

static void test_idempotent(void **state)
{
    (void)state;
    assert_true(http_method_idempotent((struct http_span){"GET", 3}));
    assert_true(http_method_idempotent((struct http_span){"PUT", 3}));
    assert_false(http_method_idempotent((struct http_span){"POST", 4}));
    assert_false(http_method_idempotent((struct http_span){"PATCH", 5}));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_basic),
        cmocka_unit_test(test_request_incomplete_and_limits),
        cmocka_unit_test(test_request_errors),
        cmocka_unit_test(test_request_bodies),
        cmocka_unit_test(test_response),
        cmocka_unit_test(test_framer_length),
        cmocka_unit_test(test_framer_chunked),
        cmocka_unit_test(test_rewrite),
        cmocka_unit_test(test_idempotent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
