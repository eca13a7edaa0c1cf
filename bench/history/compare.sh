#!/usr/bin/env bash
# compare.sh - eel-bench-history with and without libeel's history ring
# (eelgdb's "eel backtrace"), in the same run: builds a static libeel from
# src/ into a temporary directory, links ring.c with it, runs it alternately
# with EEL_HISTORY=1 (ring filled, as under eelgdb or EEL_CHECK) and
# EEL_HISTORY=0 (the default) RUNS times and prints medians and ratios.
# Usage: bench/history/compare.sh [RUNS [CALLBACKS]]   (default 7, 2000000)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
runs=${1:-7}
n=${2:-2000000}
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

build() { # libeel from src/, then the program
    local d=$tmp/build
    mkdir -p "$d/obj"
    local f o
    for f in "$root"/src/*.c "$root"/src/runtime/*.c; do
        [ -e "$f" ] || continue
        o=${f#"$root/src/"}
        $cc -std=gnu11 -O2 -g -DNDEBUG -fPIC -I"$root/include" -I"$root/src" \
            -c "$f" -o "$d/obj/${o//\//_}.o"
    done
    ar rcs "$d/libeel.a" "$d"/obj/*.o
    $cc -std=gnu11 -O2 -I"$root/include" "$here/ring.c" "$d/libeel.a" \
        -o "$d/bench"
}
build
with_ring() { # with_ring VARIANT CMD...: CMD with the ring on (ring) or off
    local v=$1
    shift
    EEL_HISTORY=$([ "$v" = ring ] && echo 1 || echo 0) "$@"
}
row() { # row LOAD RING NORING: the two figures and their ratio
    awk -v l="$1" -v r="$2" -v o="$3" 'BEGIN {printf "%-9s %14.1f %14.1f %8.3f (%+.1f%%)\n", l, r, o, r/o, (r/o-1)*100}'
}

for i in $(seq "$runs"); do
    for v in ring noring; do
        with_ring "$v" "$tmp/build/bench" "$n" | sed "s/^/$v /" >>"$tmp/results"
    done
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
printf '%-9s %14s %14s %8s\n' load "ring ns/cb" "no ring ns/cb" ratio
for load in pingpong timers; do
    r=$(awk -v l=$load '$1=="ring" && $2==l {print $3}' "$tmp/results" | median)
    o=$(awk -v l=$load '$1=="noring" && $2==l {print $3}' "$tmp/results" | median)
    row "$load" "$r" "$o"
done
echo "(CPU time: median of $runs runs each, $n callbacks per load; ratio = ring / no ring)"

# CPU time on a shared machine is noisy; instructions are not.  callgrind
# counts them (total / callbacks, so the setup is included but negligible).
if ! command -v valgrind >/dev/null 2>&1; then
    echo "(valgrind not found: no instruction counts)"
    exit 0
fi
ncg=$((n / 5))
printf '%-9s %14s %14s %8s\n' load "ring instr/cb" "no ring instr/cb" ratio
for load in pingpong timers; do
    for v in ring noring; do
        with_ring "$v" valgrind --tool=callgrind \
            --callgrind-out-file="$tmp/cg.$v" "$tmp/build/bench" "$ncg" \
            "$load" >/dev/null 2>&1
        awk -v n="$ncg" '/^(summary|totals):/ {print $2 / n; exit}' \
            "$tmp/cg.$v" >"$tmp/ir.$v"
    done
    row "$load" "$(cat "$tmp/ir.ring")" "$(cat "$tmp/ir.noring")"
done
echo "(instructions: callgrind, $ncg callbacks per load)"
