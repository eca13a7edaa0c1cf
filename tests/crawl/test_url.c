/*
 * test_url.c - URL resolution (RFC 3986 section 5.4's examples, adapted to
 * an http base), normalisation, and the file names pages are saved under.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "save.h"
#include "url.h"

static struct url base;

static void expect_resolve(const char *ref, const char *want)
{
    struct url u;
    int rc = url_resolve(&base, ref, strlen(ref), &u);
    if (!want) {
        if (rc == 0)
            fail_msg("'%s' resolved to %s, expected failure", ref,
                     url_string(&u));
        return;
    }
    if (rc != 0)
        fail_msg("'%s' did not resolve (expected %s)", ref, want);
    char *s = url_string(&u);
    if (strcmp(s, want) != 0)
        fail_msg("'%s' -> %s, expected %s", ref, s, want);
    free(s);
    url_free(&u);
}

static int setup(void **state)
{
    (void)state;
    return url_parse("http://a/b/c/d;p?q", &base);
}

static int teardown(void **state)
{
    (void)state;
    url_free(&base);
    return 0;
}

static void test_rfc_normal(void **state)
{
    (void)state;
    expect_resolve("g:h", NULL); /* not http */
    expect_resolve("g", "http://a/b/c/g");
    expect_resolve("./g", "http://a/b/c/g");
    expect_resolve("g/", "http://a/b/c/g/");
    expect_resolve("/g", "http://a/g");
    expect_resolve("//g", "http://g/");
    expect_resolve("?y", "http://a/b/c/d;p?y");
    expect_resolve("g?y", "http://a/b/c/g?y");
    expect_resolve("#s", "http://a/b/c/d;p?q");
    expect_resolve("g#s", "http://a/b/c/g");
    expect_resolve("g?y#s", "http://a/b/c/g?y");
    expect_resolve(";x", "http://a/b/c/;x");
    expect_resolve("g;x", "http://a/b/c/g;x");
    expect_resolve("g;x?y#s", "http://a/b/c/g;x?y");
    expect_resolve("", "http://a/b/c/d;p?q");
    expect_resolve(".", "http://a/b/c/");
    expect_resolve("./", "http://a/b/c/");
    expect_resolve("..", "http://a/b/");
    expect_resolve("../", "http://a/b/");
    expect_resolve("../g", "http://a/b/g");
    expect_resolve("../..", "http://a/");
    expect_resolve("../../", "http://a/");
    expect_resolve("../../g", "http://a/g");
}

static void test_rfc_abnormal(void **state)
{
    (void)state;
    expect_resolve("../../../g", "http://a/g");
    expect_resolve("../../../../g", "http://a/g");
    expect_resolve("/./g", "http://a/g");
    expect_resolve("/../g", "http://a/g");
    expect_resolve("g.", "http://a/b/c/g.");
    expect_resolve(".g", "http://a/b/c/.g");
    expect_resolve("g..", "http://a/b/c/g..");
    expect_resolve("..g", "http://a/b/c/..g");
    expect_resolve("./../g", "http://a/b/g");
    expect_resolve("./g/.", "http://a/b/c/g/");
    expect_resolve("g/./h", "http://a/b/c/g/h");
    expect_resolve("g/../h", "http://a/b/c/h");
    expect_resolve("g;x=1/./y", "http://a/b/c/g;x=1/y");
    expect_resolve("g;x=1/../y", "http://a/b/c/y");
    expect_resolve("g?y/./x", "http://a/b/c/g?y/./x");
    expect_resolve("g?y/../x", "http://a/b/c/g?y/../x");
    expect_resolve("g#s/./x", "http://a/b/c/g");
    expect_resolve("g#s/../x", "http://a/b/c/g");
    expect_resolve("http:g", NULL); /* strict parsing: no authority */
}

static void test_normalise(void **state)
{
    (void)state;
    expect_resolve("HTTP://Example.COM:80/%7euser/a%2fb%zz c",
                   "http://example.com/~user/a%2Fb%25zz%20c");
    expect_resolve("http://h:8080", "http://h:8080/");
    expect_resolve("http://h:/x", "http://h/x");
    expect_resolve("http://h.:81/x", "http://h:81/x");
    expect_resolve("http://user:pw@h/x", "http://h/x");
    expect_resolve("https://h/", "https://h/");
    expect_resolve("https://h:443/", "https://h/");
    expect_resolve(" \n http://h/a\tb?c d\n ", "http://h/ab?c%20d");
    expect_resolve("/%2e%2E/x/%2E/y", "http://a/x/y");
    expect_resolve("/caf\xc3\xa9", "http://a/caf%C3%A9");
    expect_resolve("a\\b", "http://a/b/c/a%5Cb");
    expect_resolve("/x?a=1&b=/c?d", "http://a/x?a=1&b=/c?d");
    expect_resolve("http://h:0/", NULL);
    expect_resolve("http://h:65536/", NULL);
    expect_resolve("http://h:8x/", NULL);
    expect_resolve("http://[::1]/", NULL);
    expect_resolve("http:///x", NULL);
    expect_resolve("http://h%41/", NULL);
    expect_resolve("mailto:x@y", NULL);
    expect_resolve("javascript:void(0)", NULL);
    expect_resolve("data:text/html,hi", NULL);
    struct url u;
    assert_int_equal(url_parse("/relative", &u), -1);
    assert_int_equal(url_parse("ftp://h/", &u), -1);
}

static void test_parts(void **state)
{
    (void)state;
    struct url u;
    assert_int_equal(url_parse("http://Host:8080/a/b?x=1#f", &u), 0);
    assert_string_equal(u.host, "host");
    assert_int_equal(u.port, 8080);
    assert_string_equal(u.path, "/a/b");
    assert_string_equal(u.query, "x=1");
    char *t = url_target(&u), *hp = url_hostport(&u);
    assert_string_equal(t, "/a/b?x=1");
    assert_string_equal(hp, "host:8080");
    free(t);
    free(hp);
    struct url c;
    assert_int_equal(url_copy(&u, &c), 0);
    char *s1 = url_string(&u), *s2 = url_string(&c);
    assert_string_equal(s1, s2);
    free(s1);
    free(s2);
    url_free(&c);
    url_free(&u);
}

static void expect_relpath(const char *url, const char *want)
{
    struct url u;
    assert_int_equal(url_parse(url, &u), 0);
    char *p = save_relpath(&u);
    if (strcmp(p, want) != 0)
        fail_msg("%s saved as %s, expected %s", url, p, want);
    free(p);
    url_free(&u);
}

static void test_save_paths(void **state)
{
    (void)state;
    expect_relpath("http://h/", "h/index.html");
    expect_relpath("http://h:8080/a/", "h:8080/a/index.html");
    expect_relpath("http://h/a/b.html", "h/a/b.html");
    expect_relpath("http://h/a?x=/y", "h/a?x=%2Fy");
    expect_relpath("http://h//a//b", "h/a/b");
    expect_relpath("http://h/../../etc/passwd", "h/etc/passwd");
    expect_relpath("http://h/%2e%2e/x", "h/x");
    expect_relpath("http://h/a%2F..%2Fb", "h/a%2F..%2Fb");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rfc_normal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rfc_abnormal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalise, setup, teardown),
        cmocka_unit_test(test_parts),
        cmocka_unit_test(test_save_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
