# commands.py - the eelgdb commands: cnext, cstep, ccontinue, info eel
# [groups|events], eel backtrace (alias cbt).  The state they show comes
# from inferior.py; the stepping machinery from follow.py.

import gdb

from . import follow
from . import history
from . import inferior as inf


def _number(arg, what):
    """arg (stripped) evaluated by gdb; a bad one fails with `what arg`."""
    try:
        return int(gdb.parse_and_eval(arg))
    except gdb.error:
        inf.fail("%s %r" % (what, arg))


def _count(arg, name):
    arg = (arg or "").strip()
    if not arg:
        return 1
    n = _number(arg, "%s: bad count" % name)
    if n < 1:
        inf.fail("%s: the count must be positive" % name)
    return n


class CNext(gdb.Command):
    """Step over a line like `next`, following the libeel callbacks it registers.

Usage: cnext [N]
Every registration the line makes (also in helpers, macros or through
function pointers) gets breakpoints on its callback and timeout callback
that stop only when libeel calls them for the registration's group; other
groups' callbacks run without stopping.  At the end of a callback, cnext
runs on to the next callback of the current group (see ccontinue)."""

    command = "next"

    def __init__(self, name):
        super().__init__(name, gdb.COMMAND_RUNNING)
        self.name = name

    def invoke(self, arg, from_tty):
        n = _count(arg, self.name)
        inf.require_libeel()
        for _ in range(n):
            follow.step_line(self.command)
            if gdb.selected_inferior().pid == 0:
                break


class CStep(CNext):
    """Step one line like `step`, following the libeel callbacks it registers.

Usage: cstep [N]
Like cnext, but enters the program's own functions called on the line
(never libeel's).  At the end of a callback it runs on to the next
callback of the current group."""

    command = "step"


class CContinue(gdb.Command):
    """Run until libeel calls the next callback of the current group.

Usage: ccontinue [GROUP]
GROUP defaults to the group of the running callback.  Callbacks of other
groups run without stopping; callbacks registered for the group while the
program runs are followed as well."""

    def __init__(self):
        super().__init__("ccontinue", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        inf.require_types()
        arg = (arg or "").strip()
        if arg:
            gid = _number(arg, "ccontinue: bad group")
        else:
            _, gid = inf.current()
            if not gid:
                inf.fail("not in a libeel callback; give a group: "
                         "ccontinue GROUP")
        follow.run_to_group(gid)


def _deadline(e, now):
    if e["deadline"] is None:
        return "-"
    return "%+dms" % (e["deadline"] - now)


def print_events(lp, evs):
    """evs: inf.events(lp), or inf.group_events(gid, lp)."""
    if not evs:
        gdb.write("No pending events.\n")
        return
    now = int(lp["now"])
    rows = [("id", "group", "kind", "fd", "state", "callback", "arg",
             "deadline", "registered at")]
    for e in evs:
        cb = inf.func_name(e["cb"])
        if e["tcb"]:
            cb += "/" + inf.func_name(e["tcb"])
        rows.append((str(e["id"]), str(e["gid"]),
                     inf.KINDS.get(e["kind"], str(e["kind"])),
                     str(e["fd"]), inf.STATES.get(e["state"], "?"), cb,
                     "0x%x" % e["arg"], _deadline(e, now),
                     inf.site_text(e["site"])))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        gdb.write("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
                  + "\n")


def print_groups(lp, gs, evs):
    """gs, evs: inf.groups(lp) and inf.events(lp)."""
    if not gs:
        gdb.write("No live groups.\n")
        return
    _, cur_g = inf.current(lp)
    by_group = {}
    for e in evs:
        by_group.setdefault(e["gid"], []).append(e)
    for g in gs:
        mine = by_group.get(g["gid"], [])
        names = ", ".join(sorted({inf.func_name(e["cb"]) for e in mine}))
        flags = (" (running)" if g["gid"] == cur_g else "") + \
            (" (waiting)" if g["waiting"] else "")
        gdb.write("group %d%s: %d pending%s\n"
                  % (g["gid"], flags, g["npending"],
                     (": " + names) if names else ""))


class InfoEel(gdb.Command):
    """Show the libeel loop: summary, groups and pending events.

Usage: info eel | info eel groups | info eel events [GROUP]"""

    def __init__(self):
        super().__init__("info eel", gdb.COMMAND_STATUS, prefix=True)

    def invoke(self, arg, from_tty):
        if arg and arg.strip():
            inf.fail("info eel: unknown subcommand %r (groups, events)"
                     % arg.strip())
        lp = inf.require_loop()
        ev, gid = inf.current(lp)
        gs = inf.groups(lp)
        backend = lp["backend"]["name"].string()
        gdb.write("libeel loop 0x%x: backend %s, now %d ms, %d pending, "
                  "%d live groups\n"
                  % (int(lp.address), backend, int(lp["now"]),
                     inf.pending(lp), len(gs)))
        if gid:
            gdb.write("running callback: event %d of group %d\n" % (ev, gid))
        else:
            gdb.write("not in a callback\n")
        gdb.write("Groups:\n")
        evs = inf.events(lp)
        print_groups(lp, gs, evs)
        gdb.write("Pending events:\n")
        print_events(lp, evs)


class InfoEelGroups(gdb.Command):
    """List the live libeel groups and what each has pending."""

    def __init__(self):
        super().__init__("info eel groups", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        lp = inf.require_loop()
        print_groups(lp, inf.groups(lp), inf.events(lp))


class InfoEelEvents(gdb.Command):
    """List libeel's pending events (optionally of one GROUP).

Columns: event id, group, kind, fd, state, callback[/timeout callback],
argument, deadline relative to the loop's time, registration site."""

    def __init__(self):
        super().__init__("info eel events", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        lp = inf.require_loop()
        arg = (arg or "").strip()
        if arg:
            gid = _number(arg, "info eel events: bad group")
            print_events(lp, inf.group_events(gid, lp))
        else:
            print_events(lp, inf.events(lp))


class EelPrefix(gdb.Command):
    """eelgdb commands for libeel programs (see `help eel backtrace`)."""

    def __init__(self):
        super().__init__("eel", gdb.COMMAND_USER, prefix=True)


class EelBacktrace(gdb.Command):
    """Show the causal chain of the running libeel callback.

Usage: eel backtrace   (alias: cbt)
#0 is the running callback; each entry says where its event was
registered and by which callback (the next entry), back to a registration
made outside any callback.  Uses libeel's ring of recent callbacks."""

    def __init__(self, name):
        super().__init__(name, gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        lp = inf.require_loop()
        ev, _ = inf.current(lp)
        if not ev:
            inf.fail("not in a libeel callback (nothing to trace)")
        hist, size = inf.history(lp)
        by_id = {h["id"]: h for h in hist}
        depth, seen = 0, set()
        while True:
            h = by_id.get(ev)
            if h is None or ev in seen:
                gdb.write("#%-2d ... (older callbacks fell out of the "
                          "%d-entry history ring)\n" % (depth, size))
                return
            seen.add(ev)
            how = "timeout of " if h["timed_out"] else ""
            by = ("by #%d" % (depth + 1)) if h["cause"] else \
                "outside any callback"
            gdb.write("#%-2d %s  group %d, %s%s event %d, arg 0x%x\n"
                      "     registered at %s, %s\n"
                      % (depth, inf.func_name(h["cb"]), h["gid"], how,
                         inf.kind_text(h["kind"], h["fd"]), h["id"],
                         h["arg"], inf.site_text(h["site"]), by))
            if not h["cause"]:
                return
            ev = h["cause"]
            depth += 1


def register():
    CNext("cnext")
    CStep("cstep")
    CContinue()
    InfoEel()
    InfoEelGroups()
    InfoEelEvents()
    EelPrefix()
    EelBacktrace("eel backtrace")
    EelBacktrace("cbt")
    history.register()
    gdb.events.stop.connect(follow.on_stop)
    gdb.events.exited.connect(follow.on_exit)
