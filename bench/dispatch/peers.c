/*
 * peers.c - the peers this build of the benchmark has, in table order.
 * CMake defines BENCH_HAVE_<PEER> for each library it found, so a missing
 * package drops its peer instead of failing the build.
 */
#include "bench.h"

#include <stddef.h>

extern const struct peer peer_libeel;
extern const struct peer peer_libeel_epoll;
extern const struct peer peer_libeel_poll;
extern const struct peer peer_libevent;
extern const struct peer peer_libev;
extern const struct peer peer_libuv;

const struct peer *const bench_peers[] = {
#ifdef BENCH_HAVE_LIBEEL
    &peer_libeel,
    &peer_libeel_epoll,
    &peer_libeel_poll,
#endif
#ifdef BENCH_HAVE_LIBEVENT
    &peer_libevent,
#endif
#ifdef BENCH_HAVE_LIBEV
    &peer_libev,
#endif
#ifdef BENCH_HAVE_LIBUV
    &peer_libuv,
#endif
    NULL,
};

const char *mode_name(enum bench_mode mode)
{
    return mode == MODE_PERSISTENT ? "persistent" : "one-shot";
}
