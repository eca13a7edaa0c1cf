# history.py - turn on libeel's history ring in programs run under eelgdb.
#
# libeel records each callback it runs (what "eel backtrace" walks) only
# while eel__debug_history is set, so that programs pay nothing for it
# outside the debugger.  eelgdb sets it as early as it can: at eel_init()
# for a program started under gdb, at once for a process gdb attaches to
# (whose history then starts at the attach).
import gdb

_armed = set()  # objfiles (holding libeel) that have their eel_init breakpoint


def _set_on():
    try:
        gdb.execute("set var *(int *)&eel__debug_history = 1", to_string=True)
        return True
    except gdb.error:
        return False  # no libeel in the program, or not running


class _AtInit(gdb.Breakpoint):
    """A silent breakpoint on eel_init that switches the ring on."""

    def __init__(self):
        super().__init__("eel_init", type=gdb.BP_BREAKPOINT, internal=True)
        self.silent = True

    def stop(self):
        _set_on()
        return False  # never stops the program


def _arm(objfile):
    if objfile.filename in _armed:
        return
    try:  # in this objfile: a global lookup would arm every later one too
        if objfile.lookup_global_symbol("eel__debug_history") is None and \
                objfile.lookup_static_symbol("eel__debug_history") is None:
            return
    except gdb.error:
        return
    _armed.add(objfile.filename)
    if gdb.selected_inferior().pid:
        _set_on()  # attached to (or already running): from now on
    _AtInit()


def _on_new_objfile(event):
    _arm(event.new_objfile)


def register():
    gdb.events.new_objfile.connect(_on_new_objfile)
    for objfile in gdb.objfiles():  # loaded before us (gdb auto-load)
        _arm(objfile)
