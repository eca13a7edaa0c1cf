#!/usr/bin/env python3
"""trace_chart.py - draws an EEL_TRACE file as a Graphviz chart.

Usage: trace_chart.py TRACE.json > chart.dot
       neato -n2 -Tpng chart.dot -o chart.png

One lane per track (group), one box per callback slice in start order from
left to right, labelled with the callback, its start time and event kind;
an arrow for every flow (registration -> the callback it caused), labelled
like eelstatechart's edges (R, W, T, TO, ...); timed-out callbacks grey, and
a "delete" mark where a group was deleted.  It is the run-time twin of an
eelstatechart chart: what happened, not what could.
"""
import json
import sys

KIND = {"timer": "T", "read": "R", "write": "W", "error": "E",
        "read_timeout": "R", "write_timeout": "W", "signal": "S"}
COL_W, LANE_H = 150, 80


def load(path):
    try:
        with open(path) as f:
            return json.load(f)["traceEvents"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        sys.exit(f"trace_chart: {path}: not a trace: {e}")


def slices(evs):
    """Callback slices (X) and outside-callback spans (B/E), by start."""
    out = [dict(e) for e in evs if e["ph"] == "X"]
    open_b = {}
    for e in sorted((e for e in evs if e["ph"] in "BE"),
                    key=lambda e: e["ts"]):
        if e["ph"] == "B":
            open_b[e["tid"]] = e
        elif e["tid"] in open_b:
            b = open_b.pop(e["tid"])
            out.append({"ph": "X", "tid": b["tid"], "ts": b["ts"],
                        "dur": e["ts"] - b["ts"], "name": "main",
                        "args": {}})
    out.sort(key=lambda s: s["ts"])
    for i, s in enumerate(out):
        s["node"] = f"n{i}"
    return out


def enclosing(sl, tid, ts):
    for s in sl:
        if s["tid"] == tid and s["ts"] <= ts <= s["ts"] + s["dur"]:
            return s
    return None


def following(sl, tid, ts):
    for s in sl:
        if s["tid"] == tid and s["ts"] >= ts:
            return s
    return None


def chart(evs):
    names = {e["tid"]: e["args"]["name"] for e in evs
             if e["ph"] == "M" and e["name"] == "thread_name"}
    sl = slices(evs)
    lanes = {tid: i for i, tid in enumerate(sorted(names))}
    t0 = sl[0]["ts"] if sl else 0
    out = ["digraph trace {",
           '  graph [splines=true, outputorder=edgesfirst, '
           'fontname="Helvetica"];',
           '  node [fontname="Helvetica", fontsize=10];',
           '  edge [fontname="Helvetica", fontsize=9];']
    for tid, lane in lanes.items():
        label = names[tid].replace('"', "'")
        out.append(f'  lane{tid} [shape=plaintext, label="{label}", '
                   f'pos="{-COL_W - 60},{-lane * LANE_H}!"];')
    for col, s in enumerate(sl):
        a = s["args"]
        grey = a.get("timed_out") or s["name"] == "main"
        what = a.get("kind", "")
        if a.get("fd", -1) >= 0:
            what += f" fd {a['fd']}"
        label = f"{s['name']}\\n+{(s['ts'] - t0) / 1000:.1f} ms"
        if what:
            label += f"\\n{what}"
        out.append(f'  {s["node"]} [shape=box, style="rounded,filled", '
                   f'fillcolor="{"grey85" if grey else "lightyellow"}", '
                   f'label="{label}", pos="{col * COL_W},'
                   f'{-lanes.get(s["tid"], 0) * LANE_H}!"];')
        s["col"] = col
    starts = {e["id"]: e for e in evs if e["ph"] == "s"}
    for e in evs:
        if e["ph"] != "f" or e["id"] not in starts:
            continue
        src = starts[e["id"]]
        a = enclosing(sl, src["tid"], src["ts"])
        b = following(sl, e["tid"], e["ts"])
        if a and b:
            k = KIND.get(b["args"].get("kind"), "?")
            if b["args"].get("timed_out"):
                k = "TO"
            out.append(f'  {a["node"]} -> {b["node"]} [label="{k}"];')
    for i, e in enumerate(x for x in evs if x["ph"] == "i" and
                          x["name"] == "delete group"):
        s = enclosing(sl, e["tid"], e["ts"])
        if s:
            out.append(f'  del{i} [shape=plaintext, fontcolor=grey40, '
                       f'label="delete", pos="{s["col"] * COL_W + 60},'
                       f'{-lanes[e["tid"]] * LANE_H - 40}!"];')
            out.append(f'  {s["node"]} -> del{i} [style=dashed, '
                       f'color=grey50];')
    out.append("}")
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.stdout.write(chart(load(sys.argv[1])))


if __name__ == "__main__":
    main()
