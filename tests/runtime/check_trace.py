#!/usr/bin/env python3
"""check_trace.py - runs trace_prog under EEL_TRACE and checks the trace.

Usage: check_trace.py TRACE_PROG OUTDIR

The file must be valid JSON (also when the program leaves with exit() from
a callback, without eel_shutdown), and must show what trace_prog did: one
track per group, a slice per callback with its kind and fd, one flow arrow
into every callback slice, starting in the slice of the callback (or the
"outside callbacks" slice) that registered it, and timer/timeout markers.
Exits non-zero with a message on the first mismatch.
"""
import json
import os
import subprocess
import sys


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def run(prog, out, *args, check=None, want_rc=0):
    env = dict(os.environ, EEL_TRACE=out)
    for var in ("EEL_CHECK", "EEL_PROFILE"):
        env.pop(var, None)
    if check:
        env["EEL_CHECK"] = check
    r = subprocess.run([prog, *args], env=env, timeout=30,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != want_rc:
        fail(f"{prog} {' '.join(args)} exited {r.returncode}: {r.stderr}")
    try:
        with open(out) as f:
            doc = json.load(f)
    except ValueError as e:
        fail(f"{out} is not valid JSON: {e}")
    if not isinstance(doc.get("traceEvents"), list):
        fail("no traceEvents list")
    return doc["traceEvents"]


def tracks(evs):
    names = {}
    for e in evs:
        if e["ph"] == "M" and e["name"] == "thread_name":
            names[e["tid"]] = e["args"]["name"]
    return names


def tid_named(names, prefix):
    hits = [t for t, n in names.items() if n.startswith(prefix)]
    if len(hits) != 1:
        fail(f"want one track named {prefix}..., have {names}")
    return hits[0]


def slices(evs, tid):
    return sorted((e for e in evs if e["ph"] == "X" and e["tid"] == tid),
                  key=lambda e: e["ts"])


def check_slices(evs, tid, want):
    got = slices(evs, tid)
    if [s["name"] for s in got] != [w[0] for w in want]:
        fail(f"track {tid}: slices {[s['name'] for s in got]}, want "
             f"{[w[0] for w in want]}")
    for s, (name, kind, fd, timed_out) in zip(got, want):
        a = s["args"]
        if (s["cat"], a["kind"], a["timed_out"]) != (kind, kind, timed_out):
            fail(f"slice {name}: cat/kind/timed_out {s['cat']} {a['kind']} "
                 f"{a['timed_out']}, want {kind} {timed_out}")
        if fd is not None and a["fd"] != fd:
            fail(f"slice {name}: fd {a['fd']}, want {fd}")
        if not a["registered_at"].startswith("trace_prog.c:"):
            fail(f"slice {name}: registered_at {a['registered_at']}")
    return got


def enclosing(evs, tid, ts):
    """The name of the slice open on tid at ts (X, or B..E)."""
    for s in slices(evs, tid):
        if s["ts"] <= ts <= s["ts"] + s["dur"]:
            return s["name"]
    opened = None
    for e in sorted((e for e in evs if e.get("tid") == tid and
                     e["ph"] in "BE"), key=lambda e: e["ts"]):
        if e["ts"] > ts:
            break
        opened = e.get("name") if e["ph"] == "B" else None
    return opened


def check_flows(evs, tid, got, want_sources):
    """Each slice has one arrow in, from the wanted (track, slice name)."""
    starts = {e["id"]: e for e in evs if e["ph"] == "s"}
    ends = sorted((e for e in evs if e["ph"] == "f" and e["tid"] == tid),
                  key=lambda e: e["ts"])
    if len(ends) != len(got):
        fail(f"track {tid}: {len(ends)} arrows in, want {len(got)}")
    for s, f, (src_tid, src_name) in zip(got, ends, want_sources):
        if not f["ts"] <= s["ts"]:
            fail(f"arrow {f['id']} ends after its slice {s['name']} starts")
        st = starts.get(f["id"])
        if st is None:
            fail(f"arrow {f['id']} into {s['name']} has no start")
        if st["tid"] != src_tid:
            fail(f"arrow into {s['name']} starts on track {st['tid']}, "
                 f"want {src_tid}")
        name = enclosing(evs, st["tid"], st["ts"])
        if name != src_name:
            fail(f"arrow into {s['name']} starts in {name}, want {src_name}")


def instants(evs, tid, name):
    return sum(1 for e in evs
               if e["ph"] == "i" and e["tid"] == tid and e["name"] == name)


def check_full(evs):
    names = tracks(evs)
    w = tid_named(names, "group 0x1000001 (new at trace_prog.c:")
    r = tid_named(names, "group 0x1000002 (new at trace_prog.c:")
    o = tid_named(names, "outside callbacks")
    ws = check_slices(evs, w, [("writer_tick", "timer", -1, False)] * 3)
    rs = check_slices(evs, r, [("reader", "read_timeout", None, False)] * 3 +
                      [("reader_idle", "read_timeout", None, True)])
    if len({s["args"]["fd"] for s in rs}) != 1 or rs[0]["args"]["fd"] < 0:
        fail("reader slices do not share one pipe fd")
    check_flows(evs, w, ws, [(o, "outside callbacks")] +
                [(w, "writer_tick")] * 2)
    check_flows(evs, r, rs, [(o, "outside callbacks")] + [(r, "reader")] * 3)
    for tid, name, n in ((w, "timer", 3), (r, "timeout", 1),
                         (w, "delete group", 1), (r, "delete group", 1),
                         (r, "timer", 0)):
        if instants(evs, tid, name) != n:
            fail(f"track {tid}: {instants(evs, tid, name)} '{name}' "
                 f"markers, want {n}")


def check_chart(evs):
    """trace_chart.py draws every flow and group deletion as an edge."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import trace_chart
    dot = trace_chart.chart(evs)
    labels = [line.split('label="')[1].split('"')[0]
              for line in dot.splitlines() if "->" in line and "label" in line]
    if sorted(labels) != sorted(["T", "R", "T", "T", "R", "R", "TO"]):
        fail(f"chart edges {labels}")
    if dot.count("style=dashed") != 2:
        fail("chart: want two group deletions")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    prog, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    evs = run(prog, os.path.join(outdir, "full.json"))
    check_full(evs)
    print("ok   full trace: slices, flows and markers")
    check_chart(evs)
    print("ok   trace_chart.py draws it")
    evs = run(prog, os.path.join(outdir, "exit.json"), "exit")
    names = tracks(evs)
    r = tid_named(names, "group 0x1000002")
    if [s["name"] for s in slices(evs, r)] != ["reader"] * 3:
        fail("exit trace: want the three reader slices")
    print("ok   trace valid after exit() without eel_shutdown")
    evs = run(prog, os.path.join(outdir, "abort.json"), "leak",
              check="abort", want_rc=-6)
    r = tid_named(tracks(evs), "group 0x1000002")
    if [s["name"] for s in slices(evs, r)][-1:] != ["reader_idle"]:
        fail("abort trace: want the leaking reader_idle slice last")
    print("ok   trace valid after EEL_CHECK=abort")
    print("PASS: trace checks")


if __name__ == "__main__":
    main()
