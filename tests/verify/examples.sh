#!/usr/bin/env bash
# Runs eelverify over each example program of the project (the sources of
# examples/<name>/ found in BUILD_DIR/compile_commands.json, one program per
# folder) and fails on any finding.  Skips (77) when there is no example.
# Usage: examples.sh EELVERIFY BUILD_DIR EXAMPLES_DIR
set -u
tool=$1 build=$2 ex=$(cd "$3" && pwd)
db=$build/compile_commands.json
[ -f "$db" ] || { echo "no $db"; exit 77; }
ran=0 fails=0
for dir in "$ex"/*/; do
    dir=${dir%/}
    srcs=$(jq -r --arg d "$dir/" '.[] | (if (.file | startswith("/")) then .file else .directory + "/" + .file end) | select(startswith($d))' "$db" | sort -u)
    [ -n "$srcs" ] || continue
    ran=$((ran + 1))
    # shellcheck disable=SC2086
    if "$tool" -p "$build" $srcs; then
        echo "ok $(basename "$dir")"
    else
        echo "FAIL $(basename "$dir"): eelverify reported findings (or failed)"
        fails=$((fails + 1))
    fi
done
[ $ran -gt 0 ] || { echo "no example program in $db"; exit 77; }
echo "$((ran - fails)) passed, $fails failed"
[ $fails = 0 ]
