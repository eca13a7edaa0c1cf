/*
 * channels.c - the sockets the dispatch benchmark circulates bytes through,
 * shared by every peer in one process so they all run on the same fds.
 *
 * The classic layout is one socketpair per channel (read one end, write the
 * other).  When the fd limit cannot hold 2N fds (10,000 pairs need 20,000+
 * fds; many machines cap at 20,000), the compact layout reads both ends of
 * each pair: channel 2p reads end 0 and is written on end 1, channel 2p+1
 * the reverse.  Each event still costs one read and one write on a
 * socketpair and each channel is one registered fd, so the per-event work
 * is the same; only the number of fds behind N channels halves.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

/* fds kept free for stdio, the loops' own fds and the output files. */
#define FD_RESERVE 64

static double clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

struct stamp stamp_now(void)
{
    struct stamp s;
    s.us[CLK_WALL] = clock_us(CLOCK_MONOTONIC);
    s.us[CLK_CPU] = clock_us(CLOCK_THREAD_CPUTIME_ID);
    return s;
}

void stamp_phases(struct run_result *res, struct stamp t0, struct stamp t1,
                  struct stamp t2)
{
    for (int c = 0; c < CLK_COUNT; c++) {
        res->setup_us[c] = t1.us[c] - t0.us[c];
        res->run_us[c] = t2.us[c] - t1.us[c];
    }
}

/* Raises the soft fd limit as far as the hard one; returns the soft limit. */
static long raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)rl.rlim_cur;
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int new_pair(int sv[2])
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return -1;
    if (set_nonblock(sv[0]) != 0 || set_nonblock(sv[1]) != 0)
        return -1;
    return 0;
}

int channels_open(struct channels *ch, int n, int compact)
{
    long limit = raise_fd_limit();
    memset(ch, 0, sizeof(*ch));
    if (n < 2) {
        fprintf(stderr, "bench: need at least 2 channels, got %d\n", n);
        return -1;
    }
    ch->compact = compact || 2L * n + FD_RESERVE > limit;
    if (ch->compact && (long)n + FD_RESERVE + 1 > limit) {
        fprintf(stderr,
                "bench: %d channels need %d fds, the fd limit is %ld "
                "(raise it with ulimit -n)\n",
                n, n + FD_RESERVE + 1, limit);
        return -1;
    }
    ch->rfd = calloc((size_t)n, sizeof(int));
    ch->wfd = calloc((size_t)n, sizeof(int));
    if (!ch->rfd || !ch->wfd) {
        fprintf(stderr, "bench: out of memory for %d channels\n", n);
        return -1;
    }
    for (int i = 0; i < n;) {
        int sv[2];
        if (new_pair(sv) != 0) {
            fprintf(stderr, "bench: socketpair for channel %d: %s\n", i,
                    strerror(errno));
            ch->n = i;
            channels_close(ch);
            return -1;
        }
        ch->pairs++;
        ch->rfd[i] = sv[0];
        ch->wfd[i] = sv[1];
        i++;
        /* An odd last channel keeps a pair to itself. */
        if (ch->compact && i < n) {
            ch->rfd[i] = sv[1];
            ch->wfd[i] = sv[0];
            i++;
        }
    }
    ch->n = n;
    return 0;
}

void channels_close(struct channels *ch)
{
    for (int i = 0; i < ch->n; i++) {
        /* In the compact layout each fd is some channel's read end. */
        close(ch->rfd[i]);
        if (!ch->compact)
            close(ch->wfd[i]);
    }
    if (ch->compact && ch->n % 2)
        close(ch->wfd[ch->n - 1]);
    free(ch->rfd);
    free(ch->wfd);
    memset(ch, 0, sizeof(*ch));
}

void circ_begin(struct circ *c, const struct channels *ch,
                const struct dispatch_cfg *cfg)
{
    memset(c, 0, sizeof(*c));
    c->ch = ch;
    c->n = cfg->n;
    c->target = (long)cfg->active + cfg->writes;
    c->writes_left = cfg->writes;
}

/* Puts the A tokens in flight, spread evenly over the N channels. */
int circ_seed(struct circ *c, const struct dispatch_cfg *cfg)
{
    int space = cfg->n / cfg->active;
    for (int i = 0; i < cfg->active; i++) {
        if (write(c->ch->wfd[i * space], "e", 1) != 1) {
            c->errors++;
            return -1;
        }
    }
    return 0;
}

/* 1 if no channel has a byte left unread (a correct run reads them all). */
int channels_drained(const struct channels *ch, int n)
{
    char b;
    for (int i = 0; i < n; i++) {
        if (recv(ch->rfd[i], &b, 1, MSG_DONTWAIT | MSG_PEEK) >= 0)
            return 0;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return 0;
    }
    return 1;
}
