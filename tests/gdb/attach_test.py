#!/usr/bin/env python3
# attach_test.py - eelgdb attaching to a running libeel program (spin.c):
# the history goes on at once, in the global switch and in the stopped
# thread's loop (the per-loop flag libeel's fast paths test), and the slot
# of a timer cancelled before the attach is no longer left for the
# unrecorded fast path; after the attach, registrations carry their site.
#
# Usage: attach_test.py --gdb GDB --loader EEL_GDB_PY --program SPIN
# Exit 77 (skipped) where the kernel does not let gdb attach (ptrace).

import argparse
import re
import subprocess
import sys

import gdbtest  # beside this script: its check() reads gdb's output


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gdb", required=True)
    ap.add_argument("--loader", required=True)
    ap.add_argument("--program", required=True)
    a = ap.parse_args()
    spin = subprocess.Popen([a.program], stdout=subprocess.PIPE, text=True)
    try:
        if spin.stdout.readline().strip() != "ready":
            sys.exit("attach_test: the program did not start")
        cmds = ["print eel__debug_history", "print eel__loop->watch",
                "print eel__loop->buried",
                # run on for a while, then look at what was registered
                "continue &", "shell sleep 0.3", "interrupt",
                "shell sleep 0.2", "info eel events"]
        args = [a.gdb, "-batch", "-nx", "-iex", "source " + a.loader,
                "-p", str(spin.pid)]
        for c in cmds:
            args += ["-ex", c]
        out = subprocess.run(args, capture_output=True, text=True,
                             timeout=90)
        text = out.stdout + out.stderr
    finally:
        spin.kill()
        spin.wait()
    if re.search(r"ptrace: Operation not permitted|Could not attach", text):
        print("attach_test: SKIP: gdb may not attach here\n" + text)
        sys.exit(77)
    want = [r"\$1 = 1\b", r"\$2 = 1 '\\001'", r"\$3 = 0\b",
            # the far timeout was registered after the attach, by on_tick
            r"timer\s+-1\s+waiting\s+on_timeout\s+0x0\s+\+\d+ms\s+"
            r"spin\.c:\d+ \(on_tick\)"]
    bad = gdbtest.check(text, want, [r"Traceback|Python Exception"])
    if bad:
        print(text)
        sys.exit("attach_test: " + "; ".join(bad))
    print("attach_test: ok")


if __name__ == "__main__":
    main()
