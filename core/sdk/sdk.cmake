# The plugin SDK: what `cmake --install` (and the sluice-dev package: install component dev,
# core/package_components.cmake) adds so plugins can be built outside this tree against an
# installed Sluice. Included from core/CMakeLists.txt after sluice_core.
#
#   include/sluice/*.h, *.hpp        the plugin API, with the generated version.hpp (build id)
#   lib/libsluice_core.so            the namelink plugins link to
#   lib/cmake/Sluice/                SluiceConfig.cmake (+ version, targets): find_package(Sluice),
#                                    Sluice::core and sluice_add_plugin() (SluicePlugin.cmake)
#
# tests/sdk builds tests/sdk/example against such an installation.
include(CMakePackageConfigHelpers)

install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/include/sluice DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT dev FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/include/sluice/version.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sluice
        COMPONENT dev)

set(sluice_cmake_dir lib/cmake/Sluice)
install(EXPORT SluiceTargets NAMESPACE Sluice:: DESTINATION ${sluice_cmake_dir} COMPONENT dev)
configure_package_config_file(${CMAKE_CURRENT_SOURCE_DIR}/sdk/SluiceConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/sdk/SluiceConfig.cmake
  INSTALL_DESTINATION ${sluice_cmake_dir}
  PATH_VARS SLUICE_PLUGIN_SUBDIR CMAKE_INSTALL_BINDIR)
# A plugin is built for one release (the build id names the version): find_package(Sluice 0.1)
# accepts 0.1.x, the same series libsluice_core's SONAME names.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/sdk/SluiceConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/sdk/SluiceConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/sdk/SluiceConfigVersion.cmake
              ${CMAKE_CURRENT_SOURCE_DIR}/sdk/SluicePlugin.cmake
        DESTINATION ${sluice_cmake_dir} COMPONENT dev)
