#!/usr/bin/env bash
# eelverify's command line: exit statuses (0 clean, 1 findings, 2 usage or
# parse error), messages for bad input, --help, -v saying where a group
# escapes, and both input conventions (files -- FLAGS, and -p BUILD_DIR).
set -u
tool=$1 inc=$(cd "$2" && pwd) fx=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
passes=0
check() { # name want_rc cmd...
    local name=$1 want=$2
    shift 2
    "$@" >"$tmp/out" 2>&1
    local rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL $name: exit $rc, want $want"
        sed 's/^/  | /' "$tmp/out"
        fails=$((fails + 1))
    else
        echo "ok $name"
        passes=$((passes + 1))
    fi
}
grep_out() { # name pattern
    if grep -q -- "$2" "$tmp/out"; then
        echo "ok $1"
        passes=$((passes + 1))
    else
        echo "FAIL $1: output lacks '$2'"
        sed 's/^/  | /' "$tmp/out"
        fails=$((fails + 1))
    fi
}
check help 0 "$tool" --help
grep_out help-text "--pair"
check no-input 2 "$tool"
grep_out no-input-msg "no input"
check bad-option 2 "$tool" --frobnicate "$fx/error_path_clean.c"
check missing-file 2 "$tool" "$tmp/nope.c" -- -I"$inc"
printf 'int main(void) { return x; }\n' >"$tmp/bad.c"
check parse-error 2 "$tool" "$tmp/bad.c"
check bad-pair 2 "$tool" --pair nocolon "$fx/error_path_clean.c" -- -I"$inc"
grep_out bad-pair-msg "bad pair"
check missing-config 2 "$tool" -c "$tmp/none.conf" "$fx/error_path_clean.c" -- -I"$inc"
printf 'frob = 1\n' >"$tmp/bad.conf"
check bad-config 2 "$tool" -c "$tmp/bad.conf" "$fx/error_path_clean.c" -- -I"$inc"
grep_out bad-config-msg "unknown setting"
check clean 0 "$tool" "$fx/error_path_clean.c" -- -I"$inc"
check findings 1 "$tool" "$fx/error_path_leak.c" -- -I"$inc"
grep_out gcc-format "error_path_leak.c:12:9: warning: group 'gid' leaked: callback 'on_read' returns without registering or deleting it \[eel-group-leak\]"
grep_out path-note "error_path_leak.c:11:9: note: (1) following 'true' branch (when 'n < 0')"
check verbose 0 "$tool" -v "$fx/field_new_clean.c" -- -I"$inc"
grep_out verbose-escape "with the group in its fields escapes into 'table\[i & 3\]'"
check verbose-global 0 "$tool" -v "$fx/new_group_escape_clean.c" -- -I"$inc"
grep_out verbose-group-escape "group 'g' (from 'eel_new_group_id' at .*) escapes into 'waiting_gid'"
# Integer facts matter: without them the clean twin shows infeasible paths.
check no-facts 1 "$tool" --no-facts "$fx/int_facts_clean.c" -- -I"$inc"
# 'escape' in a config file: without it the job passed to queue_push leaks.
check no-escape-config 1 "$tool" "$fx/escape_config.c" -- -I"$inc"
grep_out no-escape-leak "resource 'j' (from 'malloc'"
check escape-config 0 "$tool" -c "$fx/escape.conf" "$fx/escape_config.c" -- -I"$inc"
# -p BUILD_DIR with a compile_commands.json.
mkdir -p "$tmp/db"
cp "$fx/plb_eintr.c" "$tmp/db/"
printf '[{"directory":"%s","file":"%s","command":"cc -I%s -c %s"}]\n' \
    "$tmp/db" "$tmp/db/plb_eintr.c" "$inc" "$tmp/db/plb_eintr.c" \
    >"$tmp/db/compile_commands.json"
check build-dir 1 "$tool" -p "$tmp/db"
grep_out build-dir-finding "plb_eintr.c:30:13: warning: group 'gid' leaked"
echo "$passes passed, $fails failed"
[ $fails = 0 ]
