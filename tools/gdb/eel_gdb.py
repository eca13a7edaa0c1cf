# eel_gdb.py - loads the eelgdb extension into gdb (`source` this file, as
# the eelgdb launcher and the libeel auto-load script do).  The package sits
# in python/ next to this file; loading twice is harmless.
import os
import sys

import gdb

_here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "python")
if _here not in sys.path:
    sys.path.insert(0, _here)

import eel_gdb  # noqa: E402  (registers the commands)
