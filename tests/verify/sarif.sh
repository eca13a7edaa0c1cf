#!/usr/bin/env bash
# --sarif: the file is SARIF 2.1.0 with the eel-* rules, one result per
# finding (rule id, location) and the path as a codeFlow whose locations
# match the text notes; a clean program gives an empty results array;
# control characters are escaped as RFC 8259 and RFC 3986 ask.
# shellcheck disable=SC2016 # jq programs, not shell expansions
set -u
tool=$1 inc=$(cd "$2" && pwd) fx=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
t() { # name jq-filter file
    if jq -e "$2" "$3" >/dev/null 2>&1; then
        echo "ok $1"
        passes=$((passes + 1))
    else
        echo "FAIL $1: $2"
        fails=$((fails + 1))
    fi
}
"$tool" --sarif "$tmp/out.sarif" "$fx/use_after_delete.c" -- -I"$inc" >"$tmp/text" 2>&1
[ $? = 1 ] || { echo "FAIL: exit status"; fails=$((fails + 1)); }
s=$tmp/out.sarif
t version '.version == "2.1.0"' "$s"
t schema '."$schema" | test("sarif-2.1.0")' "$s"
t driver '.runs[0].tool.driver.name == "eelverify"' "$s"
t rules '[.runs[0].tool.driver.rules[].id] | index("eel-use-after-delete") != null' "$s"
t rule-index '.runs[0].results[0] as $r | .runs[0].tool.driver.rules[$r.ruleIndex].id == $r.ruleId' "$s"
t one-result '.runs[0].results | length == 1' "$s"
t rule-id '.runs[0].results[0].ruleId == "eel-use-after-delete"' "$s"
t location '.runs[0].results[0].locations[0].physicalLocation.region.startLine == 13' "$s"
t uri '.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri | endswith("use_after_delete.c")' "$s"
t codeflow '.runs[0].results[0].codeFlows[0].threadFlows[0].locations | length >= 2' "$s"
t flow-lines '[.runs[0].results[0].codeFlows[0].threadFlows[0].locations[].location.physicalLocation.region.startLine] == [11, 12]' "$s"
t flow-msg '.runs[0].results[0].codeFlows[0].threadFlows[0].locations[1].location.message.text | test("deleted here")' "$s"
"$tool" --sarif "$tmp/clean.sarif" "$fx/use_after_delete_clean.c" -- -I"$inc" >/dev/null 2>&1
t clean '.runs[0].results == []' "$tmp/clean.sarif"
# '-': SARIF alone on standard output (the text goes to standard error).
"$tool" --sarif - "$fx/use_after_delete.c" -- -I"$inc" >"$tmp/stdout.sarif" 2>/dev/null
t stdout '.runs[0].results[0].ruleId == "eel-use-after-delete"' "$tmp/stdout.sarif"
"$tool" --sarif /nonexistent/dir/x.sarif "$fx/use_after_delete_clean.c" -- -I"$inc" >/dev/null 2>&1
if [ $? = 2 ]; then echo "ok unwritable"; passes=$((passes + 1)); else
    echo "FAIL unwritable: want exit 2"; fails=$((fails + 1)); fi
# Control characters in a file name: JSON escapes per RFC 8259 in the
# messages (raw bytes checked: jq would decode any valid spelling), and
# percent-encoded in the URI.
ctl="$tmp/ctl"$'\r\b\f\x01'".c"
cp "$fx/chain3_leak.c" "$ctl"
"$tool" --sarif "$tmp/ctl.sarif" "$ctl" -- -I"$inc" >/dev/null 2>&1
if grep -qF 'ctl\r\b\f\u0001.c:30' "$tmp/ctl.sarif"; then
    echo "ok control-chars-escaped"; passes=$((passes + 1)); else
    echo "FAIL control-chars-escaped"; fails=$((fails + 1)); fi
t control-chars-uri '.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri | endswith("ctl%0D%08%0C%01.c")' "$tmp/ctl.sarif"
echo "$passes passed, $fails failed"
[ $fails = 0 ]
