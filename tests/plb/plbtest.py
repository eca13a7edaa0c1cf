"""plbtest - the harness for eelplb's tests: real nginx backends on free
loopback ports (each with its own prefix, config and logs in a temporary
folder, stopped after), a small Python echo backend that reports what it
received, eelplb itself, and a raw HTTP/1.1 client.  Standard library only.
"""
import hashlib
import json
import os
import resource
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

HOST = "127.0.0.1"


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=10.0, proc=None):
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            fail("process exited early with %s" % proc.returncode)
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    fail("nothing listening on port %d" % port)


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


class TempDir:
    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="plbtest-")
        os.chmod(self.path, 0o755)  # nginx workers run unprivileged

    def sub(self, name):
        p = os.path.join(self.path, name)
        os.makedirs(p, exist_ok=True)
        return p

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
worker_rlimit_nofile 20000;
events {{ worker_connections 20000; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  client_body_temp_path {prefix}/body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  server {{
    listen {host}:{port} backlog=4096;
    root {prefix}/www;
    location = /who {{ return 200 "{name}\\n"; }}
    location = /xff {{ return 200 "$http_x_forwarded_for\\n"; }}
    location = /conn {{ return 200 "{name} $connection\\n"; }}
    location = /health {{ return 200 "ok\\n"; }}
  }}
}}
"""


class Nginx:
    """One nginx (master + one worker) serving a small site."""

    def __init__(self, tmp, name, port=None):
        self.name = name
        self.port = port or free_port()
        self.prefix = tmp.sub("nginx-" + name)
        www = os.path.join(self.prefix, "www")
        os.makedirs(www, exist_ok=True)
        with open(os.path.join(www, "index.html"), "w") as f:
            f.write("hello from %s\n" % name)
        with open(os.path.join(www, "big.bin"), "wb") as f:
            f.write(bytes(range(256)) * 4096)  # 1 MiB
        self.conf = os.path.join(self.prefix, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(NGINX_CONF.format(prefix=self.prefix, host=HOST,
                                      port=self.port, name=name))
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["nginx", "-c", self.conf, "-p", self.prefix,
             "-e", os.path.join(self.prefix, "error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, proc=self.proc)
        return self

    def _children(self):
        try:
            with open("/proc/%d/task/%d/children" % (self.proc.pid,
                                                     self.proc.pid)) as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            return []

    @staticmethod
    def _kill_all(pids):
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def kill(self):
        """SIGKILL to the master, then its worker: a crash, not a stop.
        The master goes first: a master that sees its worker die starts a
        new one, which would be left behind."""
        workers = self._children()
        self.proc.kill()
        self.proc.wait()
        self._kill_all(workers)
        self.proc = None

    def stop(self):
        if self.proc is None:
            return
        workers = self._children()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            return
        self._kill_all(workers)  # should be gone already
        self.proc = None

    def addr(self):
        return "%s:%d" % (HOST, self.port)


class EchoHandler(socketserver.BaseRequestHandler):
    """HTTP/1.1 with keep-alive; answers with a JSON summary of what came:
    method, path, headers, body length and SHA-256 (chunked decoded)."""

    def handle(self):
        try:
            self.serve()
        except (EOFError, OSError):
            pass  # the proxy dropped the connection: part of some tests

    def serve(self):
        self.request.settimeout(30)
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                buf = self.recv_more(buf)
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            method, path, version = lines[0].split(" ")
            headers = []
            for ln in lines[1:]:
                k, v = ln.split(":", 1)
                headers.append([k.strip().lower(), v.strip()])
            hd = dict(headers)
            body, buf = self.read_body(hd, buf)
            if path.startswith("/sleep"):
                time.sleep(float(path.split("/")[2]) if path.count("/") > 1
                           else 1.0)
            out = json.dumps({
                "server": self.server.name, "method": method, "path": path,
                "version": version, "headers": headers, "len": len(body),
                "sha": hashlib.sha256(body).hexdigest()}).encode()
            self.request.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(out), out))
            if hd.get("connection", "").lower() == "close":
                return

    def recv_more(self, buf):
        data = self.request.recv(65536)
        if not data:
            raise EOFError
        return buf + data

    def read_body(self, hd, buf):
        if hd.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                while b"\r\n" not in buf:
                    buf = self.recv_more(buf)
                line, buf = buf.split(b"\r\n", 1)
                size = int(line.split(b";")[0], 16)
                if size == 0:
                    while b"\r\n" not in buf:
                        buf = self.recv_more(buf)
                    while not buf.startswith(b"\r\n"):  # trailers
                        _, buf = buf.split(b"\r\n", 1)
                        while b"\r\n" not in buf:
                            buf = self.recv_more(buf)
                    return body, buf[2:]
                while len(buf) < size + 2:
                    buf = self.recv_more(buf)
                body += buf[:size]
                buf = buf[size + 2:]
        n = int(hd.get("content-length", "0"))
        while len(buf) < n:
            buf = self.recv_more(buf)
        return buf[:n], buf[n:]


class EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, name):
        self.name = name
        super().__init__((HOST, 0), EchoHandler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def addr(self):
        return "%s:%d" % (HOST, self.port)


class Plb:
    """eelplb as a child process."""

    def __init__(self, binary, tmp, backends, extra=(), port=None,
                 config=None):
        self.port = port or free_port()
        self.log = os.path.join(tmp.path, "access-%d.log" % self.port)
        self.errlog = os.path.join(tmp.path, "plb-%d.err" % self.port)
        args = [binary, "-l", "%s:%d" % (HOST, self.port), "-a", self.log]
        if config:
            args += ["-c", config]
        for b in backends:
            args += ["-b", b]
        args += list(extra)
        self.args = args
        self.err = open(self.errlog, "w")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=self.err)
        wait_port(self.port, proc=self.proc)

    def alive(self):
        return self.proc.poll() is None

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for ln in f:
                if ln.startswith("VmRSS:"):
                    return int(ln.split()[1])
        return 0

    def stop(self, timeout=15):
        """Graceful stop; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                fail("eelplb did not stop within %ss of SIGTERM" % timeout)
        self.err.close()
        return self.proc.returncode

    def stderr_text(self):
        with open(self.errlog) as f:
            return f.read()


def connect(port, timeout=10):
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class Reader:
    """Reads HTTP/1.1 responses from a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _more(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def response(self, head_request=False):
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for ln in lines[1:]:
            k, v = ln.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        if head_request or status in (204, 304) or status < 200:
            return status, headers, b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                while b"\r\n" not in self.buf:
                    self._more()
                line, self.buf = self.buf.split(b"\r\n", 1)
                size = int(line.split(b";")[0], 16)
                while len(self.buf) < size + 2:
                    self._more()
                body += self.buf[:size]
                self.buf = self.buf[size + 2:]
                if size == 0:
                    return status, headers, body
        if "content-length" in headers:
            n = int(headers["content-length"])
            while len(self.buf) < n:
                self._more()
            body, self.buf = self.buf[:n], self.buf[n:]
            return status, headers, body
        try:
            while True:
                self._more()
        except EOFError:
            body, self.buf = self.buf, b""
            return status, headers, body

    def closed(self, timeout=5):
        """True if the peer closes (EOF or reset) within timeout."""
        self.sock.settimeout(timeout)
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False


def get(port, path="/", headers=None, sock=None):
    """One GET; returns (status, headers, body)."""
    own = sock is None
    s = sock or connect(port)
    h = "".join("%s: %s\r\n" % kv for kv in (headers or {}).items())
    s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\n%s\r\n" % (path, h)).encode())
    r = Reader(s).response()
    if own:
        s.close()
    return r


def run_case(cases):
    if len(sys.argv) < 3:
        fail("usage: %s EELPLB CASE" % sys.argv[0])
    binary, name = sys.argv[1], sys.argv[2]
    if name not in cases:
        fail("unknown case %s" % name)
    tmp = TempDir()
    cleanups = []
    started = time.time()
    try:
        cases[name](binary, tmp, cleanups)
    finally:
        for fn in reversed(cleanups):
            try:
                fn()
            except Exception as e:  # cleanup must go on
                print("cleanup: %r" % e)
        tmp.cleanup()
    print("PASS: %s (%.1fs)" % (name, time.time() - started))
