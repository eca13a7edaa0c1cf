#!/usr/bin/env python3
"""eelcrawl against a server that answers badly, on 127.0.0.1.

A small threaded server (this script) serves an index page linking to
URLs that each answer with one kind of broken HTTP: garbage, a NUL in the
head, bad Content-Length, a body cut short, bad chunking, a 100 KiB head,
a body over --max-size, a connection closed or reset without an answer.
Good pages in every framing (Content-Length, chunked, close-delimited) are
controls.  eelcrawl must report each broken URL as an error with the
right reason, save the good ones, and exit 2 (never crash).
Usage: malformed_test.py EELCRAWL
"""
import os
import shutil
import socket
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading

from crawltest import Server, errors, html_page, request_path, verdict

PAGE = b"<html><body>ok</body></html>"

BAD = {
    "/garbage": (b"FOO BAR BAZ\r\n\r\n", "not an HTTP response"),
    "/nul": (b"HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", "NUL byte"),
    "/badlen": (b"HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n", "bad Content-Length"),
    "/twolens": (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                 "conflicting Content-Length"),
    "/short": (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789",
               "connection closed in response body"),
    "/badchunk": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"),
    "/chunkcrlf": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX", "missing CRLF"),
    "/hugehead": (b"HTTP/1.1 200 OK\r\nX: " + b"a" * 100000 + b"\r\n\r\n", "response head too large"),
    "/toobig": (b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n", "body too large"),
    "/status": (b"HTTP/1.1 2x0 OK\r\n\r\n", "malformed status line"),
    "/closed": (None, "connection closed without response"),
    "/reset": ("reset", "reset"),
}

GOOD = {
    "/len.html": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n"
                 b"Connection: close\r\n\r\n" % len(PAGE) + PAGE,
    "/chunked.html": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n"
                     b"Connection: close\r\n\r\n5\r\n" + PAGE[:5] + b"\r\n%x\r\n" % (len(PAGE) - 5)
                     + PAGE[5:] + b"\r\n0\r\n\r\n",
    "/close.html": b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + PAGE,
}


FULL_PORT = 0  # a listener whose accept queue is full: connects hang


def index():
    links = "".join(f'<a href="{p}">x</a>\n' for p in list(BAD) + list(GOOD))
    links += f'<a href="http://127.0.0.1:{FULL_PORT}/hang">x</a>\n'
    return html_page(links)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        path = request_path(self.request)
        if path is None:
            return
        if path == "/":
            self.request.sendall(index())
        elif path == "/robots.txt":
            self.request.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                                 b"Connection: close\r\n\r\n")
        elif path in GOOD:
            self.request.sendall(GOOD[path])
        elif path in BAD:
            resp = BAD[path][0]
            if resp == "reset":
                self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                        struct.pack("ii", 1, 0))
            elif resp:
                try:
                    self.request.sendall(resp)
                except OSError:
                    pass
        self.request.close()


def fill_listener():
    """A socket that listens but never accepts, with its (tiny) accept
    queue filled, so that the kernel drops further SYNs."""
    global FULL_PORT
    full = socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    FULL_PORT = full.getsockname()[1]
    fillers = []
    for _ in range(4):
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex(("127.0.0.1", FULL_PORT))
        fillers.append(c)
    return full, fillers


def main():
    eelcrawl = sys.argv[1]
    full, fillers = fill_listener()
    srv = Server(("127.0.0.1", 0), Handler)
    port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    tmp = tempfile.mkdtemp(prefix="eelcrawl-bad-")
    failures = []
    try:
        cmd = [eelcrawl, "-q", "-v", "-o", tmp, "--max-size", "1M", "-t", "5000",
               "--connect-timeout", "500", "--hosts", "127.0.0.1",
               f"http://127.0.0.1:{port}/"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        print(p.stdout, p.stderr, sep="\n")
        errs = errors(p.stdout)
        for path, (_, why) in BAD.items():
            got = errs.get(f"http://127.0.0.1:{port}{path}")
            if got is None or why not in got.lower() and why not in got:
                failures.append(f"{path}: got {got!r}, expected {why!r}")
        hang = [w for u, w in errs.items() if u.endswith(f"{FULL_PORT}/hang")]
        if hang != ["connect timeout"]:
            failures.append(f"/hang: got {hang}, expected a connect timeout")
        for path in GOOD:
            f = os.path.join(tmp, f"127.0.0.1:{port}", path.lstrip("/"))
            if not os.path.exists(f) or open(f, "rb").read() != PAGE:
                failures.append(f"{path}: not saved correctly")
        if p.returncode != 2:
            failures.append(f"exit status {p.returncode}, expected 2")
    finally:
        srv.shutdown()
        for c in fillers + [full]:
            c.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return verdict(failures)


if __name__ == "__main__":
    sys.exit(main())
