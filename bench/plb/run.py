#!/usr/bin/env python3
"""bench/plb: wrk through eelplb to two nginx backends, against HAProxy in
the same configuration, in the same run.

  run.py EELPLB [--runs N] [--seconds S] [--conns C] [--path P]

Both proxies: one worker thread, round robin over the same two nginx
backends (one worker process each), keep-alive on both sides,
X-Forwarded-For added, no access log, health checks every 2 s.  The runs
alternate eelplb / HAProxy so drift on this shared machine hits both; the
result is the median of the runs, as ratios eelplb / HAProxy.
Only loopback addresses; every run is bounded by --seconds.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "plb"))
from plbtest import Nginx, Plb, TempDir, free_port, wait_port, HOST  # noqa

HAPROXY_CONF = """
global
  nbthread 1
  maxconn 9000
defaults
  mode http
  option forwardfor
  option http-keep-alive
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout http-request 10s
  timeout http-keep-alive 30s
frontend fe
  bind {host}:{port}
  default_backend be
backend be
  balance roundrobin
  server a {a} check inter 2s
  server b {b} check inter 2s
"""


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(port, args):
    out = subprocess.run(
        ["wrk", "-t1", "-c%d" % args.conns, "-d%ds" % args.seconds,
         "--latency", "http://%s:%d%s" % (HOST, port, args.path)],
        capture_output=True, text=True, timeout=args.seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    p99 = float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
    errors = re.findall(r"(Non-2xx.*|Socket errors.*)", out)
    return rps, p99, errors, total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("eelplb")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--conns", type=int, default=100)
    ap.add_argument("--path", default="/index.html")
    args = ap.parse_args()
    tmp = TempDir()
    procs = []
    try:
        a, b = Nginx(tmp, "a").start(), Nginx(tmp, "b").start()
        procs += [a.stop, b.stop]
        plb = Plb(args.eelplb, tmp, [a.addr(), b.addr()],
                  ["-a", "off", "-o", "health_interval_ms=2000"])
        procs.append(plb.stop)
        hport = free_port()
        conf = os.path.join(tmp.path, "haproxy.cfg")
        with open(conf, "w") as f:
            f.write(HAPROXY_CONF.format(host=HOST, port=hport, a=a.addr(),
                                        b=b.addr()))
        hap = subprocess.Popen(["haproxy", "-db", "-f", conf],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        procs.append(lambda: (hap.terminate(), hap.wait()))
        wait_port(hport, proc=hap)
        ver = subprocess.run(["haproxy", "-v"], capture_output=True,
                             text=True).stdout.split("\n")[0]
        print("eelplb vs %s; wrk -t1 -c%d -d%ds %s; %d runs" %
              (ver, args.conns, args.seconds, args.path, args.runs))
        for port in (plb.port, hport):  # warm-up
            wrk(port, argparse.Namespace(**{**vars(args), "seconds": 1}))
        res = {"eelplb": [], "haproxy": []}
        pids = {"eelplb": plb.proc.pid, "haproxy": hap.pid}
        print("%-4s %-8s %12s %10s %12s" % ("run", "proxy", "req/s", "p99 ms",
                                            "cpu us/req"))
        for i in range(args.runs):
            order = [("eelplb", plb.port), ("haproxy", hport)]
            if i % 2:
                order.reverse()
            for name, port in order:
                c0 = cpu_seconds(pids[name])
                rps, p99, errors, total = wrk(port, args)
                cpu = (cpu_seconds(pids[name]) - c0) * 1e6 / max(total, 1)
                res[name].append((rps, p99, cpu))
                print("%-4d %-8s %12.0f %10.3f %12.2f %s" %
                      (i + 1, name, rps, p99, cpu, " ".join(errors)),
                      flush=True)
                time.sleep(0.5)
        med = {k: [statistics.median(x[j] for x in v) for j in range(3)]
               for k, v in res.items()}
        for k, (r, p, c) in med.items():
            print("median %-8s %10.0f req/s  p99 %.3f ms  cpu %.2f us/req" %
                  (k, r, p, c))
        e, h = med["eelplb"], med["haproxy"]
        print("ratio eelplb/haproxy: req/s %.3f (target >= 1), p99 %.3f "
              "(target <= 1), cpu/req %.3f (lower is better)" %
              (e[0] / h[0], e[1] / h[1], e[2] / h[2]))
    finally:
        for stop in reversed(procs):
            try:
                stop()
            except Exception:
                pass
        tmp.cleanup()


if __name__ == "__main__":
    main()
