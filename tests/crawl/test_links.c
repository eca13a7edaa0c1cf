/*
 * test_links.c - the HTML link scanner: quoting styles, character
 * references, comments and raw text skipped, <base>, odd and truncated
 * markup, and random input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "links.h"

/* Collects "R:value\n" / "B:value\n" lines. */
static void collect(void *arg, enum link_kind kind, const char *ref, size_t len)
{
    struct buf *b = arg;
    buf_adds(b, kind == LINK_BASE ? "B:" : "R:");
    buf_add(b, ref, len);
    buf_addc(b, '\n');
}

static void expect_links(const char *html, const char *want)
{
    struct buf b = {0};
    long n = links_extract(html, strlen(html), collect, &b);
    const char *got = b.data ? b.data : "";
    if (strcmp(got, want) != 0)
        fail_msg("for:\n%s\ngot:\n%s\nexpected:\n%s", html, got, want);
    long lines = 0;
    for (const char *p = got; *p; p++)
        lines += (*p == '\n');
    assert_int_equal(n, lines);
    buf_free(&b);
}

static void test_quoting(void **state)
{
    (void)state;
    expect_links("<a href=\"a.html\">x</a><a href='b.html'>"
                 "<a href=c.html><A HREF = \"d.html\" >"
                 "<img src=/i.png alt=x><a\nhref\n=\ne.html\n>",
                 "R:a.html\nR:b.html\nR:c.html\nR:d.html\nR:/i.png\n"
                 "R:e.html\n");
    expect_links("<a title='x > y' href=\"q.html?a=1&amp;b=2\">",
                 "R:q.html?a=1&b=2\n");
    expect_links("<a href=\"&#47;x&#x2F;y&#X2f;&lt;&gt;&quot;&apos;&unknown;"
                 "&amp\">",
                 "R:/x/y/<>\"'&unknown;&\n");
    expect_links("<a href=\"caf&#233;\">", "R:caf\xc3\xa9\n");
    expect_links("<a href=\"\">", "R:\n");
    expect_links("<a href=a.html/>", "R:a.html/\n");
}

static void test_skipped(void **state)
{
    (void)state;
    expect_links("<!-- <a href=c1> --><a href=ok1>"
                 "<script src=s.js>var x = '<a href=c2>';</script>"
                 "<style>a { background: url(<a href=c3>) }</STYLE>"
                 "<![CDATA[ x ]]><?xml x?><!DOCTYPE html>"
                 "</a href=c4><a data-href=c5 hreflang=en srcset=c6>"
                 "<p>1 < 2 and <3 <a href=ok2>",
                 "R:ok1\nR:s.js\nR:ok2\n");
}

static void test_base(void **state)
{
    (void)state;
    expect_links("<head><base href=\"http://h/dir/\"><link href=s.css>",
                 "B:http://h/dir/\nR:s.css\n");
    expect_links("<base target=_blank>", "");
}

static void test_truncated(void **state)
{
    (void)state;
    expect_links("<a href=\"never closed", "");
    expect_links("<a href=", "");
    expect_links("<a href", "");
    expect_links("<!-- no end <a href=x>", "");
    expect_links("<script><a href=x>", "");
    expect_links("<", "");
    expect_links("", "");
}

static void test_fuzz(void **state)
{
    (void)state;
    static const char alphabet[] = "<>ahref=src\"' /!-&#;x";
    char buf[300];
    srand(777);
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = (size_t)(rand() % (int)sizeof(buf));
        for (size_t k = 0; k < len; k++)
            buf[k] = iter % 3 ? alphabet[rand() % (sizeof(alphabet) - 1)]
                              : (char)(rand() % 256);
        struct buf b = {0};
        long n = links_extract(buf, len, collect, &b);
        assert_true(n >= 0);
        buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoting), cmocka_unit_test(test_skipped),
        cmocka_unit_test(test_base),    cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
