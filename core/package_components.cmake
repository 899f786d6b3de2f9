# Which Debian package each installed file lands in (README, "Install and .deb"). Every
# install() rule belongs to a CPack component, one package each (core/packaging.cmake):
#
#   core      sluice           the binary, libsluice_core, the plugins that need no Kafka or
#                              PostgreSQL client, web page, configuration, unit, man page
#   dev       sluice-dev       the plugin SDK (core/sdk): headers, the libsluice_core.so namelink,
#                              lib/cmake/Sluice
#   kafka     sluice-kafka     plugins/kafka* (librdkafka): the kafka plugin and the Kafka tool
#   postgres  sluice-postgres  plugins/postgres* (SOCI, libpq) and the migrations in sql/
#
# A rule, not a list: an install() without COMPONENT is core (CMAKE_INSTALL_DEFAULT_COMPONENT_NAME,
# set here before any install rule exists), and plugins/CMakeLists.txt gives each plugin folder
# the component its name says, for every install rule in that folder and below (the Kafka tool
# in plugins/kafka/tool too). A new plugin folder lands in `sluice` unless its name starts with
# kafka or postgres; tests/packaging fails when `sluice` would then depend on librdkafka, SOCI
# or libpq.
# Included from the top-level CMakeLists.txt before add_subdirectory(core).

set(CMAKE_INSTALL_DEFAULT_COMPONENT_NAME core)

# sluice_plugin_folder_component(FOLDER OUT): OUT (in the caller's scope) is the component of
# plugins/FOLDER.
function(sluice_plugin_folder_component folder out)
  if(folder MATCHES "^kafka(_.*)?$")
    set(${out} kafka PARENT_SCOPE)
  elseif(folder MATCHES "^postgres(_.*)?$")
    set(${out} postgres PARENT_SCOPE)
  else()
    set(${out} core PARENT_SCOPE)
  endif()
endfunction()
