/*
 * source.c - source-level helpers over libclang: locations, the text of a
 * cursor, operators read from the source between two operands (libclang
 * 14 has no accessor for an operator's kind), USRs and the eel types.
 */
#include "build.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

const char *ea_str(struct ea_tu *t, CXString s)
{
    const char *c = clang_getCString(s);
    struct ea_priv *p = ea_priv(t->prog);
    const char *r = ea_intern(&p->strings, &p->arena, c ? c : "");
    clang_disposeString(s);
    return r;
}

static struct ea_file_cache *file_entry(struct ea_tu *t, CXFile f)
{
    for (size_t i = 0; i < t->nfiles; i++)
        if (t->files[i].file == f)
            return &t->files[i];
    if (t->nfiles == t->capfiles) {
        t->capfiles = t->capfiles ? t->capfiles * 2 : 16;
        t->files = ea_xrealloc(t->files, t->capfiles * sizeof(*t->files));
    }
    struct ea_file_cache *e = &t->files[t->nfiles++];
    e->file = f;
    CXString s = clang_getFileName(f);
    const char *n = clang_getCString(s);
    struct ea_priv *p = ea_priv(t->prog);
    char buf[PATH_MAX + 2];
    if (n && t->dir && n[0] != '/') {
        snprintf(buf, sizeof(buf), "%s/%s", t->dir, n);
        char *rp = realpath(buf, NULL);
        e->name = ea_intern(&p->strings, &p->arena, rp ? rp : buf);
        free(rp);
    } else {
        e->name = ea_intern(&p->strings, &p->arena, n ? n : "?");
    }
    clang_disposeString(s);
    e->contents = clang_getFileContents(t->tu, f, &e->size);
    return e;
}

static struct ea_loc expansion_loc(struct ea_tu *t, CXSourceLocation s)
{
    struct ea_loc l = {0};
    CXFile f;
    unsigned line, col, off;
    clang_getExpansionLocation(s, &f, &line, &col, &off);
    if (!f)
        return l;
    l.file = file_entry(t, f)->name;
    l.line = line;
    l.col = col;
    return l;
}

struct ea_loc ea_cursor_loc(struct ea_tu *t, CXCursor c)
{
    return expansion_loc(t, clang_getCursorLocation(c));
}

struct ea_loc ea_cursor_last_token_loc(struct ea_tu *t, CXCursor c)
{
    CXSourceRange r = clang_getCursorExtent(c);
    CXToken *toks = NULL;
    unsigned n = 0;
    clang_tokenize(t->tu, r, &toks, &n);
    if (n) {
        struct ea_loc l =
            expansion_loc(t, clang_getTokenLocation(t->tu, toks[n - 1]));
        clang_disposeTokens(t->tu, toks, n);
        return l;
    }
    /* Not tokenizable (its ends lie in different files): the extent ends
     * one character past its last token, which ends on that line. */
    struct ea_loc l = expansion_loc(t, clang_getRangeEnd(r));
    if (l.col > 1)
        l.col--;
    return l;
}

/* The file and offsets of a range's ends, by expansion or by spelling. */
static int range_offsets(struct ea_tu *t, CXSourceRange r, int spelling,
                         struct ea_file_cache **fc, unsigned *b, unsigned *e)
{
    CXFile f1, f2;
    CXSourceLocation s = clang_getRangeStart(r), en = clang_getRangeEnd(r);
    if (spelling) {
        clang_getSpellingLocation(s, &f1, NULL, NULL, b);
        clang_getSpellingLocation(en, &f2, NULL, NULL, e);
    } else {
        clang_getExpansionLocation(s, &f1, NULL, NULL, b);
        clang_getExpansionLocation(en, &f2, NULL, NULL, e);
    }
    if (!f1 || f1 != f2 || *b > *e)
        return 0;
    *fc = file_entry(t, f1);
    return (*fc)->contents && *e <= (*fc)->size;
}

/* Copies src[b..e) collapsing whitespace; at most `max` characters. */
static const char *collapse(struct ea_tu *t, const char *src, unsigned b,
                            unsigned e)
{
    enum { MAX = 200 };
    char buf[MAX + 8];
    size_t n = 0;
    int space = 0;
    for (unsigned i = b; i < e && n < MAX; i++) {
        char ch = src[i];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\\') {
            space = n > 0;
            continue;
        }
        if (space)
            buf[n++] = ' ';
        space = 0;
        buf[n++] = ch;
    }
    if (n >= MAX)
        memcpy(buf + n, "...", 4);
    else
        buf[n] = 0;
    struct ea_priv *p = ea_priv(t->prog);
    return ea_intern(&p->strings, &p->arena, buf);
}

const char *ea_cursor_text(struct ea_tu *t, CXCursor c)
{
    CXSourceRange r = clang_getCursorExtent(c);
    struct ea_file_cache *fc;
    unsigned b, e;
    if (range_offsets(t, r, 0, &fc, &b, &e) && b < e)
        return collapse(t, fc->contents, b, e);
    if (range_offsets(t, r, 1, &fc, &b, &e) && b < e)
        return collapse(t, fc->contents, b, e);
    return ea_str(t, clang_getCursorSpelling(c));
}

/* Skips blanks, comments and parentheses from src[i..e) into out. */
static int squeeze(const char *src, unsigned b, unsigned e, char *out,
                   size_t outsize)
{
    size_t n = 0;
    for (unsigned i = b; i < e; i++) {
        char ch = src[i];
        if (ch == '/' && i + 1 < e && src[i + 1] == '*') {
            const char *end = strstr(src + i + 2, "*/");
            if (!end || (unsigned)(end - src) >= e)
                return 0;
            i = (unsigned)(end - src) + 1;
            continue;
        }
        if (ch == '/' && i + 1 < e && src[i + 1] == '/') {
            while (i < e && src[i] != '\n')
                i++;
            continue;
        }
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '(' ||
            ch == ')' || ch == '\\')
            continue;
        if (n + 1 >= outsize)
            return 0;
        out[n++] = ch;
    }
    out[n] = 0;
    return n > 0;
}

const char *ea_text_between(struct ea_tu *t, CXCursor a, int a_end, CXCursor b,
                            int b_start, char *buf, size_t bufsize)
{
    for (int spelling = 0; spelling < 2; spelling++) {
        CXSourceRange ra = clang_getCursorExtent(a);
        CXSourceRange rb = clang_getCursorExtent(b);
        CXSourceRange r = clang_getRange(
            a_end ? clang_getRangeEnd(ra) : clang_getRangeStart(ra),
            b_start ? clang_getRangeStart(rb) : clang_getRangeEnd(rb));
        struct ea_file_cache *fc;
        unsigned s, e;
        if (!range_offsets(t, r, spelling, &fc, &s, &e))
            continue;
        if (e - s > 64)
            continue;
        if (squeeze(fc->contents, s, e, buf, bufsize))
            return buf;
    }
    return NULL;
}

const char *ea_usr(struct ea_tu *t, CXCursor c)
{
    return ea_str(t, clang_getCursorUSR(c));
}

static CXType peel(CXType t)
{
    for (int i = 0; i < 16; i++) {
        if (t.kind == CXType_Elaborated)
            t = clang_Type_getNamedType(t);
        else
            break;
    }
    return t;
}

int ea_type_is_group_id(CXType t)
{
    for (int depth = 0; depth < 16; depth++) {
        t = peel(t);
        if (t.kind != CXType_Typedef)
            return 0;
        CXString s = clang_getTypedefName(t);
        int hit = strcmp(clang_getCString(s), "eel_group_id") == 0;
        clang_disposeString(s);
        if (hit)
            return 1;
        t = clang_getTypedefDeclUnderlyingType(clang_getTypeDeclaration(t));
    }
    return 0;
}

static int is_callback_proto(CXType f)
{
    if (f.kind != CXType_FunctionProto || clang_getNumArgTypes(f) != 3)
        return 0;
    if (clang_getCanonicalType(clang_getResultType(f)).kind != CXType_Void)
        return 0;
    CXType a0 = clang_getCanonicalType(clang_getArgType(f, 0));
    CXType a1 = clang_getCanonicalType(clang_getArgType(f, 1));
    CXType a2 = clang_getCanonicalType(clang_getArgType(f, 2));
    int u64 = (a0.kind == CXType_ULong || a0.kind == CXType_ULongLong) &&
              clang_Type_getSizeOf(a0) == 8;
    int vp =
        a1.kind == CXType_Pointer &&
        clang_getCanonicalType(clang_getPointeeType(a1)).kind == CXType_Void;
    return u64 && vp && a2.kind == CXType_Int;
}

int ea_type_is_callback(CXType t)
{
    t = clang_getCanonicalType(t);
    if (t.kind == CXType_Pointer)
        t = clang_getCanonicalType(clang_getPointeeType(t));
    return is_callback_proto(t);
}

int ea_cursor_is_noreturn(CXCursor decl)
{
    static const char *const names[] = {"exit",
                                        "_exit",
                                        "_Exit",
                                        "abort",
                                        "err",
                                        "errx",
                                        "verr",
                                        "verrx",
                                        "__assert_fail",
                                        "longjmp",
                                        "siglongjmp",
                                        "pthread_exit",
                                        "__builtin_unreachable",
                                        "__stack_chk_fail",
                                        "quick_exit",
                                        "__builtin_trap"};
    CXString s = clang_getCursorSpelling(decl);
    const char *n = clang_getCString(s);
    int hit = 0;
    for (size_t i = 0; n && i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(n, names[i]) == 0)
            hit = 1;
    clang_disposeString(s);
    if (hit)
        return 1;
    CXString ts = clang_getTypeSpelling(clang_getCursorType(decl));
    hit = strstr(clang_getCString(ts), "noreturn") != NULL;
    clang_disposeString(ts);
    return hit;
}

struct kids {
    CXCursor *v;
    unsigned n, cap;
};

static enum CXChildVisitResult collect(CXCursor c, CXCursor parent,
                                       CXClientData d)
{
    (void)parent;
    struct kids *k = d;
    if (k->n == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 8;
        k->v = ea_xrealloc(k->v, k->cap * sizeof(CXCursor));
    }
    k->v[k->n++] = c;
    return CXChildVisit_Continue;
}

CXCursor *ea_children(CXCursor c, unsigned *n)
{
    struct kids k = {0};
    clang_visitChildren(c, collect, &k);
    *n = k.n;
    return k.v;
}

int ea_is_expr(CXCursor c)
{
    return clang_isExpression(clang_getCursorKind(c));
}
