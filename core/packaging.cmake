# Installation extras and the Debian package. Included last from the top-level CMakeLists.txt.
#
#   cmake --install build --prefix /opt/x    # bin/sluice, lib/libsluice_core.so*, lib/sluice/plugins,
#                                            # share/sluice/{web,sql,config,monitoring}, etc/sluice/pipeline.yaml,
#                                            # lib/systemd/system/sluice.service, share/man/man1/sluice.1.gz,
#                                            # and the plugin SDK: include/sluice, lib/cmake/Sluice (core/sdk)
#   (cd build && cpack -G DEB)               # sluice_<version>-1_amd64.deb: /usr/..., /etc/sluice/pipeline.yaml
#                                            # (conffile), /lib/systemd/system/sluice.service
#
# The binary finds everything relative to itself (../lib/sluice/plugins, ../share/sluice), so
# any prefix works. Only the configuration folder and the unit folder depend on the prefix,
# and they are decided at install time, because cpack installs the same build tree again with
# prefix /usr: for /usr they are /etc and /lib/systemd/system (as GNUInstallDirs and Debian
# do), for any other prefix <prefix>/etc and <prefix>/lib/systemd/system.

option(SLUICE_INSTALL_SYSTEMD_UNIT "Install lib/systemd/system/sluice.service" ON)

# Example pipelines and the .env sample, next to the page and migrations (the build tree has the
# same share/sluice/config link).
install(DIRECTORY ${CMAKE_SOURCE_DIR}/config/ DESTINATION ${CMAKE_INSTALL_DATADIR}/sluice/config)
# The Grafana dashboard, Prometheus alert rules (and their promtool tests) and the provisioning
# files compose uses (README "Monitoring"), for operators who run their own Prometheus/Grafana.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/compose/monitoring/ DESTINATION ${CMAKE_INSTALL_DATADIR}/sluice/monitoring)

# The default pipeline is part of the product: a missing file fails the install.
set(SLUICE_DEFAULT_PIPELINE ${CMAKE_SOURCE_DIR}/config/pipeline.yaml CACHE FILEPATH
    "Pipeline file installed as etc/sluice/pipeline.yaml")
set(SLUICE_UNIT_FILE ${CMAKE_SOURCE_DIR}/compose/sluice.service)
set(SLUICE_UNIT_STAGING ${CMAKE_BINARY_DIR}/packaging/sluice.service)
set(sluice_install_prelude "
  set(sluice_pipeline \"${SLUICE_DEFAULT_PIPELINE}\")
  set(sluice_unit \"${SLUICE_UNIT_FILE}\")
  set(sluice_unit_staging \"${SLUICE_UNIT_STAGING}\")
  set(sluice_install_unit ${SLUICE_INSTALL_SYSTEMD_UNIT})
  set(sluice_sysconfdir \"${CMAKE_INSTALL_SYSCONFDIR}\")
")
set(sluice_install_body [[
  string(REGEX REPLACE "/+$" "" sluice_prefix "${CMAKE_INSTALL_PREFIX}")
  if(IS_ABSOLUTE "${sluice_sysconfdir}")
    set(sluice_etc "${sluice_sysconfdir}")
  elseif(sluice_prefix STREQUAL "/usr" OR sluice_prefix STREQUAL "")
    set(sluice_etc "/etc")
  else()
    set(sluice_etc "${sluice_prefix}/${sluice_sysconfdir}")
  endif()
  if(sluice_prefix STREQUAL "/usr" OR sluice_prefix STREQUAL "")
    set(sluice_unitdir "/lib/systemd/system")
  else()
    set(sluice_unitdir "${sluice_prefix}/lib/systemd/system")
  endif()

  if(NOT EXISTS "${sluice_pipeline}")
    message(FATAL_ERROR "The default pipeline ${sluice_pipeline} is missing: nothing to install as "
                        "${sluice_etc}/sluice/pipeline.yaml")
  endif()
  # file(INSTALL) adds $DESTDIR and records the file in install_manifest.txt.
  file(INSTALL DESTINATION "${sluice_etc}/sluice" TYPE FILE FILES "${sluice_pipeline}")

  if(sluice_install_unit)
    file(READ "${sluice_unit}" unit)
    if(NOT sluice_prefix STREQUAL "/usr")
      string(REPLACE "/usr/bin/sluice" "${sluice_prefix}/bin/sluice" unit "${unit}")
      string(REPLACE "/usr/share/sluice" "${sluice_prefix}/share/sluice" unit "${unit}")
    endif()
    string(REPLACE "/etc/sluice/" "${sluice_etc}/sluice/" unit "${unit}")
    string(REPLACE "/lib/systemd/system/" "${sluice_unitdir}/" unit "${unit}")
    file(WRITE "${sluice_unit_staging}" "${unit}")
    file(INSTALL DESTINATION "${sluice_unitdir}" TYPE FILE FILES "${sluice_unit_staging}")
  endif()
]])
install(CODE "${sluice_install_prelude}${sluice_install_body}")

# ---- Debian package: cpack -G DEB (from the build folder) ------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sluice)
set(CPACK_PACKAGE_VENDOR "Sluice")
# Whoever builds packages for others sets their own address (-DSLUICE_DEB_MAINTAINER=...). The
# default is a reserved domain that never resolves (.invalid, RFC 2606), not a made-up real one.
set(SLUICE_DEB_MAINTAINER "Sluice maintainers <maintainers@sluice.invalid>" CACHE STRING
    "Maintainer field and changelog signature of the .deb: Name <address>")
set(CPACK_PACKAGE_CONTACT "${SLUICE_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "plugin-based stream processor (Kafka -> PostgreSQL -> REST)")
# Debian wants the extended description's lines under 80 characters.
set(CPACK_PACKAGE_DESCRIPTION
    "Sluice reads a pipeline file (YAML), loads the plugins it names and moves\n"
    "records from a source through transforms into an ordered list of sinks,\n"
    "with at-least-once delivery. The default pipeline\n"
    "(/etc/sluice/pipeline.yaml) consumes orders from Kafka, validates them,\n"
    "stores them in PostgreSQL and serves them over REST with a web page.\n"
    "Run it with the sluice systemd service after setting /etc/sluice/sluice.env.")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
# The same installation as `cmake --install --prefix /usr`, into a DESTDIR, so that the
# install-time rules above see the prefix /usr and put the configuration in /etc.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
# Debian revision 1 of the upstream version: a non-native package, whose Debian changelog is
# changelog.Debian.gz (core/debian_docs.cmake).
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(SLUICE_DEB_VERSION "${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # sluice_<version>-1_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql (>= 15), kcat")
# The plugin SDK (headers, libsluice_core.so, find_package(Sluice)) is in this package too: one
# package keeps headers and binary of the same build together, which the build id demands
# anyway. Building a plugin needs what the headers include and a compiler; the same compiler
# version as this package's (g++ 12 on Debian 12), or the build ids differ.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS
    "${CPACK_DEBIAN_PACKAGE_SUGGESTS}, g++, cmake, nlohmann-json3-dev, libspdlog-dev, libboost-dev")

# Runtime dependencies: computed by dpkg-shlibdeps (dpkg-dev) from what the binary and the
# plugins of this build link; without it, the list for a full build on Debian 12.
find_program(SLUICE_DPKG_SHLIBDEPS dpkg-shlibdeps)
find_program(SLUICE_FILE_PROGRAM file)
if(SLUICE_DPKG_SHLIBDEPS AND SLUICE_FILE_PROGRAM)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  message(STATUS "dpkg-shlibdeps or file not found (apt-get install dpkg-dev file): "
                 "the .deb declares the Debian 12 dependency list written in core/packaging.cmake")
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libc6 (>= 2.36), libstdc++6 (>= 12), libgcc-s1, librdkafka1 (>= 2.0), librdkafka++1 (>= 2.0), "
      "libpq5, libsoci-core4.0, libsoci-postgresql4.0, libyaml-cpp0.7, libpistache0, "
      "libspdlog1.10, libfmt9, libsimdjson14, libboost-filesystem1.74.0, libcpp-httplib0.11, libssl3, "
      "libprometheus-cpp-core1.0")
endif()

# /etc/sluice/pipeline.yaml is a conffile (local edits survive upgrades); the maintainer
# scripts reload systemd and stop the service on removal (it is not enabled on install); the
# ldconfig trigger keeps the linker cache current for /usr/lib/libsluice_core.so.*.
set(sluice_deb_control ${CMAKE_BINARY_DIR}/packaging/deb)
file(MAKE_DIRECTORY ${sluice_deb_control})
file(WRITE ${sluice_deb_control}/conffiles "/etc/sluice/pipeline.yaml\n")
# The shlibs file: what a binary linked to libsluice_core (a plugin built with the SDK, then
# packaged) depends on. Exactly this version, since plugins must match the build id. Written
# here rather than by CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS, which warns for every plugin (they
# have no soname, rightly).
get_target_property(sluice_core_soversion sluice_core SOVERSION)
file(WRITE ${sluice_deb_control}/shlibs
     "libsluice_core ${sluice_core_soversion} sluice (= ${SLUICE_DEB_VERSION})\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${sluice_deb_control}/conffiles
    ${sluice_deb_control}/shlibs
    ${CMAKE_SOURCE_DIR}/compose/deb/postinst
    ${CMAKE_SOURCE_DIR}/compose/deb/prerm
    ${CMAKE_SOURCE_DIR}/compose/deb/postrm
    ${CMAKE_SOURCE_DIR}/compose/deb/triggers)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(${CMAKE_CURRENT_LIST_DIR}/debian_docs.cmake)

set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/" "/node_modules/" "/\\\\.run/" "/compose/\\\\.demo/")
include(CPack)
