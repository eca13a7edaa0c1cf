#!/usr/bin/env bash
# Runs eelverify on one fixture (a .c file, or a folder of .c files taken as
# one program) and compares its findings, as rule:file:line, with the
# `// expect: rule[, rule]` markers in the sources.  Extra eelverify options
# come from a `eelverify-args:` line in a fixture, or from the command line
# (which then replaces the fixture's line); @DIR@ there is the fixture's
# folder.
# Also checks the exit status: 1 with findings expected, 0 without.
# Usage: run_fixture.sh EELVERIFY INCLUDE_DIR FIXTURE [extra options...]
set -u
tool=$1 inc=$(cd "$2" && pwd) fx=$3
shift 3
if [ -d "$fx" ]; then
    srcs=$(ls "$fx"/*.c)
    all=$(ls "$fx"/*.c "$fx"/*.h 2>/dev/null)
else
    srcs=$fx
    all=$fx
fi
# Options given on the command line replace the fixture's own.
# shellcheck disable=SC2086 # $all: a list of files
args=$(grep -ho 'eelverify-args: .*' $all | head -1 | sed 's/eelverify-args: //')
[ $# -gt 0 ] && args=
# @DIR@ in a fixture's options: the folder the fixture is in.
args=${args//@DIR@/$(dirname "$fx")}
# Expected: one "rule:file:line" per marker.
expected=$(for f in $all; do
    awk -v f="$(basename "$f")" '
        /expect: / {
            s = $0; sub(/.*expect: /, "", s); sub(/ *\*\/.*/, "", s)
            n = split(s, r, /, */)
            for (i = 1; i <= n; i++) print r[i] ":" f ":" FNR
        }' "$f"
done | sort)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# shellcheck disable=SC2086
"$tool" $args "$@" $srcs -- -I"$inc" >"$out" 2>&1
rc=$?
actual=$(sed -n 's/^\([^:]*\):\([0-9]*\):[0-9]*: warning: .*\[\(eel-[a-z-]*\)\]$/\3:\1:\2/p' "$out" |
    while IFS=: read -r rule file line; do echo "$rule:$(basename "$file"):$line"; done | sort)
want_rc=0
[ -n "$expected" ] && want_rc=1
fail=0
if [ "$expected" != "$actual" ]; then
    echo "FAIL $fx: findings differ"
    diff <(echo "$expected") <(echo "$actual") | sed 's/^</  missing:/; s/^>/  unexpected:/' | grep -E 'missing|unexpected'
    fail=1
fi
if [ "$rc" != "$want_rc" ]; then
    echo "FAIL $fx: exit status $rc, want $want_rc"
    fail=1
fi
if [ $fail = 1 ]; then
    echo "--- eelverify output:"
    cat "$out"
    exit 1
fi
echo "ok $fx ($(echo "$expected" | grep -c . ) findings)"
