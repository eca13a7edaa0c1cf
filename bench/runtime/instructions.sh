#!/usr/bin/env bash
# instructions.sh - the hooks' cost when off, counted rather than timed:
# user-space instructions (valgrind cachegrind "I refs") of the benchmark
# against libeel as shipped and against the copy with the instr branches
# compiled out.  Deterministic, so it shows differences far below the
# noise of a shared machine's clock.
# Usage: bench/runtime/instructions.sh [BUILD_DIR [TIMER_EVENTS [PINGPONG_EVENTS]]]
set -euo pipefail
build=${1:-build}
ntimers=${2:-1000000}
npp=${3:-100000}
dir=$build/bench/runtime
command -v valgrind >/dev/null || { echo "instructions.sh: needs valgrind" >&2; exit 2; }
unset EEL_CHECK EEL_TRACE EEL_PROFILE

irefs() {
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
        "$@" 2>&1 >/dev/null | awk '/I *refs/ {gsub(",", "", $NF); print $NF}'
}

printf '%-9s %9s %14s %14s %10s %9s\n' workload events noinstr off off/no \
    "extra/ev"
for w in timers pingpong; do
    n=$ntimers; [ $w = pingpong ] && n=$npp
    a=$(irefs "$dir/eelrt_bench_noinstr" $w $n)
    b=$(irefs "$dir/eelrt_bench" $w $n)
    awk -v w=$w -v n=$n -v a="$a" -v b="$b" 'BEGIN {
        printf "%-9s %9d %14d %14d %10.4f %9.1f\n", w, n, a, b, b / a, (b - a) / n }'
done
