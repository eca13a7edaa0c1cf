# follow.py - following a libeel callback chain: cnext, cstep, ccontinue.
#
# Registrations are learnt from what the program really does: while a line
# is stepped over, a breakpoint on libeel's hook eel__debug_on_register()
# (called for every registration while eel__debug_hooks is set) records the
# group and callbacks of each registration made by the code being stepped.
# Helpers, macros and function pointers are therefore followed for free.
# For each one, breakpoints on cb and timeout_cb stop only when libeel's
# dispatcher calls them for that group; other groups run without stopping.

import re

import gdb

from . import history
from . import inferior as inf


def _read_hook_args(frame):
    """The hook's arguments (libeel's debug info is checked beforehand)."""
    names = ("id", "gid", "kind", "fd", "cb", "timeout_cb", "arg", "site",
             "cause")
    vals = [frame.read_var(n) for n in names]
    r = dict(zip(names, (inf.u64(v) for v in vals)))
    r["kind"], r["fd"] = int(vals[2]), int(vals[3])
    return r


class HookBreakpoint(gdb.Breakpoint):
    """Internal breakpoint on the registration hook.

    Records registrations made by the code being stepped (cause == the
    event running when the command started, on the same thread).  In
    `stop_on_group` mode it instead stops when a registration for that group
    names a callback no breakpoint watches yet, so ccontinue can add one.
    """

    def __init__(self, cause, thread, stop_on_group=0, known=()):
        super().__init__(inf.HOOK, internal=True)
        self.silent = True
        self.cause, self.thread = cause, thread
        self.stop_on_group = stop_on_group
        self.loop = inf.loop_address()
        self.known = set(known)
        self.recorded = []
        self.new = []

    def stop(self):
        try:
            r = _read_hook_args(gdb.selected_frame())
        except (ValueError, gdb.error):
            return False
        if self.stop_on_group:
            if r["gid"] != self.stop_on_group or \
                    int(inf.quick_loop()) != self.loop:
                return False
            fresh = [a for a in (r["cb"], r["timeout_cb"])
                     if a and a not in self.known]
            self.known.update(fresh)
            self.new.extend(fresh)
            return bool(fresh)
        if r["cause"] == self.cause and \
                gdb.selected_thread().num == self.thread:
            self.recorded.append(r)
        return False


class CallbackBreakpoint(gdb.Breakpoint):
    """Stops in a callback only when libeel calls it for a wanted group."""

    def __init__(self, addr, groups, owner, internal=False):
        super().__init__(_location(addr), internal=internal)
        # gdb would name an internal breakpoint "Breakpoint -7": stop
        # silently and let on_stop() show where we are.
        self.silent = internal
        self.groups = set(groups)
        self.owner = owner

    def stop(self):
        try:
            frame = gdb.newest_frame()
            older = frame.older()
            if older is None or not inf.in_libeel(older.pc()):
                return False  # a direct call, not the dispatcher
            ptr = inf.quick_loop()
            if int(ptr) != self.owner.loop:
                return False  # another thread's loop: its ids differ
            ev, gid = inf.quick_current(ptr)
        except gdb.error:
            return False
        if gid not in self.groups:
            return False
        self.owner.hit = (ev, gid)
        return True


class ReturnBreakpoint(gdb.Breakpoint):
    """Where this callback returns into the dispatcher, for this thread.

    Stops cnext there even if libeel has no line info (next would run the
    whole loop then).  Other threads return to the same address, and the
    loop still names the callback's event at that point.
    """

    def __init__(self, pc, event):
        super().__init__("*0x%x" % pc, internal=True, temporary=True)
        self.silent = True
        self.thread = gdb.selected_thread().num
        self.event = event

    def stop(self):
        try:
            return inf.quick_current()[0] == self.event
        except gdb.error:
            return False


def _location(addr):
    """After the callback's prologue when it has debug info."""
    try:
        block = gdb.block_for_pc(addr)
    except RuntimeError:
        block = None
    fn = block.function if block is not None else None
    if fn is not None and fn.symtab is not None and \
            int(block.start) == addr:
        return "-source %s -function %s" % (fn.symtab.fullname(), fn.name)
    return "*0x%x" % addr


class Follow:
    """One set of callback breakpoints; all go once one of them stops."""

    active = []

    def __init__(self, internal=False):
        self.bps = {}
        self.internal = internal
        self.hit = None
        self.loop = inf.loop_address()
        Follow.active.append(self)

    def watch(self, addr, gid):
        if not addr:
            return
        bp = self.bps.get(addr)
        if bp is None:
            self.bps[addr] = CallbackBreakpoint(addr, [gid], self,
                                                self.internal)
        else:
            bp.groups.add(gid)

    def owns(self, bp):
        return any(b is bp for b in self.bps.values())

    def delete(self):
        for bp in self.bps.values():
            if bp.is_valid():
                bp.delete()
        self.bps = {}
        if self in Follow.active:
            Follow.active.remove(self)


class Hooks:
    """Turns on eel__debug_hooks and the hook breakpoint for a while."""

    def __init__(self, cause, group=0, known=()):
        self.cause, self.group, self.known = cause, group, known
        self.bp = None
        self.old = 0

    def __enter__(self):
        self.bp = HookBreakpoint(self.cause, gdb.selected_thread().num,
                                 self.group, self.known)
        self.old = int(gdb.parse_and_eval("*(int *)&eel__debug_hooks"))
        gdb.execute("set var *(int *)&eel__debug_hooks = 1", to_string=True)
        # libeel looks at the hooks only while its history is on (it is,
        # from eel_init or the attach: see history.py); make sure.
        history.turn_on()
        return self.bp

    def __exit__(self, *exc):
        if self.bp is not None and self.bp.is_valid():
            self.bp.delete()
        if gdb.selected_inferior().pid:
            try:
                gdb.execute("set var *(int *)&eel__debug_hooks = %d"
                            % self.old, to_string=True)
            except gdb.error:
                pass
        return False


def _running():
    return gdb.selected_inferior().pid != 0


_INTERNAL_BP = re.compile(r"^(Temporary )?[Bb]reakpoint -\d+, ", re.M)


def _emit(text):
    """Prints captured command output; internal breakpoints unnamed."""
    text = _INTERNAL_BP.sub("", text or "")
    if text:
        gdb.write(text if text.endswith("\n") else text + "\n")


def on_stop(event):
    """A plain `continue` reached a cnext breakpoint: drop its set."""
    if not isinstance(event, gdb.BreakpointEvent):
        return
    hit = [f for f in Follow.active
           if f.hit and any(f.owns(bp) for bp in event.breakpoints)]
    if not hit:
        return
    if all(bp.silent for bp in event.breakpoints):
        where = gdb.execute("frame", to_string=True)
        gdb.write("\n" + re.sub(r"^#0\s+", "", where))
    _announce(hit[0].hit)
    for f in hit:
        f.delete()


def on_exit(event):
    """The loop that follow breakpoints refer to is gone."""
    for f in list(Follow.active):
        f.delete()


def _announce(hit):
    ev, gid = hit
    lp = inf.loop()
    if lp is None:
        return
    hist, _ = inf.history(lp)
    for h in reversed(hist):
        if h["id"] == ev:
            gdb.write("[eelgdb: group %d, %s event %d, registered at %s]\n"
                      % (gid, inf.kind_text(h["kind"], h["fd"]), ev,
                         inf.site_text(h["site"])))
            return


def step_line(command):
    """cnext / cstep: `command` is "next" or "step"."""
    inf.require_types()
    frame = gdb.selected_frame()
    if frame.find_sal().symtab is None:
        inf.fail("no line information for %s (build the program with -g)"
                 % (frame.name() or "this frame"))
    cur_ev, cur_g = inf.current()
    cbf = inf.callback_frame(frame)
    ret_bp = None
    if cbf is not None and cbf == frame:
        ret_bp = ReturnBreakpoint(cbf.older().pc(), cur_ev)
    skip = _skip_libeel() if command == "step" else None
    try:
        with Hooks(cause=cur_ev) as hook:
            out = gdb.execute(command, to_string=True)
        regs = list(hook.recorded)
    finally:
        if ret_bp is not None and ret_bp.is_valid():
            ret_bp.delete()
        for n in skip or ():
            gdb.execute("skip delete %d" % n, to_string=True)
    if not _running():
        _emit(out)
        return
    if cur_g and inf.in_libeel(gdb.selected_frame().pc()):
        gdb.write("[eelgdb: end of callback; continuing to the next "
                  "callback of group %d]\n" % cur_g)
        run_to_group(cur_g)
        return
    _emit(out)
    _follow(regs)


def _follow(regs):
    if not regs:
        return
    f = Follow()
    for r in regs:
        f.watch(r["cb"], r["gid"])
        f.watch(r["timeout_cb"], r["gid"])
        names = inf.func_name(r["cb"])
        if r["timeout_cb"]:
            names += " or " + inf.func_name(r["timeout_cb"])
        gdb.write("[eelgdb: %s event %d of group %d registered at %s: "
                  "will stop in %s]\n"
                  % (inf.kind_text(r["kind"], r["fd"]), r["id"], r["gid"],
                     inf.site_text(r["site"]), names))


def _skip_numbers():
    listing = gdb.execute("info skip", to_string=True).splitlines()
    return {int(l.split()[0]) for l in listing[1:]
            if l.split() and l.split()[0].isdigit()}


def _skip_libeel():
    """Keeps `step` out of libeel's own code; returns the skip ids."""
    before = _skip_numbers()
    d = inf.libeel_source_dir()
    if d:  # libeel's sources (and subfolders): not the program's eel_*
        gdb.execute("skip -gfile %s/*" % d, to_string=True)
        gdb.execute("skip -gfile %s/*/*" % d, to_string=True)
    else:  # no line info in libeel: step does not enter it anyway
        gdb.execute("skip -rfunction ^eel_", to_string=True)
    return sorted(_skip_numbers() - before)


def run_to_group(gid):
    """Runs until libeel calls any callback for group gid (ccontinue)."""
    lp = inf.require_loop()
    pending = inf.group_events(gid, lp)
    live = any(g["gid"] == gid for g in inf.groups(lp))
    if not live:
        gdb.write("[eelgdb: group %d is deleted: its callback chain has "
                  "ended; continuing]\n" % gid)
    elif not pending and inf.current(lp)[1] != gid:
        gdb.write("[eelgdb: group %d has nothing pending; it stops only if "
                  "some callback registers for it]\n" % gid)
    f = Follow(internal=True)
    for e in pending:
        f.watch(e["cb"], gid)
        f.watch(e["tcb"], gid)
    out = ""
    try:
        with Hooks(cause=-1, group=gid, known=f.bps.keys()) as hook:
            while True:
                hook.new = []
                f.hit = None
                out = gdb.execute("continue", to_string=True)
                if not _running() or not hook.new or f.hit or \
                        gdb.selected_frame().name() != inf.HOOK:
                    break
                for addr in hook.new:  # a new callback for the group
                    f.watch(addr, gid)
    finally:
        f.delete()
    _emit(out)
