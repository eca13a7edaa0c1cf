#!/bin/sh
# longrun.sh EELPLB [REQUESTS] - the long form of the plb_leak test: a
# million requests (by default) through eelplb to two nginx backends, in
# wrk bursts at changing concurrency plus short connections, then checks
# that the fd count is back to its baseline and RSS did not grow.
# Not run by ctest (it takes about a minute); run it by hand.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
PLB_LEAK_REQUESTS=${2:-1000000} exec python3 "$here/test_plb.py" "$1" leak
