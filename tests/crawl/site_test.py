#!/usr/bin/env python3
"""End-to-end test of eelcrawl against a real nginx on 127.0.0.1.

Generates a site of a few thousand pages (with broken links, a robots.txt
that forbids /private/, redirects, a redirect loop, a redirect chain longer
than the limit and a page that never answers), serves it with nginx from
its own prefix and config in a temporary directory on a free port, crawls
it, and checks:
  - every reachable page is saved exactly once, with the right content;
  - nginx saw exactly one request per URL, none under /private/;
  - broken links, the timeout, the loop and the long chain are reported;
  - the exit status and the summary.
Usage: site_test.py EELCRAWL [NGINX] [--pages N] [-c CONNS] [--host-conns N]
Only 127.0.0.1 is ever contacted.
"""
import argparse
import collections
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what)
    return cond


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Site:
    """The generated pages and what a correct crawl must do with them."""

    def __init__(self, root, npages, port, rng):
        self.root = root
        self.port = port
        self.expected = {}      # URL path -> file content (bytes)
        self.broken = set()     # URL paths that 404
        self.private = set()    # disallowed by robots.txt
        self.rng = rng
        self.sections = max(1, npages // 100)
        self.per = npages // self.sections
        self.generate()

    def write(self, path, data, expect=True):
        full = os.path.join(self.root, path.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if isinstance(data, str):
            data = data.encode()
        with open(full, "wb") as f:
            f.write(data)
        if expect:
            self.expected[path] = data

    def page_links(self, s, p):
        """A mix of every link form the crawler must resolve."""
        rng = self.rng
        links = []
        for _ in range(5):
            ts, tp = rng.randrange(self.sections), rng.randrange(self.per)
            form = rng.randrange(6)
            if form == 0:
                links.append(f"/s{ts}/p{tp}.html")
            elif form == 1:
                links.append(f"../s{ts}/p{tp}.html")
            elif form == 2:
                links.append(f"http://127.0.0.1:{self.port}/s{ts}/p{tp}.html#top")
            elif form == 3:
                links.append(f"./../s{ts}/./p{tp}.html")
            elif form == 4:
                links.append(f"//127.0.0.1:{self.port}/s{ts}/p{tp}.html")
            else:
                links.append(f"/s{ts}/../s{ts}/p{tp}.html")
        if (s * self.per + p) % 97 == 0:
            b = f"/missing/s{s}p{p}.html"
            self.broken.add(b)
            links.append(b)
        return links

    def generate(self):
        html = "<!DOCTYPE html>\n<html><head><title>{t}</title>{head}</head>\n<body>{body}</body></html>\n"
        sec_links = "".join(f'<a href="s{i}/">section {i}</a>\n' for i in range(self.sections))
        extra = (
            '<a href="old.html">old</a> <a href="/loop1">loop</a>\n'
            '<a href="/chain/1">chain</a> <a href="/slow.html">slow</a>\n'
            '<a href="/moved/">moved</a> <a href="/private/secret.html">no</a>\n'
            '<a href="mailto:x@example.invalid">mail</a> '
            '<a href="javascript:void(0)">js</a>\n'
            '<a href="http://outside.invalid/">outside</a> '
            '<a href="https://127.0.0.1/">tls</a>\n'
            '<a href="/q.html?a=1&amp;b=2">query</a>\n'
            '<!-- <a href="/commented-out.html">hidden</a> -->\n'
            '<script>var s = "<a href=\\"/in-script.html\\">";</script>\n'
            '<img src="/img/logo.png"><link rel=stylesheet href=/style.css>\n'
        )
        self.write("/index.html", html.format(t="root", head="", body=sec_links + extra))
        self.write("/style.css", "body { color: black }\n")
        self.write("/img/logo.png", bytes(range(256)) * 40)
        self.write("/q.html", html.format(t="q", head="", body="query page"), expect=False)
        self.expected["/q.html?a=1&b=2"] = self.expected_q = open(
            os.path.join(self.root, "q.html"), "rb").read()
        self.write("/moved/target.html", html.format(t="moved", head="", body="moved here"))
        self.write("/private/secret.html", "secret", expect=False)
        self.private.add("/private/secret.html")
        self.write("/private/index.html", "secret", expect=False)
        self.write("/robots.txt", "User-agent: *\nDisallow: /private/\n\nUser-agent: otherbot\nDisallow: /\n")
        for s in range(self.sections):
            body = "".join(f'<a href="p{p}.html">page {p}</a>\n' for p in range(self.per))
            self.write(f"/s{s}/index.html", html.format(t=f"s{s}", head="", body=body))
            for p in range(self.per):
                links = self.page_links(s, p)
                quote = ['"{}"', "'{}'", "{}"]
                body = "".join(
                    f"<a class=x href={quote[i % 3].format(l)}>l</a>\n" for i, l in enumerate(links))
                if p % 50 == 7:
                    body += '<a href="/private/index.html">p</a>\n'
                self.write(f"/s{s}/p{p}.html", html.format(t=f"s{s}p{p}", head="", body=body))
        # A directory URL is saved as index.html.
        self.expected["/"] = self.expected.pop("/index.html")
        for s in range(self.sections):
            self.expected[f"/s{s}/"] = self.expected.pop(f"/s{s}/index.html")


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    types {{ text/html html; text/css css; image/png png; text/plain txt; }}
    default_type application/octet-stream;
    log_format crawl '$request_uri $status';
    access_log {tmp}/access.log crawl;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {tmp}/site;
        location = /old.html {{ return 301 /s0/p1.html; }}
        location = /moved/ {{ return 302 /moved/target.html; }}
        location = /loop1 {{ return 302 /loop2; }}
        location = /loop2 {{ return 302 http://127.0.0.1:{port}/loop1; }}
{chain}
        location = /slow.html {{
            proxy_pass http://127.0.0.1:{slowport};
            proxy_read_timeout 60s;
        }}
    }}
}}
"""


def start_nginx(nginx, tmp, site_port, slow_port):
    chain = "".join(
        f"        location = /chain/{i} {{ return 302 /chain/{i + 1}; }}\n" for i in range(1, 10))
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(tmp=tmp, port=site_port, slowport=slow_port, chain=chain))
    proc = subprocess.Popen([nginx, "-p", tmp, "-c", conf, "-e", os.path.join(tmp, "error.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", site_port), timeout=0.2).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("nginx failed: " + proc.stderr.read().decode())
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("nginx did not start")


def stop_nginx(proc):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGQUIT)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def crawl(args, tmp, port, out, extra):
    cmd = [args.eelcrawl, "-v", "-q", "-o", out, "-t", "2000", "--depth", "10",
           "-c", str(args.c), "--host-conns", str(args.host_conns)] + extra + [
        f"http://127.0.0.1:{port}/"]
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    dt = time.monotonic() - t0
    with open(os.path.join(tmp, "crawl.out"), "w") as f:
        f.write(p.stdout)
    print("$", " ".join(cmd))
    print(p.stderr.strip())
    print(f"crawl took {dt:.2f} s, exit {p.returncode}")
    return p, dt


def saved_files(out, host):
    files = {}
    base = os.path.join(out, host)
    for d, _, names in os.walk(base):
        for n in names:
            full = os.path.join(d, n)
            rel = "/" + os.path.relpath(full, base)
            if rel.endswith("/index.html"):
                rel = rel[: -len("index.html")]
            files[rel] = open(full, "rb").read()
    return files


def verify(site, tmp, out, port, p):
    host = f"127.0.0.1:{port}"
    lines = p.stdout.splitlines()
    base = f"http://{host}"
    # 1. Saved files: exactly the expected set, with the right content.
    files = saved_files(out, host)
    missing = sorted(set(site.expected) - set(files))
    extra = sorted(set(files) - set(site.expected))
    check(not missing, f"pages not saved: {len(missing)} e.g. {missing[:5]}")
    check(not extra, f"unexpected files saved: {extra[:5]}")
    bad = [k for k in site.expected if k in files and files[k] != site.expected[k]]
    check(not bad, f"saved content differs: {bad[:5]}")
    # 2. Each URL saved exactly once according to the crawler's own log.
    saved = collections.Counter(l.split()[1] for l in lines if re.match(r"^2\d\d ", l))
    dup = [u for u, n in saved.items() if n != 1]
    check(not dup, f"URLs reported saved more than once: {dup[:5]}")
    check(len(saved) == len(site.expected),
          f"saved {len(saved)} URLs, expected {len(site.expected)}")
    # 3. nginx saw one request per URL, nothing private.
    reqs = collections.Counter()
    with open(os.path.join(tmp, "access.log")) as f:
        for l in f:
            reqs[l.split()[0]] += 1
    twice = {u: n for u, n in reqs.items() if n > 1}
    check(not twice, f"URLs requested more than once: {list(twice.items())[:5]}")
    check(not [u for u in reqs if u.startswith("/private/")], "robots.txt not honoured")
    for u in ["/commented-out.html", "/in-script.html"]:
        check(u not in reqs, f"link in comment/script followed: {u}")
    # 4. Errors: broken links, the timeout, the loop, the long chain.
    errs = {l.split()[1]: l.split(None, 2)[2] for l in lines if l.startswith("ERR ")}
    for b in site.broken:
        check(errs.get(base + b) == "HTTP 404", f"broken link not reported: {b} -> {errs.get(base + b)}")
    check(errs.get(base + "/slow.html") == "read timeout",
          f"slow page: {errs.get(base + '/slow.html')}")
    loops = [u for u in errs if u in (base + "/loop1", base + "/loop2")]
    check(len(loops) == 1 and errs[loops[0]] == "redirect loop", f"loop: {loops}")
    check(errs.get(base + "/chain/6") == "too many redirects", f"chain: {errs.get(base + '/chain/6')}")
    check("/chain/7" not in reqs, "redirect limit not enforced")
    nerr = len(site.broken) + 3
    check(len(errs) == nerr, f"{len(errs)} errors reported, expected {nerr}: "
          f"{[e for e in errs.items() if '/missing/' not in e[0]][:8]}")
    check(p.returncode == 2, f"exit status {p.returncode}, expected 2")
    check(re.search(r"eelcrawl: %d pages" % len(site.expected), p.stderr) is not None,
          "summary line missing or wrong page count")
    check(re.search(r"skipped: [1-9]\d* robots.txt", p.stderr) is not None,
          "robots.txt skips not counted")


def log_since(tmp, offset):
    with open(os.path.join(tmp, "access.log")) as f:
        f.seek(offset)
        return [l.split()[0] for l in f]


def phase_names_and_delay(args, tmp, port, site):
    """A host name from a custom hosts file (no DNS packet is sent: the
    resolv.conf names a closed loopback port), --depth 1 and --delay."""
    hosts = os.path.join(tmp, "hosts")
    with open(hosts, "w") as f:
        f.write("127.0.0.1 site.test\n")
    resolv = os.path.join(tmp, "resolv.conf")
    with open(resolv, "w") as f:
        f.write("nameserver 127.0.0.1:9\noptions timeout:1 attempts:1\n")
    offset = os.path.getsize(os.path.join(tmp, "access.log"))
    out = os.path.join(tmp, "out2")
    delay = 10
    cmd = [args.eelcrawl, "-q", "-v", "-o", out, "--depth", "1", "--delay", str(delay),
           "--hosts-file", hosts, "--resolv-conf", resolv, f"http://site.test:{port}/s0/"]
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    dt = time.monotonic() - t0
    print("$", " ".join(cmd))
    print(p.stderr.strip())
    files = saved_files(out, f"site.test:{port}")
    want = {"/robots.txt", "/s0/"} | {f"/s0/p{i}.html" for i in range(site.per)}
    check(set(files) == want, f"depth 1: saved {len(files)} files, expected {len(want)}: "
          f"{sorted(set(files) ^ want)[:5]}")
    check(p.returncode == 0, f"depth 1 crawl exit {p.returncode}")
    reqs = log_since(tmp, offset)
    check(len(reqs) == len(want), f"depth 1: {len(reqs)} requests, expected {len(want)}")
    check(dt >= (len(want) - 1) * delay / 1000.0,
          f"--delay {delay} not honoured: {len(want)} requests in {dt:.2f} s")


def phase_interrupt(args, tmp, port):
    """SIGINT mid-crawl: prompt exit 130 with a summary."""
    cmd = [args.eelcrawl, "-q", "--delay", "200", f"http://127.0.0.1:{port}/"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.7)
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    try:
        _, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        check(False, "SIGINT did not stop eelcrawl")
        return
    dt = time.monotonic() - t0
    check(p.returncode == 130, f"SIGINT: exit {p.returncode}, expected 130")
    check("eelcrawl:" in err and "pages" in err, "SIGINT: no summary")
    check(dt < 2, f"SIGINT took {dt:.2f} s to stop")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("eelcrawl")
    ap.add_argument("nginx", nargs="?", default=shutil.which("nginx") or "/usr/sbin/nginx")
    ap.add_argument("--pages", type=int, default=3000)
    ap.add_argument("-c", type=int, default=32)
    ap.add_argument("--host-conns", type=int, default=8)
    ap.add_argument("--max-seconds", type=float, default=60)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="eelcrawl-test-")
    os.chmod(tmp, 0o755)  # nginx workers may run as another user
    slow = socket.socket()
    slow.bind(("127.0.0.1", 0))
    slow.listen(16)  # never accept(): requests to it hang
    nginx = None
    try:
        port = free_port()
        site = Site(os.path.join(tmp, "site"), args.pages, port, random.Random(42))
        for d, dirs, files in os.walk(tmp):
            for n in dirs:
                os.chmod(os.path.join(d, n), 0o755)
        nginx = start_nginx(args.nginx, tmp, port, slow.getsockname()[1])
        out = os.path.join(tmp, "out")
        p, dt = crawl(args, tmp, port, out, [])
        verify(site, tmp, out, port, p)
        check(dt < args.max_seconds, f"crawl took {dt:.1f} s")
        phase_names_and_delay(args, tmp, port, site)
        phase_interrupt(args, tmp, port)
    finally:
        stop_nginx(nginx)
        slow.close()
        if FAILURES or args.keep:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("FAILED" if FAILURES else "OK", f"({len(FAILURES)} failures)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
