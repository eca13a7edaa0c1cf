#!/usr/bin/env bash
# Installs a build to a scratch prefix and checks that a program builds
# against it with pkg-config and with CMake's find_package, and runs.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
installed=$(cd "$prefix" && find . -type f | sort | sed 's/^/  /')
libdir=$(find "$prefix" -name eel.pc -printf '%h\n' | head -1)
export PKG_CONFIG_PATH=$libdir
cc "$here/examples/hello/hello.c" $(pkg-config --cflags --libs eel) \
    -Wl,-rpath,"$(pkg-config --variable=libdir eel)" -o "$prefix/hello"
out=$(printf 'hi\n' | "$prefix/hello")
[ "$out" = "echo: hi" ] || { echo "install-check: unexpected output: $out" >&2; exit 1; }
mkdir -p "$prefix/cm" && cat >"$prefix/cm/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.20)
project(usr C)
find_package(eel REQUIRED)
add_executable(hello $here/examples/hello/hello.c)
target_link_libraries(hello PRIVATE eel::eel)
CM
cmake -S "$prefix/cm" -B "$prefix/cm/b" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/cm/b" >/dev/null
echo "install-check: pkg-config and find_package(eel) both work; installed:"
echo "$installed"
