# eel_statechart(NAME SOURCE...): draw a program's callback chains at build
# time with eelstatechart, as NAME-statechart.dot and .svg in the current
# binary dir (target NAME_statechart, part of ALL).  Does nothing when the
# tools are not built.
function(eel_statechart name)
  if(NOT TARGET eelstatechart)
    return()
  endif()
  set(chart ${CMAKE_CURRENT_BINARY_DIR}/${name}-statechart)
  set(outputs ${chart}.dot)
  set(commands COMMAND eelstatechart -p ${CMAKE_BINARY_DIR} -o ${chart}.dot
               ${ARGN})
  find_program(DOT_PROGRAM dot)
  if(DOT_PROGRAM)
    list(APPEND outputs ${chart}.svg)
    list(APPEND commands COMMAND eelstatechart -p ${CMAKE_BINARY_DIR}
         --format svg -o ${chart}.svg ${ARGN})
  endif()
  add_custom_command(OUTPUT ${outputs} ${commands}
                     DEPENDS eelstatechart ${ARGN}
                     COMMENT "eelstatechart: ${name}" VERBATIM)
  add_custom_target(${name}_statechart ALL DEPENDS ${outputs})
endfunction()
