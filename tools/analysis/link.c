/*
 * link.c - the whole-program part of the core: binding calls to the
 * definitions of every unit (by USR), callers, address-taken functions,
 * the libeel signature table, and what a function pointer may hold.
 */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct ea_eel_sig sigs[] = {
    {EA_EEL_NONE, "", 0, -1, -1, -1, -1, -1, -1, NULL},
    {EA_EEL_NEW_GROUP, "eel_new_group_id", 0, -1, -1, -1, -1, -1, -1, NULL},
    {EA_EEL_DELETE_GROUP, "eel_delete_group_id", 0, 0, -1, -1, -1, -1, -1,
     NULL},
    {EA_EEL_ADD_TIMER, "eel_add_timer", 1, 0, 1, -1, 2, -1, 3, "T"},
    {EA_EEL_ADD_READ, "eel_add_read", 1, 0, 1, -1, 2, 3, -1, "R"},
    {EA_EEL_ADD_WRITE, "eel_add_write", 1, 0, 1, -1, 2, 3, -1, "W"},
    {EA_EEL_ADD_ERROR, "eel_add_error", 1, 0, 1, -1, 2, 3, -1, "E"},
    {EA_EEL_ADD_READ_TIMEOUT, "eel_add_read_timeout", 1, 0, 1, 2, 3, 4, 5,
     "R"},
    {EA_EEL_ADD_WRITE_TIMEOUT, "eel_add_write_timeout", 1, 0, 1, 2, 3, 4, 5,
     "W"},
    {EA_EEL_ADD_SIGNAL, "eel_add_signal", 1, 0, 1, -1, 2, 3, -1, "SIG"},
    {EA_EEL_CANCEL, "eel_cancel", 0, -1, -1, -1, -1, 0, -1, NULL},
    {EA_EEL_CLOSE, "eel_close", 0, -1, -1, -1, -1, 0, -1, NULL},
    {EA_EEL_GROUP_PENDING, "eel_group_pending", 0, 0, -1, -1, -1, -1, -1,
     NULL},
    {EA_EEL_GROUP_SET_WAITING, "eel_group_set_waiting", 0, 0, -1, -1, -1, -1,
     -1, NULL},
    {EA_EEL_INIT, "eel_init", 0, -1, -1, -1, -1, -1, -1, NULL},
    {EA_EEL_DISPATCH, "eel_dispatch", 0, -1, -1, -1, -1, -1, -1, NULL},
    {EA_EEL_RUN, "eel_run", 0, -1, -1, -1, -1, -1, -1, NULL},
    {EA_EEL_BREAK, "eel_break", 0, -1, -1, -1, -1, -1, -1, NULL},
    {EA_EEL_SHUTDOWN, "eel_shutdown", 0, -1, -1, -1, -1, -1, -1, NULL},
};
static const char *const other_eel[] = {
    "eel_now", "eel_update_time", "eel_backend", "eel_version",
    "eel_version_string", "eel_pending", "eel_current_group",
    "eel_current_event"};
static const struct ea_eel_sig other_sig = {EA_EEL_OTHER, "eel_*", 0, -1, -1,
                                            -1, -1, -1, -1, NULL};

const struct ea_eel_sig *ea_eel_sig(enum ea_eel_op op)
{
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        if (sigs[i].op == op)
            return &sigs[i];
    return op == EA_EEL_OTHER ? &other_sig : &sigs[0];
}

enum ea_eel_op ea_eel_op_by_name(const char *name)
{
    if (!name || strncmp(name, "eel_", 4) != 0)
        return EA_EEL_NONE;
    for (size_t i = 1; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        if (strcmp(sigs[i].name, name) == 0)
            return sigs[i].op;
    for (size_t i = 0; i < sizeof(other_eel) / sizeof(other_eel[0]); i++)
        if (strcmp(other_eel[i], name) == 0)
            return EA_EEL_OTHER;
    return EA_EEL_NONE;
}

void ea_fp_record(struct ea_program *prog, const char *key,
                  const char *func_usr, const char *alias)
{
    struct ea_priv *p = ea_priv(prog);
    struct ea_fp_fact *head = ea_map_get(&p->fp_facts, key);
    for (struct ea_fp_fact *f = head; f; f = f->next)
        if ((func_usr && f->func_usr && !strcmp(f->func_usr, func_usr)) ||
            (alias && f->alias && !strcmp(f->alias, alias)))
            return;
    struct ea_fp_fact *f = ea_alloc(&p->arena, sizeof(*f));
    f->func_usr = func_usr;
    f->alias = alias;
    f->next = head;
    ea_map_put(&p->fp_facts, &p->arena, key, f);
}

/* Unique names: a static name defined more than once gets name@file. */
static void unique_names(struct ea_program *prog)
{
    struct ea_priv *p = ea_priv(prog);
    struct ea_map count = {0};
    for (size_t i = 0; i < prog->nfunctions; i++) {
        const char *n = prog->functions[i]->name;
        uintptr_t k = (uintptr_t)ea_map_get(&count, n);
        ea_map_put(&count, &p->arena, n, (void *)(k + 1));
    }
    for (size_t i = 0; i < prog->nfunctions; i++) {
        struct ea_function *f = prog->functions[i];
        f->id = (int)i;
        if ((uintptr_t)ea_map_get(&count, f->name) > 1 &&
            f->is_static) {
            const char *base = f->file ? strrchr(f->file, '/') : NULL;
            f->uname = ea_printf(&p->arena, "%s@%s", f->name,
                                 base ? base + 1 : f->file ? f->file : "?");
        }
    }
    ea_map_free(&count);
}

static void add_caller(struct ea_vec *callers, struct ea_function *f,
                       struct ea_call *c)
{
    ea_vec_push(&callers[f->id], c);
}

void ea_link_program(struct ea_program *prog)
{
    struct ea_priv *p = ea_priv(prog);
    unique_names(prog);
    for (size_t i = 0; i < p->pending.n; i++) {
        struct ea_pending_call *pc = p->pending.v[i];
        struct ea_function *f = ea_map_get(&p->funcs, pc->usr);
        if (pc->call) {
            pc->call->callee = f;
            if (f) /* a program defining eel_* itself is not a client */
                pc->call->eel_op = EA_EEL_NONE;
            if (pc->call->eel_op != EA_EEL_NONE)
                prog->neel_calls++;
        } else if (pc->expr) {
            pc->expr->func = f;
            if (f)
                f->address_taken = 1;
        }
    }
    /* Function names in global initialisers are address-taken too. */
    for (size_t s = 0; s < p->fp_facts.cap; s++) {
        const char *k;
        void *v;
        if (!ea_map_at(&p->fp_facts, s, &k, &v))
            continue;
        for (struct ea_fp_fact *f = v; f; f = f->next) {
            struct ea_function *fn =
                f->func_usr ? ea_map_get(&p->funcs, f->func_usr) : NULL;
            if (fn)
                fn->address_taken = 1;
        }
    }
    struct ea_vec *callers = calloc(prog->nfunctions + 1, sizeof(*callers));
    if (!callers)
        abort();
    for (size_t i = 0; i < prog->nfunctions; i++) {
        struct ea_function *f = prog->functions[i];
        for (size_t c = 0; c < f->ncalls; c++) {
            struct ea_call *call = f->calls[c];
            if (call->callee) {
                add_caller(callers, call->callee, call);
            } else if (call->callee_expr) {
                struct ea_cb_targets t =
                    ea_resolve_callback(prog, call->callee_expr);
                int fits = !t.guessed || call->callee_expr->is_callback_type;
                call->targets = fits ? t.funcs : NULL;
                call->ntargets = fits ? t.nfuncs : 0;
                call->approximate = 1;
                /* Only the targets kept: a guess that does not fit makes
                 * no function a caller of every callback. */
                for (size_t k = 0; k < call->ntargets; k++)
                    add_caller(callers, call->targets[k], call);
            }
        }
    }
    for (size_t i = 0; i < prog->nfunctions; i++)
        prog->functions[i]->callers = (struct ea_call **)ea_vec_finish(
            &p->arena, &callers[i], &prog->functions[i]->ncallers);
    free(callers);
    prog->globals = ea_alloc(&p->arena, (p->globals.n + 1) * sizeof(void *));
    for (size_t s = 0; s < p->globals.cap; s++) {
        const char *k;
        void *v;
        if (ea_map_at(&p->globals, s, &k, &v))
            prog->globals[prog->nglobals++] = v;
    }
}

/* Collects every function stored at key, following aliases once. */
static void gather(struct ea_program *prog, const char *key,
                   struct ea_map *visited, struct ea_vec *out)
{
    struct ea_priv *p = ea_priv(prog);
    if (!key || ea_map_get(visited, key))
        return;
    ea_map_put(visited, &p->arena, key, (void *)1);
    for (struct ea_fp_fact *f = ea_map_get(&p->fp_facts, key); f;
         f = f->next) {
        if (f->alias) {
            gather(prog, f->alias, visited, out);
            continue;
        }
        struct ea_function *fn = ea_map_get(&p->funcs, f->func_usr);
        int dup = 0;
        for (size_t i = 0; fn && i < out->n; i++)
            dup |= out->v[i] == fn;
        if (fn && !dup)
            ea_vec_push(out, fn);
    }
}

const char *ea_fp_key(struct ea_program *prog, const struct ea_expr *e)
{
    struct ea_arena *a = &ea_priv(prog)->arena;
    e = ea_expr_strip(e);
    if (!e || !e->sym || !*e->sym)
        return NULL;
    if (e->kind == EA_E_VAR && e->var && e->var->kind == EA_VAR_PARAM &&
        e->var->function)
        return ea_printf(a, "a:%s#%d", e->var->function->usr, e->var->index);
    if (e->kind == EA_E_VAR)
        return ea_printf(a, "v:%s", e->sym);
    if (e->kind == EA_E_FIELD)
        return ea_printf(a, "f:%s", e->sym);
    return NULL;
}

struct ea_cb_targets ea_resolve_callback(struct ea_program *prog,
                                         const struct ea_expr *e)
{
    struct ea_cb_targets t = {0};
    struct ea_priv *p = ea_priv(prog);
    e = ea_expr_strip(e);
    while (e && e->kind == EA_E_UNOP && e->op &&
           (!strcmp(e->op, "&") || !strcmp(e->op, "*")))
        e = ea_expr_strip(e->lhs); /* &f, *fp */
    if (!e) {
        t.unresolved = "?";
        return t;
    }
    if (e->kind == EA_E_FUNC) {
        if (e->func) {
            t.funcs = ea_alloc(&p->arena, sizeof(*t.funcs));
            t.funcs[0] = e->func;
            t.nfuncs = 1;
        } else {
            t.unresolved = e->name;
        }
        return t;
    }
    t.approximate = 1;
    if (e->kind == EA_E_VAR && e->var && e->var->kind == EA_VAR_PARAM)
        t.param = e->var;
    struct ea_vec out = {0};
    struct ea_map visited = {0};
    gather(prog, ea_fp_key(prog, e), &visited, &out);
    /* Nothing gathered and each arm of a conditional only a guess itself:
     * what the arms bring is a guess too. */
    int only_guesses = out.n == 0;
    if (e->kind == EA_E_COND) {
        struct ea_cb_targets a = ea_resolve_callback(prog, e->rhs);
        struct ea_cb_targets b = ea_resolve_callback(prog, e->third);
        for (size_t i = 0; i < a.nfuncs; i++)
            ea_vec_push(&out, a.funcs[i]);
        for (size_t i = 0; i < b.nfuncs; i++)
            ea_vec_push(&out, b.funcs[i]);
        only_guesses &= a.guessed && b.guessed;
    }
    ea_map_free(&visited);
    t.guessed = out.n == 0 || only_guesses;
    if (out.n == 0)
        for (size_t i = 0; i < prog->nfunctions; i++)
            if (prog->functions[i]->address_taken &&
                prog->functions[i]->is_callback_type)
                ea_vec_push(&out, prog->functions[i]);
    if (out.n == 0)
        t.unresolved = e->text ? e->text : "?";
    t.funcs = (struct ea_function **)ea_vec_finish(&p->arena, &out, &t.nfuncs);
    return t;
}

const struct ea_var *ea_call_param(const struct ea_call *call, size_t i)
{
    if (!call->callee || i >= call->callee->nparams)
        return NULL;
    return call->callee->params[i];
}

struct ea_function *ea_function_by_name(struct ea_program *prog,
                                        const char *name)
{
    struct ea_function *first = NULL;
    for (size_t i = 0; i < prog->nfunctions; i++) {
        struct ea_function *f = prog->functions[i];
        if (strcmp(f->name, name) != 0)
            continue;
        if (!f->is_static)
            return f;
        if (!first)
            first = f;
    }
    return first;
}

struct ea_function *ea_function_by_uname(struct ea_program *prog,
                                         const char *uname)
{
    for (size_t i = 0; i < prog->nfunctions; i++)
        if (strcmp(prog->functions[i]->uname, uname) == 0)
            return prog->functions[i];
    return NULL;
}
