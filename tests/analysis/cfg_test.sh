#!/usr/bin/env bash
# cfg_test.sh - dumps the CFG of every function of fixtures/NAME.c and
# compares it with expected/NAME.txt (NAME defaults to cfg; the dump format
# is in dump.c: "nID kind [label=] [loop] @line actions cond[...] ->
# succ:edge^flags"); options after NAME go to the dumper (--ends: where
# each function's name and closing brace are).
# Usage: cfg_test.sh CFGDUMP TESTDIR INCLUDEDIR [NAME [OPTIONS...]];
# EEL_UPDATE_EXPECTED=1 rewrites the expected file.
set -eu
dump=$1 dir=$2 inc=$3 name=${4:-cfg}
shift $(($# < 4 ? $# : 4))
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cd "$dir/fixtures"
"$dump" "$@" "$name.c" -- -I"$inc" >"$out"
if [ "${EEL_UPDATE_EXPECTED:-}" = 1 ]; then cp "$out" "$dir/expected/$name.txt"; fi
diff -u "$dir/expected/$name.txt" "$out"
