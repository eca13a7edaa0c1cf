#!/usr/bin/env bash
# eelverify benchmark: times eelverify on a generated libeel program of
# LINES lines (default 15,000, the paper's size) with BUGS injected plb
# bugs, and on smaller and larger sizes to show how time grows; compares
# with the peers a CI would run next to it on the same sources, gcc
# -fanalyzer and clang --analyze (each: median of RUNS runs, wall clock),
# and prints ratios.  Also checks the finding count (2 per injected bug).
# With GENPROG (bench/statechart's generator), also times eelverify on the
# statechart benchmark's program of LINES lines (which has no bugs).
# Usage: run.sh EELVERIFY GEN INCLUDE_DIR [LINES [RUNS [BUGS [GENPROG]]]]
set -u
tool=$1 gen=$2 inc=$3 lines=${4:-15000} runs=${5:-5} bugs=${6:-5}
genprog=${7:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
# time_cmd RUNS cmd... : "median-wall median-cpu" in seconds (cpu = user +
# system, which a loaded machine disturbs less); a run exiting above 1 (a
# crash or usage error, not findings) stops the benchmark.
time_cmd() {
    local n=$1
    shift
    : >"$work/times"
    : >"$work/cpu"
    local TIMEFORMAT='%R %U %S'
    for _ in $(seq "$n"); do
        { time "$@" >/dev/null 2>&1; } 2>"$work/one"
        read -r real user sys <"$work/one"
        echo "$real" >>"$work/times"
        echo "$user + $sys" | bc -l >>"$work/cpu"
    done
    echo "$(median <"$work/times") $(median <"$work/cpu")"
}
# run_checked cmd... : runs cmd; a status above 1 stops the benchmark.
run_checked() {
    "$@"
    local rc=$?
    if [ $rc -gt 1 ]; then
        echo "bench: '$1' failed (exit $rc)" >&2
        kill -TERM $$
    fi
    return 0
}

"$gen" "$work/p" "$lines" "$bugs" >/dev/null || exit 2
n=$(cat "$work"/p/*.c | wc -l)
srcs=$(ls "$work"/p/*.c)
# Findings first: the count must be exactly 2 per injected bug.
# shellcheck disable=SC2086
found=$("$tool" $srcs -- -I"$inc" 2>/dev/null | grep -c ': warning: ')
echo "program: $n lines in $(echo "$srcs" | wc -w) files, $bugs injected bugs"
echo "findings: $found (expected $((2 * bugs)))"
[ "$found" = $((2 * bugs)) ] || echo "WARNING: finding count differs"

# shellcheck disable=SC2086
read -r t_eel c_eel < <(time_cmd "$runs" run_checked "$tool" $srcs -- -I"$inc")
printf '%-22s wall %8.3f s  cpu %8.3f s\n' "eelverify" "$t_eel" "$c_eel"
# The peers analyse one translation unit per run, as a CI runs them.
peer_all() { # "compiler flags..." files...
    local cmd=$1
    shift
    for f in "$@"; do
        # shellcheck disable=SC2086
        $cmd -I"$inc" "$f" -o /dev/null >/dev/null 2>&1
    done
}
for peer in "gcc -fanalyzer -c" "clang --analyze"; do
    command -v "${peer%% *}" >/dev/null || {
        echo "${peer%% *}: not installed"
        continue
    }
    # shellcheck disable=SC2086
    read -r t c < <(time_cmd "$runs" peer_all "$peer" $srcs)
    printf '%-22s wall %8.3f s  cpu %8.3f s   eelverify/peer: wall %.2f, cpu %.2f\n' \
        "$peer" "$t" "$c" "$(echo "$t_eel / $t" | bc -l)" \
        "$(echo "$c_eel / $c" | bc -l)"
done

if [ -n "$genprog" ]; then
    "$genprog" "$work/sc" "$lines" >/dev/null || exit 2
    k=$(cat "$work"/sc/*.c | wc -l)
    # shellcheck disable=SC2086
    f=$("$tool" "$work"/sc/*.c -- -I"$inc" 2>/dev/null | grep -c ': warning: ')
    read -r t c < <(time_cmd "$runs" run_checked "$tool" "$work"/sc/*.c -- -I"$inc")
    printf 'statechart program (%d lines): wall %.3f s  cpu %.3f s  findings %d (expected 0)\n' \
        "$k" "$t" "$c" "$f"
fi

echo "growth (eelverify, median of $runs):"
for size in 2000 4000 8000 15000 30000; do
    rm -rf "$work/s"
    "$gen" "$work/s" "$size" 0 >/dev/null || exit 2
    k=$(cat "$work"/s/*.c | wc -l)
    # shellcheck disable=SC2086
    read -r t c < <(time_cmd "$runs" run_checked "$tool" "$work"/s/*.c -- -I"$inc")
    printf '  %6d lines  wall %8.3f s  cpu %8.3f s  %6.1f us cpu/line\n' "$k" \
        "$t" "$c" "$(echo "$c * 1000000 / $k" | bc -l)"
done
