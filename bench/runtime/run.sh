#!/usr/bin/env bash
# run.sh - what the instrumentation hooks cost: libeel as shipped against a
# copy with the hook branches compiled out (checks off), and each mode on.
# Runs the variants alternately (the machine is shared and noisy) and
# prints medians and ratios.
# Usage: bench/runtime/run.sh [BUILD_DIR [RUNS [TIMER_EVENTS [PINGPONG_EVENTS]]]]
set -euo pipefail
build=${1:-build}
runs=${2:-7}
ntimers=${3:-5000000}
npp=${4:-200000}
dir=$build/bench/runtime
for b in eelrt_bench eelrt_bench_noinstr; do
    [ -x "$dir/$b" ] || { echo "run.sh: no $dir/$b; build first" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset EEL_CHECK EEL_TRACE EEL_PROFILE

# one NAME ENV... -- CMD...: appends the events per CPU second of one run to
# $tmp/NAME, and per wall second to $tmp/NAME.wall
one() {
    local name=$1; shift
    local envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    env "${envs[@]}" "$@" >"$tmp/out"
    awk '{print $6}' "$tmp/out" >>"$tmp/$name"
    awk '{print $4}' "$tmp/out" >>"$tmp/$name.wall"
}

median() { sort -n "$tmp/$1" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

for ((i = 0; i < runs; i++)); do
    for w in timers pingpong; do
        n=$ntimers; [ $w = pingpong ] && n=$npp
        one "$w.noinstr" X=1 -- "$dir/eelrt_bench_noinstr" $w $n
        one "$w.off" X=1 -- "$dir/eelrt_bench" $w $n
        one "$w.check" EEL_CHECK=1 -- "$dir/eelrt_bench" $w $n
        one "$w.profile" EEL_PROFILE="$tmp/profile.txt" -- "$dir/eelrt_bench" $w $n
        one "$w.trace" EEL_TRACE="$tmp/trace.json" -- "$dir/eelrt_bench" $w $n
    done
done

echo "median events per CPU second of $runs runs ($ntimers timer events," \
     "$npp ping-pong events); ratios against noinstr"
printf '%-9s %14s %14s %9s %9s %9s %9s %12s\n' workload noinstr off off/no \
    check/no prof/no trace/no "wall off/no"
for w in timers pingpong; do
    no=$(median $w.noinstr)
    printf '%-9s %14s %14s' $w "$no" "$(median $w.off)"
    for m in off check profile trace; do
        awk -v a="$(median $w.$m)" -v b="$no" 'BEGIN {printf " %9.3f", a / b}'
    done
    awk -v a="$(median $w.off.wall)" -v b="$(median $w.noinstr.wall)" \
        'BEGIN {printf " %12.3f\n", a / b}'
done
echo "events/s traced (EEL_TRACE to $tmp), per CPU second: timers" \
     "$(median timers.trace), pingpong $(median pingpong.trace); per wall" \
     "second: timers $(median timers.trace.wall), pingpong" \
     "$(median pingpong.trace.wall); last trace file" \
     "$(du -h "$tmp/trace.json" | cut -f1)"
