/*
 * output.c - the charts as JSON (stable, documented in
 * docs/eelstatechart.md), as Graphviz dot, and as SVG by piping the dot
 * text through the `dot` program.
 */
#include "statechart.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *src_kind(enum sc_src_kind k)
{
    static const char *const n[] = {"param",  "new",     "field",
                                    "global", "current", "unknown"};
    return n[k];
}

static void json_path(FILE *o, const struct sc_hop *h)
{
    fputs("[", o);
    for (int first = 1; h; h = h->next, first = 0) {
        fprintf(o, "%s{\"function\": ", first ? "" : ", ");
        ea_json_string(o, h->func ? h->func->uname : "?");
        fputs(", \"call\": ", o);
        ea_json_string(o, h->callee);
        fputs(", \"file\": ", o);
        ea_json_string(o, h->loc.file);
        fprintf(o, ", \"line\": %u, \"col\": %u}", h->loc.line, h->loc.col);
    }
    fputs("]", o);
}

/* "file": ..., "line": ..., "col": ..., "function": ... of a place. */
static void json_where(FILE *o, struct ea_loc loc, const struct ea_function *f)
{
    fputs("\"file\": ", o);
    ea_json_string(o, loc.file);
    fprintf(o, ", \"line\": %u, \"col\": %u, \"function\": ", loc.line,
            loc.col);
    ea_json_string(o, f ? f->uname : "?");
}

static void json_site(FILE *o, const struct sc_site *s)
{
    const struct sc_hop *last = sc_last_hop(s->path);
    fputs("        {", o);
    json_where(o, last->loc, last->func);
    fputs(", \"call\": ", o);
    ea_json_string(o, last->callee);
    fprintf(o, ", \"error_path\": %s, \"approximate\": %s, \"path\": ",
            s->error ? "true" : "false", s->approximate ? "true" : "false");
    json_path(o, s->path);
    fputs("}", o);
}

static void json_group(FILE *o, const struct sc_src *s)
{
    fputs("{\"kind\": ", o);
    ea_json_string(o, src_kind(s->kind));
    fputs(", \"text\": ", o);
    ea_json_string(o, s->desc);
    if (s->kind == SC_SRC_NEW) {
        fputs(", ", o);
        json_where(o, s->loc, s->func);
    }
    fputs("}", o);
}

static void json_node(FILE *o, const struct sc_node *n, int last)
{
    fputs("      {\"id\": ", o);
    ea_json_string(o, n->id);
    const char *kind = !strcmp(n->id, "delete") && !n->func ? "delete"
                       : n->is_entry                        ? "entry"
                       : n->func                            ? "callback"
                                                            : "unresolved";
    fputs(", \"kind\": ", o);
    ea_json_string(o, kind);
    if (n->func) {
        fputs(", \"function\": ", o);
        ea_json_string(o, n->func->name);
        fputs(", \"file\": ", o);
        ea_json_string(o, n->func->loc.file);
        fprintf(o, ", \"line\": %u", n->func->loc.line);
    }
    fprintf(o, ", \"origin\": %s, \"timeout_callback\": %s, \"creates\": [",
            n->is_origin ? "true" : "false",
            n->is_timeout_cb ? "true" : "false");
    for (size_t i = 0; i < n->ncreates; i++) {
        fputs(i ? ", " : "", o);
        ea_json_string(o, n->creates[i]);
    }
    fprintf(o, "]}%s\n", last ? "" : ",");
}

static void json_edge(FILE *o, const struct sc_edge *e, int last)
{
    fputs("      {\"from\": ", o);
    ea_json_string(o, e->from);
    fputs(", \"to\": ", o);
    ea_json_string(o, e->to);
    fputs(", \"kind\": ", o);
    ea_json_string(o, e->kind);
    fputs(", \"group\": ", o);
    ea_json_string(o, e->group);
    fprintf(o,
            ", \"new_group\": %s, \"flags\": {\"timeout\": %s, "
            "\"error_path\": %s, \"approximate\": %s},\n       \"sites\": [\n",
            e->new_group ? "true" : "false", e->timeout ? "true" : "false",
            e->error_path ? "true" : "false",
            e->approximate ? "true" : "false");
    for (size_t i = 0; i < e->nsites; i++) {
        json_site(o, &e->sites[i]);
        fputs(i + 1 < e->nsites ? ",\n" : "\n", o);
    }
    fprintf(o, "       ]}%s\n", last ? "" : ",");
}

void sc_write_json(const struct sc_result *r, FILE *o)
{
    fputs("{\n  \"format\": \"eelstatechart\",\n  \"version\": 1,\n"
          "  \"entry\": ",
          o);
    ea_json_string(o, r->entry);
    fputs(",\n  \"warnings\": [", o);
    for (size_t i = 0; i < r->nwarnings; i++) {
        fputs(i ? ", " : "", o);
        ea_json_string(o, r->warnings[i]);
    }
    fputs("],\n  \"charts\": [", o);
    for (size_t c = 0; c < r->ncharts; c++) {
        const struct sc_chart *ch = &r->charts[c];
        fputs(c ? ",\n" : "\n", o);
        fputs("    {\"id\": ", o);
        ea_json_string(o, ch->id);
        fputs(", \"title\": ", o);
        ea_json_string(o, ch->title);
        fputs(", \"origin\": ", o);
        ea_json_string(o, ch->origin_names);
        fprintf(o, ", \"reachable\": %s,\n     \"group\": ",
                ch->reachable ? "true" : "false");
        json_group(o, &ch->src);
        fputs(",\n     \"nodes\": [\n", o);
        for (size_t i = 0; i < ch->nnodes; i++)
            json_node(o, &ch->nodes[i], i + 1 == ch->nnodes);
        fputs("     ],\n     \"edges\": [\n", o);
        for (size_t i = 0; i < ch->nedges; i++)
            json_edge(o, &ch->edges[i], i + 1 == ch->nedges);
        fputs("     ]}", o);
    }
    fputs(r->ncharts ? "\n  ]\n}\n" : "]\n}\n", o);
}

/* dot strings: quoted, with " and \ escaped. */
static void dstr(FILE *o, const char *s)
{
    fputc('"', o);
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', o);
        if (*s == '\n') {
            fputs("&#10;", o);
            continue;
        }
        fputc(*s, o);
    }
    fputc('"', o);
}

/* `, URL="file://FILE#LLINE"`: a link to a source line. */
static void dot_url(FILE *o, const char *file, unsigned line)
{
    char url[512];
    snprintf(url, sizeof url, "file://%s#L%u", file, line);
    fputs(", URL=", o);
    dstr(o, url);
}

/* "file:line in f (via a() file:line > b() ...)" for tooltips. */
static char *site_text(const struct sc_edge *e)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return NULL;
    for (size_t i = 0; i < e->nsites && i < 20; i++) {
        const struct sc_site *s = &e->sites[i];
        for (const struct sc_hop *h = s->path; h; h = h->next)
            fprintf(m, "%s%s:%u %s()", h == s->path ? "" : " > ",
                    sc_base(h->loc.file), h->loc.line, h->callee);
        fprintf(m, "%s%s\n", s->error ? " [error path]" : "",
                s->approximate ? " [approximate]" : "");
    }
    if (e->nsites > 20)
        fprintf(m, "... %zu more\n", e->nsites - 20);
    fclose(m);
    return buf;
}

static void dot_node(FILE *o, const struct sc_chart *c, const struct sc_node *n)
{
    fprintf(o, "    \"%s_", c->id);
    fprintf(o, "%s\" [label=", n->id);
    char label[512];
    size_t len = (size_t)snprintf(label, sizeof label, "%s", n->id);
    for (size_t i = 0; i < n->ncreates && len < sizeof label - 16; i++)
        len += (size_t)snprintf(label + len, sizeof label - len, " -%s",
                                n->creates[i]);
    dstr(o, label);
    if (!n->func && !strcmp(n->id, "delete"))
        fputs(", shape=ellipse, color=gray50, fontcolor=gray50", o);
    else
        fputs(", shape=box", o);
    if (n->is_timeout_cb)
        fputs(", color=gray50, fontcolor=gray50", o);
    if (n->is_entry)
        fputs(", peripheries=2", o);
    if (n->func) {
        char tip[512];
        snprintf(tip, sizeof tip, "%s:%u", n->func->loc.file,
                 n->func->loc.line);
        fputs(", tooltip=", o);
        dstr(o, tip);
        dot_url(o, n->func->loc.file, n->func->loc.line);
    }
    fputs("];\n", o);
}

static void dot_edge(FILE *o, const struct sc_chart *c, const struct sc_edge *e)
{
    fprintf(o, "    \"%s_%s\" -> \"%s_%s\" [label=", c->id, e->from, c->id,
            e->to);
    char label[64];
    snprintf(label, sizeof label, "%s%s%s%s",
             !strcmp(e->kind, "delete") ? "" : e->kind,
             e->new_group ? " +" : "", e->new_group ? e->group : "",
             e->approximate ? " ?" : "");
    dstr(o, label);
    int gray = e->timeout || !strcmp(e->kind, "delete");
    if (gray && !e->new_group)
        fputs(", color=gray50, fontcolor=gray50", o);
    if (e->new_group)
        fputs(", style=bold, color=blue, fontcolor=blue, arrowhead=onormal", o);
    else if (e->error_path)
        fputs(", style=dashed", o);
    else if (e->approximate)
        fputs(", style=dotted", o);
    char *tip = site_text(e);
    if (tip) {
        fputs(", tooltip=", o);
        dstr(o, tip);
        fputs(", labeltooltip=", o);
        dstr(o, tip);
        free(tip);
    }
    if (e->nsites) {
        const struct sc_hop *last = sc_last_hop(e->sites[0].path);
        dot_url(o, last->loc.file, last->loc.line);
    }
    fputs("];\n", o);
}

static void dot_head(FILE *o)
{
    fputs("digraph eelstatechart {\n  rankdir=TB;\n  node "
          "[fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\"];\n",
          o);
}

static void dot_chart(FILE *o, const struct sc_chart *c)
{
    fprintf(o, "  subgraph cluster_%s {\n    label=", c->id);
    char t[1024];
    snprintf(t, sizeof t, "Chart %s: %s%s", c->id, c->title,
             c->reachable ? "" : " (not reached from the entry)");
    dstr(o, t);
    fputs(";\n", o);
    for (size_t i = 0; i < c->nnodes; i++)
        dot_node(o, c, &c->nodes[i]);
    for (size_t i = 0; i < c->nedges; i++)
        dot_edge(o, c, &c->edges[i]);
    fputs("  }\n", o);
}

void sc_write_dot(const struct sc_result *r, FILE *o)
{
    dot_head(o);
    if (r->ncharts == 0)
        fputs("  empty [label=\"no libeel registrations\", shape=plaintext];\n",
              o);
    for (size_t ci = 0; ci < r->ncharts; ci++)
        dot_chart(o, &r->charts[ci]);
    fputs("}\n", o);
}

/* Lays out one graph with `dot -Tsvg`; returns the SVG text (malloc'd). */
static char *run_dot(const char *text, size_t len)
{
    char tmpl[] = "/tmp/eelstatechart-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
        fprintf(stderr, "eelstatechart: cannot write a temporary file: %s\n",
                strerror(errno));
        if (fd >= 0)
            close(fd), unlink(tmpl);
        return NULL;
    }
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "dot -Tsvg '%s' 2>/dev/null", tmpl);
    FILE *p = popen(cmd, "r");
    char *out = NULL;
    size_t olen = 0;
    FILE *m = open_memstream(&out, &olen);
    int ok = 0;
    if (p && m) {
        char buf[8192];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, p)) > 0)
            fwrite(buf, 1, n, m);
        int st = pclose(p);
        ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    } else if (p) {
        pclose(p);
    }
    if (m)
        fclose(m);
    unlink(tmpl);
    if (!ok) {
        free(out);
        return NULL;
    }
    return out;
}

/* The <svg ...> element of dot's output and its size in points. */
static char *svg_element(char *svg, double *w, double *h)
{
    char *el = strstr(svg, "<svg");
    if (!el)
        return NULL;
    char *ws = strstr(el, "width=\""), *hs = strstr(el, "height=\"");
    if (!ws || !hs)
        return NULL;
    *w = strtod(ws + 7, NULL);
    *h = strtod(hs + 8, NULL);
    return el;
}

/* One chart's picture: dot's SVG text, its <svg> element and size. */
struct pic {
    char *svg, *el;
    double w, h;
};

/* Each chart is laid out on its own (much faster than one graph of
 * clusters for big programs) and the pictures are stacked in one SVG. */
int sc_write_svg(const struct sc_result *r, FILE *out)
{
    size_t n = r->ncharts ? r->ncharts : 1;
    struct pic *pics = calloc(n, sizeof(*pics));
    double width = 0, height = 0;
    int rc = pics ? 0 : -1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct pic *p = &pics[i];
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);
        if (!m) {
            rc = -1;
            break;
        }
        if (r->ncharts) {
            dot_head(m);
            dot_chart(m, &r->charts[i]);
            fputs("}\n", m);
        } else {
            sc_write_dot(r, m);
        }
        fclose(m);
        p->svg = run_dot(text, len);
        free(text);
        if (!p->svg || !(p->el = svg_element(p->svg, &p->w, &p->h)))
            rc = -1;
        else {
            width = p->w > width ? p->w : width;
            height += p->h;
        }
    }
    if (rc == 0) {
        fprintf(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
            "<!-- eelstatechart: %zu chart(s), laid out by Graphviz -->\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" "
            "xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
            "width=\"%.0fpt\" height=\"%.0fpt\" viewBox=\"0 0 %.0f %.0f\">\n",
            r->ncharts, width, height, width, height);
        double y = 0;
        for (size_t i = 0; i < n; i++) {
            const struct pic *p = &pics[i];
            /* Re-open the chart's <svg> at its place, sizes in user units. */
            char *rest = strchr(p->el, '>');
            char *vb = strstr(p->el, "viewBox=\"");
            if (!rest)
                continue;
            fprintf(out,
                    "<svg x=\"0\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\"", y,
                    p->w, p->h);
            if (vb && vb < rest) {
                char *end = strchr(vb + 9, '"');
                if (end)
                    fprintf(out, " %.*s", (int)(end - vb + 1), vb);
            }
            fputs(rest, out);
            y += p->h;
        }
        fputs("</svg>\n", out);
    } else {
        fprintf(stderr, "eelstatechart: Graphviz `dot -Tsvg` failed (is "
                        "graphviz installed?)\n");
    }
    for (size_t i = 0; i < n && pics; i++)
        free(pics[i].svg);
    free(pics);
    return rc;
}
