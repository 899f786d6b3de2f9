# The settings every CI build uses, in one place (the top level may hold no CMakePresets
# additions; CMake reads presets only from there): `cmake -C compose/ci.cmake -S . -B build/x`.
# compose/test.sh configures with it alone; compose/sanitize.sh adds the asan preset on top
# (a preset's cacheVariables win over this file's defaults).
set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type of the CI test run")
set(SLUICE_WERROR ON CACHE BOOL "Treat warnings as errors (on in CI)")
set(SLUICE_BUILD_TESTS ON CACHE BOOL "Build the test suite")
