#!/usr/bin/env python3
"""eelcrawl's scheduler against a server that measures it, on 127.0.0.1.

A threaded server answers every request after a short latency and records,
per Host header, how many requests were in flight at once (each holds one
of eelcrawl's connections from its arrival until its answer; the server
cannot see a connection's close when it happens, so counting open
connections would race) and when each request arrived.  Three host names map to 127.0.0.1 through a custom hosts
file, so eelcrawl sees three hosts.  Checks:
  - -c (all connections) and --host-conns (per host) are never exceeded,
    and are reached (the crawl really is parallel);
  - every page of every host is fetched exactly once;
  - --delay spaces the requests to each host;
  - out-of-scope hosts (not matching --hosts) are never contacted.
Usage: limits_test.py EELCRAWL
"""
import collections
import os
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

import crawltest

PAGES = 40
LATENCY = 0.03
lock = threading.Lock()
state = {}


def reset():
    state.update(open=collections.Counter(), peak=collections.Counter(),
                 total_open=0, total_peak=0, hits=collections.Counter(),
                 times=collections.defaultdict(list))


def page(host, path, port):
    if path == "/robots.txt":
        return 404, b""
    if path == "/":
        links = "".join(f'<a href="/p{i}.html">p</a>' for i in range(PAGES))
        # Links to the other hosts and one outside --hosts.
        links += "".join(f'<a href="http://{h}:{port}/">h</a>' for h in ("a.test", "b.test", "c.test"))
        links += f'<a href="http://outside.example:{port}/">o</a>'
        return 200, links.encode()
    return 200, b"<p>leaf</p>"


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        buf = b""
        while True:
            got = crawltest.read_head(self.request, buf)
            if got is None:
                return
            head, buf = got
            lines = head.decode().split("\r\n")
            path = lines[0].split(" ")[1]
            h = [l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("host:")][0]
            name = h.split(":")[0]
            with lock:
                state["open"][name] += 1
                state["peak"][name] = max(state["peak"][name], state["open"][name])
                state["total_open"] += 1
                state["total_peak"] = max(state["total_peak"], state["total_open"])
                state["hits"][(name, path)] += 1
                state["times"][name].append(time.monotonic())
            time.sleep(LATENCY)
            status, body = page(name, path, self.server.server_address[1])
            # No longer counted before the answer leaves: eelcrawl cannot
            # reuse or replace this connection until it has it, so the
            # count never runs ahead of its real connections.
            with lock:
                state["open"][name] -= 1
                state["total_open"] -= 1
            self.request.sendall(b"HTTP/1.1 %d X\r\nContent-Type: text/html\r\n"
                                 b"Content-Length: %d\r\n\r\n" % (status, len(body)) + body)


class Server(crawltest.Server):
    request_queue_size = 128


def run(eelcrawl, tmp, port, extra):
    reset()
    cmd = [eelcrawl, "-q", "--hosts-file", os.path.join(tmp, "hosts"),
           "--resolv-conf", os.path.join(tmp, "resolv.conf"), "--hosts", "*.test"] + extra + [
        f"http://a.test:{port}/"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    print("$", " ".join(cmd))
    print(p.stderr.strip())
    time.sleep(0.1)  # let the server threads see the last closes
    return p


def main():
    eelcrawl = sys.argv[1]
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)
            print("FAIL:", what)

    srv = Server(("127.0.0.1", 0), Handler)
    port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    tmp = tempfile.mkdtemp(prefix="eelcrawl-limits-")
    try:
        with open(os.path.join(tmp, "hosts"), "w") as f:
            f.write("127.0.0.1 a.test b.test c.test outside.example\n")
        with open(os.path.join(tmp, "resolv.conf"), "w") as f:
            f.write("nameserver 127.0.0.1:9\n")  # never needed: hosts file
        want = {(h, p) for h in ("a.test", "b.test", "c.test")
                for p in ["/", "/robots.txt"] + [f"/p{i}.html" for i in range(PAGES)]}

        p = run(eelcrawl, tmp, port, ["-c", "5", "--host-conns", "2"])
        check(p.returncode == 0, f"exit {p.returncode}")
        hits = state["hits"]
        check(set(hits) == want, f"fetched {len(hits)} URLs, expected {len(want)}: "
              f"{sorted(set(hits) ^ want)[:4]}")
        check(all(n == 1 for n in hits.values()), "a URL was fetched twice")
        check("outside.example" not in state["peak"], "out-of-scope host contacted")
        check(max(state["peak"].values()) == 2,
              f"per-host peak {dict(state['peak'])}, expected exactly 2")
        check(state["total_peak"] <= 5, f"{state['total_peak']} connections at once, limit 5")
        check(state["total_peak"] >= 4, f"only {state['total_peak']} connections at once")

        delay = 60
        p = run(eelcrawl, tmp, port, ["-c", "8", "--host-conns", "4", "--delay", str(delay)])
        check(p.returncode == 0, f"exit {p.returncode} with --delay")
        for h, ts in state["times"].items():
            # Arrival times at the server jitter with connect latency on a
            # loaded machine, so check the spacing overall and typically,
            # not pair by pair: without the delay these are ~0.
            gaps = sorted(b - a for a, b in zip(ts, ts[1:]))
            span = ts[-1] - ts[0]
            check(span >= (len(ts) - 1) * delay / 1000.0 * 0.95,
                  f"{h}: {len(ts)} requests in {span:.2f} s, delay {delay} ms")
            check(gaps[len(gaps) // 2] >= delay / 1000.0 * 0.9,
                  f"{h}: median gap {gaps[len(gaps) // 2] * 1000:.0f} ms, delay {delay}")
        check(len(state["hits"]) == len(want), "not everything fetched with --delay")
    finally:
        srv.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    print("FAILED" if failures else "OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
