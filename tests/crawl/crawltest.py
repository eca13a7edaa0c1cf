"""Helpers shared by eelcrawl's end-to-end tests that serve HTTP from the
test script itself (dns_errors_test.py, limits_test.py, malformed_test.py).
"""
import socketserver


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def read_head(sock, buf=b""):
    """Reads from sock (after buf, bytes already read) to the end of a
    request head: (head, the bytes after it), or None if the client closes
    first."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            return None
        buf += chunk
    return buf.split(b"\r\n\r\n", 1)


def request_path(sock):
    """The path of the request on sock, or None if the client closes
    before the end of its head."""
    got = read_head(sock)
    return None if got is None else got[0].split(b" ")[1].decode()


def html_page(links):
    """A 200 answer carrying an HTML page around links, then close."""
    body = f"<html><body>{links}</body></html>".encode()
    return (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n"
            b"Connection: close\r\n\r\n" % len(body)) + body


def errors(stdout):
    """URL -> reason, from the ERR lines of eelcrawl -v."""
    errs = {}
    for line in stdout.splitlines():
        if line.startswith("ERR "):
            _, url, why = line.split(None, 2)
            errs[url] = why
    return errs


def verdict(failures):
    """Prints the failures and the verdict; returns the exit status."""
    for f in failures:
        print("FAIL:", f)
    print("FAILED" if failures else "OK")
    return 1 if failures else 0
