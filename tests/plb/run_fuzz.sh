#!/bin/sh
# run_fuzz.sh FUZZER CORPUS SECONDS - a bounded libFuzzer run over the kept
# corpus; new inputs go to a scratch folder that is removed afterwards.
# Fails (non-zero) on any crash, sanitizer report or property violation.
set -u
fuzzer=$1 corpus=$2 secs=$3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch" || exit 1
"$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
    -print_final_stats=1 "$scratch" "$corpus"
