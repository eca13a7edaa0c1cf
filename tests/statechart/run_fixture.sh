#!/usr/bin/env bash
# run_fixture.sh - charts one fixture program as JSON and compares it with
# the expected file.  Usage: run_fixture.sh TOOL REPO FIXTURE EXPECTED
# [TOOL_OPTIONS...].  EEL_UPDATE_EXPECTED=1 rewrites the expected file.
set -eu
tool=$1 repo=$2 fixture=$3 expected=$4
shift 4
cd "$repo/tests/statechart/fixtures/$fixture"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# shellcheck disable=SC2046
"$tool" --format json "$@" $(ls ./*.c | sed 's|^\./||' | sort) \
    -- -I"$repo/include" >"$out"
if [ "${EEL_UPDATE_EXPECTED:-}" = 1 ]; then
    cp "$out" "$expected"
fi
diff -u "$expected" "$out"
