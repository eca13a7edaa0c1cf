#!/usr/bin/env bash
# cfg_test.sh - dumps the CFG of every function of fixtures/cfg.c and
# compares it with expected/cfg.txt (the dump format is in dump.c:
# "nID kind [label=] [loop] @line actions cond[...] -> succ:edge^flags").
# Usage: cfg_test.sh CFGDUMP TESTDIR INCLUDEDIR; EEL_UPDATE_EXPECTED=1
# rewrites the expected file.
set -eu
dump=$1 dir=$2 inc=$3
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cd "$dir/fixtures"
"$dump" cfg.c -- -I"$inc" >"$out"
if [ "${EEL_UPDATE_EXPECTED:-}" = 1 ]; then cp "$out" "$dir/expected/cfg.txt"; fi
diff -u "$dir/expected/cfg.txt" "$out"
