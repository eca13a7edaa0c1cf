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

/* One event, with the separator; the caller holds the lock. */
__attribute__((format(printf, 1, 2))) static void put(const char *fmt, ...)
{
    if (sealed) {
        if (fseek(out, seal_pos, SEEK_SET) < 0)
            return;
        sealed = 0;
    }
    fputs(nevents++ ? ",\n{" : "{", out);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('}', out);
}

/* Trace time: microseconds since the trace began, to the nanosecond. */
#define TS_FMT "%" PRIu64 ".%03u"
#define TS(ns) ((ns) - t0_ns) / 1000u, (unsigned)(((ns) - t0_ns) % 1000u)

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
    char buf[300];
    put("\"ph\":\"i\",\"s\":\"t\",\"pid\":%d,\"tid\":%" PRIu64 ",\"ts\":" TS_FMT
        ",\"name\":\"%s\",\"cat\":\"eel\",\"args\":{\"callback\":\"%s\"}",
        pid, track, TS(ns), name, esc(cb, buf, sizeof(buf)));
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
    uint64_t track = track_of(l, eel__group_id(l, x->group));
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
        put("\"ph\":\"s\",\"id\":%" PRIu64 ",\"pid\":%d,\"tid\":%" PRIu64
            ",\"ts\":" TS_FMT ",\"name\":\"register\",\"cat\":\"eel\"",
            r->flow, pid, src, TS(r->reg_ns));
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
        put("\"ph\":\"E\",\"pid\":%d,\"tid\":%" PRIu64 ",\"ts\":" TS_FMT,
            pid, s->outside_track, TS(now));
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
        if (flow)
            put("\"ph\":\"f\",\"id\":%" PRIu64 ",\"pid\":%d,"
                "\"tid\":%" PRIu64 ",\"ts\":" TS_FMT
                ",\"name\":\"register\",\"cat\":\"eel\"",
                flow, pid, track, TS(ns));
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
    char name[300], site[600];
    esc(eel__rt_func_name((const void *)f->cb), name, sizeof(name));
    esc(eel__rt_site_name(f->site), site, sizeof(site));
    uint64_t st = s->cb_start_ns, dur = end_ns - st;
    pthread_mutex_lock(&lock);
    if (out && track) {
        put("\"ph\":\"X\",\"pid\":%d,\"tid\":%" PRIu64 ",\"ts\":" TS_FMT
            ",\"dur\":%" PRIu64 ".%03u,\"name\":\"%s\",\"cat\":\"%s\","
            "\"args\":{\"fd\":%d,\"kind\":\"%s\",\"timed_out\":%s,"
            "\"event\":\"0x%" PRIx64 "\",\"group\":\"0x%" PRIx64 "\","
            "\"registered_at\":\"%s\",\"waited_us\":%.3f}",
            pid, track, TS(st), dur / 1000u, (unsigned)(dur % 1000u), name,
            eel__rt_kind_name(f->kind), f->fd,
            eel__rt_kind_name(f->kind), f->timed_out ? "true" : "false",
            f->id, f->gid, site,
            s->cb_wait_ns == UINT64_MAX ? 0.0 : (double)s->cb_wait_ns / 1e3);
    }
    pthread_mutex_unlock(&lock);
}
