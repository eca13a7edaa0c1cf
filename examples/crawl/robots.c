/*
 * robots.c - parsing and matching robots.txt.
 *
 * The file is read as groups: one or more User-agent lines followed by
 * Allow/Disallow/Crawl-delay lines.  Only the groups for our product token
 * (or, failing those, the "*" groups) are kept; matching is then the RFC
 * 9309 longest-match rule over those patterns.
 */
#include "robots.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct parse {
    struct robots mine, star; /* rules for our token, rules for "*" */
    int in_agents;            /* the previous line was a User-agent */
    int to_mine, to_star;     /* where the current group's rules go */
};

void robots_allow_all(struct robots *r)
{
    r->rules = NULL;
    r->nrules = 0;
    r->crawl_delay_ms = -1;
}

void robots_free(struct robots *r)
{
    for (size_t i = 0; i < r->nrules; i++)
        free(r->rules[i].pattern);
    free(r->rules);
    robots_allow_all(r);
}

static int add_rule(struct robots *r, const char *pat, size_t n, int allow)
{
    struct robots_rule *nr =
        realloc(r->rules, (r->nrules + 1) * sizeof(*r->rules));
    if (!nr)
        return -1;
    r->rules = nr;
    char *p = malloc(n + 1);
    if (!p)
        return -1;
    memcpy(p, pat, n);
    p[n] = '\0';
    r->rules[r->nrules].pattern = p;
    r->rules[r->nrules++].allow = allow;
    return 0;
}

/* Does the robots.txt user-agent value v[0..n) name our agent? */
static int agent_matches(const char *v, size_t n, const char *agent)
{
    size_t al = strlen(agent);
    return n == al && strncasecmp(v, agent, n) == 0;
}

static int parse_delay(const char *v, size_t n)
{
    /* Seconds, possibly with a fraction; capped at one minute. */
    double secs = 0, scale = 0;
    int digits = 0;
    for (size_t i = 0; i < n; i++) {
        if (isdigit((unsigned char)v[i])) {
            digits = 1;
            if (scale == 0)
                secs = secs * 10 + (v[i] - '0');
            else
                secs += (v[i] - '0') * (scale /= 10);
            if (secs > 60)
                secs = 60;
        } else if (v[i] == '.' && scale == 0) {
            scale = 1;
        } else {
            return -1;
        }
    }
    return digits ? (int)(secs * 1000) : -1;
}

/* Handles one "key: value" line. */
static int handle_line(struct parse *p, const char *k, size_t kl, const char *v,
                       size_t vl, const char *agent)
{
    if (kl == 10 && strncasecmp(k, "user-agent", 10) == 0) {
        if (!p->in_agents)
            p->to_mine = p->to_star = 0;
        p->in_agents = 1;
        if (vl == 1 && v[0] == '*')
            p->to_star = 1;
        else if (agent_matches(v, vl, agent))
            p->to_mine = 1;
        return 0;
    }
    p->in_agents = 0;
    int allow = (kl == 5 && strncasecmp(k, "allow", 5) == 0);
    int disallow = (kl == 8 && strncasecmp(k, "disallow", 8) == 0);
    if (allow || disallow) {
        if (vl == 0)
            return 0; /* "Disallow:" with no path allows everything */
        if (p->to_mine && add_rule(&p->mine, v, vl, allow) < 0)
            return -1;
        if (p->to_star && add_rule(&p->star, v, vl, allow) < 0)
            return -1;
    } else if (kl == 11 && strncasecmp(k, "crawl-delay", 11) == 0) {
        int ms = parse_delay(v, vl);
        if (ms >= 0 && p->to_mine)
            p->mine.crawl_delay_ms = ms;
        if (ms >= 0 && p->to_star)
            p->star.crawl_delay_ms = ms;
    }
    return 0;
}

/* Splits one line (without its newline) into key and value. */
static int parse_line(struct parse *p, const char *s, size_t n,
                      const char *agent)
{
    const char *hash = memchr(s, '#', n);
    if (hash)
        n = (size_t)(hash - s);
    const char *colon = memchr(s, ':', n);
    if (!colon)
        return 0;
    const char *k = s, *v = colon + 1;
    size_t kl = (size_t)(colon - s), vl = n - kl - 1;
    while (kl > 0 && isspace((unsigned char)*k))
        k++, kl--;
    while (kl > 0 && isspace((unsigned char)k[kl - 1]))
        kl--;
    while (vl > 0 && isspace((unsigned char)*v))
        v++, vl--;
    while (vl > 0 && isspace((unsigned char)v[vl - 1]))
        vl--;
    return handle_line(p, k, kl, v, vl, agent);
}

int robots_parse(struct robots *r, const char *text, size_t len,
                 const char *agent)
{
    struct parse p;
    memset(&p, 0, sizeof(p));
    robots_allow_all(&p.mine);
    robots_allow_all(&p.star);
    size_t i = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        i = 3; /* UTF-8 byte order mark */
    int seen_mine = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != '\n' && text[j] != '\r')
            j++;
        if (parse_line(&p, text + i, j - i, agent) < 0) {
            robots_free(&p.mine);
            robots_free(&p.star);
            return -1;
        }
        seen_mine |= p.to_mine;
        i = j + 1;
    }
    /* Groups for our own token replace the "*" groups entirely. */
    if (seen_mine) {
        *r = p.mine;
        robots_free(&p.star);
    } else {
        *r = p.star;
        robots_free(&p.mine);
    }
    return 0;
}

/* Does pattern match a prefix of s ('*' any run, final '$' = end)? */
static int pattern_match(const char *pat, const char *s)
{
    const char *star_p = NULL, *star_s = NULL;
    for (;;) {
        if (*pat == '$' && pat[1] == '\0') {
            if (*s == '\0')
                return 1;
        } else if (*pat == '\0') {
            return 1; /* patterns match prefixes */
        } else if (*pat == '*') {
            star_p = ++pat;
            star_s = s;
            continue;
        } else if (*s && *pat == *s) {
            pat++, s++;
            continue;
        }
        /* Mismatch: let the last '*' swallow one more character. */
        if (!star_p || !*star_s)
            return 0;
        pat = star_p;
        s = ++star_s;
    }
}

int robots_allowed(const struct robots *r, const char *target)
{
    size_t best = 0;
    int allowed = 1, found = 0;
    for (size_t i = 0; i < r->nrules; i++) {
        const struct robots_rule *ru = &r->rules[i];
        if (!pattern_match(ru->pattern, target))
            continue;
        size_t l = strlen(ru->pattern);
        if (!found || l > best || (l == best && ru->allow)) {
            best = l;
            allowed = ru->allow;
            found = 1;
        }
    }
    return allowed;
}
