/*
 * test_units.c - cmocka unit tests of eelverify's small parts: integer
 * ranges (the path pruning rests on them), suppression comments, the
 * config file and --pair parsing, and findings' de-duplication.  The
 * engine as a whole is tested through the fixtures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"

static void test_refine_eq_ne(void **state)
{
    (void)state;
    struct ival v = iv_range(-1, V_MAX); /* n = read(...) */
    assert_true(iv_refine(&v, "==", -1, 1));
    assert_int_equal(v.lo, -1);
    assert_int_equal(v.hi, -1);
    /* n == -1 and then n == 0: impossible. */
    assert_false(iv_refine(&v, "==", 0, 1));

    v = iv_range(-1, V_MAX);
    assert_true(iv_refine(&v, "==", -1, 0)); /* n != -1 */
    assert_int_equal(v.lo, 0);
    assert_true(iv_refine(&v, "!=", 0, 1)); /* and n != 0 */
    assert_int_equal(v.lo, 1);
    assert_false(iv_refine(&v, "<=", 0, 1));
}

static void test_refine_ranges(void **state)
{
    (void)state;
    struct ival r = iv_range(-1, V_MAX);
    assert_true(iv_refine(&r, "<", 0, 0));  /* if (r < 0) return; */
    assert_true(iv_refine(&r, "==", 0, 0)); /* if (r == 0) return; */
    assert_false(iv_refine(&r, ">", 0, 0)); /* r > 0 cannot fail */

    struct ival x = iv_top();
    assert_true(iv_refine(&x, "!=", 5, 1)); /* excluded value kept */
    assert_true(x.has_ne);
    assert_false(iv_refine(&x, "==", 5, 1));
    x = iv_top();
    assert_false(iv_refine(&x, "<", V_MIN, 1)); /* no overflow */
    x = iv_top();
    assert_false(iv_refine(&x, ">", V_MAX, 1));
}

static void test_may(void **state)
{
    (void)state;
    struct ival a = iv_range(-1, 100), zero = iv_exact(0);
    assert_true(iv_may(&a, "<", &zero, 1));
    assert_true(iv_may(&a, "<", &zero, 0));
    struct ival pos = iv_range(1, 9);
    assert_false(iv_may(&pos, "<", &zero, 1));
    assert_false(iv_may(&pos, "==", &zero, 1));
}

static char tmpdir[] = "/tmp/eelverify-unit-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_suppress(void **state)
{
    (void)state;
    const char *p = write_file("s.c", "a; /* eelverify: ignore */\n"
                                      "b; // NOLINT(eel-group-leak)\n"
                                      "c; // NOLINT(eel-*)\n"
                                      "d; // NOLINT\n"
                                      "e; /* eelverify: ignore "
                                      "eel-resource-leak */\n"
                                      "f; // nothing here\n"
                                      "g; // NOLINTNEXTLINE\n");
    char *path = strdup(p);
    assert_true(vsuppressed(path, 1, R_GROUP_LEAK));
    assert_true(vsuppressed(path, 2, R_GROUP_LEAK));
    assert_false(vsuppressed(path, 2, R_RESOURCE_LEAK));
    assert_true(vsuppressed(path, 3, R_FD_USE_AFTER_CLOSE));
    assert_true(vsuppressed(path, 4, R_DOUBLE_DELETE));
    assert_true(vsuppressed(path, 5, R_RESOURCE_LEAK));
    assert_false(vsuppressed(path, 5, R_GROUP_LEAK));
    assert_false(vsuppressed(path, 6, R_GROUP_LEAK));
    assert_false(vsuppressed(path, 7, R_GROUP_LEAK));
    assert_false(vsuppressed(path, 99, R_GROUP_LEAK));
    free(path);
    vsuppress_free();
}

static void test_config(void **state)
{
    (void)state;
    struct vconfig c;
    vconfig_init(&c);
    assert_int_equal(vconfig_add_pair(&c, "uri_new:uri_free", "test"), 0);
    assert_int_equal(vconfig_add_pair(&c, "bad", "test"), -1);
    assert_int_equal(vconfig_add_pair(&c, "a b:c", "test"), -1);
    int p = vconfig_pair_by_acquire(&c, "uri_new");
    assert_true(p >= 0);
    assert_true(vconfig_is_release(&c, "uri_free", p));
    assert_false(vconfig_is_release(&c, "free", p));
    int fd = vconfig_pair_by_acquire(&c, "socket");
    assert_true(vconfig_is_release(&c, "eel_close", fd));
    assert_int_equal(vconfig_pair_by_acquire(&c, "nope"), -1);

    const char *cf = write_file("c.conf", "# comment\n"
                                          "pair conn_new:conn_free\n"
                                          "escape list_push  # owner\n"
                                          "\n");
    assert_int_equal(vconfig_load(&c, cf), 0);
    assert_true(vconfig_pair_by_acquire(&c, "conn_new") >= 0);
    assert_true(vconfig_is_escape(&c, "list_push"));
    assert_false(vconfig_is_escape(&c, "list_pop"));
    cf = write_file("bad.conf", "frobnicate 3\n");
    assert_int_equal(vconfig_load(&c, cf), -1);
    vconfig_free(&c);
}

static void test_report_dedupe(void **state)
{
    (void)state;
    struct vreport r = {0};
    struct ea_loc l = {"x.c", 3, 5};
    struct vnote long_path[3] = {
        {{"x.c", 1, 1}, "a"}, {{"x.c", 2, 1}, "b"}, {{"x.c", 3, 1}, "c"}};
    vreport_add(&r, R_GROUP_LEAK, l, "f", "m", long_path, 3);
    vreport_add(&r, R_GROUP_LEAK, l, "f", "m", long_path + 2, 1);
    vreport_add(&r, R_RESOURCE_LEAK, l, "f", "m", NULL, 0);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.items[0].nnotes, 1); /* the shorter path is kept */
    vreport_sort(&r);
    assert_int_equal(r.items[0].rule, R_GROUP_LEAK);
    assert_int_equal(vrule_by_id("eel-fd-use-after-close"),
                     R_FD_USE_AFTER_CLOSE);
    assert_int_equal(vrule_by_id("eel-nope"), -1);
    vreport_free(&r);
    vsuppress_free();
}

int main(void)
{
    if (!mkdtemp(tmpdir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refine_eq_ne),
        cmocka_unit_test(test_refine_ranges),
        cmocka_unit_test(test_may),
        cmocka_unit_test(test_suppress),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_report_dedupe),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
