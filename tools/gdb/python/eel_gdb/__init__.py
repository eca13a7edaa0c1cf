# eel_gdb - the eelgdb extension for gdb: follow libeel callback chains.
# Importing the package (once per gdb session) registers the commands.
from . import commands

commands.register()
