# install-autoload.cmake - run at install time (install(SCRIPT)): writes
# libeel's gdb auto-load script for the prefix really installed to, which
# `cmake --install --prefix` may change after configuration.  gdb looks for
#   <datadir>/gdb/auto-load/<real path of libeel.so.X.Y.Z>-gdb.py
# Inputs (set by install(CODE) in CMakeLists.txt): EELGDB_SRC, EELGDB_BIN,
# EELGDB_LIBDIR, EELGDB_DATADIR (as in GNUInstallDirs), EELGDB_LIBFILE.
# Relative ones are under the prefix, as GNUInstallDirs' FULL_ variables.
set(_libdir "${EELGDB_LIBDIR}")
set(_datadir "${EELGDB_DATADIR}")
cmake_path(ABSOLUTE_PATH _libdir BASE_DIRECTORY "${CMAKE_INSTALL_PREFIX}")
cmake_path(ABSOLUTE_PATH _datadir BASE_DIRECTORY "${CMAKE_INSTALL_PREFIX}")
set(EELGDB_AUTOLOAD_DIR "${_datadir}/eel/gdb/python")
configure_file("${EELGDB_SRC}/libeel-gdb.py.in"
               "${EELGDB_BIN}/install/${EELGDB_LIBFILE}-gdb.py" @ONLY)
file(INSTALL "${EELGDB_BIN}/install/${EELGDB_LIBFILE}-gdb.py"
     DESTINATION "${_datadir}/gdb/auto-load${_libdir}")
