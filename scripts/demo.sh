#!/usr/bin/env bash
# The main demo: build everything, then show each part of eel on a real
# program.  eelcrawl crawls a generated site served by nginx on 127.0.0.1;
# eelstatechart draws eelcrawl's callback chains; eelverify checks eelcrawl
# and eelplb (clean) and the paper's EINTR bug (found, with its path).
# Everything it writes goes to build/demo/.  Only 127.0.0.1 is contacted.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
scripts/setup.sh build
out=$here/build/demo
rm -rf "$out" && mkdir -p "$out/site" "$out/pages"
bin=$here/build

step() { printf '\n\033[1m=== %s\033[0m\n' "$*"; }

step "1. eelcrawl: crawl a 300-page site served by nginx on 127.0.0.1"
python3 - "$out/site" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(7)
n = 300
for i in range(n):
    links = " ".join(f'<a href="/p{rng.randrange(n)}.html">p</a>' for _ in range(4))
    if i % 50 == 7:
        links += ' <a href="/missing.html">broken</a>'
    with open(os.path.join(root, f"p{i}.html"), "w") as f:
        f.write(f"<html><body><h1>page {i}</h1>{links} <a href=\"/p{(i + 1) % n}.html\">next</a></body></html>\n")
with open(os.path.join(root, "index.html"), "w") as f:
    f.write('<html><body><a href="/p0.html">start</a></body></html>\n')
PY
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$out/nginx/logs"
cat >"$out/nginx/nginx.conf" <<NG
daemon off;
worker_processes 1;
pid $out/nginx/nginx.pid;
error_log $out/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $out/nginx; proxy_temp_path $out/nginx;
    fastcgi_temp_path $out/nginx; uwsgi_temp_path $out/nginx; scgi_temp_path $out/nginx;
    server { listen 127.0.0.1:$port; root $out/site; }
}
NG
/usr/sbin/nginx -p "$out/nginx" -c "$out/nginx/nginx.conf" -e "$out/nginx/error.log" &
nginx_pid=$!
trap 'kill $nginx_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
    sleep 0.1
done
set +e
EEL_CHECK=1 "$bin/examples/crawl/eelcrawl" -c 16 -d 400 -o "$out/pages" "http://127.0.0.1:$port/"
echo "eelcrawl exit status: $? (2 = finished, some links broken)"
set -e
echo "pages saved: $(find "$out/pages" -type f | wc -l) under $out/pages"

step "2. eelstatechart: eelcrawl's callback chains"
"$bin/tools/statechart/eelstatechart" -p "$bin" --format svg -o "$out/eelcrawl.svg" \
    $(ls examples/crawl/*.c)
"$bin/tools/statechart/eelstatechart" -p "$bin" --format json \
    $(ls examples/crawl/*.c) | python3 -c '
import json, sys
for c in json.load(sys.stdin)["charts"]:
    if not any(e["from"] == "conn_connected" and e["to"] == "conn_send"
               for e in c["edges"]):
        continue
    print(c["title"])
    for e in c["edges"]:
        f = e["flags"]
        tag = " (timeout)" if f["timeout"] else " (error path)" if f["error_path"] else ""
        if e["from"].startswith(("conn_", "http")) and not e["new_group"]:
            print("  %-22s --%-3s--> %s%s" % (e["from"], e["kind"] or "", e["to"], tag))
    break'
echo "(the whole chart: $out/eelcrawl.svg)"

step "3. eelverify: eelcrawl and eelplb, every path of every callback"
for prog in crawl plb; do
    echo "-- eel$prog:"
    "$bin/tools/verify/eelverify" -p "$bin" $(ls examples/$prog/*.c) && echo "   no findings"
done

step "4. eelverify on the paper's plb bug (on EINTR, return without re-registering)"
fixture=$(ls tests/plb/fixtures/*.c | head -1)
set +e
"$bin/tools/verify/eelverify" "$fixture" -- -I"$here/include"
echo "eelverify exit status: $? (1 = findings)"
set -e
