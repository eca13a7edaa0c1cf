# inferior.py - reading a running libeel program's state through gdb.
#
# Everything here reads the library's own data structures (src/loop.h) via
# debug info: the thread's loop `eel__loop`, its event and group arrays and
# the history ring of fired callbacks.  It never writes to the inferior
# (only the switches do: eel__debug_hooks in follow.py, eel__debug_history
# in history.py).  Errors the user can act on are raised as gdb.GdbError
# with an "eelgdb:" prefix.

import os

import gdb

KINDS = {1: "timer", 2: "read", 3: "write", 4: "error",
         5: "read+timeout", 6: "write+timeout", 7: "signal"}
TIMED_KINDS = (1, 5, 6)
# kinds whose timeout_cb is kept beside the event (eel__has_tcb)
TCB_KINDS = (5, 6)
# enum eel__state (src/loop.h); free and fired slots are not pending.
STATES = {0: "free", 1: "cancelled", 2: "fired", 3: "waiting", 4: "ready",
          5: "expired"}
WAITING = 3
SLOT_BITS = 24  # EEL__SLOT_BITS in src/loop.h: id = gen | slot, where a
# slot's gen field holds its generation already shifted left by SLOT_BITS
SEQ_BITS = 24   # EEL__SEQ_BITS in src/heap.h: heap key = deadline << 24 | seq
HOOK = "eel__debug_on_register"
# Functions of libeel that call callbacks, used to recognise the dispatcher
# when the library has no line info (e.g. a stripped static link).
DISPATCH_FUNCS = ("run_callback", "turn", "eel_run", "eel_dispatch")


class EelError(gdb.GdbError):
    pass


def fail(msg):
    raise EelError("eelgdb: " + msg)


def u64(v):
    """A pointer (or integer) value of the inferior as a Python int."""
    return int(v.cast(gdb.lookup_type("unsigned long")))


def require_running():
    inf = gdb.selected_inferior()
    if inf is None or inf.pid == 0 or not gdb.selected_thread():
        fail("the program is not running (start it with `run` or `start`)")


def hook_address():
    """Address of the registration hook, or None without libeel."""
    try:
        return u64(gdb.parse_and_eval("&" + HOOK))
    except gdb.error:
        return None


def require_libeel():
    require_running()
    if hook_address() is None:
        prog = gdb.current_progspace().filename or "the program"
        fail("%s is not linked with libeel (no symbol %s); eelgdb only "
             "works on libeel programs" % (os.path.basename(prog), HOOK))


def require_types():
    require_libeel()
    try:
        gdb.lookup_type("struct eel_loop")
    except gdb.error:
        fail("libeel has no debug info (struct eel_loop is unknown); "
             "rebuild libeel with -g")


def loop():
    """This thread's struct eel_loop value, or None without a loop."""
    require_types()
    try:
        ptr = gdb.parse_and_eval("eel__loop")
    except gdb.error as e:
        ptr = _loop_from_frames()
        if ptr is None:
            fail("cannot read the thread-local eel__loop (%s)" % e)
    if int(ptr) == 0:
        return None
    return ptr.dereference()


def _loop_from_frames():
    # Without thread-local support (no libthread_db), the dispatcher's own
    # frames still hold the loop pointer `l`.
    f = gdb.newest_frame()
    while f is not None:
        if f.name() in DISPATCH_FUNCS:
            try:
                return f.read_var("l")
            except (ValueError, gdb.error):
                pass
        f = f.older()
    return None


def require_loop():
    lp = loop()
    if lp is None:
        fail("this thread has no libeel loop yet (eel_init() not called)")
    return lp


def _running(lp):
    """(event id, group id) of the callback lp (a loop or a pointer to one)
    is running, (0, 0) outside one."""
    if not int(lp["in_callback"]):
        return 0, 0
    return int(lp["current"]), int(lp["current_g"])


def current(lp=None):
    """(event id, group id) of the running callback, (0, 0) outside one."""
    lp = loop() if lp is None else lp
    return (0, 0) if lp is None else _running(lp)


# For breakpoint stop() methods, called on every hit: no checks (the
# command that set the breakpoint made them), and only gdb.error raised.

def quick_loop():
    """This thread's eel__loop pointer (int() of it: the loop address)."""
    return gdb.parse_and_eval("eel__loop")


def quick_current(ptr=None):
    """(event, group) of the running callback, (0, 0) outside one; ptr is
    quick_loop() when the caller has already read it."""
    ptr = quick_loop() if ptr is None else ptr
    return (0, 0) if int(ptr) == 0 else _running(ptr)


def loop_address():
    """This thread's loop address: group ids are only unique per loop."""
    lp = loop()
    return 0 if lp is None else int(lp.address)


def make_id(gen, slot):
    return (int(gen) & 0xFFFFFFFFFFFFFFFF) | int(slot)


# ---- Code addresses ------------------------------------------------------

def func_name(addr):
    addr = int(addr)
    if addr == 0:
        return "-"
    try:
        block = gdb.block_for_pc(addr)
    except RuntimeError:
        block = None
    while block is not None and block.function is None:
        block = block.superblock
    if block is not None:
        return block.function.name
    try:
        sym = gdb.execute("info symbol 0x%x" % addr, to_string=True)
        if " in section " in sym:
            name = sym.split(" in section ")[0].strip()
            return name.replace(" + ", "+")
    except gdb.error:
        pass
    return "0x%x" % addr


def site_text(site):
    """file:line (function) of a registration's return address."""
    site = int(site)
    if site == 0:
        return "?"
    sal = gdb.find_pc_line(site - 1)  # the call, not the next instruction
    where = func_name(site - 1)
    if sal.symtab is None:
        return "0x%x (%s)" % (site, where)
    return "%s:%d (%s)" % (os.path.basename(sal.symtab.filename), sal.line,
                           where)


_libeel_dir = {}


def libeel_source_dir():
    """Where libeel's sources were (per program: `file` may change it)."""
    key = gdb.current_progspace().filename
    if key not in _libeel_dir:
        d = None
        sym = gdb.lookup_global_symbol(HOOK)
        if sym is not None and sym.symtab is not None:
            d = os.path.dirname(sym.symtab.fullname())
        _libeel_dir[key] = d
    return _libeel_dir[key]


def in_libeel(pc):
    """Whether pc is libeel's own code (shared or statically linked)."""
    solib = gdb.solib_name(pc)
    if solib and os.path.basename(solib).startswith("libeel."):
        return True
    sal = gdb.find_pc_line(pc)
    if sal.symtab is not None:
        d = libeel_source_dir()
        return d is not None and sal.symtab.fullname().startswith(d + "/")
    name = func_name(pc)
    return name in DISPATCH_FUNCS or name.startswith("eel_")


def callback_frame(frame=None):
    """The frame of the running callback (the one libeel called), or None."""
    f = frame or gdb.selected_frame()
    while f is not None:
        older = f.older()
        if older is not None and not in_libeel(f.pc()) and \
                in_libeel(older.pc()):
            return f
        f = older
    return None


# ---- Events, groups, history --------------------------------------------

def events(lp=None):
    """Pending events as dicts, in slot order."""
    lp = lp if lp is not None else require_loop()
    out = []
    # timeout_cb, cause and site live beside the events, the deadline in the
    # timer heap
    ev, evi, heap = lp["ev"], lp["evi"], lp["heap"]
    for slot in range(1, int(lp["ev_cap"])):
        x = ev[slot]
        state = int(x["state"])
        if state < WAITING:
            continue
        kind = int(x["kind"])
        info = evi[slot]
        recorded = int(info["gen"]) == int(x["gen"])
        hpos = int(x["heap"])
        out.append({
            "id": make_id(x["gen"], slot), "slot": slot,
            "gid": u64(x["gid"]), "kind": kind,
            "state": state, "fd": int(x["fd"]),
            "cb": int(x["cb"]),
            "tcb": int(info["tcb"]) if kind in TCB_KINDS else 0,
            "arg": u64(x["arg"]),
            "deadline": int(heap[hpos - 1]["key"]) >> SEQ_BITS
            if kind in TIMED_KINDS and hpos else None,
            # recorded only while the history is on (from eel_init under
            # eelgdb, from the attach otherwise): 0 when not
            "cause": int(info["cause"]) if recorded else 0,
            "site": u64(info["site"]) if recorded else 0,
        })
    return out


def held_group(lp):
    """The group slot of the running callback's held slot, or 0.  libeel
    still counts a held slot as pending until it is let go; it is not
    (eel__pending, eel__group_pending in src/loop.h)."""
    held = int(lp["held"])
    return int(lp["ev"][held]["gid"]) & ((1 << SLOT_BITS) - 1) if held else 0


def pending(lp):
    """Events pending in the loop, as eel_pending() says."""
    return int(lp["npending"]) - (1 if int(lp["held"]) else 0)


def groups(lp=None):
    """Live groups as dicts: gid, pending count, waiting flag."""
    lp = lp if lp is not None else require_loop()
    out = []
    grp = lp["grp"]
    held = held_group(lp)
    for slot in range(1, int(lp["grp_cap"])):
        g = grp[slot]
        # eel__group_live(): the generation is odd while handed out
        if not (int(g["gen"]) >> SLOT_BITS) & 1:
            continue
        out.append({"gid": make_id(g["gen"], slot), "slot": slot,
                    "npending": int(g["npending"]) - (slot == held),
                    "waiting": bool(int(g["waiting"]))})
    return out


def group_events(gid, lp=None):
    return [e for e in events(lp) if e["gid"] == gid]


def history(lp=None):
    """The fired-callback ring, oldest first, as dicts keyed by id."""
    lp = lp if lp is not None else require_loop()
    ring = lp["hist"]
    n = ring.type.range()[1] + 1
    start = int(lp["hist_next"])
    out = []
    for i in range(n):
        h = ring[(start + i) % n]
        if int(h["id"]) == 0:
            continue
        out.append({"id": int(h["id"]), "cause": int(h["cause"]),
                    "gid": int(h["gid"]), "cb": u64(h["cb"]),
                    "arg": u64(h["arg"]), "site": u64(h["site"]),
                    "fd": int(h["fd"]),
                    "kind": int(h["kind"]),
                    "timed_out": bool(int(h["timed_out"]))})
    return out, n


def kind_text(kind, fd):
    k = KINDS.get(kind, "kind %d" % kind)
    if kind == 7:
        return "%s %d" % (k, fd)
    if kind != 1:
        return "%s fd %d" % (k, fd)
    return k
