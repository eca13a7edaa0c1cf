#!/usr/bin/env bash
# run.sh - eelstatechart benchmark: times the tool (median of RUNS runs) on
# generated libeel programs of growing size and on the project's example
# programs, next to `clang -fsyntax-only` on the same files (the parsing
# floor every libclang tool pays), and prints the ratios.
# Usage: run.sh EELSTATECHART GENPROG REPO [RUNS] [SIZES...]
set -eu
tool=$1 gen=$2 repo=$3
runs=${4:-5}
shift 4 2>/dev/null || shift $#
sizes=${*:-1000 2000 4000 8000 15000 30000}
clang=$(command -v clang-14 || command -v clang || true)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timeit() { # prints the median wall time in seconds of "$@"
    for _ in $(seq "$runs"); do
        s=$(date +%s.%N)
        "$@" >/dev/null 2>&1 || true
        e=$(date +%s.%N)
        awk -v s="$s" -v e="$e" 'BEGIN { print e - s }'
    done | median
}

printf "%-22s %7s %6s %9s %9s %8s %9s\n" program lines files \
    "chart(s)" "svg(s)" "parse(s)" chart/parse
row() { # NAME FILES...
    local name=$1
    shift
    local lines
    lines=$(cat "$@" | wc -l)
    local t
    t=$(timeit "$tool" -f json -o "$tmp/out.json" "$@" -- -I"$repo/include")
    local ts=-
    if command -v dot >/dev/null && [ "$lines" -le 16000 ]; then
        ts=$(timeit "$tool" -f svg -o "$tmp/out.svg" "$@" -- -I"$repo/include")
    fi
    local tp=-
    local ratio=-
    if [ -n "$clang" ]; then
        tp=$(timeit "$clang" -fsyntax-only -I"$repo/include" "$@")
        ratio=$(awk -v a="$t" -v b="$tp" 'BEGIN { print a / b }')
        ratio=$(printf "%.2f" "$ratio")
        tp=$(printf "%.3f" "$tp")
    fi
    [ "$ts" != - ] && ts=$(printf "%.3f" "$ts")
    printf "%-22s %7d %6d %9.3f %9s %8s %9s\n" "$name" "$lines" $# "$t" \
        "$ts" "$tp" "$ratio"
}

for ex in "$repo"/examples/*/; do
    files=$(find "$ex" -name '*.c' | sort)
    [ -n "$files" ] || continue
    # shellcheck disable=SC2086
    row "examples/$(basename "$ex")" $files
done
row "fixture/fetch" "$repo"/tests/statechart/fixtures/fetch/*.c
for n in $sizes; do
    "$gen" "$tmp/gen$n" "$n" >/dev/null
    row "generated-$n" "$tmp/gen$n"/*.c
done
echo "(median of $runs runs; svg includes Graphviz's layout, skipped above 16000 lines)"
