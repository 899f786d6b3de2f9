# share/doc/<package>/{copyright,changelog.Debian.gz}: what Debian policy asks of every package
# (README, "Install and .deb"), for each package of core/packaging.cmake. Included from there,
# before include(CPack).
#
#   copyright            compose/deb/copyright, as it is (machine-readable, DEP-5)
#   changelog.Debian.gz  compose/deb/changelog.in with the package name and version filled in,
#                        so the entry cannot name another package or version than the one it
#                        is in; gzip -9n (no name, no time stamp: the same bytes for the same input)
#
# Needs SLUICE_DEB_VERSION and SLUICE_DEB_MAINTAINER. The entry's date is the configure time,
# or SOURCE_DATE_EPOCH when set (reproducible builds); it is written again whenever CMake
# configures (a new version in project() reconfigures).

find_program(SLUICE_GZIP gzip REQUIRED)
string(TIMESTAMP SLUICE_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)

# sluice_debian_docs(COMPONENT PACKAGE): installs PACKAGE's copyright and changelog.Debian.gz
# into share/doc/PACKAGE as part of COMPONENT.
function(sluice_debian_docs component package)
  set(docs ${CMAKE_BINARY_DIR}/packaging/doc/${package})
  file(MAKE_DIRECTORY ${docs})
  set(SLUICE_DEB_PACKAGE ${package})
  configure_file(${CMAKE_SOURCE_DIR}/compose/deb/changelog.in ${docs}/changelog.Debian @ONLY)
  execute_process(
    COMMAND ${SLUICE_GZIP} -9 -n -c ${docs}/changelog.Debian
    OUTPUT_FILE ${docs}/changelog.Debian.gz
    RESULT_VARIABLE gzip_status)
  if(NOT gzip_status EQUAL 0)
    message(FATAL_ERROR "gzip -9n of ${docs}/changelog.Debian failed: ${gzip_status}")
  endif()
  # Mode 644 whatever the umask of the build; root-owned in the .deb (CPack writes uid/gid 0).
  install(FILES ${CMAKE_SOURCE_DIR}/compose/deb/copyright ${docs}/changelog.Debian.gz
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${package}
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
          COMPONENT ${component})
endfunction()
