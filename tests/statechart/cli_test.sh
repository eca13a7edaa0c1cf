#!/usr/bin/env bash
# cli_test.sh - eelstatechart's command line and failure modes: parse
# errors exit 2 with clang's diagnostics, empty programs give an empty
# chart and a message, bad options exit 2, dot output is valid Graphviz,
# SVG carries the registration sites as tooltips, -o writes a file, JSON
# escapes control characters per RFC 8259, an
# entry qualified by its file (name@file) works like its plain name, and
# -p BUILD_DIR gives the same chart as the files and flags.
# Usage: cli_test.sh TOOL REPO
set -u
tool=$1 repo=$2
fx=$repo/tests/statechart/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # NAME CONDITION...
    local name=$1
    shift
    if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fail=1; fi
}

"$tool" "$fx/broken/broken.c" -- -I"$repo/include" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "parse error exits 2" test $rc -eq 2
check "parse error shows clang's diagnostic" grep -q "error: expected ';'" "$tmp/err"
check "parse error writes no chart" test ! -s "$tmp/out"

"$tool" -f json "$fx/plain/plain.c" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "no libeel calls exits 0" test $rc -eq 0
check "no libeel calls says so" grep -q "no libeel calls" "$tmp/err"
check "no libeel calls gives no charts" grep -q '"charts": \[\]' "$tmp/out"

"$tool" --bogus x.c >/dev/null 2>"$tmp/err"
check "unknown option exits 2" test $? -eq 2
"$tool" -f png "$fx/plain/plain.c" >/dev/null 2>&1
check "unknown format exits 2" test $? -eq 2
"$tool" "$tmp/missing.c" >/dev/null 2>"$tmp/err"
check "missing file exits 2" test $? -eq 2
check "missing file is named" grep -q "missing.c" "$tmp/err"
"$tool" >/dev/null 2>&1
check "no input exits 2" test $? -eq 2
"$tool" --help >"$tmp/out" 2>&1
check "--help exits 0" test $? -eq 0
check "--help documents -p" grep -q -- "-p BUILD_DIR" "$tmp/out"
"$tool" --entry no_such_fn "$fx/fetch/fetch.c" -- -I"$repo/include" \
    >/dev/null 2>"$tmp/err"
check "unknown --entry exits 2" test $? -eq 2

# Control characters in a file name: the JSON escapes of RFC 8259 (raw
# bytes checked: \r, not \u000d), as eelverify's SARIF writes them.
cp "$fx/fnptr/fnptr.c" "$tmp/ctl"$'\r\b\f\x01'".c"
"$tool" -f json "$tmp/ctl"$'\r\b\f\x01'".c" -- -I"$repo/include" \
    >"$tmp/ctl.json" 2>/dev/null
check "JSON escapes control characters" \
    grep -qF '/ctl\r\b\f\u0001.c"' "$tmp/ctl.json"

# An entry qualified by its file: the static of that file, no warning
# about main, and for a unique function the same chart as its C name.
mt() { "$tool" -f json "$@" "$fx/multitu/client.c" "$fx/multitu/server.c" \
    -- -I"$repo/include"; }
mt --entry on_read@server.c >"$tmp/q.json" 2>"$tmp/err"
check "--entry name@file exits 0" test $? -eq 0
check "--entry name@file warns nothing" test ! -s "$tmp/err"
check "--entry name@file starts at that static" \
    grep -q '"id": "on_read@server.c", "kind": "entry"' "$tmp/q.json"
mt --entry main >"$tmp/plain.json" 2>"$tmp/err-plain"
mt --entry main@client.c 2>"$tmp/err" |
    sed 's/"entry": "main@client.c"/"entry": "main"/' >"$tmp/q.json"
check "--entry main@file charts like --entry main" \
    diff -u "$tmp/plain.json" "$tmp/q.json"
check "--entry main@file warns like --entry main" \
    diff -u "$tmp/err-plain" "$tmp/err"

"$tool" "$fx/fetch/fetch.c" -o "$tmp/fetch.dot" -- -I"$repo/include"
check "-o writes the dot file" grep -q "digraph" "$tmp/fetch.dot"
if command -v dot >/dev/null; then
    dot -Tsvg "$tmp/fetch.dot" >/dev/null 2>"$tmp/err"
    check "dot accepts the output" test $? -eq 0 -a ! -s "$tmp/err"
    "$tool" -f svg "$fx/fetch/fetch.c" -o "$tmp/fetch.svg" -- -I"$repo/include"
    check "svg output" grep -q "<svg" "$tmp/fetch.svg"
    check "svg tooltips name the call path" \
        grep -q "fetch.c:88 http_parseheader() &gt; fetch.c:71 eel_add_read_timeout()" \
        "$tmp/fetch.svg"
    check "svg links to the source" grep -q 'xlink:href="file://' "$tmp/fetch.svg"
fi

# -p BUILD_DIR: a compilation database for the two-unit fixture.
mkdir -p "$tmp/db"
cat >"$tmp/db/compile_commands.json" <<JSON
[
 {"directory": "$fx/multitu", "file": "client.c",
  "arguments": ["cc", "-I$repo/include", "-c", "client.c"]},
 {"directory": "$fx/multitu", "file": "server.c",
  "command": "cc -I$repo/include -c server.c -o server.o"}
]
JSON
"$tool" -f json -p "$tmp/db" >"$tmp/db.json" 2>"$tmp/err"
check "-p exits 0" test $? -eq 0
sed "s|$fx/multitu/||g" "$tmp/db.json" >"$tmp/db-rel.json"
check "-p gives the same chart as files + flags" \
    diff -u "$repo/tests/statechart/expected/multitu.json" "$tmp/db-rel.json"
"$tool" -f json -p "$tmp/db" "$fx/multitu/server.c" >"$tmp/one.json" 2>&1
check "-p with a file analyses only that file" \
    sh -c "! grep -q on_read@client.c '$tmp/one.json'"
"$tool" -p "$tmp/nonexistent" >/dev/null 2>&1
check "-p without a database exits 2" test $? -eq 2
exit $fail
