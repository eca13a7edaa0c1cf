#!/usr/bin/env bash
# smoke.sh - runs eelstatechart over every C file it can find on this
# machine (and the project's own sources), one file at a time, and fails if
# any run crashes, hangs or exits with anything but 0 (charted) or 2
# (clang could not parse it).  Usage: smoke.sh TOOL REPO [MAX_FILES]
set -u
tool=$1
repo=$2
max=${3:-100000}
list=$(mktemp)
trap 'rm -f "$list" "$list.out"' EXIT
{
    find "$repo/src" "$repo/examples" "$repo/tests" "$repo/tools" \
        -name '*.c' -type f 2>/dev/null
    timeout 120 find / -xdev \( -path /proc -o -path /sys -o -path /work \
        -o -path /tmp \) -prune -o -name '*.c' -type f -print 2>/dev/null
} | head -n "$max" >"$list"
total=0 ok=0 parse=0 bad=0
while IFS= read -r f; do
    total=$((total + 1))
    timeout 60 "$tool" --format json "$f" -- -I"$repo/include" \
        -I"$(dirname "$f")" >"$list.out" 2>/dev/null </dev/null
    rc=$?
    case $rc in
    0) ok=$((ok + 1)) ;;
    2) parse=$((parse + 1)) ;;
    *)
        bad=$((bad + 1))
        echo "FAIL (exit $rc): $f" >&2
        ;;
    esac
done <"$list"
echo "smoke: $total files: $ok charted, $parse rejected with exit 2," \
    "$bad crashed or hung"
[ "$total" -gt 0 ] && [ "$bad" -eq 0 ]
