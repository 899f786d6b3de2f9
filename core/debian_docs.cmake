# share/doc/sluice/{copyright,changelog.Debian.gz}: what Debian policy asks of every package
# (README, "Install and .deb"). Included from core/packaging.cmake, before include(CPack).
#
#   copyright            compose/deb/copyright, as it is (machine-readable, DEP-5)
#   changelog.Debian.gz  compose/deb/changelog.in with the package version filled in, so the
#                        entry cannot name another version than the package it is in;
#                        gzip -9n (no name, no time stamp: the same bytes for the same input)
#
# Needs SLUICE_DEB_VERSION and SLUICE_DEB_MAINTAINER. The entry's date is the configure time,
# or SOURCE_DATE_EPOCH when set (reproducible builds); it is written again whenever CMake
# configures (a new version in project() reconfigures).

find_program(SLUICE_GZIP gzip REQUIRED)

set(sluice_deb_docs ${CMAKE_BINARY_DIR}/packaging/doc)
file(MAKE_DIRECTORY ${sluice_deb_docs})
string(TIMESTAMP SLUICE_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${CMAKE_SOURCE_DIR}/compose/deb/changelog.in ${sluice_deb_docs}/changelog.Debian @ONLY)
execute_process(
  COMMAND ${SLUICE_GZIP} -9 -n -c ${sluice_deb_docs}/changelog.Debian
  OUTPUT_FILE ${sluice_deb_docs}/changelog.Debian.gz
  RESULT_VARIABLE sluice_gzip_status)
if(NOT sluice_gzip_status EQUAL 0)
  message(FATAL_ERROR "gzip -9n of ${sluice_deb_docs}/changelog.Debian failed: ${sluice_gzip_status}")
endif()

# Mode 644 whatever the umask of the build; root-owned in the .deb (CPack writes uid/gid 0).
install(FILES ${CMAKE_SOURCE_DIR}/compose/deb/copyright ${sluice_deb_docs}/changelog.Debian.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR}
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
