# Installation extras and the Debian package. Included last from the top-level CMakeLists.txt.
#
#   cmake --install build --prefix /opt/x    # bin/sluice, lib/libsluice_core.so*, lib/sluice/plugins,
#                                            # share/sluice/{web,sql,config,monitoring}, etc/sluice/pipeline.yaml,
#                                            # lib/systemd/system/sluice.service, share/man/man1/sluice.1.gz,
#                                            # and the plugin SDK: include/sluice, lib/cmake/Sluice (core/sdk)
#   (cd build && cpack -G DEB)               # sluice_<version>-1_amd64.deb (/usr/..., /etc/sluice/pipeline.yaml
#                                            # as conffile, /lib/systemd/system/sluice.service),
#                                            # sluice-kafka_..., sluice-postgres_... (below)
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

# ---- Debian packages: cpack -G DEB (from the build folder) -----------------------------------
# One package per install component (core/package_components.cmake; README, "Install and .deb"):
#   sluice           the core: runs a file -> stdout pipeline with no Kafka or PostgreSQL client
#                    library installed; Recommends the two below (the default pipeline needs them)
#   sluice-kafka     Depends: sluice (= this version), librdkafka
#   sluice-postgres  Depends: sluice (= this version), SOCI, libpq
#   sluice-dev       the plugin SDK; Depends: sluice (= this version) and what its headers include
# A plugin must come from the same build as the binary (the build id), hence the exact version.
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
# CPACK_COMPONENTS_ALL stays unset: CPack takes every component some install rule names, so a
# build without the Kafka or PostgreSQL plugins (SLUICE_ONLY_PLUGINS) makes no empty package.
set(CPACK_PACKAGE_NAME sluice)
set(CPACK_PACKAGE_VENDOR "Sluice")
# Whoever builds packages for others sets their own address (-DSLUICE_DEB_MAINTAINER=...). The
# default is a reserved domain that never resolves (.invalid, RFC 2606), not a made-up real one.
set(SLUICE_DEB_MAINTAINER "Sluice maintainers <maintainers@sluice.invalid>" CACHE STRING
    "Maintainer field and changelog signature of the .deb: Name <address>")
set(CPACK_PACKAGE_CONTACT "${SLUICE_DEB_MAINTAINER}")
# No CPACK_PACKAGE_DESCRIPTION_SUMMARY: CPack would put it above every package's description,
# and each package has its own first line. Debian wants the lines under 80 characters.
set(CPACK_DEBIAN_CORE_DESCRIPTION
    "plugin-based stream processor (core)\n"
    "Sluice reads a pipeline file (YAML), loads the plugins it names and moves\n"
    "records from a source through transforms into an ordered list of sinks,\n"
    "with at-least-once delivery. This package runs pipelines of its own plugins\n"
    "(files, stdout, order validation, cache, REST and admin API). The default\n"
    "pipeline (/etc/sluice/pipeline.yaml) consumes orders from Kafka and stores\n"
    "them in PostgreSQL: it needs sluice-kafka and sluice-postgres. Run it with\n"
    "the sluice systemd service after setting /etc/sluice/sluice.env.")
set(CPACK_DEBIAN_KAFKA_DESCRIPTION
    "plugin-based stream processor (Kafka source and tool)\n"
    "The kafka source plugin of Sluice (consumer groups, offsets committed\n"
    "after delivery) and the Kafka tool behind `sluice broker` and\n"
    "`sluice publish`. Links librdkafka.")
set(CPACK_DEBIAN_POSTGRES_DESCRIPTION
    "plugin-based stream processor (PostgreSQL sinks and migrations)\n"
    "The PostgreSQL plugins of Sluice (the order sink with its change feed, and\n"
    "the dead-letter store) and the schema migrations they apply\n"
    "(/usr/share/sluice/sql). Links SOCI and libpq.")
set(CPACK_DEBIAN_DEV_DESCRIPTION
    "plugin-based stream processor (plugin SDK)\n"
    "Headers of the Sluice plugin API, the libsluice_core.so link and the CMake\n"
    "package (find_package(Sluice), sluice_add_plugin) to build plugins outside\n"
    "the Sluice sources, for this very version of sluice.")
foreach(component CORE KAFKA POSTGRES DEV)
  string(REPLACE ";" "" CPACK_DEBIAN_${component}_DESCRIPTION "${CPACK_DEBIAN_${component}_DESCRIPTION}")
endforeach()
set(CPACK_DEBIAN_CORE_PACKAGE_NAME sluice)
set(CPACK_DEBIAN_KAFKA_PACKAGE_NAME sluice-kafka)
set(CPACK_DEBIAN_POSTGRES_PACKAGE_NAME sluice-postgres)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME sluice-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
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
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # <package>_<version>-1_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Recommends, not Depends, and no metapackage: apt installs recommended packages by default, so
# `apt install sluice` from a repository gets the default pipeline's plugins, while a file ->
# stdout host (or one that only runs `sluice status`) can leave Kafka and PostgreSQL out.
set(CPACK_DEBIAN_CORE_PACKAGE_RECOMMENDS
    "sluice-kafka (= ${SLUICE_DEB_VERSION}), sluice-postgres (= ${SLUICE_DEB_VERSION})")
# The plugin SDK (headers, libsluice_core.so, find_package(Sluice)) needs exactly this build's
# library (the build id) and what the headers include and SluiceConfig.cmake finds; building a
# plugin also needs CMake and the same compiler version as this package's (g++ 12 on Debian 12),
# or the build ids differ.
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "g++, cmake")
set(CPACK_DEBIAN_CORE_PACKAGE_SUGGESTS "sluice-dev")
set(CPACK_DEBIAN_KAFKA_PACKAGE_SUGGESTS "kcat")
set(CPACK_DEBIAN_POSTGRES_PACKAGE_SUGGESTS "postgresql (>= 15)")
set(sluice_deb_needs_core "sluice (= ${SLUICE_DEB_VERSION})")
# Their files were in `sluice` before the split: taking them over from an older `sluice` during
# an upgrade needs Replaces (dpkg refuses to overwrite another package's file otherwise), and
# Breaks keeps that older `sluice` from staying installed next to them (Debian policy 7.6.1).
foreach(component KAFKA POSTGRES DEV)
  set(CPACK_DEBIAN_${component}_PACKAGE_REPLACES "sluice (<< ${SLUICE_DEB_VERSION})")
  set(CPACK_DEBIAN_${component}_PACKAGE_BREAKS "sluice (<< ${SLUICE_DEB_VERSION})")
endforeach()

# Runtime dependencies: computed per package by dpkg-shlibdeps (dpkg-dev) from what its binaries
# link; without it, the lists for a full build on Debian 12. libsluice_core is no package's
# library to dpkg-shlibdeps (it is in `sluice`, which the plugin packages name themselves):
# the build tree's copy only lets it follow the plugins' NEEDED entries.
find_program(SLUICE_DPKG_SHLIBDEPS dpkg-shlibdeps)
find_program(SLUICE_FILE_PROGRAM file)
set(CPACK_DEBIAN_KAFKA_PACKAGE_DEPENDS "${sluice_deb_needs_core}")
set(CPACK_DEBIAN_POSTGRES_PACKAGE_DEPENDS "${sluice_deb_needs_core}")
# Holds no binary (the namelink is a symbolic link): nothing for dpkg-shlibdeps.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "${sluice_deb_needs_core}, nlohmann-json3-dev (>= 3.11), libspdlog-dev, libboost-dev (>= 1.74)")
if(SLUICE_DPKG_SHLIBDEPS AND SLUICE_FILE_PROGRAM)
  foreach(component CORE KAFKA POSTGRES)
    set(CPACK_DEBIAN_${component}_PACKAGE_SHLIBDEPS ON)
  endforeach()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_BINARY_DIR}/lib)
else()
  message(STATUS "dpkg-shlibdeps or file not found (apt-get install dpkg-dev file): "
                 "the .debs declare the Debian 12 dependency lists written in core/packaging.cmake")
  set(CPACK_DEBIAN_CORE_PACKAGE_DEPENDS
      "libc6 (>= 2.36), libstdc++6 (>= 12), libgcc-s1, libyaml-cpp0.7, libpistache0, "
      "libspdlog1.10, libfmt9, libsimdjson14, libboost-filesystem1.74.0, libcpp-httplib0.11, libssl3, "
      "libprometheus-cpp-core1.0")
  string(APPEND CPACK_DEBIAN_KAFKA_PACKAGE_DEPENDS
      ", libc6 (>= 2.36), libstdc++6 (>= 12), libgcc-s1, librdkafka1 (>= 2.0), librdkafka++1 (>= 2.0), "
      "libspdlog1.10, libfmt9, libssl3")
  string(APPEND CPACK_DEBIAN_POSTGRES_PACKAGE_DEPENDS
      ", libc6 (>= 2.36), libstdc++6 (>= 12), libgcc-s1, libpq5, libsoci-core4.0, libsoci-postgresql4.0, "
      "libspdlog1.10, libfmt9, libssl3")
  foreach(component CORE KAFKA POSTGRES)
    string(REPLACE ";" "" CPACK_DEBIAN_${component}_PACKAGE_DEPENDS "${CPACK_DEBIAN_${component}_PACKAGE_DEPENDS}")
  endforeach()
endif()

# Only `sluice` has control files: /etc/sluice/pipeline.yaml is its conffile (local edits
# survive upgrades); its maintainer scripts reload systemd and stop the service on removal (it
# is not enabled on install); the ldconfig trigger keeps the linker cache current for
# /usr/lib/libsluice_core.so.*, the one shared library of the packages (plugins are modules,
# loaded by path). The plugin packages ship no configuration, unit or library in the linker's path.
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
set(CPACK_DEBIAN_CORE_PACKAGE_CONTROL_EXTRA
    ${sluice_deb_control}/conffiles
    ${sluice_deb_control}/shlibs
    ${CMAKE_SOURCE_DIR}/compose/deb/postinst
    ${CMAKE_SOURCE_DIR}/compose/deb/prerm
    ${CMAKE_SOURCE_DIR}/compose/deb/postrm
    ${CMAKE_SOURCE_DIR}/compose/deb/triggers)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(${CMAKE_CURRENT_LIST_DIR}/debian_docs.cmake)
# Each package that has files gets its documentation (not a package of its own docs only).
get_cmake_property(sluice_install_components COMPONENTS)
foreach(component IN LISTS sluice_install_components)
  string(TOUPPER ${component} upper)
  if(NOT CPACK_DEBIAN_${upper}_PACKAGE_NAME)
    message(FATAL_ERROR "install component '${component}' has no package: name it in core/packaging.cmake "
                        "(CPACK_DEBIAN_${upper}_PACKAGE_NAME) or install into core, kafka, postgres or dev")
  endif()
  sluice_debian_docs(${component} ${CPACK_DEBIAN_${upper}_PACKAGE_NAME})
endforeach()

set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/" "/node_modules/" "/\\\\.run/" "/compose/\\\\.demo/")
include(CPack)
