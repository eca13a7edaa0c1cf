# bench-bin.sh - sourced by callgrind.sh and syscalls.sh: picks the
# eel-bench-dispatch binary they measure.  Uses the caller's `die`.
#
# bench_bin: if $bin is empty, sets it to the binary of the first build*/
# tree of this repository; dies unless $bin is then an executable.
# shellcheck shell=bash
bench_bin() {
    local root b
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    if [ -z "$bin" ]; then
        for b in "$root"/build*/bench/dispatch/eel-bench-dispatch; do
            [ -x "$b" ] && bin=$b && break
        done
    fi
    if [ -z "$bin" ] || [ ! -x "$bin" ]; then
        die "no eel-bench-dispatch binary; build it (cmake --build BUILD) or pass -b"
    fi
}
