# install-autoload.cmake - run at install time (install(SCRIPT)): writes
# libeel's gdb auto-load script for the prefix really installed to, which
# `cmake --install --prefix` may change after configuration.  gdb looks for
#   <datadir>/gdb/auto-load/<real path of libeel.so.X.Y.Z>-gdb.py
# Inputs (set by install(CODE) in CMakeLists.txt): EELGDB_SRC, EELGDB_BIN,
# EELGDB_LIBDIR, EELGDB_DATADIR (as in GNUInstallDirs), EELGDB_LIBFILE.
if(IS_ABSOLUTE "${EELGDB_LIBDIR}")
  set(_libdir "${EELGDB_LIBDIR}")
else()
  set(_libdir "${CMAKE_INSTALL_PREFIX}/${EELGDB_LIBDIR}")
endif()
if(IS_ABSOLUTE "${EELGDB_DATADIR}")
  set(_datadir "${EELGDB_DATADIR}")
else()
  set(_datadir "${CMAKE_INSTALL_PREFIX}/${EELGDB_DATADIR}")
endif()
set(EELGDB_AUTOLOAD_DIR "${_datadir}/eel/gdb/python")
configure_file("${EELGDB_SRC}/libeel-gdb.py.in"
               "${EELGDB_BIN}/install/${EELGDB_LIBFILE}-gdb.py" @ONLY)
file(INSTALL "${EELGDB_BIN}/install/${EELGDB_LIBFILE}-gdb.py"
     DESTINATION "${_datadir}/gdb/auto-load${_libdir}")
