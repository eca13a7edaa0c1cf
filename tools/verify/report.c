/*
 * report.c - eelverify's rules and findings: collecting them (one per rule,
 * place and message, keeping the shortest path), sorting, and printing
 * them the way gcc does, with the path as notes like gcc -fanalyzer.
 */
#include <stdlib.h>
#include <string.h>

#include "verify.h"

static const struct {
    const char *id;
    const char *summary;
} rules[R_NRULES] = {
    [R_GROUP_LEAK] = {"eel-group-leak",
                      "A group id reaches a return without being registered "
                      "(handed on) or deleted"},
    [R_USE_AFTER_DELETE] = {"eel-use-after-delete",
                            "A group id is registered after it was deleted"},
    [R_DOUBLE_DELETE] = {"eel-double-delete",
                         "A group id is deleted twice on one path"},
    [R_RESOURCE_LEAK] = {"eel-resource-leak",
                         "A paired resource (malloc/free, open/close, ...) "
                         "is neither released nor handed on"},
    [R_DOUBLE_RELEASE] = {"eel-double-release",
                          "A paired resource is released twice on one path"},
    [R_FD_USE_AFTER_CLOSE] = {"eel-fd-use-after-close",
                              "A file descriptor is used after it was closed"},
    [R_UNKNOWN_CALL] = {"eel-unknown-call",
                        "A group or resource is passed to a function pointer "
                        "the analysis cannot resolve; its fate is unknown"},
};

const char *vrule_id(enum vrule r)
{
    return rules[r].id;
}

const char *vrule_summary(enum vrule r)
{
    return rules[r].summary;
}

int vrule_by_id(const char *id)
{
    for (int i = 0; i < R_NRULES; i++)
        if (strcmp(rules[i].id, id) == 0)
            return i;
    return -1;
}

static int same_loc(const struct ea_loc *a, const struct ea_loc *b)
{
    if (a->line != b->line || a->col != b->col)
        return 0;
    if (!a->file || !b->file)
        return a->file == b->file;
    return strcmp(a->file, b->file) == 0;
}

struct vnote *vnotes_copy(const struct vnote *notes, size_t n)
{
    struct vnote *c = xcalloc(n, sizeof(*c));
    for (size_t i = 0; i < n; i++) {
        c[i].loc = notes[i].loc;
        c[i].msg = xstrdup(notes[i].msg);
    }
    return c;
}

void vnotes_free(struct vnote *notes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((char *)notes[i].msg);
    free(notes);
}

void vreport_add(struct vreport *r, enum vrule rule, struct ea_loc loc,
                 const char *function, const char *msg,
                 const struct vnote *notes, size_t nnotes)
{
    for (size_t i = 0; i < r->n; i++) {
        struct vfinding *f = &r->items[i];
        if (f->rule == rule && same_loc(&f->loc, &loc) &&
            strcmp(f->msg, msg) == 0) {
            if (nnotes < f->nnotes) {
                vnotes_free(f->notes, f->nnotes);
                f->notes = vnotes_copy(notes, nnotes);
                f->nnotes = nnotes;
            }
            return;
        }
    }
    if (vsuppressed(loc.file, loc.line, rule)) {
        r->suppressed++;
        return;
    }
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->items = xrealloc(r->items, r->cap * sizeof(*r->items));
    }
    struct vfinding *f = &r->items[r->n++];
    f->rule = rule;
    f->loc = loc;
    f->function = function;
    f->msg = xstrdup(msg);
    f->notes = vnotes_copy(notes, nnotes);
    f->nnotes = nnotes;
}

static int cmp_finding(const void *pa, const void *pb)
{
    const struct vfinding *a = pa, *b = pb;
    int c = strcmp(vloc_file(&a->loc), vloc_file(&b->loc));
    if (c)
        return c;
    if (a->loc.line != b->loc.line)
        return a->loc.line < b->loc.line ? -1 : 1;
    if (a->loc.col != b->loc.col)
        return a->loc.col < b->loc.col ? -1 : 1;
    if (a->rule != b->rule)
        return a->rule < b->rule ? -1 : 1;
    return strcmp(a->msg, b->msg);
}

void vreport_sort(struct vreport *r)
{
    if (r->n > 1)
        qsort(r->items, r->n, sizeof(*r->items), cmp_finding);
}

void vreport_truncate(struct vreport *r, size_t n)
{
    for (size_t i = n; i < r->n; i++) {
        vnotes_free(r->items[i].notes, r->items[i].nnotes);
        free((char *)r->items[i].msg);
    }
    r->n = n;
}

void vreport_free(struct vreport *r)
{
    vreport_truncate(r, 0);
    free(r->items);
    memset(r, 0, sizeof(*r));
}

static void print_loc(FILE *out, const struct ea_loc *l)
{
    fprintf(out, "%s:%u:%u", vloc_file(l), l->line, l->col ? l->col : 1);
}

void vdiag_print(const struct vreport *r, FILE *out)
{
    const struct vfinding *last = NULL;
    for (size_t i = 0; i < r->n; i++) {
        const struct vfinding *f = &r->items[i];
        /* As gcc: the function is named when it changes. */
        int same = last && last->function && f->function &&
                   !strcmp(last->function, f->function) &&
                   !strcmp(vloc_file(&last->loc), vloc_file(&f->loc));
        last = f;
        if (f->function && !same) {
            fprintf(out, "%s: In function '%s':\n", vloc_file(&f->loc),
                    f->function);
        }
        print_loc(out, &f->loc);
        fprintf(out, ": warning: %s [%s]\n", f->msg, vrule_id(f->rule));
        for (size_t j = 0; j < f->nnotes; j++) {
            print_loc(out, &f->notes[j].loc);
            fprintf(out, ": note: (%zu) %s\n", j + 1, f->notes[j].msg);
        }
    }
}
