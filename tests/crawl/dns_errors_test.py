#!/usr/bin/env python3
"""eelcrawl's DNS failures, counted by kind, against a fake nameserver.

A UDP nameserver (this script) on 127.0.0.1 answers by name:
  ok.test       127.0.0.1 (the HTTP server below)
  silent.test   never answers                 -> a timeout
  nx.test       NXDOMAIN                      -> a DNS error
  fail.test     SERVFAIL                      -> a DNS error
  garbled.test  a malformed answer (our id, cut-off record), then nothing
                                              -> a DNS error
eelcrawl reads a custom resolv.conf naming it (timeout:1 attempts:1) and an
empty hosts file.  The HTTP server's index at http://ok.test:PORT/ links to
/a on each failing host and to /slow, which answers after the lookups have
failed and links to /b on each failing host, so those URLs meet a host
already known to have failed.  Checks the ERR reason of every URL and the
summary: "timeouts 2, DNS 6" -- a lookup that got no answer in time is a
timeout, not a DNS error.
Usage: dns_errors_test.py EELCRAWL
"""
import os
import re
import shutil
import socket
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time

from crawltest import Server, errors, html_page, request_path, verdict

FAILING = {  # host -> the ERR reason eelcrawl must give
    "silent.test": "DNS timeout",
    "nx.test": "host not found",
    "fail.test": "DNS failure",
    "garbled.test": "malformed DNS answer",
}
DNS_TIMEOUT_S = 1     # options timeout:1 attempts:1
SLOW_S = 2.5          # /slow answers after every lookup above has ended

queries = []
lock = threading.Lock()


def read_question(msg):
    """The query's id, name and the question's bytes (name, type, class)."""
    qid = struct.unpack("!H", msg[:2])[0]
    pos, labels = 12, []
    while msg[pos]:
        n = msg[pos]
        labels.append(msg[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n
    return qid, ".".join(labels).lower(), msg[12:pos + 5]


def dns_server(sock):
    while True:
        try:
            msg, peer = sock.recvfrom(512)
        except OSError:
            return
        try:
            qid, name, question = read_question(msg)
        except (IndexError, struct.error):
            continue
        with lock:
            queries.append(name)
        if name == "silent.test":
            continue
        if name == "ok.test":
            answer = (struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question
                      + struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4)
                      + socket.inet_aton("127.0.0.1"))
        elif name == "garbled.test":
            # One answer record announced, only part of it sent.
            answer = (struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question
                      + struct.pack("!HHH", 0xC00C, 1, 1))
        else:
            rcode = 2 if name == "fail.test" else 3  # SERVFAIL / NXDOMAIN
            answer = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, 0, 0, 0) + question
        sock.sendto(answer, peer)


def page(path, port):
    if path == "/":
        links = "".join(f'<a href="http://{h}:{port}/a">x</a>\n' for h in FAILING)
        links += '<a href="/slow">slow</a>\n'
    elif path == "/slow":
        time.sleep(SLOW_S)
        links = "".join(f'<a href="http://{h}:{port}/b">x</a>\n' for h in FAILING)
    else:
        return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    return html_page(links)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        path = request_path(self.request)
        if path is None:
            return
        self.request.sendall(page(path, self.server.server_address[1]))
        self.request.close()


def main():
    eelcrawl = sys.argv[1]
    dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dns.bind(("127.0.0.1", 0))
    threading.Thread(target=dns_server, args=(dns,), daemon=True).start()
    srv = Server(("127.0.0.1", 0), Handler)
    port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    tmp = tempfile.mkdtemp(prefix="eelcrawl-dns-")
    failures = []
    try:
        resolv = os.path.join(tmp, "resolv.conf")
        hosts = os.path.join(tmp, "hosts")
        with open(resolv, "w") as f:
            f.write(f"nameserver 127.0.0.1:{dns.getsockname()[1]}\n"
                    f"options timeout:{DNS_TIMEOUT_S} attempts:1\n")
        open(hosts, "w").close()
        cmd = [eelcrawl, "-q", "-v", "--resolv-conf", resolv, "--hosts-file", hosts,
               "--hosts", "*.test", "-t", "10000", f"http://ok.test:{port}/"]
        t0 = time.monotonic()
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        took = time.monotonic() - t0
        print(p.stdout, p.stderr, sep="\n")
        errs = errors(p.stdout)
        want = {f"http://{h}:{port}/{x}": why
                for h, why in FAILING.items() for x in "ab"}
        for url, why in want.items():
            if errs.get(url) != why:
                failures.append(f"{url}: got {errs.get(url)!r}, expected {why!r}")
        for url in set(errs) - set(want):
            failures.append(f"{url}: unexpected error {errs[url]!r}")
        m = re.search(r"eelcrawl: (\d+) errors \(HTTP (\d+), timeouts (\d+), "
                      r"DNS (\d+), redirects (\d+)\)", p.stderr)
        got = tuple(int(g) for g in m.groups()) if m else None
        if got != (8, 0, 2, 6, 0):
            failures.append(f"summary: got (errors, HTTP, timeouts, DNS, "
                            f"redirects) = {got}, expected (8, 0, 2, 6, 0)")
        # Each failing name asked once: no retry beyond attempts:1, and the
        # /b URLs used the failure already known.
        with lock:
            asked = sorted(q for q in queries if q in FAILING)
        if asked != sorted(FAILING):
            failures.append(f"queries for the failing names: {asked}")
        if p.returncode != 2:
            failures.append(f"exit status {p.returncode}, expected 2")
        if took > SLOW_S + 5:
            failures.append(f"took {took:.1f} s")
    finally:
        srv.shutdown()
        dns.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return verdict(failures)


if __name__ == "__main__":
    sys.exit(main())
