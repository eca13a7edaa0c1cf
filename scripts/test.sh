#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this):
#   1. install missing Debian packages, build everything with -Werror, run ctest;
#   2. an ASan+UBSan build, running the tests labelled "sanitize";
#   3. valgrind over the tests labelled "memcheck" (the library tests);
#   4. install to a scratch prefix and build a program with pkg-config.
# Usage: scripts/test.sh [-j N]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
jobs=$(nproc)
[ "${1:-}" = "-j" ] && jobs=$2

step() { printf '\n=== %s\n' "$*"; }

step "build (warnings are errors)"
scripts/setup.sh build

step "ctest: all tests"
ctest --test-dir build --output-on-failure -j"$jobs" --timeout 600

step "ASan+UBSan build: tests labelled sanitize"
cmake -S . -B build-asan -G Ninja -DEEL_SANITIZE=ON -DEEL_BUILD_BENCH=OFF \
    -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" -L sanitize

step "valgrind: tests labelled memcheck"
ctest --test-dir build --output-on-failure -j"$jobs" -L memcheck -T memcheck \
    --overwrite MemoryCheckCommandOptions="--error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --track-fds=no"

step "install + pkg-config"
scripts/install-check.sh build

echo
echo "test.sh: all steps passed"
