# sluice_add_plugin(NAME SOURCES a.cpp ... [LIBRARIES lib ...])  (installed with find_package(Sluice))
#
# Builds plugin NAME as the Sluice tree builds its own (plugins/CMakeLists.txt): a MODULE
# target sluice_plugin_NAME whose file is NAME.so (no "lib" prefix: the name the pipeline file
# uses), C++20, position independent, hidden visibility (the module exports only the entry
# point SLUICE_PLUGIN declares), and linked with --no-undefined so a forgotten library fails
# the link rather than the load. The module goes to <build>/plugins (`sluice --plugin-dir
# <build>/plugins ...` finds it there), and `cmake --install` puts it in
# <prefix>/lib/sluice/plugins, where the sluice binary of that prefix looks.
#
# One source must declare the plugin with SLUICE_PLUGIN(NAME, KIND, CLASS) (sluice/plugin.hpp),
# NAME being the same as here. LIBRARIES are linked privately (your own dependencies).
function(sluice_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "sluice_add_plugin(${name}): no SOURCES")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "sluice_add_plugin(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  set(target sluice_plugin_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE Sluice::core ${ARG_LIBRARIES})
  target_compile_features(${target} PRIVATE cxx_std_20)
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME ${name}
    PREFIX ""
    CXX_EXTENSIONS OFF
    POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/plugins
    # Installed next to the host's plugins: libsluice_core is two folders up.
    INSTALL_RPATH "$ORIGIN/../..")
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  install(TARGETS ${target} LIBRARY DESTINATION ${SLUICE_PLUGIN_INSTALL_DIR})
endfunction()
