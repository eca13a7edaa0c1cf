#!/usr/bin/env python3
# gdbtest.py - runs one eelgdb test case: real gdb in batch mode over a test
# program, then checks what gdb printed.  A case is a list of gdb commands
# (each passed with -ex, so an expected error does not end the session) and
# regexes that must appear in that order, plus regexes that must not appear.
# A case may also give "count": regexes (multi-line: ^ is a line start)
# that must match exactly so many times in all.
# {name} in a case stands for the line of the "REG:name" marker in the
# test programs (chain.c, threads.c); {bindir} for where they were built.
#
# Usage: gdbtest.py CASE --gdb GDB --loader EEL_GDB_PY --bindir DIR
#                   --source CHAIN_C [--launcher EELGDB] [--autoload DIR]

import argparse
import os
import re
import subprocess
import sys

SPLIT_DEBUG_INFO = {
    # libeel's debug info only in split/libeel.so.1.debug: gdb reports two
    # objfiles for the one library (the .debug one's owner is libeel.so.1),
    # which must still get one eel_init breakpoint (history.py), also after
    # a re-run, and the history must work
    "cmds": ["set environment LD_LIBRARY_PATH {bindir}/split",
             "break chain.c:{macro} if c->id == 1", "run",
             "python print('SPLIT', *sorted(o.filename for o in "
             "gdb.objfiles() if o.owner and "
             "o.owner.filename.startswith('{bindir}/split/')))",
             "maint info breakpoints", "eel backtrace", "kill", "run",
             "maint info breakpoints", "cbt"],
    "expect": [r"SPLIT {bindir}/split/libeel\.so\.1\.debug\n",
               r"#0  on_pause  group \d+, timer event",
               r"#2  on_writable  group \d+, write fd \d+ event \d+, "
               r"arg 0x[0-9a-f]+\n\s+registered at chain\.c:{start} "
               r"\(start_conn\), outside any callback",
               r"#2  on_writable .*\n.*chain\.c:{start} \(start_conn\)"],
    # one internal eel_init breakpoint in each of the two listings
    "count": {r"^-\d+\s+breakpoint\s+keep\s+y\s+0x[0-9a-f]+ in eel_init "
              r"at ": 2},
    "forbid": [r"Error|Traceback|no debug info"],
}

SAME_GROUP = {
    "cmds": ["break chain.c:{helper} if c->id == 1", "run", "delete",
             "cnext", "info eel events", "continue",
             'printf "STOP id=%d same=%d others=%d\\n", '
             "((struct conn *)arg)->id, gid == conns[1].gid, replies_seen"],
    "expect": [r"\n{helper+1}\s+\}",
               r"will stop in on_reply or on_timeout",
               r"read\+timeout\s+\d+\s+waiting\s+on_reply/on_timeout\s+"
               r"0x[0-9a-f]+\s+\+\d+ms\s+chain\.c:{arm} \(arm_read\)",
               r"Breakpoint \d+, on_reply \(gid=",
               r"registered at chain\.c:{arm} \(arm_read\)",
               # others > 0: conn 0's on_reply ran first without stopping
               r"STOP id=1 same=1 others=[1-9]"],
    "forbid": [r"Breakpoint \d+, on_timeout", r"Error|Traceback"],
}

CASES = {
    "same_group": SAME_GROUP,
    "same_group_static": dict(SAME_GROUP, program="chain_static"),
    "end_of_callback": {
        "cmds": ["break chain.c:{fnptr} if c->id == 1", "run", "delete",
                 "cnext", "cnext",
                 'printf "STOP1 id=%d\\n", ((struct conn *)arg)->id',
                 "ccontinue",
                 'printf "STOP2 id=%d\\n", ((struct conn *)arg)->id'],
        # fnptr: the registrar and the callback both come through pointers
        "expect": [r"timer event \d+ of group \d+ registered at "
                   r"chain\.c:{pause} \(schedule_pause\): will stop in "
                   r"on_pause",
                   r"end of callback; continuing to the next callback of "
                   r"group \d+",
                   r"on_pause \(gid=", r"STOP1 id=1",
                   r"on_writable \(gid=",
                   r"registered at chain\.c:{macro} \(on_pause\)",
                   r"STOP2 id=1"],
        "forbid": [r"Error|Traceback", r"loop\.c"],
    },
    "from_main": {
        # outside any callback: follows the group the registration names
        "cmds": ["break chain.c:{main} if i == 2", "run", "delete", "cnext",
                 "continue",
                 'printf "STOP id=%d\\n", ((struct conn *)arg)->id'],
        "expect": [r"write fd \d+ event \d+ of group \d+ registered at "
                   r"chain\.c:{start} \(start_conn\): will stop in "
                   r"on_writable",
                   r"Breakpoint \d+, on_writable \(gid=", r"STOP id=2"],
        "forbid": [r"Error|Traceback"],
    },
    "threads": {
        # both loops' first group has the same id: only the loop (thread)
        # cnext ran in may stop; the worker's 3 ticks run meanwhile
        "program": "threads",
        "cmds": ["break threads.c:{tick} if arg == &main_ticks", "run",
                 "delete", "cnext", "continue",
                 'printf "STOP main=%d worker=%d mine=%d\\n", main_ticks, '
                 "worker_ticks, arg == &main_ticks"],
        "expect": [r"will stop in on_tick", r"hit Breakpoint \d+, on_tick",
                   r"STOP main=1 worker=3 mine=1"],
        "forbid": [r"Error|Traceback"],
    },
    "timeout": {
        "cmds": ["break chain.c:{helper} if c->id == 2", "run", "delete",
                 "cnext", "continue",
                 'printf "STOP id=%d timeouts=%d\\n", '
                 "((struct conn *)arg)->id, timeouts_seen"],
        "expect": [r"will stop in on_reply or on_timeout",
                   r"on_timeout \(gid=", r"STOP id=2 timeouts=0"],
        "forbid": [r"on_reply \(gid=", r"Error|Traceback"],
    },
    "cstep_helper": {
        "cmds": ["break chain.c:{helper} if c->id == 0", "run", "delete",
                 "cstep", "cstep", "continue",
                 'printf "STOP id=%d\\n", ((struct conn *)arg)->id'],
        "expect": [r"arm_read \(c=", r"\n{arm}\s+eel_add_read_timeout",
                   r"read\+timeout fd \d+ event \d+ of group \d+ registered "
                   r"at chain\.c:{arm} \(arm_read\): will stop in on_reply "
                   r"or on_timeout",
                   r"on_reply \(gid=", r"STOP id=0"],
        "forbid": [r"events\.c", r"Error|Traceback"],
    },
    "macro_and_backtrace": {
        "cmds": ["break chain.c:{macro} if c->id == 1", "run", "delete",
                 "cnext", "eel backtrace", "continue",
                 'printf "STOP id=%d\\n", ((struct conn *)arg)->id', "cbt"],
        "expect": [r"write fd \d+ event \d+ of group \d+ registered at "
                   r"chain\.c:{macro} \(on_pause\): will stop in on_writable",
                   r"#0  on_pause  group \d+, timer event",
                   r"registered at chain\.c:{pause} \(schedule_pause\), by #1",
                   r"#1  on_reply  group \d+, read\+timeout fd \d+ event",
                   r"registered at chain\.c:{arm} \(arm_read\), by #2",
                   r"#2  on_writable  group \d+, write fd \d+ event",
                   r"registered at chain\.c:{start} \(start_conn\), outside "
                   r"any callback",
                   r"on_writable \(gid=", r"STOP id=1",
                   r"#0  on_writable .*\n.*chain\.c:{macro} \(on_pause\), "
                   r"by #1\n#1  on_pause"],
        "forbid": [r"Error|Traceback"],
    },
    "info_events": {
        "cmds": ["break chain.c:{dispatch}", "run", "info eel",
                 "info eel groups", "info eel events"],
        "expect": [r"backend \w+, now \d+ ms, 6 pending, 6 live groups",
                   r"not in a callback"]
        + [r"read\s+\d+\s+waiting\s+on_request\s+0x[0-9a-f]+\s+-\s+"
           r"chain\.c:\d+ \(main\)"] * 3
        + [r"write\s+\d+\s+waiting\s+on_writable\s+0x[0-9a-f]+\s+-\s+"
           r"chain\.c:{start} \(start_conn\)"] * 3
        + [r"group \d+: 1 pending: on_\w+"] * 6,
        "forbid": [r"Error|Traceback"],
    },
    "not_running": {
        "cmds": ["info eel", "cnext", "cbt", "ccontinue"],
        "expect": [r"eelgdb: the program is not running"] * 4,
    },
    "not_eel": {
        "program": "plain",
        "cmds": ["break main", "run", "info eel", "cnext", "cbt"],
        "expect": [r"eelgdb: plain is not linked with libeel"] * 3,
        "forbid": [r"Traceback"],
    },
    "no_debug_info": {
        "program": "chain_nodebug",
        "cmds": ["break on_writable", "run", "cnext", "info eel events"],
        "expect": [r"eelgdb: no line information for on_writable \(build "
                   r"the program with -g\)", r"on_request"],
        "forbid": [r"Traceback"],
    },
    "no_libeel_debug_info": {
        "cmds": ["set environment LD_LIBRARY_PATH {bindir}/stripped",
                 "break main", "run", "info sharedlibrary libeel",
                 "info eel", "cnext"],
        "expect": [r"{bindir}/stripped/libeel\.so\.1"]
        + [r"eelgdb: libeel has no debug info \(struct eel_loop is "
           r"unknown\); rebuild libeel with -g"] * 2,
        "forbid": [r"Traceback"],
    },
    "split_debug_info": SPLIT_DEBUG_INFO,
    # the static libeel: the program's own debug info is in a separate file
    "split_debug_info_static": dict(
        SPLIT_DEBUG_INFO, program="split/chain_static",
        expect=[r"SPLIT {bindir}/split/chain_static\.debug\n"]
        + SPLIT_DEBUG_INFO["expect"][1:]),
    "not_in_callback": {
        "cmds": ["break chain.c:{dispatch}", "run", "cbt", "ccontinue"],
        "expect": [r"eelgdb: not in a libeel callback \(nothing to trace\)",
                   r"eelgdb: not in a libeel callback; give a group"],
        "forbid": [r"Traceback"],
    },
}


def markers(source):
    """REG:name marker lines of every test program next to `source`."""
    lines = {}
    d = os.path.dirname(os.path.abspath(source))
    for name in sorted(os.listdir(d)):
        if not name.endswith(".c"):
            continue
        with open(os.path.join(d, name)) as f:
            for n, text in enumerate(f, 1):
                m = re.search(r"REG:(\w+)", text)
                if m:
                    lines[m.group(1)] = n
    return lines


def expand(text, lines, bindir=""):
    def sub(m):
        if m.group(1) == "bindir":
            return bindir
        return str(lines[m.group(1)] + int(m.group(2) or 0))
    return re.sub(r"\{(\w+)([+-]\d+)?\}", sub, text)


def run(argv, env=None):
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                           timeout=90, env=env)
    except subprocess.TimeoutExpired as e:
        return 124, (e.stdout or b"").decode(errors="replace") + "\nTIMEOUT"
    return p.returncode, p.stdout.decode(errors="replace")


def check(out, expect, forbid, count=None):
    """Regexes in order; returns a list of failures."""
    bad, pos = [], 0
    for rx, n in (count or {}).items():
        got = len(re.findall(rx, out, re.M))
        if got != n:
            bad.append("%d matches of %s, wanted %d" % (got, rx, n))
    for rx in expect:
        m = re.compile(rx).search(out, pos)
        if m is None:
            bad.append("missing (in order): " + rx)
        else:
            pos = m.end()
    for rx in forbid:
        m = re.search(rx, out)
        if m:
            bad.append("unexpected: %r matches %r" % (rx, m.group(0)))
    return bad


def gdb_case(name, a, lines):
    case = CASES[name]
    prog = os.path.join(a.bindir, case.get("program", "chain"))
    argv = [a.gdb, "-batch", "-nx", "-iex", "source " + a.loader]
    bindir = os.path.abspath(a.bindir)
    for c in case["cmds"]:
        argv += ["-ex", expand(c, lines, bindir)]
    argv.append(prog)
    _, out = run(argv)
    exp = [expand(r, lines, re.escape(bindir)) for r in case["expect"]]
    return out, check(out, exp, case.get("forbid", []),
                      case.get("count"))


def launcher_case(a):
    rc, out = run([a.launcher, "-nx", "-batch", "-ex", "help cnext",
                   "-ex", "help eel backtrace"])
    bad = check(out, [r"Step over a line like `next`",
                      r"causal chain of the running libeel callback"],
                [r"Traceback|Undefined command"])
    env = dict(os.environ, EELGDB_GDB="/nonexistent/gdb")
    rc2, out2 = run([a.launcher, "-nx", "-batch"], env)
    if rc2 != 127:
        bad.append("missing gdb: exit status %d, wanted 127" % rc2)
    bad += check(out2, [r"eelgdb: cannot find gdb"], [])
    return out + "\n---\n" + out2, bad


def autoload_case(a, lines):
    # Plain gdb, no -x/-iex of ours: libeel's <lib>-gdb.py must load it.
    d = a.autoload
    argv = [a.gdb, "-batch", "-nx", "-iex", "add-auto-load-safe-path " + d,
            "-iex", "add-auto-load-scripts-directory " + d,
            "-ex", "break chain.c:%d" % lines["dispatch"], "-ex", "run",
            "-ex", "info eel", os.path.join(a.bindir, "chain")]
    _, out = run(argv)
    return out, check(out, [r"6 pending, 6 live groups"],
                      [r"Undefined info command|Traceback"])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("case")
    p.add_argument("--gdb", default="gdb")
    p.add_argument("--loader", required=True)
    p.add_argument("--bindir", required=True)
    p.add_argument("--source", required=True)
    p.add_argument("--launcher")
    p.add_argument("--autoload")
    a = p.parse_args()
    lines = markers(a.source)
    if a.case == "launcher":
        out, bad = launcher_case(a)
    elif a.case == "autoload":
        out, bad = autoload_case(a, lines)
    elif a.case in CASES:
        out, bad = gdb_case(a.case, a, lines)
    else:
        sys.exit("gdbtest: unknown case %r" % a.case)
    if bad:
        sys.stdout.write(out)
        sys.stdout.write("\nFAILED %s:\n  %s\n" % (a.case, "\n  ".join(bad)))
        sys.exit(1)
    print("ok %s" % a.case)


if __name__ == "__main__":
    main()
