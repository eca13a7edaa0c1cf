/*
 * dump.c - a readable text form of a function's CFG, one node a line,
 * used by the core's own tests (tests/analysis) and for debugging.
 */
#include "internal.h"

#include <string.h>

static const char *node_kind(enum ea_node_kind k)
{
    static const char *const n[] = {"entry",  "exit",   "plain", "branch",
                                    "switch", "return", "label"};
    return n[k];
}

static const char *edge_kind(enum ea_edge_kind k)
{
    static const char *const n[] = {"",     "T",       "F",
                                    "case", "default", "noreturn"};
    return n[k];
}

static void dump_action(const struct ea_action *a, FILE *out)
{
    switch (a->kind) {
    case EA_ACT_CALL:
        fprintf(out, " call(%s", a->call->callee_name ? a->call->callee_name
                                                      : "*");
        if (a->call->eel_op)
            fputs(",eel", out);
        fputs(")", out);
        break;
    case EA_ACT_ASSIGN:
        fprintf(out, " %s%s", a->lhs && a->lhs->path ? a->lhs->path : "?",
                a->op);
        break;
    case EA_ACT_RETURN:
        fprintf(out, " return(%s)", a->rhs ? a->rhs->text : "");
        break;
    }
}

void ea_cfg_dump(const struct ea_function *f, FILE *out)
{
    fprintf(out, "function %s\n", f->uname);
    for (size_t i = 0; i < f->cfg.nnodes; i++) {
        const struct ea_node *n = f->cfg.nodes[i];
        fprintf(out, "  n%d %s", n->id, node_kind(n->kind));
        if (n->label)
            fprintf(out, " label=%s", n->label);
        if (n->loop_head)
            fputs(" loop", out);
        if (n->loc.line)
            fprintf(out, " @%u", n->loc.line);
        for (size_t a = 0; a < n->nactions; a++)
            dump_action(&n->actions[a], out);
        if (n->cond)
            fprintf(out, " cond[%s]", n->cond->text);
        fputs(" ->", out);
        for (size_t s = 0; s < n->nsucc; s++) {
            const struct ea_edge *e = &n->succ[s];
            fprintf(out, " n%d", e->to->id);
            if (e->kind == EA_EDGE_CASE && e->case_known)
                fprintf(out, ":case%lld", e->case_lo);
            else if (e->kind != EA_EDGE_ALWAYS)
                fprintf(out, ":%s", edge_kind(e->kind));
            if (e->flags & EA_EDGE_F_BACK)
                fputs("^back", out);
            if (e->flags & EA_EDGE_F_GOTO)
                fputs("^goto", out);
        }
        fputc('\n', out);
    }
}
