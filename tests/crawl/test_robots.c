/*
 * test_robots.c - robots.txt groups, precedence of our own agent over "*",
 * longest match with allow winning ties, wildcards and anchors,
 * Crawl-delay, and tolerance of junk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "robots.h"

static struct robots parse(const char *text)
{
    struct robots r;
    assert_int_equal(robots_parse(&r, text, strlen(text), "eelcrawl"), 0);
    return r;
}

static void test_star_group(void **state)
{
    (void)state;
    struct robots r = parse("# comment\nUser-agent: *\nDisallow: /private/\n"
                            "Disallow: /tmp # trailing comment\n\n"
                            "User-agent: otherbot\nDisallow: /\n");
    assert_true(robots_allowed(&r, "/"));
    assert_true(robots_allowed(&r, "/public/x.html"));
    assert_false(robots_allowed(&r, "/private/"));
    assert_false(robots_allowed(&r, "/private/a.html"));
    assert_true(robots_allowed(&r, "/privatex"));
    assert_false(robots_allowed(&r, "/tmpfile"));
    assert_int_equal(r.crawl_delay_ms, -1);
    robots_free(&r);
}

static void test_own_agent_wins(void **state)
{
    (void)state;
    struct robots r = parse("User-agent: *\nDisallow: /\n\n"
                            "User-Agent: otherbot\nUser-agent: EELCRAWL\n"
                            "Disallow: /no\nCrawl-delay: 1.5\n");
    assert_true(robots_allowed(&r, "/yes"));
    assert_false(robots_allowed(&r, "/no/x"));
    assert_int_equal(r.crawl_delay_ms, 1500);
    robots_free(&r);
}

static void test_longest_match(void **state)
{
    (void)state;
    struct robots r = parse("user-agent: *\r\ndisallow: /a\r\n"
                            "allow: /a/b\r\ndisallow: /a/b/c\r\n"
                            "allow: /t\r\ndisallow: /t\r\n");
    assert_false(robots_allowed(&r, "/a/x"));
    assert_true(robots_allowed(&r, "/a/b/x"));
    assert_false(robots_allowed(&r, "/a/b/c/d"));
    assert_true(robots_allowed(&r, "/t")); /* tie: allow wins */
    robots_free(&r);
}

static void test_wildcards(void **state)
{
    (void)state;
    struct robots r = parse("User-agent: *\nDisallow: /*.pdf$\n"
                            "Disallow: /x/*/y\nDisallow: /*?session=\n"
                            "Allow: /x/ok/y\nDisallow: /end$\n");
    assert_false(robots_allowed(&r, "/docs/a.pdf"));
    assert_true(robots_allowed(&r, "/docs/a.pdf.html"));
    assert_false(robots_allowed(&r, "/x/1/2/y"));
    assert_true(robots_allowed(&r, "/x/ok/y"));
    assert_false(robots_allowed(&r, "/p?session=2"));
    assert_true(robots_allowed(&r, "/p?a=1&session=2"));
    assert_false(robots_allowed(&r, "/end"));
    assert_true(robots_allowed(&r, "/endless"));
    robots_free(&r);
}

static void test_junk(void **state)
{
    (void)state;
    struct robots r = parse("\xEF\xBB\xBFnonsense line\nDisallow: /before\n"
                            "User-agent: *\nDisallow:\nCrawl-delay: soon\n"
                            "Sitemap: http://h/s.xml\n:\n");
    assert_true(robots_allowed(&r, "/before")); /* rule outside a group */
    assert_true(robots_allowed(&r, "/anything"));
    assert_int_equal(r.crawl_delay_ms, -1);
    robots_free(&r);
    r = parse("");
    assert_true(robots_allowed(&r, "/"));
    robots_free(&r);
    robots_allow_all(&r);
    assert_true(robots_allowed(&r, "/x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_star_group),
        cmocka_unit_test(test_own_agent_wins),
        cmocka_unit_test(test_longest_match),
        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_junk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
