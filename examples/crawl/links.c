/*
 * links.c - the HTML link scanner.
 *
 * It walks the page once, recognising just enough of the HTML tokenizer's
 * states (tags, attributes with the three quoting styles, comments, raw
 * text elements) to find attribute values reliably on real-world pages.
 * Malformed markup is skipped, never trusted: the scanner only ever moves
 * forward and stops at the end of the input.
 */
#include "links.h"
#include "buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct scan {
    const char *s;
    size_t n, i;
    links_cb cb;
    void *arg;
    long count;
    struct buf val;
};

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Moves past the first occurrence of needle (case-insensitive), or to the
 * end of the input if there is none. */
static void skip_past(struct scan *sc, const char *needle)
{
    size_t nl = strlen(needle);
    while (sc->i + nl <= sc->n) {
        if (strncasecmp(sc->s + sc->i, needle, nl) == 0) {
            sc->i += nl;
            return;
        }
        sc->i++;
    }
    sc->i = sc->n;
}

static int put_utf8(struct buf *b, unsigned long cp)
{
    char u[4];
    size_t k;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp < 0x80) {
        u[0] = (char)cp, k = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 63)), k = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 63));
        u[2] = (char)(0x80 | (cp & 63)), k = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 63));
        u[2] = (char)(0x80 | (cp >> 6 & 63)), u[3] = (char)(0x80 | (cp & 63));
        k = 4;
    }
    return buf_add(b, u, k);
}

/* Decodes one character reference at v[0] == '&'; returns bytes used
 * (0: not a reference we know, copy the '&' literally). */
static size_t decode_ref(struct buf *b, const char *v, size_t n, int *err)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"amp;", '&'},  {"lt;", '<'},    {"gt;", '>'},
                 {"quot;", '"'}, {"apos;", '\''}, {"amp", '&'}};
    if (n >= 3 && v[1] == '#') {
        size_t k = 2;
        int hex = (v[2] == 'x' || v[2] == 'X');
        if (hex)
            k++;
        unsigned long cp = 0;
        size_t start = k;
        while (k < n && (hex ? isxdigit((unsigned char)v[k])
                             : isdigit((unsigned char)v[k]))) {
            int d = isdigit((unsigned char)v[k])
                        ? v[k] - '0'
                        : tolower((unsigned char)v[k]) - 'a' + 10;
            if (cp <= 0x10FFFF)
                cp = cp * (hex ? 16 : 10) + (unsigned long)d;
            k++;
        }
        if (k == start)
            return 0;
        if (k < n && v[k] == ';')
            k++;
        if (put_utf8(b, cp) < 0)
            *err = 1;
        return k;
    }
    for (size_t j = 0; j < sizeof(named) / sizeof(named[0]); j++) {
        size_t l = strlen(named[j].name);
        if (n >= l + 1 && memcmp(v + 1, named[j].name, l) == 0) {
            if (buf_addc(b, named[j].c) < 0)
                *err = 1;
            return l + 1;
        }
    }
    return 0;
}

/* Reports attribute value v[0..n) after decoding it. */
static int report(struct scan *sc, enum link_kind kind, const char *v, size_t n)
{
    int err = 0;
    buf_reset(&sc->val);
    for (size_t i = 0; i < n && !err;) {
        if (v[i] == '&') {
            size_t k = decode_ref(&sc->val, v + i, n - i, &err);
            if (k) {
                i += k;
                continue;
            }
        }
        if (buf_addc(&sc->val, v[i]) < 0)
            err = 1;
        i++;
    }
    if (err)
        return -1;
    sc->cb(sc->arg, kind, sc->val.data ? sc->val.data : "", sc->val.len);
    sc->count++;
    return 0;
}

/* Reads one attribute value at sc->i (after '='); sets v and vl.
 * Returns -1 if the input ends inside a quoted value. */
static int read_value(struct scan *sc, const char **v, size_t *vl)
{
    char q = sc->s[sc->i];
    if (q == '"' || q == '\'') {
        size_t start = ++sc->i;
        while (sc->i < sc->n && sc->s[sc->i] != q)
            sc->i++;
        if (sc->i >= sc->n)
            return -1;
        *v = sc->s + start;
        *vl = sc->i - start;
        sc->i++;
        return 0;
    }
    size_t start = sc->i;
    while (sc->i < sc->n && !is_space((unsigned char)sc->s[sc->i]) &&
           sc->s[sc->i] != '>')
        sc->i++;
    *v = sc->s + start;
    *vl = sc->i - start;
    return 0;
}

#define MAX_TAG_LINKS 8

struct tag_links {
    const char *v[MAX_TAG_LINKS];
    size_t len[MAX_TAG_LINKS];
    enum link_kind kind[MAX_TAG_LINKS];
    int n;
};

/* Parses the attributes of a start tag named tag, up to and including
 * '>'.  Links are reported only once the tag is complete: as in a browser,
 * a tag cut off by the end of the input does not count. */
static int scan_attributes(struct scan *sc, const char *tag, size_t tl)
{
    int is_base = (tl == 4 && strncasecmp(tag, "base", 4) == 0);
    struct tag_links tlk = {.n = 0};
    while (sc->i < sc->n) {
        char c = sc->s[sc->i];
        if (is_space((unsigned char)c) || c == '/') {
            sc->i++;
            continue;
        }
        if (c == '>') {
            sc->i++;
            for (int k = 0; k < tlk.n; k++)
                if (report(sc, tlk.kind[k], tlk.v[k], tlk.len[k]) < 0)
                    return -1;
            return 0;
        }
        size_t ns = sc->i;
        while (sc->i < sc->n && !is_space((unsigned char)sc->s[sc->i]) &&
               sc->s[sc->i] != '=' && sc->s[sc->i] != '>' &&
               sc->s[sc->i] != '/')
            sc->i++;
        const char *name = sc->s + ns;
        size_t nl = sc->i - ns;
        if (nl == 0) /* a stray '=' */
            nl = 1, sc->i++;
        while (sc->i < sc->n && is_space((unsigned char)sc->s[sc->i]))
            sc->i++;
        if (sc->i >= sc->n || sc->s[sc->i] != '=')
            continue; /* attribute without value */
        sc->i++;
        while (sc->i < sc->n && is_space((unsigned char)sc->s[sc->i]))
            sc->i++;
        const char *v;
        size_t vl;
        if (sc->i >= sc->n || read_value(sc, &v, &vl) < 0)
            break;
        int href = (nl == 4 && strncasecmp(name, "href", 4) == 0);
        int src = (nl == 3 && strncasecmp(name, "src", 3) == 0);
        if ((href || src) && tlk.n < MAX_TAG_LINKS) {
            tlk.v[tlk.n] = v;
            tlk.len[tlk.n] = vl;
            tlk.kind[tlk.n++] = (is_base && href) ? LINK_BASE : LINK_REF;
        }
    }
    sc->i = sc->n;
    return 0;
}

/* At sc->s[sc->i] == '<': handles one piece of markup. */
static int scan_markup(struct scan *sc)
{
    const char *p = sc->s + sc->i;
    size_t left = sc->n - sc->i;
    if (left >= 4 && memcmp(p, "<!--", 4) == 0) {
        sc->i += 4;
        skip_past(sc, "-->");
        return 0;
    }
    if (left >= 2 && (p[1] == '!' || p[1] == '?' || p[1] == '/')) {
        sc->i += 2;
        skip_past(sc, ">");
        return 0;
    }
    if (left < 2 || !isalpha((unsigned char)p[1])) {
        sc->i++; /* a literal '<' in text */
        return 0;
    }
    size_t ts = ++sc->i;
    while (sc->i < sc->n && (isalnum((unsigned char)sc->s[sc->i]) ||
                             sc->s[sc->i] == '-' || sc->s[sc->i] == ':'))
        sc->i++;
    const char *tag = sc->s + ts;
    size_t tl = sc->i - ts;
    if (scan_attributes(sc, tag, tl) < 0)
        return -1;
    /* Raw text elements: their content is not markup. */
    if (tl == 6 && strncasecmp(tag, "script", 6) == 0)
        skip_past(sc, "</script");
    else if (tl == 5 && strncasecmp(tag, "style", 5) == 0)
        skip_past(sc, "</style");
    return 0;
}

long links_extract(const char *html, size_t len, links_cb cb, void *arg)
{
    struct scan sc = {.s = html, .n = len, .cb = cb, .arg = arg};
    long rc = 0;
    while (sc.i < sc.n) {
        const char *lt = memchr(sc.s + sc.i, '<', sc.n - sc.i);
        if (!lt)
            break;
        sc.i = (size_t)(lt - sc.s);
        if (scan_markup(&sc) < 0) {
            rc = -1;
            break;
        }
    }
    buf_free(&sc.val);
    return rc < 0 ? -1 : sc.count;
}
