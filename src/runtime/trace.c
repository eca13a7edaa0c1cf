/*
 * trace.c - EEL_TRACE=FILE: the run as Chrome/Perfetto trace-event JSON.
 *
 * One track (tid) per group, numbered in creation order and named after the
 * group id and its creation site; one complete slice ("X") per callback with
 * its name, fd and kind; a flow arrow ("s" -> "f") from each registration to
 * the callback it caused; instant markers for timers, timeouts, cancels and
 * group deletions.  Registrations made outside any callback start their
 * arrows inside an "outside callbacks" slice on a track of its own.  An
 * arrow's end ("f", no "bp") is stamped just before the trace's own work for
 * the callback, and binds to the callback's slice, the next on its track.
 *
 * The file is one object, {"traceEvents":[...]}.  It is "sealed" (closing
 * brackets written and flushed) at eel_shutdown(), at exit and before an
 * EEL_CHECK=abort, so it is valid JSON whenever the program stops normally;
 * the next event seeks back over the brackets.  One file serves every
 * thread's loop, behind a mutex.
 */
#define _GNU_SOURCE
#include "rt.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *out;
static int seekable, sealed, nevents;
static long seal_pos;
static uint64_t t0_ns, next_track, next_flow;
static int pid;

/* Copies s into buf as the inside of a JSON string. */
static const char *esc(const char *s, char *buf, size_t n)
{
    size_t j = 0;
    for (; *s && j + 7 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[j++] = '\\';
            buf[j++] = (char)c;
        } else if (c < 0x20) {
            j += (size_t)snprintf(buf + j, n - j, "\\u%04x", c);
        } else {
            buf[j++] = (char)c;
        }
    }
    buf[j] = 0;
    return buf;
}

/* Starts an event: back over the closing brackets if sealed, then the
 * separator and "{".  0 when the event may follow; the caller holds the
 * lock. */
static int start_event(void)
{
    if (sealed) {
        if (fseek(out, seal_pos, SEEK_SET) < 0)
            return -1;
        sealed = 0;
    }
    fputs(nevents++ ? ",\n{" : "{", out);
    return 0;
}

/* One event, with the separator; the caller holds the lock. */
__attribute__((format(printf, 1, 2))) static void put(const char *fmt, ...)
{
    if (start_event() < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('}', out);
}

/* Trace time: microseconds since the trace began, to the nanosecond. */
#define TS_FMT "%" PRIu64 ".%03u"
#define TS(ns) ((ns)-t0_ns) / 1000u, (unsigned)(((ns)-t0_ns) % 1000u)

/* The per-callback events are built by hand rather than with printf, which
 * was two thirds of the tracer's cost. */
struct jb {
    size_t n;
    char b[2048];
};

static void jb_mem(struct jb *j, const char *s, size_t k)
{
    if (k > sizeof(j->b) - j->n)
        k = sizeof(j->b) - j->n;
    memcpy(j->b + j->n, s, k);
    j->n += k;
}
#define jb_lit(j, s) jb_mem(j, s, sizeof(s) - 1)

static void jb_u(struct jb *j, uint64_t v)
{
    char t[24];
    int i = sizeof(t);
    do
        t[--i] = (char)('0' + v % 10);
    while (v /= 10);
    jb_mem(j, t + i, sizeof(t) - (size_t)i);
}

static void jb_x(struct jb *j, uint64_t v)
{
    char t[24];
    int i = sizeof(t);
    do
        t[--i] = "0123456789abcdef"[v & 15];
    while (v >>= 4);
    jb_lit(j, "\"0x");
    jb_mem(j, t + i, sizeof(t) - (size_t)i);
    jb_lit(j, "\"");
}

/* Nanoseconds as microseconds with three decimals. */
static void jb_us(struct jb *j, uint64_t ns)
{
    char d[4] = {'.', (char)('0' + ns / 100 % 10), (char)('0' + ns / 10 % 10),
                 (char)('0' + ns % 10)};
    jb_u(j, ns / 1000);
    jb_mem(j, d, 4);
}

static void jb_str(struct jb *j, const char *s)
{
    char buf[600];
    jb_lit(j, "\"");
    esc(s, buf, sizeof(buf));
    jb_mem(j, buf, strlen(buf));
    jb_lit(j, "\"");
}

/* "ph":P,"pid":..,"tid":T,"ts":.. */
static void jb_head(struct jb *j, const char *ph, uint64_t tid, uint64_t ns)
{
    jb_lit(j, "\"ph\":\"");
    jb_mem(j, ph, strlen(ph));
    jb_lit(j, "\",\"pid\":");
    jb_u(j, (uint64_t)pid);
    jb_lit(j, ",\"tid\":");
    jb_u(j, tid);
    jb_lit(j, ",\"ts\":");
    jb_us(j, ns - t0_ns);
}

/* One built event, with the separator; the caller holds the lock. */
static void put_jb(const struct jb *j)
{
    if (start_event() < 0)
        return;
    fwrite(j->b, 1, j->n, out);
    fputc('}', out);
}

int eel__trace_open(const char *path)
{
    pthread_mutex_lock(&lock);
    int r = 0;
    if (!out) {
        out = fopen(path, "w");
        if (!out) {
            fprintf(stderr, "eel: EEL_TRACE=%s: %s; tracing is off\n", path,
                    strerror(errno));
            r = -1;
        } else {
            setvbuf(out, NULL, _IOFBF, 1 << 20);
            seekable = ftell(out) >= 0;
            t0_ns = eel__rt_now_ns();
            pid = (int)getpid();
            fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", out);
            char name[256];
            put("\"ph\":\"M\",\"pid\":%d,\"name\":\"process_name\","
                "\"args\":{\"name\":\"eel: %s\"}",
                pid, esc(program_invocation_short_name, name, sizeof(name)));
        }
    }
    pthread_mutex_unlock(&lock);
    return r;
}

void eel__trace_seal(void)
{
    pthread_mutex_lock(&lock);
    if (out && !sealed) {
        fflush(out);
        seal_pos = ftell(out);
        fputs("\n]}\n", out);
        fflush(out);
        sealed = seekable && seal_pos >= 0;
        if (!sealed) /* a pipe: this was the end */
            out = NULL;
    }
    pthread_mutex_unlock(&lock);
}

static uint64_t track_of(struct eel_loop *l, eel_group_id gid)
{
    struct rt_group *gr = eel__rt_group(l, eel__id_slot(gid));
    return gr && gr->gen == eel__id_gen(gid) ? gr->track : 0;
}

static void name_track(uint64_t track, const char *name)
{
    char buf[600];
    put("\"ph\":\"M\",\"pid\":%d,\"tid\":%" PRIu64 ",\"name\":\"thread_name\","
        "\"args\":{\"name\":\"%s\"}",
        pid, track, esc(name, buf, sizeof(buf)));
    put("\"ph\":\"M\",\"pid\":%d,\"tid\":%" PRIu64 ",\"name\":"
        "\"thread_sort_index\",\"args\":{\"sort_index\":%" PRIu64 "}",
        pid, track, track);
}

void eel__trace_group_new(struct eel_loop *l, uint32_t g, const void *site)
{
    struct rt_group *gr = eel__rt_group(l, g);
    const char *where = eel__rt_site_name(site);
    char name[600];
    pthread_mutex_lock(&lock);
    if (out && gr) {
        gr->track = ++next_track;
        snprintf(name, sizeof(name), "group 0x%" PRIx64 " (new at %s)",
                 eel__group_id(l, g), where);
        name_track(gr->track, name);
    }
    pthread_mutex_unlock(&lock);
}

static void instant(uint64_t track, uint64_t ns, const char *name,
                    const char *cb)
{
    struct jb j = {.n = 0};
    jb_head(&j, "i", track, ns);
    jb_lit(&j, ",\"s\":\"t\",\"cat\":\"eel\",\"name\":");
    jb_str(&j, name);
    jb_lit(&j, ",\"args\":{\"callback\":");
    jb_str(&j, cb);
    jb_lit(&j, "}");
    put_jb(&j);
}

void eel__trace_group_deleted(struct eel_loop *l, uint32_t g)
{
    uint64_t now = eel__rt_now_ns();
    uint64_t track = track_of(l, eel__group_id(l, g));
    pthread_mutex_lock(&lock);
    if (out && track)
        instant(track, now, "delete group", "");
    pthread_mutex_unlock(&lock);
}

void eel__trace_cancelled(struct eel_loop *l, uint32_t e)
{
    uint64_t now = eel__rt_now_ns();
    const struct eel__event *x = &l->ev[e];
    uint64_t track = track_of(l, x->gid);
    const char *cb = eel__rt_func_name((const void *)x->cb);
    pthread_mutex_lock(&lock);
    if (out && track)
        instant(track, now, "cancel", cb);
    pthread_mutex_unlock(&lock);
}

/* The track a registration starts from: the running callback's group, or
 * this loop's "outside callbacks" track, with a slice open on it. */
static uint64_t source_track(struct eel_loop *l, uint64_t ns)
{
    struct rt_state *s = eel__rt;
    if (l->in_callback)
        return track_of(l, l->current_g);
    if (!s->outside_track) {
        s->outside_track = ++next_track;
        name_track(s->outside_track, "outside callbacks");
    }
    if (!s->outside_open) {
        put("\"ph\":\"B\",\"pid\":%d,\"tid\":%" PRIu64 ",\"ts\":" TS_FMT
            ",\"name\":\"outside callbacks\",\"cat\":\"eel\"",
            pid, s->outside_track, TS(ns));
        s->outside_open = 1;
    }
    return s->outside_track;
}

void eel__trace_registered(struct eel_loop *l, uint32_t e)
{
    struct rt_event *r = eel__rt_event(l, e);
    if (!r)
        return;
    pthread_mutex_lock(&lock);
    if (out) {
        r->flow = ++next_flow;
        uint64_t src = source_track(l, r->reg_ns);
        struct jb j = {.n = 0};
        jb_head(&j, "s", src, r->reg_ns);
        jb_lit(&j, ",\"name\":\"register\",\"cat\":\"eel\",\"id\":");
        jb_u(&j, r->flow);
        put_jb(&j);
    }
    pthread_mutex_unlock(&lock);
}

void eel__trace_idle(struct eel_loop *l)
{
    struct rt_state *s = eel__rt;
    (void)l;
    if (!s->outside_open)
        return;
    uint64_t now = eel__rt_now_ns();
    pthread_mutex_lock(&lock);
    if (out)
        put("\"ph\":\"E\",\"pid\":%d,\"tid\":%" PRIu64 ",\"ts\":" TS_FMT, pid,
            s->outside_track, TS(now));
    s->outside_open = 0;
    pthread_mutex_unlock(&lock);
}

void eel__trace_before(struct eel_loop *l, const struct eel__fired *f)
{
    struct rt_state *s = eel__rt;
    if (s->outside_open)
        eel__trace_idle(l);
    uint32_t e = eel__id_slot(f->id);
    struct rt_event *r = eel__rt_event(l, e);
    uint64_t flow = r && r->gen == eel__id_gen(f->id) ? r->flow : 0;
    uint64_t track = s->cb_track;
    uint64_t ns = s->cb_start_ns;
    pthread_mutex_lock(&lock);
    if (out && track) {
        if (flow) {
            struct jb j = {.n = 0};
            jb_head(&j, "f", track, ns);
            jb_lit(&j, ",\"name\":\"register\",\"cat\":\"eel\",\"id\":");
            jb_u(&j, flow);
            put_jb(&j);
        }
        if (f->kind == EEL__TIMER || f->timed_out)
            instant(track, ns, f->kind == EEL__TIMER ? "timer" : "timeout",
                    eel__rt_func_name((const void *)f->cb));
    }
    pthread_mutex_unlock(&lock);
}

void eel__trace_after(struct eel_loop *l, const struct eel__fired *f,
                      uint64_t end_ns)
{
    struct rt_state *s = eel__rt;
    /* Taken before the callback, which may delete and reuse its group. */
    uint64_t track = s->cb_track;
    (void)l;
    const char *kind = eel__rt_kind_name(f->kind);
    uint64_t st = s->cb_start_ns;
    struct jb j = {.n = 0};
    jb_lit(&j, ",\"dur\":");
    jb_us(&j, end_ns - st);
    jb_lit(&j, ",\"name\":");
    jb_str(&j, eel__rt_func_name((const void *)f->cb));
    jb_lit(&j, ",\"cat\":");
    jb_str(&j, kind);
    jb_lit(&j, ",\"args\":{\"fd\":");
    if (f->fd < 0)
        jb_lit(&j, "-");
    jb_u(&j, (uint64_t)(f->fd < 0 ? -(int64_t)f->fd : f->fd));
    jb_lit(&j, ",\"kind\":");
    jb_str(&j, kind);
    if (f->timed_out)
        jb_lit(&j, ",\"timed_out\":true");
    else
        jb_lit(&j, ",\"timed_out\":false");
    jb_lit(&j, ",\"event\":");
    jb_x(&j, f->id);
    jb_lit(&j, ",\"group\":");
    jb_x(&j, f->gid);
    jb_lit(&j, ",\"registered_at\":");
    jb_str(&j, eel__rt_site_name(f->site));
    jb_lit(&j, ",\"waited_us\":");
    jb_us(&j, s->cb_wait_ns == UINT64_MAX ? 0 : s->cb_wait_ns);
    jb_lit(&j, "}");
    pthread_mutex_lock(&lock);
    if (out && track) {
        struct jb h = {.n = 0};
        jb_head(&h, "X", track, st);
        jb_mem(&h, j.b, j.n);
        put_jb(&h);
    }
    pthread_mutex_unlock(&lock);
}
