/*
 * load.c - reading a whole program: the compilation database or the files
 * and flags given, one libclang parse per translation unit, clang's
 * diagnostics, and the walk of each unit's top level that finds function
 * definitions and globals.  Callees are bound by USR once every unit is in
 * (link.c), so static functions of the same name stay apart.
 */
#include "build.h"

#include <clang-c/CXCompilationDatabase.h>
#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct ea_function *new_function(struct ea_tu *t, CXCursor c,
                                        const char *usr)
{
    struct ea_priv *p = ea_priv(t->prog);
    struct ea_function *f = ea_alloc(&p->arena, sizeof(*f));
    f->name = ea_str(t, clang_getCursorSpelling(c));
    f->uname = f->name;
    f->usr = usr;
    f->is_static = clang_Cursor_getStorageClass(c) == CX_SC_Static;
    f->is_callback_type = ea_type_is_callback(clang_getCursorType(c));
    f->noreturn = ea_cursor_is_noreturn(c);
    f->loc = ea_cursor_loc(t, c);
    f->file = f->loc.file;
    f->end_loc = ea_cursor_last_token_loc(t, c);
    return f;
}

/* Removes empty pass-through nodes (join points no one named) so checkers
 * see fewer nodes; keeps entry, exit, labels and loop heads. */
static void compact(struct ea_fb *fb)
{
    struct ea_node **v = (struct ea_node **)fb->nodes.v;
    for (size_t i = 2; i < fb->nodes.n; i++) {
        struct ea_node *n = v[i];
        if (n->kind != EA_N_LABEL || n->label || n->loop_head || n->nactions ||
            n->nsucc != 1 || n->succ[0].kind != EA_EDGE_ALWAYS ||
            n->succ[0].to == n)
            continue;
        struct ea_node *to = n->succ[0].to;
        unsigned flags = n->succ[0].flags;
        for (size_t p = 0; p < n->npred; p++) {
            struct ea_node *pr = n->pred[p];
            for (size_t s = 0; s < pr->nsucc; s++)
                if (pr->succ[s].to == n) {
                    pr->succ[s].to = to;
                    pr->succ[s].flags |= flags;
                }
        }
        /* Replace n in to's predecessors with n's predecessors. */
        size_t np = 0;
        struct ea_node **pred =
            ea_xmalloc((to->npred + n->npred + 1) * sizeof(*pred));
        for (size_t p = 0; p < to->npred; p++)
            if (to->pred[p] != n)
                pred[np++] = to->pred[p];
        for (size_t p = 0; p < n->npred; p++)
            pred[np++] = n->pred[p];
        free(to->pred);
        to->pred = pred;
        to->npred = np;
        n->npred = 0;
        n->nsucc = 0;
        n->id = -1; /* dropped */
    }
}

/* A heap array of n elements moved into the arena (old is freed). */
static void *to_arena(struct ea_arena *a, void *old, size_t n, size_t elem)
{
    void *p = ea_alloc(a, (n + 1) * elem);
    if (n)
        memcpy(p, old, n * elem);
    free(old);
    return p;
}

/* Moves the heap arrays of every kept node into the arena. */
static void finish_nodes(struct ea_fb *fb, struct ea_function *f)
{
    struct ea_arena *a = &ea_priv(fb->tu->prog)->arena;
    struct ea_vec kept = {0};
    struct ea_node **v = (struct ea_node **)fb->nodes.v;
    for (size_t i = 0; i < fb->nodes.n; i++) {
        struct ea_node *n = v[i];
        if (n->id < 0) {
            free(n->succ), free(n->pred), free(n->actions);
            continue;
        }
        n->id = (int)kept.n;
        ea_vec_push(&kept, n);
        n->succ = to_arena(a, n->succ, n->nsucc, sizeof(*n->succ));
        n->pred = to_arena(a, n->pred, n->npred, sizeof(*n->pred));
        n->actions = to_arena(a, n->actions, n->nactions, sizeof(*n->actions));
    }
    ea_vec_free(&fb->nodes);
    f->cfg.nodes = (struct ea_node **)ea_vec_finish(a, &kept, &f->cfg.nnodes);
}

void ea_build_function(struct ea_tu *t, CXCursor c, struct ea_function *f)
{
    struct ea_fb fb = {.tu = t, .fn = f};
    struct ea_arena *a = &ea_priv(t->prog)->arena;
    f->cfg.entry = ea_new_node(&fb, EA_N_ENTRY, c);
    f->cfg.exit = ea_new_node(&fb, EA_N_EXIT, clang_getNullCursor());
    f->cfg.exit->loc = f->end_loc;
    int np = clang_Cursor_getNumArguments(c);
    f->nparams = np > 0 ? (size_t)np : 0;
    f->params = ea_alloc(a, (f->nparams + 1) * sizeof(*f->params));
    for (int i = 0; i < np; i++)
        f->params[i] = ea_add_local(
            &fb, clang_Cursor_getArgument(c, (unsigned)i), EA_VAR_PARAM, i);
    unsigned n;
    CXCursor *kids = ea_children(c, &n);
    fb.cur = f->cfg.entry;
    if (n > 0 && clang_getCursorKind(kids[n - 1]) == CXCursor_CompoundStmt) {
        struct ea_node *first = ea_new_node(&fb, EA_N_PLAIN, kids[n - 1]);
        ea_add_edge(f->cfg.entry, first, EA_EDGE_ALWAYS, 0);
        fb.cur = first;
        ea_build_stmt(&fb, kids[n - 1]);
    }
    free(kids);
    if (fb.cur) /* falling off the end */
        ea_add_edge(fb.cur, f->cfg.exit, EA_EDGE_ALWAYS, 0);
    for (size_t i = 0; i < fb.igotos.n; i++)
        for (size_t s = 0; s < fb.labels.cap; s++) {
            const char *k;
            void *lab;
            if (ea_map_at(&fb.labels, s, &k, &lab))
                ea_add_edge(fb.igotos.v[i], lab, EA_EDGE_ALWAYS,
                            EA_EDGE_F_GOTO);
        }
    compact(&fb);
    finish_nodes(&fb, f);
    f->locals = (struct ea_var **)ea_vec_finish(a, &fb.locals, &f->nlocals);
    f->calls = (struct ea_call **)ea_vec_finish(a, &fb.calls, &f->ncalls);
    ea_vec_free(&fb.igotos);
    ea_map_free(&fb.labels);
    ea_map_free(&fb.placed);
    free(fb.lmap);
}

struct walk {
    struct ea_tu *t;
    struct ea_vec *funcs;
};

static enum CXChildVisitResult top_visit(CXCursor c, CXCursor parent,
                                         CXClientData d)
{
    (void)parent;
    struct walk *w = d;
    struct ea_tu *t = w->t;
    struct ea_priv *p = ea_priv(t->prog);
    enum CXCursorKind k = clang_getCursorKind(c);
    if (k == CXCursor_LinkageSpec || k == CXCursor_UnexposedDecl)
        return CXChildVisit_Recurse;
    if (k == CXCursor_FunctionDecl && !t->prog->eel_header_seen) {
        CXString s = clang_getCursorSpelling(c);
        if (strcmp(clang_getCString(s), "eel_add_read") == 0)
            t->prog->eel_header_seen = 1;
        clang_disposeString(s);
    }
    if (clang_Location_isInSystemHeader(clang_getCursorLocation(c)))
        return CXChildVisit_Continue;
    if (k == CXCursor_FunctionDecl && clang_isCursorDefinition(c)) {
        const char *usr = ea_usr(t, c);
        struct ea_function *had = ea_map_get(&p->funcs, usr);
        if (had) { /* the same header body again, or two programs mixed */
            struct ea_loc l = ea_cursor_loc(t, c);
            if (l.file != had->loc.file && t->diag)
                fprintf(t->diag,
                        "warning: '%s' is defined in %s and %s; using the "
                        "first (give the files of one program)\n",
                        had->name, had->file, l.file);
            return CXChildVisit_Continue;
        }
        struct ea_function *f = new_function(t, c, usr);
        ea_map_put(&p->funcs, &p->arena, usr, f);
        ea_vec_push(w->funcs, f);
        ea_build_function(t, c, f);
    } else if (k == CXCursor_VarDecl) {
        struct ea_var *v = ea_global_var(t, c);
        CXCursor init = clang_Cursor_getVarDeclInitializer(c);
        if (!clang_Cursor_isNull(init)) {
            const char *key = ea_printf(&p->arena, "v:%s", ea_usr(t, c));
            ea_record_fp_init(t, v->is_callback_type ? key : NULL, init);
        }
    }
    return CXChildVisit_Continue;
}

static int print_diagnostics(CXTranslationUnit tu, FILE *diag, int verbose)
{
    int errors = 0;
    unsigned n = clang_getNumDiagnostics(tu);
    for (unsigned i = 0; i < n; i++) {
        CXDiagnostic d = clang_getDiagnostic(tu, i);
        enum CXDiagnosticSeverity sev = clang_getDiagnosticSeverity(d);
        if (sev >= CXDiagnostic_Error)
            errors++;
        if (sev >= CXDiagnostic_Error ||
            (verbose && sev >= CXDiagnostic_Warning)) {
            CXString s = clang_formatDiagnostic(
                d, clang_defaultDiagnosticDisplayOptions());
            fprintf(diag, "%s\n", clang_getCString(s));
            clang_disposeString(s);
        }
        clang_disposeDiagnostic(d);
    }
    return errors;
}

/* One parse.  argv is a full compiler command when full != 0 (from the
 * database), else the file then the flags. */
static enum ea_load_status parse_one(struct ea_program *prog, CXIndex idx,
                                     const char *file, const char *const *args,
                                     int nargs, int full, const char *dir,
                                     FILE *diag, int verbose,
                                     struct ea_vec *funcs)
{
    CXTranslationUnit tu = NULL;
    unsigned opts = CXTranslationUnit_KeepGoing;
    enum CXErrorCode err;
    if (verbose)
        fprintf(diag, "parsing %s\n", file);
    if (full)
        err = clang_parseTranslationUnit2FullArgv(idx, NULL, args, nargs, NULL,
                                                  0, opts, &tu);
    else
        err = clang_parseTranslationUnit2(idx, file, args, nargs, NULL, 0, opts,
                                          &tu);
    if (err != CXError_Success || !tu) {
        fprintf(diag, "%s: error: clang could not parse this file (code %d)\n",
                file, (int)err);
        return EA_LOAD_PARSE;
    }
    if (print_diagnostics(tu, diag, verbose) > 0) {
        fprintf(diag,
                "%s: error: the file does not compile; fix the errors "
                "above (or the flags after --)\n",
                file);
        clang_disposeTranslationUnit(tu);
        return EA_LOAD_PARSE;
    }
    struct ea_tu t = {.prog = prog, .tu = tu, .dir = dir, .diag = diag};
    struct walk w = {.t = &t, .funcs = funcs};
    clang_visitChildren(clang_getTranslationUnitCursor(tu), top_visit, &w);
    struct ea_priv *p = ea_priv(prog);
    CXFile mf = clang_getFile(tu, file);
    const char *name = file;
    for (size_t i = 0; mf && i < t.nfiles; i++)
        if (t.files[i].file == mf)
            name = t.files[i].name;
    ea_vec_push(&p->tu_names, (void *)ea_intern(&p->strings, &p->arena, name));
    free(t.files);
    clang_disposeTranslationUnit(tu);
    return EA_LOAD_OK;
}

static int readable_file(const char *f, FILE *diag)
{
    struct stat st;
    if (stat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
        fprintf(diag, "%s: error: no such source file\n", f);
        return 0;
    }
    return 1;
}

static int is_cxx(const char *f)
{
    const char *dot = strrchr(f, '.');
    return dot && (!strcmp(dot, ".cc") || !strcmp(dot, ".cpp") ||
                   !strcmp(dot, ".cxx") || !strcmp(dot, ".C"));
}

static enum ea_load_status load_db(struct ea_program *prog, CXIndex idx,
                                   const struct ea_input *in, FILE *diag,
                                   struct ea_vec *funcs)
{
    CXCompilationDatabase_Error dberr;
    CXCompilationDatabase db =
        clang_CompilationDatabase_fromDirectory(in->build_dir, &dberr);
    if (dberr != CXCompilationDatabase_NoError || !db) {
        fprintf(diag, "%s: error: no readable compile_commands.json there\n",
                in->build_dir);
        return EA_LOAD_USAGE;
    }
    enum ea_load_status st = EA_LOAD_OK;
    size_t ncmd_total = 0;
    int cwd = open(".", O_RDONLY | O_DIRECTORY);
    struct ea_map seen = {0};
    struct ea_arena scratch = {0};
    for (size_t fi = 0; fi < (in->nfiles ? in->nfiles : 1) && !st; fi++) {
        CXCompileCommands cmds;
        if (in->nfiles) {
            char *rp = realpath(in->files[fi], NULL);
            cmds = clang_CompilationDatabase_getCompileCommands(
                db, rp ? rp : in->files[fi]);
            free(rp);
        } else {
            cmds = clang_CompilationDatabase_getAllCompileCommands(db);
        }
        unsigned n = cmds ? clang_CompileCommands_getSize(cmds) : 0;
        if (in->nfiles && n == 0) {
            fprintf(diag, "%s: error: not in %s/compile_commands.json\n",
                    in->files[fi], in->build_dir);
            st = EA_LOAD_USAGE;
        }
        for (unsigned i = 0; i < n && !st; i++) {
            CXCompileCommand cmd = clang_CompileCommands_getCommand(cmds, i);
            CXString dir = clang_CompileCommand_getDirectory(cmd);
            CXString fn = clang_CompileCommand_getFilename(cmd);
            const char *file = clang_getCString(fn);
            const char *d = clang_getCString(dir);
            char key[PATH_MAX * 2 + 2];
            snprintf(key, sizeof key, "%s/%s", d, file);
            if (!is_cxx(file) && !ea_map_get(&seen, key)) {
                ea_map_put(&seen, &scratch, key, (void *)1);
                unsigned na = clang_CompileCommand_getNumArgs(cmd);
                CXString *as = ea_xmalloc((na + 1) * sizeof(*as));
                const char **argv = ea_xmalloc((na + 1) * sizeof(*argv));
                for (unsigned j = 0; j < na; j++) {
                    as[j] = clang_CompileCommand_getArg(cmd, j);
                    argv[j] = clang_getCString(as[j]);
                }
                if (chdir(d) != 0) {
                    fprintf(diag,
                            "%s: error: cannot enter the build "
                            "directory\n",
                            d);
                    st = EA_LOAD_USAGE;
                } else {
                    st = parse_one(prog, idx, file, argv, (int)na, 1, d, diag,
                                   in->verbose, funcs);
                    ncmd_total++;
                }
                if (cwd >= 0 && fchdir(cwd) != 0)
                    st = EA_LOAD_USAGE;
                for (unsigned j = 0; j < na; j++)
                    clang_disposeString(as[j]);
                free(as);
                free(argv);
            }
            clang_disposeString(dir);
            clang_disposeString(fn);
        }
        if (cmds)
            clang_CompileCommands_dispose(cmds);
    }
    if (!st && ncmd_total == 0) {
        fprintf(diag, "%s: error: compile_commands.json lists no C files\n",
                in->build_dir);
        st = EA_LOAD_USAGE;
    }
    if (cwd >= 0)
        close(cwd);
    ea_map_free(&seen);
    ea_arena_free(&scratch);
    clang_CompilationDatabase_dispose(db);
    return st;
}

static struct ea_program *load(const struct ea_input *in, FILE *diag,
                               enum ea_load_status *status)
{
    struct ea_program *prog = calloc(1, sizeof(*prog));
    struct ea_priv *p = calloc(1, sizeof(*p));
    if (!prog || !p) {
        free(prog), free(p);
        *status = EA_LOAD_USAGE;
        fputs("error: out of memory\n", diag);
        return NULL;
    }
    prog->priv = p;
    CXIndex idx = clang_createIndex(0, 0);
    struct ea_vec funcs = {0};
    enum ea_load_status st = EA_LOAD_OK;
    if (in->build_dir) {
        st = load_db(prog, idx, in, diag, &funcs);
    } else {
        for (size_t i = 0; i < in->nfiles && !st; i++)
            if (!readable_file(in->files[i], diag))
                st = EA_LOAD_USAGE;
        for (size_t i = 0; i < in->nfiles && !st; i++)
            st = parse_one(prog, idx, in->files[i],
                           (const char *const *)in->flags, (int)in->nflags, 0,
                           NULL, diag, in->verbose, &funcs);
    }
    clang_disposeIndex(idx);
    prog->functions = (struct ea_function **)ea_vec_finish(&p->arena, &funcs,
                                                           &prog->nfunctions);
    prog->files =
        (const char **)ea_vec_finish(&p->arena, &p->tu_names, &prog->nfiles);
    if (st) {
        *status = st;
        ea_program_free(prog);
        return NULL;
    }
    ea_link_program(prog);
    *status = EA_LOAD_OK;
    return prog;
}

void ea_program_free(struct ea_program *prog)
{
    if (!prog)
        return;
    struct ea_priv *p = ea_priv(prog);
    ea_map_free(&p->strings);
    ea_map_free(&p->funcs);
    ea_map_free(&p->globals);
    ea_map_free(&p->fp_facts);
    ea_vec_free(&p->pending);
    ea_vec_free(&p->tu_names);
    ea_arena_free(&p->arena);
    free(p);
    free(prog);
}

struct load_job {
    const struct ea_input *in;
    FILE *diag;
    enum ea_load_status status;
    struct ea_program *prog;
};

static void *load_thread(void *arg)
{
    struct load_job *j = arg;
    j->prog = load(j->in, j->diag, &j->status);
    return NULL;
}

/* Clang's parser and the walks recurse as deep as the source nests; on
 * libclang's own parse thread (8 MiB) a long `a + b + ...` overflows.  So
 * everything runs on one thread of ours with a big stack (reserved, used
 * only as deep as needed) and libclang is told not to start its own. */
struct ea_program *ea_program_load(const struct ea_input *in, FILE *diag,
                                   enum ea_load_status *status)
{
    static const size_t sizes[] = {(size_t)1 << 30, (size_t)256 << 20};
    setenv("LIBCLANG_NOTHREADS", "1", 1);
    struct load_job j = {.in = in, .diag = diag};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        pthread_attr_t attr;
        pthread_t th;
        if (pthread_attr_init(&attr) != 0)
            break;
        int ok = pthread_attr_setstacksize(&attr, sizes[i]) == 0 &&
                 pthread_create(&th, &attr, load_thread, &j) == 0;
        pthread_attr_destroy(&attr);
        if (ok) {
            pthread_join(th, NULL);
            *status = j.status;
            return j.prog;
        }
    }
    return load(in, diag, status); /* no thread: the caller's stack */
}
