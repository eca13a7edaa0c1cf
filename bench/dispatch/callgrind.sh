#!/usr/bin/env bash
# callgrind.sh - user-space instructions per event, libeel against libev
# one-shot (and any other peer:mode), counted by valgrind --tool=callgrind.
# Instruction counts do not depend on the machine's load, so this is the
# figure to optimise against on a shared, noisy machine.
#
# Only the peers' run functions (*_dispatch_run, *_timers_run: loop
# creation, registration, the run, teardown) are counted, not the harness.
# Each configuration is run twice, with W1 and W2 circulating writes (or C1
# and C2 timer operations); the difference in instructions divided by the
# difference in events cancels loop creation, registration and teardown.
# The counts include the benchmark's own per-event work (one read, one write,
# a counter) and libc's syscall wrappers, the same for every peer.
#
# usage: bench/dispatch/callgrind.sh [-b BINARY] [-p PEER[:MODE]]... [-k DIR]
#                                    [-f N]
#   defaults: -p libeel -p libev:one-shot -p libev:persistent; dispatch
#   configurations 1000/1 and 1000/100 with W1=2000 W2=12000, timer churn
#   with 1000 standing timers, C1=20000 C2=120000.  -k DIR keeps the
#   callgrind.out files of the larger runs for callgrind_annotate; -f N
#   prints each run's N costliest functions in instructions per event
#   (self cost, same subtraction), the list to optimise from.
set -euo pipefail

# shellcheck source=bench-bin.sh
. "$(dirname "$0")/bench-bin.sh"
bin=${EEL_BENCH_BIN:-}
peers=()
keep=
W1=${W1:-2000}
W2=${W2:-12000}
C1=${C1:-20000}
C2=${C2:-120000}
read -r -a configs <<<"${DISPATCH_CONFIGS:-1000/1 1000/100}"
timers=${TIMERS:-1000}

die() {
    echo "callgrind.sh: $*" >&2
    exit 1
}

top=0
while getopts "b:p:k:f:h" opt; do
    case $opt in
    b) bin=$OPTARG ;;
    p) peers+=("$OPTARG") ;;
    k) keep=$OPTARG ;;
    f) top=$OPTARG ;;
    h) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) exit 2 ;;
    esac
done
[ ${#peers[@]} -gt 0 ] || peers=(libeel libev:one-shot libev:persistent)

bench_bin
command -v valgrind >/dev/null || die "valgrind is not installed (apt install valgrind)"
[ -z "$keep" ] || mkdir -p "$keep"
[[ $top =~ ^[0-9]+$ ]] || die "-f wants a number"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Total instructions of one run: irs PEER OUTFILE BENCHMARK-ARGS...
irs() {
    local peer=$1 out=$2
    shift 2
    valgrind --tool=callgrind --callgrind-out-file="$out" \
        --toggle-collect='*_dispatch_run' --toggle-collect='*_timers_run' "$bin" \
        --peer "$peer" --runs 1 --warmup 0 --quiet "$@" 2>"$tmp/log" ||
        die "the benchmark failed under valgrind: $(tail -3 "$tmp/log")"
    awk '/Collected :/ { print $NF }' "$tmp/log"
}

# Self cost per function of one callgrind.out: "Ir<TAB>file:function".
functions() {
    callgrind_annotate --threshold=100 --inclusive=no --tree=none --auto=no \
        "$1" | awk '
        /file:function/ { go = 1; next }
        go && /^$/ { exit }
        go && /^ *[0-9,]+ \(/ {
            n = $1; gsub(",", "", n)
            sub(/^ *[0-9,]+ \( *[0-9.]+%\) +/, ""); sub(/ \[.*\]$/, "")
            print n "\t" $0
        }'
}

# The top functions per event between two runs: top_functions SMALL LARGE EVENTS
top_functions() {
    functions "$1" >"$tmp/fa"
    functions "$2" >"$tmp/fb"
    awk -F'\t' -v e="$3" 'NR == FNR { a[$2] = $1; next }
        { d = ($1 - a[$2]) / e; if (d >= 0.5) printf "%10.1f  %s\n", d, $2 }' \
        "$tmp/fa" "$tmp/fb" | sort -rn | head -n "$top"
}

# per_event PEER TAG EVENTS ARGS-SMALL -- ARGS-LARGE
per_event() {
    local peer=$1 tag=$2 events=$3
    shift 3
    local small=() large=()
    while [ "$1" != "--" ]; do small+=("$1"); shift; done
    shift
    large=("$@")
    local name=${peer//:/-}-$tag
    local a b
    a=$(irs "$peer" "$tmp/$name.small" "${small[@]}")
    b=$(irs "$peer" "${keep:-$tmp}/callgrind.out.$name" "${large[@]}")
    awk -v a="$a" -v b="$b" -v e="$events" 'BEGIN { printf "%.1f", (b - a) / e }'
    if [ "$top" -gt 0 ]; then
        {
            echo "-- $peer $tag: instructions per event by function (self)"
            top_functions "$tmp/$name.small" "${keep:-$tmp}/callgrind.out.$name" "$events"
        } >>"$tmp/top"
    fi
}

declare -A ipe
rows=()
for cfg in "${configs[@]}"; do
    [[ $cfg =~ ^[0-9]+/[0-9]+$ ]] || die "bad configuration '$cfg' (want N/A)"
    rows+=("dispatch N/A=$cfg")
    for p in "${peers[@]}"; do
        ipe["dispatch N/A=$cfg|$p"]=$(per_event "$p" "d${cfg//\//-}" $((W2 - W1)) \
            --bench dispatch --config "$cfg/$W1" -- --bench dispatch --config "$cfg/$W2")
    done
done
rows+=("timers T=$timers")
for p in "${peers[@]}"; do
    ipe["timers T=$timers|$p"]=$(per_event "$p" "t$timers" $((C2 - C1)) \
        --bench timers --timers "$timers/$C1" -- --bench timers --timers "$timers/$C2")
done

echo "user-space instructions per event (callgrind Ir; dispatch: W $W1 -> $W2," \
    "timers: cancel+add operations $C1 -> $C2)"
printf "%-24s" "config"
for p in "${peers[@]}"; do printf " %17s" "$p"; done
has_ref=0
for p in "${peers[@]}"; do [ "$p" = libev:one-shot ] && has_ref=1; done
[ "${peers[0]}" = libeel ] && [ $has_ref = 1 ] && printf " %17s" "libeel/libev:1shot"
echo
for r in "${rows[@]}"; do
    printf "%-24s" "$r"
    for p in "${peers[@]}"; do printf " %17s" "${ipe["$r|$p"]}"; done
    if [ "${peers[0]}" = libeel ] && [ $has_ref = 1 ]; then
        awk -v a="${ipe["$r|libeel"]}" -v b="${ipe["$r|libev:one-shot"]}" \
            'BEGIN { printf " %17.2f", a / b }'
    fi
    echo
done
[ ! -s "$tmp/top" ] || { echo; cat "$tmp/top"; }
[ -z "$keep" ] || echo "callgrind.out files of the larger runs are in $keep" \
    "(callgrind_annotate FILE)"
