#!/usr/bin/env python3
"""eelplb's functional and reliability tests, one case per ctest test:

  test_plb.py EELPLB CASE

Cases: proxy (keep-alive, round robin, least-connections, XFF, bodies),
errors (malformed/oversized requests), failover (a backend killed and
restarted under load), slowloris, many (10,000 concurrent clients), leak
(fd/memory growth), signals (reload and graceful stop).
"""
import asyncio
import hashlib
import json
import os
import random
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plbtest import (Nginx, EchoServer, Plb, Reader, check, connect, fail,  # noqa
                     get, raise_nofile, run_case, HOST)


def nginxes(tmp, cleanups, *names):
    out = []
    for n in names:
        ng = Nginx(tmp, n).start()
        cleanups.append(ng.stop)
        out.append(ng)
    return out


def plb(binary, tmp, cleanups, backends, *extra, **kw):
    p = Plb(binary, tmp, [b.addr() for b in backends], extra, **kw)

    def stop():
        if p.alive():
            p.stop()
    cleanups.append(stop)
    return p


def post(sock, path, body, chunks=None, extra=""):
    """POST with Content-Length, or chunked in the given chunk sizes."""
    if chunks is None:
        sock.sendall(("POST %s HTTP/1.1\r\nHost: t\r\n%sContent-Length: %d"
                      "\r\n\r\n" % (path, extra, len(body))).encode() + body)
        return
    out = ("POST %s HTTP/1.1\r\nHost: t\r\n%sTransfer-Encoding: chunked"
           "\r\n\r\n" % (path, extra)).encode()
    pos = 0
    for i, n in enumerate(chunks):
        piece = body[pos:pos + n]
        pos += n
        ext = ";name=v%d" % i if i % 2 else ""
        out += b"%x%s\r\n%s\r\n" % (len(piece), ext.encode(), piece)
    out += b"0\r\nX-Trailer: yes\r\n\r\n"
    for i in range(0, len(out), 7000):  # in pieces, to cross reads
        sock.sendall(out[i:i + 7000])


# ---- proxy --------------------------------------------------------------

def case_proxy(binary, tmp, cleanups):
    a, b = nginxes(tmp, cleanups, "a", "b")
    p = plb(binary, tmp, cleanups, [a, b], "-o", "health_interval_ms=200")
    # keep-alive on the client side and round robin
    s = connect(p.port)
    r = Reader(s)
    seen = []
    for _ in range(20):
        s.sendall(b"GET /who HTTP/1.1\r\nHost: t\r\n\r\n")
        st, h, body = r.response()
        check(st == 200, "status %d" % st)
        check(h.get("connection") != "close", "keep-alive was refused")
        seen.append(body.strip().decode())
    check(seen.count("a") == 10 and seen.count("b") == 10,
          "round robin gave %s" % seen)
    check(all(seen[i] != seen[i + 1] for i in range(19)),
          "round robin did not alternate: %s" % seen)
    # keep-alive on the backend side: few backend connections for many
    conns = set()
    for _ in range(40):
        s.sendall(b"GET /conn HTTP/1.1\r\nHost: t\r\n\r\n")
        conns.add(r.response()[2].strip().decode())
    check(len(conns) <= 4, "backend connections not reused: %s" % conns)
    # X-Forwarded-For: added, and appended to
    s.sendall(b"GET /xff HTTP/1.1\r\nHost: t\r\n\r\n")
    check(r.response()[2].strip() == b"127.0.0.1", "XFF not added")
    s.sendall(b"GET /xff HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 192.0.2.7"
              b"\r\n\r\n")
    xff = r.response()[2].strip()
    check(xff == b"192.0.2.7, 127.0.0.1", "XFF not appended: %r" % xff)
    # HEAD, a 1 MiB body, pipelining
    s.sendall(b"HEAD /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
    st, h, body = r.response(head_request=True)
    check(st == 200 and h.get("content-length") == "1048576" and not body,
          "HEAD: %d %s %r" % (st, h, body[:50]))
    s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
    st, h, body = r.response()
    check(body == bytes(range(256)) * 4096, "1 MiB body corrupted")
    s.sendall(b"GET /who HTTP/1.1\r\nHost: t\r\n\r\n" * 3)
    for _ in range(3):
        check(r.response()[0] == 200, "pipelined request failed")
    s.close()
    # HTTP/1.0: closes unless keep-alive is asked for
    s = connect(p.port)
    s.sendall(b"GET /who HTTP/1.0\r\n\r\n")
    r = Reader(s)
    st, h, _ = r.response()
    check(st == 200 and r.closed(), "HTTP/1.0 connection not closed")
    s = connect(p.port)
    r = Reader(s)
    for _ in range(2):
        s.sendall(b"GET /who HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        st, h, _ = r.response()
        check(h.get("connection", "").lower() == "keep-alive",
              "HTTP/1.0 keep-alive: %s" % h)
    s.close()
    # Connection: close from the client
    s = connect(p.port)
    s.sendall(b"GET /who HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    r = Reader(s)
    st, h, _ = r.response()
    check(h.get("connection") == "close" and r.closed(), "close ignored")
    bodies(binary, tmp, cleanups)
    least_conn(binary, tmp, cleanups)
    check(p.alive(), "eelplb died")
    time.sleep(1.2)  # the access log is flushed once a second
    log = open(p.log).read()
    check(log.count('"GET /who HTTP/1.1" 200') >= 20,
          "access log lacks requests:\n" + log[:500])
    check(p.stop() == 0, "eelplb exit status")


def bodies(binary, tmp, cleanups):
    e = EchoServer("e")
    cleanups.append(e.shutdown)
    p = plb(binary, tmp, cleanups, [e])
    s = connect(p.port)
    r = Reader(s)
    rnd = random.Random(7)
    for size, chunks in [(0, None), (1, None), (100000, None),
                         (100000, [1, 2, 3, 8191, 30000, 61803]),
                         (300000, [70000] * 4 + [20000]),
                         (5, [5]), (0, [])]:
        body = bytes(rnd.getrandbits(8) for _ in range(size))
        post(s, "/echo", body, chunks)
        st, h, out = r.response()
        check(st == 200, "POST status %d" % st)
        j = json.loads(out)
        check(j["len"] == size and
              j["sha"] == hashlib.sha256(body).hexdigest(),
              "body of %d bytes (chunks %s) arrived as %d bytes" %
              (size, chunks and len(chunks), j["len"]))
        hdrs = [k for k, _ in j["headers"]]
        check("x-forwarded-for" in hdrs, "no XFF at the backend")
        if chunks is not None:
            check(dict(j["headers"]).get("transfer-encoding") == "chunked",
                  "chunked coding not kept")
    # Expect: 100-continue: eelplb answers 100 itself
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
              b"Expect: 100-continue\r\n\r\n")
    st, _, _ = r.response()
    check(st == 100, "no 100 Continue (got %d)" % st)
    s.sendall(b"data")
    st, _, out = r.response()
    check(st == 200 and json.loads(out)["len"] == 4, "body after 100")
    s.close()
    p.stop()


def least_conn(binary, tmp, cleanups):
    e1, e2 = EchoServer("e1"), EchoServer("e2")
    cleanups.append(e1.shutdown)
    cleanups.append(e2.shutdown)
    p = plb(binary, tmp, cleanups, [e1, e2], "-m", "leastconn")
    # Two slow requests occupy both; then one is quick: whoever finished
    # first gets it.  Simpler check: while e? holds a 1.5 s request, quick
    # requests all go to the other.
    slow = connect(p.port)
    slow.sendall(b"GET /sleep/1.5 HTTP/1.1\r\nHost: t\r\n\r\n")
    time.sleep(0.2)
    servers = [json.loads(get(p.port, "/q")[2])["server"] for _ in range(6)]
    st, _, body = Reader(slow).response()
    busy = json.loads(body)["server"]
    check(busy not in servers and len(set(servers)) == 1,
          "leastconn sent quick requests to the busy backend %s: %s" %
          (busy, servers))
    slow.close()
    p.stop()


# ---- errors -------------------------------------------------------------

BAD_REQUESTS = [
    (b"garbage\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\n\r\n", 400),                      # no Host
    (b"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505),
    (b"GET / FOO/1.1\r\nHost: t\r\n\r\n", 400),
    (b"GET  / HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n"
     b"Content-Length: 2\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    (b"GET / HTTP/1.1\r\nHost: t\r\n folded\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: t\r\nBad Name: x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: t\r\nX: a\x00b\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: t\r\nX: " + b"a" * 9000 + b"\r\n\r\n", 431),
    (b"GET / HTTP/1.1\r\nHost: t\r\n" + b"X: y\r\n" * 100 + b"\r\n", 431),
    (b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 431),
    (b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"zz\r\n", 400),
]


def case_errors(binary, tmp, cleanups):
    (a,) = nginxes(tmp, cleanups, "a")
    p = plb(binary, tmp, cleanups, [a])
    for req, want in BAD_REQUESTS:
        s = connect(p.port)
        s.sendall(req)
        try:
            st, h, _ = Reader(s).response()
        except (EOFError, ConnectionResetError):
            fail("no answer to %r" % req[:60])
        check(st == want, "%r: got %d, want %d" % (req[:60], st, want))
        check(h.get("connection") == "close", "error without close")
        s.close()
    # A head over the limit arriving slowly is refused as soon as it is.
    s = connect(p.port)
    s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n")
    for _ in range(12):
        try:
            s.sendall(b"X-Pad: " + b"p" * 1000 + b"\r\n")
        except OSError:
            break
    check(Reader(s).response()[0] == 431, "slow oversized head")
    s.close()
    # Random garbage: any answer or a close, never a crash.
    rnd = random.Random(1)
    pieces = [b"GET", b" ", b"/", b"HTTP/1.1", b"\r\n", b"\n", b":", b"\x00",
              b"Host: t", b"Content-Length: ", b"9" * 20, b"chunked",
              b"Transfer-Encoding: ", b"\xff", b"\t", b"0\r\n\r\n"]
    for _ in range(300):
        junk = b"".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 40)))
        s = connect(p.port, timeout=3)
        try:
            s.sendall(junk + b"\r\n\r\n")
            s.shutdown(socket.SHUT_WR)
            while s.recv(65536):
                pass
        except (socket.timeout, OSError):
            pass
        s.close()
        check(p.alive(), "eelplb died on %r" % junk)
    check(get(p.port, "/who")[0] == 200, "not serving after garbage")
    check(p.stop() == 0, "eelplb exit status")


# ---- failover -----------------------------------------------------------

def load(port, stop, results, path="/who"):
    """A keep-alive client looping until stop is set; counts failures."""
    s = r = None
    while not stop.is_set():
        try:
            if s is None:
                s = connect(port)
                r = Reader(s)
            s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path).encode())
            st, h, body = r.response()
            if st != 200:
                results["bad"].append(st)
            else:
                results["ok"] += 1
                results["by"][body.strip()] = results["by"].get(
                    body.strip(), 0) + 1
            if h.get("connection") == "close":
                s.close()
                s = None
        except Exception as e:  # any failure is a lost request
            results["bad"].append(repr(e))
            if s:
                s.close()
            s = None
    if s:
        s.close()


def case_failover(binary, tmp, cleanups):
    a, b = nginxes(tmp, cleanups, "a", "b")
    p = plb(binary, tmp, cleanups, [a, b], "-o", "health_interval_ms=100",
            "-H", "/health")
    stop = threading.Event()
    results = {"ok": 0, "bad": [], "by": {}}
    threads = [threading.Thread(target=load, args=(p.port, stop, results))
               for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    for round_ in range(3):
        a.kill()          # SIGKILL, in the middle of the load
        time.sleep(1.0)
        before = results["by"].get(b"a", 0)
        a.start()         # same port again
        time.sleep(1.5)
        check(results["by"].get(b"a", 0) > before,
              "round %d: restarted backend got no traffic" % round_)
    stop.set()
    for t in threads:
        t.join()
    print("failover: %d requests, %d lost, by backend %s" %
          (results["ok"], len(results["bad"]), results["by"]))
    check(not results["bad"], "lost requests: %s" % results["bad"][:10])
    check(results["ok"] > 1000, "too little load")
    check(p.stop() == 0, "eelplb exit status")


# ---- slowloris ----------------------------------------------------------

def case_slowloris(binary, tmp, cleanups):
    raise_nofile()
    (a,) = nginxes(tmp, cleanups, "a")
    p = plb(binary, tmp, cleanups, [a], "-o", "timeout_header_ms=2000")
    slow = []
    for _ in range(500):
        s = connect(p.port)
        s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n")
        slow.append(s)
    t0 = time.time()
    worst = 0.0
    served = 0
    while time.time() - t0 < 3.5:
        for s in slow:
            try:
                s.send(b"X")  # one byte at a time, never finishing
            except OSError:
                pass
        for _ in range(20):
            q = time.time()
            check(get(p.port, "/who")[0] == 200, "normal request failed")
            worst = max(worst, time.time() - q)
            served += 1
        time.sleep(0.2)
    # every slowloris connection got 408 (or was closed) by now
    timed_out = 0
    for s in slow:
        r = Reader(s)
        try:
            s.settimeout(2)
            st, _, _ = r.response()
            timed_out += st == 408
        except (EOFError, OSError):
            timed_out += 1
        s.close()
    print("slowloris: %d normal requests, worst %.3fs; %d/%d slow clients "
          "cut off" % (served, worst, timed_out, len(slow)))
    check(worst < 1.0, "a normal request took %.3fs" % worst)
    check(timed_out == len(slow), "slow clients not cut off")
    check(p.stop() == 0, "eelplb exit status")


# ---- limits and timeouts -----------------------------------------------

def case_limits(binary, tmp, cleanups):
    e = EchoServer("slow")
    cleanups.append(e.shutdown)
    p = plb(binary, tmp, cleanups, [e], "-n", "4",
            "-o", "timeout_backend_ms=500", "-o", "timeout_idle_ms=700",
            "-o", "timeout_body_ms=500")
    # a slow backend: 504 after the backend timeout, not after the sleep
    t0 = time.time()
    st = get(p.port, "/sleep/3")[0]
    took = time.time() - t0
    check(st == 504 and took < 2.0, "slow backend: %d after %.2fs" %
          (st, took))
    # a client that stops in the middle of its body is cut off
    s = connect(p.port)
    s.sendall(b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n"
              b"only part")
    check(Reader(s).closed(3), "stalled body not cut off")
    s.close()
    # an idle keep-alive connection is closed after timeout_idle_ms
    s = connect(p.port)
    t0 = time.time()
    check(Reader(s).closed(3) and time.time() - t0 < 2.0,
          "idle connection not closed")
    s.close()
    # connection limit: the fifth client waits until one of four leaves
    held = [connect(p.port) for _ in range(4)]
    for h in held:
        h.sendall(b"GET /who HTTP/1.1\r\nHost: t\r\n\r\n")
        Reader(h).response()
    fifth = connect(p.port)
    fifth.sendall(b"GET /who HTTP/1.1\r\nHost: t\r\n\r\n")
    fifth.settimeout(0.3)
    try:
        early = fifth.recv(100)
    except socket.timeout:
        early = None
    check(early is None, "fifth client served beyond max_connections")
    held[0].close()
    fifth.settimeout(5)
    check(Reader(fifth).response()[0] == 200, "fifth client never served")
    for h in held[1:] + [fifth]:
        h.close()
    check(p.stop() == 0, "eelplb exit status")
    # backend_max_conns: the second request waits in the queue and gets
    # 503 when its time there is up; the third, queued behind the first
    # only, is served after it
    q = plb(binary, tmp, cleanups, [e], "-o", "backend_max_conns=1",
            "-o", "timeout_queue_ms=500")
    first = connect(q.port)
    first.sendall(b"GET /sleep/0.8 HTTP/1.1\r\nHost: t\r\n\r\n")
    time.sleep(0.1)
    t0 = time.time()
    st = get(q.port, "/who")[0]
    check(st == 503 and 0.4 < time.time() - t0 < 1.5,
          "queued request: %d after %.2fs" % (st, time.time() - t0))
    third = connect(q.port)
    third.sendall(b"GET /who HTTP/1.1\r\nHost: t\r\n\r\n")
    check(Reader(first).response()[0] == 200, "first request")
    check(Reader(third).response()[0] == 200, "request after the queue")
    first.close()
    third.close()
    check(q.stop() == 0, "eelplb exit status")


# ---- many clients -------------------------------------------------------

async def many_clients(port, n):
    conns = []
    for i in range(n):
        for attempt in range(50):
            try:
                conns.append(await asyncio.open_connection(HOST, port))
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            fail("could not open connection %d" % i)
    # all n are open at once now; each sends a request and reads the answer
    async def one(rw):
        reader, writer = rw
        writer.write(b"GET /who HTTP/1.1\r\nHost: t\r\n\r\n")
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        n = int([ln for ln in head.split(b"\r\n")
                 if ln.lower().startswith(b"content-length")][0].split(b":")
                [1])
        await reader.readexactly(n)
        return head.split(b" ")[1]
    statuses = await asyncio.gather(*(one(c) for c in conns))
    for _, w in conns:
        w.close()
    return statuses


def case_many(binary, tmp, cleanups):
    hard = raise_nofile()
    want = int(os.environ.get("PLB_CLIENTS", "10000"))
    # this process needs one fd per client, eelplb one per client plus
    # its backend connections
    n = min(want, hard - 500)
    a, b = nginxes(tmp, cleanups, "a", "b")
    p = plb(binary, tmp, cleanups, [a, b], "-n", str(n + 100),
            "-o", "backend_max_conns=500", "-o", "timeout_idle_ms=120000")
    t0 = time.time()
    statuses = asyncio.run(many_clients(p.port, n))
    bad = [s for s in statuses if s != b"200"]
    print("many: %d concurrent clients (fd hard limit %d), %d failed, %.1fs"
          % (n, hard, len(bad), time.time() - t0))
    check(not bad, "failed: %s" % bad[:10])
    check(n >= want or n >= 9000, "could only try %d clients" % n)
    check(p.alive() and p.stop() == 0, "eelplb exit status")


# ---- leak ---------------------------------------------------------------

def case_leak(binary, tmp, cleanups):
    import subprocess
    total = int(os.environ.get("PLB_LEAK_REQUESTS", "200000"))
    a, b = nginxes(tmp, cleanups, "a", "b")
    # idle backend connections expire after 1 s, so that at rest the fd
    # count must come back to exactly its baseline
    p = plb(binary, tmp, cleanups, [a, b], "-a", "off",
            "-o", "timeout_idle_ms=1000")
    url = "http://%s:%d/who" % (HOST, p.port)

    def burst(conns):
        # wrk runs by time; estimate from a first run, then repeat
        out = subprocess.run(["wrk", "-t1", "-c%d" % conns, "-d2s", url],
                             capture_output=True, text=True).stdout
        reqs = int([ln for ln in out.splitlines()
                    if "requests in" in ln][0].split()[0])
        errs = [ln for ln in out.splitlines() if "Non-2xx" in ln or
                "Socket errors" in ln]
        check(not errs, "wrk errors: %s" % errs)
        return reqs
    # warm-up at the highest concurrency used: the idle backend pools and
    # the allocator reach their steady size
    done = burst(200)
    done += burst(10)
    time.sleep(1.5)
    fds0, rss0 = p.fds(), p.rss_kb()
    samples = []
    while done < total:
        done += burst(random.choice([10, 50, 200]))
        for _ in range(50):   # some short connections too
            get(p.port, "/who", {"Connection": "close"})
        samples.append(p.rss_kb())
    time.sleep(1.5)
    fds1, rss1 = p.fds(), p.rss_kb()
    print("leak: %d requests; fds %d -> %d; RSS %d -> %d KiB (samples %s)" %
          (done, fds0, fds1, rss0, rss1, samples))
    check(fds1 <= fds0, "fd growth %d -> %d" % (fds0, fds1))
    check(rss1 <= rss0 + 1024, "memory growth %d -> %d KiB" % (rss0, rss1))
    check(p.stop() == 0, "eelplb exit status")


# ---- signals ------------------------------------------------------------

def case_signals(binary, tmp, cleanups):
    a, b = nginxes(tmp, cleanups, "a", "b")
    e = EchoServer("slow")
    cleanups.append(e.shutdown)
    conf = os.path.join(tmp.path, "plb.conf")
    with open(conf, "w") as f:
        f.write("# first only a\nbackend %s\nbalance roundrobin\n" % a.addr())
    p = plb(binary, tmp, cleanups, [], config=conf)
    got = {get(p.port, "/who")[2].strip() for _ in range(6)}
    check(got == {b"a"}, "before reload: %s" % got)
    with open(conf, "w") as f:
        f.write("backend %s\nbackend %s\n" % (a.addr(), b.addr()))
    p.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    got = {get(p.port, "/who")[2].strip() for _ in range(6)}
    check(got == {b"a", b"b"}, "after reload: %s" % got)
    with open(conf, "w") as f:
        f.write("backend nowhere:x\n")
    p.proc.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    check(get(p.port, "/who")[0] == 200, "bad reload broke it")
    check("reload failed" in p.stderr_text(), "bad reload not reported")
    # graceful stop: an in-flight request completes, idle ones are closed
    with open(conf, "w") as f:
        f.write("backend %s\n" % e.addr())
    p.proc.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    idle = connect(p.port)
    busy = connect(p.port)
    busy.sendall(b"GET /sleep/1 HTTP/1.1\r\nHost: t\r\n\r\n")
    time.sleep(0.3)
    p.proc.send_signal(signal.SIGTERM)
    st, h, _ = Reader(busy).response()
    check(st == 200 and h.get("connection") == "close",
          "in-flight request during stop: %d %s" % (st, h))
    check(Reader(idle).closed(3), "idle connection not closed on stop")
    check(p.proc.wait(timeout=5) == 0, "exit status after SIGTERM")


if __name__ == "__main__":
    run_case({"proxy": case_proxy, "errors": case_errors,
              "limits": case_limits,
              "failover": case_failover, "slowloris": case_slowloris,
              "many": case_many, "leak": case_leak,
              "signals": case_signals})
