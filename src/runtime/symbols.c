/*
 * symbols.c - names for code addresses in run-time reports, traces and
 * profiles: a callback's function name, and a registration site as
 * file:line.
 *
 * The line tables come from elfutils' libdw, loaded with dlopen() the first
 * time a name is needed, so libeel neither links against it nor pays for it
 * unless EEL_CHECK/EEL_TRACE/EEL_PROFILE is on.  Without libdw (or with
 * EEL_SYMBOLS=dladdr) names come from dladdr(): exported symbols only, as
 * symbol+offset.  Every answer is cached, so each address is resolved once.
 */
#define _GNU_SOURCE /* dladdr */
#include "rt.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The parts of libdwfl's public ABI used here; pointers are opaque. */
struct dwfl_callbacks {
    void *find_elf;
    void *find_debuginfo;
    void *section_address;
    char **debuginfo_path;
};
struct dw_api {
    void *(*begin)(const struct dwfl_callbacks *);
    int (*proc_report)(void *dwfl, pid_t pid);
    int (*report_end)(void *dwfl, void *removed, void *arg);
    void *(*addrmodule)(void *dwfl, uint64_t addr);
    const char *(*addrname)(void *mod, uint64_t addr);
    void *(*getsrc)(void *mod, uint64_t addr);
    const char *(*lineinfo)(void *line, uint64_t *addr, int *linep, int *colp,
                            uint64_t *mtime, uint64_t *length);
    void (*end)(void *dwfl);
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int dw_tried;
static struct dw_api dw;
static struct dwfl_callbacks dw_cb;
static void *dwfl;

#define LOAD(field, name) (*(void **)&dw.field = dlsym(h, name)) != NULL

static void dw_load(void)
{
    dw_tried = 1;
    const char *how = getenv("EEL_SYMBOLS");
    if (how && strcmp(how, "dladdr") == 0)
        return;
    void *h = dlopen("libdw.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return;
    int ok = LOAD(begin, "dwfl_begin") &&
             LOAD(proc_report, "dwfl_linux_proc_report") &&
             LOAD(report_end, "dwfl_report_end") &&
             LOAD(addrmodule, "dwfl_addrmodule") &&
             LOAD(addrname, "dwfl_module_addrname") &&
             LOAD(getsrc, "dwfl_module_getsrc") &&
             LOAD(lineinfo, "dwfl_lineinfo") && LOAD(end, "dwfl_end");
    dw_cb.find_elf = dlsym(h, "dwfl_linux_proc_find_elf");
    dw_cb.find_debuginfo = dlsym(h, "dwfl_standard_find_debuginfo");
    if (!ok || !dw_cb.find_elf || !dw_cb.find_debuginfo)
        dw.begin = NULL;
}

/* (Re)reads the process's module list: code loaded since is found too. */
static void dw_report(void)
{
    if (dwfl)
        dw.end(dwfl);
    dwfl = dw.begin(&dw_cb);
    if (dwfl && (dw.proc_report(dwfl, getpid()) != 0 ||
                 dw.report_end(dwfl, NULL, NULL) != 0)) {
        dw.end(dwfl);
        dwfl = NULL;
    }
}

static void *dw_module(uint64_t a)
{
    if (!dw_tried)
        dw_load();
    if (!dw.begin)
        return NULL;
    if (!dwfl)
        dw_report();
    void *m = dwfl ? dw.addrmodule(dwfl, a) : NULL;
    if (!m) {
        dw_report();
        m = dwfl ? dw.addrmodule(dwfl, a) : NULL;
    }
    return m;
}

static const char *base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* "sym" or "sym+0x1c", from dladdr; "mod+0x1234" or "0x..." otherwise. */
static void dladdr_name(const void *p, char *out, size_t n)
{
    Dl_info di;
    int found = dladdr(p, &di) != 0;
    if (found && di.dli_sname && di.dli_saddr) {
        size_t off = (size_t)((const char *)p - (const char *)di.dli_saddr);
        if (off)
            snprintf(out, n, "%s+0x%zx", di.dli_sname, off);
        else
            snprintf(out, n, "%s", di.dli_sname);
    } else if (found && di.dli_fname && di.dli_fbase) {
        snprintf(out, n, "%s+0x%zx", base(di.dli_fname),
                 (size_t)((const char *)p - (const char *)di.dli_fbase));
    } else {
        snprintf(out, n, "%p", p);
    }
}

static void func_name(const void *fn, char *out, size_t n)
{
    void *m = dw_module((uint64_t)(uintptr_t)fn);
    const char *s = m ? dw.addrname(m, (uint64_t)(uintptr_t)fn) : NULL;
    if (s)
        snprintf(out, n, "%s", s);
    else
        dladdr_name(fn, out, n);
}

/* A return address: the call is the instruction before it. */
static void site_name(const void *ret, char *out, size_t n)
{
    const char *call = (const char *)ret - 1;
    uint64_t a = (uint64_t)(uintptr_t)call;
    void *m = dw_module(a);
    const char *fn = m ? dw.addrname(m, a) : NULL;
    void *line = m ? dw.getsrc(m, a) : NULL;
    int lineno = 0;
    const char *file =
        line ? dw.lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
    char sym[256];
    if (fn)
        snprintf(sym, sizeof(sym), "%s", fn);
    else
        dladdr_name(call, sym, sizeof(sym));
    if (file && lineno > 0)
        snprintf(out, n, "%s:%d (%s)", base(file), lineno, sym);
    else
        snprintf(out, n, "%s", sym);
}

/* libdw keeps the ELF files it read open.  Those fds must not outlive the
 * turn: one could take the number of an fd the program closed under a
 * waiting event, and the poll backend would then wait on our file instead
 * of reporting the closed fd.  So the module list is dropped before each
 * wait and read again on the next miss (misses are rare: answers are
 * cached). */
void eel__rt_symbols_release(void)
{
    if (!__atomic_load_n(&dwfl, __ATOMIC_RELAXED))
        return;
    pthread_mutex_lock(&lock);
    if (dwfl)
        dw.end(dwfl);
    __atomic_store_n(&dwfl, NULL, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&lock);
}

/* ---- The cache: open addressing on the address -------------------------- */

struct slot {
    const void *addr;
    int site;
    const char *name;
};
static struct slot *tab;
static size_t tab_cap, tab_len;

static size_t hash(const void *a, int site)
{
    uint64_t x = (uint64_t)(uintptr_t)a * 0x9e3779b97f4a7c15ull;
    return (size_t)((x >> 29) ^ (uint64_t)site);
}

static struct slot *find(const void *a, int site)
{
    size_t i = hash(a, site) & (tab_cap - 1);
    while (tab[i].name && (tab[i].addr != a || tab[i].site != site))
        i = (i + 1) & (tab_cap - 1);
    return &tab[i];
}

static int tab_grow(void)
{
    size_t old = tab_cap;
    struct slot *o = tab;
    tab_cap = old ? old * 2 : 256;
    tab = calloc(tab_cap, sizeof(*tab));
    if (!tab) {
        tab = o;
        tab_cap = old;
        return -1;
    }
    for (size_t i = 0; i < old; i++)
        if (o[i].name)
            *find(o[i].addr, o[i].site) = o[i];
    free(o);
    return 0;
}

static const char *lookup(const void *a, int site)
{
    pthread_mutex_lock(&lock);
    const char *r = "?";
    if ((tab_len + 1) * 2 > tab_cap && tab_grow() < 0)
        goto out;
    struct slot *s = find(a, site);
    if (!s->name) {
        char buf[512];
        if (site)
            site_name(a, buf, sizeof(buf));
        else
            func_name(a, buf, sizeof(buf));
        char *d = strdup(buf);
        if (!d)
            goto out;
        s->addr = a;
        s->site = site;
        s->name = d;
        tab_len++;
    }
    r = s->name;
out:
    pthread_mutex_unlock(&lock);
    return r;
}

const char *eel__rt_func_name(const void *fn)
{
    return fn ? lookup(fn, 0) : "(none)";
}

const char *eel__rt_site_name(const void *ret)
{
    return ret ? lookup(ret, 1) : "(unknown site)";
}
