#!/usr/bin/env bash
# syscalls.sh - counts the system calls libeel makes per dispatched event in
# the dispatch benchmark's steady state, with `strace -c -f`.
#
# Each configuration N/A is run twice, with W1 and W2 circulating writes;
# subtracting the two counts cancels start-up, socket creation and the
# registration of the N reads, leaving what W2-W1 more events cost.  With
# A=1 a single byte circulates, so every loop round dispatches exactly one
# event and epoll_wait per event is epoll_wait per round.  Targets (issue 2):
# 1 epoll_wait per round, 1 read + 1 write per event, 0 epoll_ctl.
#
# usage: bench/dispatch/syscalls.sh [-c] [-b BINARY] [-p PEER[:MODE]]... [N/A ...]
#   defaults: -p libeel, configurations 1000/1 and 1000/100,
#   W1=2000 W2=12000 (set W1=, W2= in the environment to change them).
#   EEL_BACKEND=poll|epoll is passed through to libeel.
#   -c: check the targets and exit 1 if one is missed (the ctest test).
set -euo pipefail

# shellcheck source=bench-bin.sh
. "$(dirname "$0")/bench-bin.sh"
bin=${EEL_BENCH_BIN:-}
peers=()
W1=${W1:-2000}
W2=${W2:-12000}

die() {
    echo "syscalls.sh: $*" >&2
    exit 1
}

check=0
missed=0
while getopts "cb:p:h" opt; do
    case $opt in
    b) bin=$OPTARG ;;
    p) peers+=("$OPTARG") ;;
    c) check=1 ;;
    h) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(1000/1 1000/100)
[ ${#peers[@]} -gt 0 ] || peers=(libeel)

bench_bin
command -v strace >/dev/null || die "strace is not installed (apt install strace)"
[ "$W2" -gt "$W1" ] || die "W2 ($W2) must be larger than W1 ($W1)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Prints "syscall calls" lines from one strace -c run of one configuration.
count() { # peer config out
    strace -c -f -o "$3.raw" "$bin" --peer "$1" --bench dispatch \
        --config "$2" --runs 1 --warmup 0 --quiet ||
        die "the benchmark failed for $1 $2"
    awk '/^-/ { part++; next } part == 1 { print $NF, $4 }' "$3.raw" |
        sort >"$3"
}

# calls of a syscall in a count file (0 if absent)
calls() { awk -v s="$2" '$1 == s { print $2; f = 1 } END { if (!f) print 0 }' "$1"; }

# delta of one or more syscalls between the two runs ($tmp/a, $tmp/b)
d() {
    local t=0
    for s in "$@"; do
        t=$((t + $(calls "$tmp/b" "$s") - $(calls "$tmp/a" "$s")))
    done
    echo $t
}

events=$((W2 - W1))
per() { awk -v a="$1" -v e="$events" 'BEGIN { printf "%.3f", a / e }'; }

for peer in "${peers[@]}"; do
    for cfg in "${configs[@]}"; do
        [[ $cfg =~ ^[0-9]+/[0-9]+$ ]] || die "bad configuration '$cfg' (want N/A)"
        count "$peer" "$cfg/$W1" "$tmp/a"
        count "$peer" "$cfg/$W2" "$tmp/b"
        join -a 1 -a 2 -e 0 -o 0,1.2,2.2 "$tmp/a" "$tmp/b" >"$tmp/j"
        ew=$(d epoll_wait epoll_pwait epoll_pwait2)
        rd=$(d read readv recvfrom recvmsg)
        wr=$(d write writev sendto sendmsg)
        ctl=$(d epoll_ctl)
        ur=$(d io_uring_enter)
        echo "== $peer N/A=$cfg: $events more events (W $W1 -> $W2)," \
            "backend ${EEL_BACKEND:-default}"
        printf "  %-28s %10s %12s\n" "" "calls" "per event"
        printf "  %-28s %10d %12s\n" "epoll_wait (+pwait)" "$ew" "$(per "$ew")"
        printf "  %-28s %10d %12s\n" "read (+recv*)" "$rd" "$(per "$rd")"
        printf "  %-28s %10d %12s\n" "write (+send*)" "$wr" "$(per "$wr")"
        printf "  %-28s %10d %12s\n" "epoll_ctl (steady state)" "$ctl" "$(per "$ctl")"
        [ "$ur" -eq 0 ] ||
            printf "  %-28s %10d %12s\n" "io_uring_enter" "$ur" "$(per "$ur")"
        printf "  %-28s %10d   (run with W=%d, incl. registering %s reads)\n" \
            "epoll_ctl (whole run)" "$(calls "$tmp/b" epoll_ctl)" "$W2" \
            "${cfg%%/*}"
        if [ $check = 1 ]; then
            want_wait=$events # at most one wait per round, one round per event
            if [ "$ctl" -ne 0 ] || [ "$rd" -ne $events ] || [ "$wr" -ne $events ] ||
                [ $((ew + ur)) -gt $want_wait ]; then
                echo "  MISSED: want 0 epoll_ctl, $events reads and writes," \
                    "at most $want_wait waits"
                missed=1
            fi
        fi
        # Anything else that grows with the number of events.
        awk '$3 != $2 { print }' "$tmp/j" | while read -r s a b; do
            case $s in
            epoll_wait | epoll_pwait | epoll_pwait2 | read | readv | recvfrom | \
                recvmsg | write | writev | sendto | sendmsg | epoll_ctl | \
                io_uring_enter) ;;
            *) printf "  %-28s %10d %12s\n" "$s" $((b - a)) "$(per $((b - a)))" ;;
            esac
        done
    done
done
exit $missed
