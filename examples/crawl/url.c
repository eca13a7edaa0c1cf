/*
 * url.c - RFC 3986 reference resolution and URL normalisation for http(s).
 *
 * A reference is split into scheme, authority, path and query (the fragment
 * is dropped: it never reaches the server), merged with the base following
 * RFC 3986 section 5.2, and each part is put in canonical form so URL
 * strings can serve as keys for "already seen".
 */
#include "url.h"
#include "buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* A reference split into its parts; pointers into the cleaned input. */
struct ref_parts {
    const char *scheme, *auth, *path, *query;
    size_t scheme_len, auth_len, path_len, query_len;
    int has_scheme, has_auth, has_query;
};

static int is_unreserved(int c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int is_allowed(int c, int in_query)
{
    if (c >= 0x80)
        return 0;
    if (is_unreserved(c) || strchr("!$&'()*+,;=:@/", c))
        return 1;
    return in_query && c == '?';
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Appends s[0..n) with escapes in canonical form. */
static int norm_escapes(struct buf *out, const char *s, size_t n, int in_query)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
            hexval((unsigned char)s[i + 2]) >= 0) {
            int v = hexval((unsigned char)s[i + 1]) * 16 +
                    hexval((unsigned char)s[i + 2]);
            i += 2;
            if (is_unreserved(v)) {
                if (buf_addc(out, (char)v) < 0)
                    return -1;
                continue;
            }
            c = (unsigned char)v;
        } else if (is_allowed(c, in_query)) {
            if (buf_addc(out, (char)c) < 0)
                return -1;
            continue;
        }
        char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
        if (buf_add(out, esc, 3) < 0)
            return -1;
    }
    return 0;
}

/* RFC 3986 5.2.4, on a path that starts with '/'; appends to out. */
static int remove_dot_segments(struct buf *out, const char *p, size_t n)
{
    size_t nseg = 0, cap = 16;
    const char **seg = malloc(cap * sizeof(*seg));
    size_t *len = malloc(cap * sizeof(*len));
    int rc = -1, trailing = 0;
    if (!seg || !len)
        goto done;
    size_t i = (n > 0 && p[0] == '/') ? 1 : 0;
    for (;;) {
        size_t j = i;
        while (j < n && p[j] != '/')
            j++;
        size_t l = j - i;
        int last = (j >= n);
        trailing = 0;
        if (l == 1 && p[i] == '.') {
            trailing = last;
        } else if (l == 2 && p[i] == '.' && p[i + 1] == '.') {
            if (nseg > 0)
                nseg--;
            trailing = last;
        } else {
            if (nseg == cap) {
                cap *= 2;
                const char **s2 = realloc(seg, cap * sizeof(*seg));
                if (!s2)
                    goto done;
                seg = s2;
                size_t *l2 = realloc(len, cap * sizeof(*len));
                if (!l2)
                    goto done;
                len = l2;
            }
            seg[nseg] = p + i;
            len[nseg++] = l;
        }
        if (last)
            break;
        i = j + 1;
    }
    size_t start = out->len;
    for (size_t k = 0; k < nseg; k++)
        if (buf_addc(out, '/') < 0 || buf_add(out, seg[k], len[k]) < 0)
            goto done;
    if ((trailing || out->len == start) && buf_addc(out, '/') < 0)
        goto done;
    rc = 0;
done:
    free(seg);
    free(len);
    return rc;
}

/* Splits ref into parts; the fragment is cut off. */
static void split_ref(const char *s, size_t n, struct ref_parts *r)
{
    memset(r, 0, sizeof(*r));
    size_t i = 0;
    if (n > 0 && isalpha((unsigned char)s[0])) {
        size_t j = 1;
        while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '+' ||
                         s[j] == '-' || s[j] == '.'))
            j++;
        if (j < n && s[j] == ':') {
            r->has_scheme = 1;
            r->scheme = s;
            r->scheme_len = j;
            i = j + 1;
        }
    }
    size_t end = i;
    while (end < n && s[end] != '#')
        end++;
    if (end - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
        size_t j = i + 2;
        while (j < end && s[j] != '/' && s[j] != '?')
            j++;
        r->has_auth = 1;
        r->auth = s + i + 2;
        r->auth_len = j - (i + 2);
        i = j;
    }
    size_t q = i;
    while (q < end && s[q] != '?')
        q++;
    r->path = s + i;
    r->path_len = q - i;
    if (q < end) {
        r->has_query = 1;
        r->query = s + q + 1;
        r->query_len = end - q - 1;
    }
}

/* Fills host and port from an authority; -1 if unusable. */
static int parse_authority(const char *a, size_t n, int https, struct url *u)
{
    const char *at = NULL;
    for (size_t i = 0; i < n; i++)
        if (a[i] == '@')
            at = a + i;
    if (at) { /* user info is never sent: drop it */
        n -= (size_t)(at + 1 - a);
        a = at + 1;
    }
    if (n == 0 || a[0] == '[')
        return -1; /* no host, or IPv6 literal (not supported) */
    size_t h = 0;
    while (h < n && a[h] != ':')
        h++;
    size_t hl = h;
    if (hl > 0 && a[hl - 1] == '.')
        hl--;
    if (hl == 0 || hl > 253)
        return -1;
    long port = https ? 443 : 80;
    if (h < n) {
        if (n - h - 1 > 5)
            return -1;
        if (h + 1 < n) {
            port = 0;
            for (size_t i = h + 1; i < n; i++) {
                if (!isdigit((unsigned char)a[i]))
                    return -1;
                port = port * 10 + (a[i] - '0');
            }
        }
    }
    if (port < 1 || port > 65535)
        return -1;
    u->host = malloc(hl + 1);
    if (!u->host)
        return -1;
    for (size_t i = 0; i < hl; i++) {
        unsigned char c = (unsigned char)a[i];
        if (!isalnum(c) && c != '-' && c != '.' && c != '_') {
            free(u->host);
            u->host = NULL;
            return -1;
        }
        u->host[i] = (char)tolower(c);
    }
    u->host[hl] = '\0';
    u->port = (int)port;
    return 0;
}

static int scheme_is(const struct ref_parts *r, const char *name)
{
    return r->scheme_len == strlen(name) &&
           strncasecmp(r->scheme, name, r->scheme_len) == 0;
}

/* Normalises the escapes of a path, then removes its dot segments. */
static char *norm_path(const char *p, size_t n)
{
    struct buf esc = {0}, out = {0};
    char *res = NULL;
    if (norm_escapes(&esc, p, n, 0) == 0 &&
        remove_dot_segments(&out, esc.data ? esc.data : "", esc.len) == 0)
        res = buf_take(&out);
    buf_free(&esc);
    buf_free(&out);
    return res;
}

static char *norm_query(const char *q, size_t n)
{
    struct buf out = {0};
    if (norm_escapes(&out, q, n, 1) < 0) {
        buf_free(&out);
        return NULL;
    }
    return buf_take(&out);
}

/* Copies ref without surrounding blanks and without tabs and newlines
 * inside (browsers ignore them; pages often wrap long hrefs). */
static char *clean_ref(const char *ref, size_t len)
{
    while (len > 0 && (unsigned char)ref[0] <= ' ')
        ref++, len--;
    while (len > 0 && (unsigned char)ref[len - 1] <= ' ')
        len--;
    char *s = malloc(len + 1);
    if (!s)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < len; i++)
        if (ref[i] != '\t' && ref[i] != '\n' && ref[i] != '\r')
            s[k++] = ref[i];
    s[k] = '\0';
    return s;
}

/* Builds the target path of a relative reference (RFC 3986 5.2.2/5.2.3). */
static char *merge_path(const struct url *base, const struct ref_parts *r)
{
    if (r->path_len > 0 && r->path[0] == '/')
        return norm_path(r->path, r->path_len);
    struct buf m = {0};
    const char *slash = strrchr(base->path, '/');
    size_t keep = slash ? (size_t)(slash - base->path) + 1 : 0;
    char *res = NULL;
    if (buf_add(&m, base->path, keep) == 0 &&
        buf_add(&m, r->path, r->path_len) == 0)
        res = norm_path(m.data, m.len);
    buf_free(&m);
    return res;
}

static int resolve_parts(const struct url *base, const struct ref_parts *r,
                         struct url *out)
{
    memset(out, 0, sizeof(*out));
    if (r->has_scheme) {
        if (scheme_is(r, "https"))
            out->https = 1;
        else if (!scheme_is(r, "http"))
            return -1;
        if (!r->has_auth)
            return -1;
    } else if (!base) {
        return -1;
    } else {
        out->https = base->https;
    }
    if (r->has_scheme || r->has_auth) {
        if (parse_authority(r->auth, r->auth_len, out->https, out) < 0)
            return -1;
        out->path = norm_path(r->path, r->path_len);
    } else {
        out->host = strdup(base->host);
        out->port = base->port;
        if (r->path_len == 0) {
            out->path = strdup(base->path);
            if (!r->has_query && base->query)
                out->query = strdup(base->query);
        } else {
            out->path = merge_path(base, r);
        }
    }
    if (r->has_query)
        out->query = norm_query(r->query, r->query_len);
    if (!out->host || !out->path ||
        ((r->has_query || (base && !r->has_scheme && !r->has_auth &&
                           r->path_len == 0 && base->query)) &&
         !out->query)) {
        url_free(out);
        return -1;
    }
    return 0;
}

int url_resolve(const struct url *base, const char *ref, size_t len,
                struct url *out)
{
    char *s = clean_ref(ref, len);
    if (!s)
        return -1;
    struct ref_parts r;
    split_ref(s, strlen(s), &r);
    int rc = resolve_parts(base, &r, out);
    free(s);
    return rc;
}

int url_parse(const char *s, struct url *out)
{
    return url_resolve(NULL, s, strlen(s), out);
}

int url_add_authority(struct buf *b, const struct url *u)
{
    if (u->port == (u->https ? 443 : 80))
        return buf_adds(b, u->host);
    return buf_printf(b, "%s:%d", u->host, u->port);
}

char *url_string(const struct url *u)
{
    struct buf b = {0};
    int rc = buf_adds(&b, u->https ? "https://" : "http://");
    if (rc == 0)
        rc = url_add_authority(&b, u);
    if (rc == 0)
        rc = buf_adds(&b, u->path);
    if (rc == 0 && u->query)
        rc = buf_printf(&b, "?%s", u->query);
    if (rc < 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_take(&b);
}

char *url_target(const struct url *u)
{
    struct buf b = {0};
    if (buf_adds(&b, u->path) < 0 ||
        (u->query && buf_printf(&b, "?%s", u->query) < 0)) {
        buf_free(&b);
        return NULL;
    }
    return buf_take(&b);
}

char *url_hostport(const struct url *u)
{
    struct buf b = {0};
    if (buf_printf(&b, "%s:%d", u->host, u->port) < 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_take(&b);
}

int url_copy(const struct url *src, struct url *dst)
{
    memset(dst, 0, sizeof(*dst));
    dst->https = src->https;
    dst->port = src->port;
    dst->host = strdup(src->host);
    dst->path = strdup(src->path);
    if (src->query)
        dst->query = strdup(src->query);
    if (!dst->host || !dst->path || (src->query && !dst->query)) {
        url_free(dst);
        return -1;
    }
    return 0;
}

void url_free(struct url *u)
{
    free(u->host);
    free(u->path);
    free(u->query);
    u->host = u->path = u->query = NULL;
}
