# history.py - turn on libeel's history ring in programs run under eelgdb.
#
# libeel records each callback it runs (what "eel backtrace" walks) only
# while eel__debug_history is set, so that programs pay nothing for it
# outside the debugger.  eelgdb sets it as early as it can: at eel_init()
# for a program started under gdb, at once for a process gdb attaches to
# (whose history then starts at the attach).
import gdb

# Libraries (by file name: the breakpoint outlives a re-run's new objfiles)
# that have their eel_init breakpoint.  A library whose debug info is in a
# separate file (objcopy --only-keep-debug + gnu_debuglink, Debian's
# /usr/lib/debug/.build-id/*.debug) is two objfiles in gdb, and both find
# the symbol: the debug file's objfile stands for its `owner`, the library.
_armed = set()


def turn_on():
    """Switches the ring on, for this thread's loop at once (watch_now);
    gdb.error without libeel in the program or when it is not running."""
    gdb.execute("set var *(int *)&eel__debug_history = 1", to_string=True)
    watch_now()


def _set_on():
    try:
        turn_on()
    except gdb.error:
        pass  # no libeel in the program, or not running


def watch_now():
    """Make this thread's loop notice the history at once, not at its next
    turn: its fast paths test a per-loop copy (eel_loop.watch), and the slot
    of a timer cancelled unwatched must not be taken over unrecorded.  Other
    threads' loops notice at their next turn."""
    try:
        if int(gdb.parse_and_eval("(unsigned long)eel__loop")) == 0:
            return  # no loop yet: eel_init reads the history itself
        if int(gdb.parse_and_eval("eel__loop->watch")):
            return
        gdb.execute("set var eel__loop->watch = 1", to_string=True)
        gdb.execute("set var eel__loop->buried = 0", to_string=True)
    except gdb.error:
        pass  # no thread-local storage here (not running, no libthread_db)


class _AtInit(gdb.Breakpoint):
    """A silent breakpoint on eel_init that switches the ring on."""

    def __init__(self):
        super().__init__("eel_init", type=gdb.BP_BREAKPOINT, internal=True)
        self.silent = True

    def stop(self):
        _set_on()
        return False  # never stops the program


def _library(objfile):
    """The objfile of the loaded file itself, not of its separate debug
    info (gdb may report either first)."""
    return objfile.owner or objfile


def _defines_history(lib, objfile):
    """Whether eel__debug_history has a symbol in the library lib (objfile
    is lib or one of its separate debug files): only in it, as a global
    lookup would arm every later objfile too, but in any of its objfiles,
    as the separate debug file may hold the only symbols."""
    # gdb's per-objfile lookups also search the objfile's separate debug
    # files; asking each of them too does not rely on that.
    mine = [lib] + [o for o in lib.progspace.objfiles() if o.owner == lib]
    if objfile not in mine:  # not listed yet while gdb reports it
        mine.append(objfile)
    for o in mine:
        try:
            if o.lookup_global_symbol("eel__debug_history") is not None or \
                    o.lookup_static_symbol("eel__debug_history") is not None:
                return True
        except gdb.error:
            pass
    return False


def _arm(objfile):
    lib = _library(objfile)
    if not lib.is_valid() or lib.filename in _armed:
        return
    if not _defines_history(lib, objfile):
        return
    _armed.add(lib.filename)
    if gdb.selected_inferior().pid:
        _set_on()  # attached to (or already running): from now on
    _AtInit()


def _on_new_objfile(event):
    _arm(event.new_objfile)


def _on_stop(event):
    # When gdb attaches, libeel's objfile is reported before the thread's
    # TLS can be read: the loop's own flag is set at the first stop.
    if _armed:
        watch_now()


def register():
    gdb.events.new_objfile.connect(_on_new_objfile)
    gdb.events.stop.connect(_on_stop)
    for objfile in gdb.objfiles():  # loaded before us (gdb auto-load)
        _arm(objfile)
