// Loading one plugin library: every descriptor is checked (entry symbol, struct size, ABI
// version, build id) before anything else of the plugin is touched.
#pragma once

#include <boost/dll/shared_library.hpp>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "sluice/abi.h"

namespace sluice {

class PluginLoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LoadedPlugin {
  std::filesystem::path path;
  // A library replaced on disk after it was loaded is loaded again from a private copy
  // (plugin_registry.cpp): 1 for the first load of a path, then 2, 3...
  int generation = 1;
  const sluice_plugin_descriptor* descriptor = nullptr;
};

const char* kind_name(int kind);

// Loads one library and checks its descriptor; throws PluginLoadError naming the file.
// `file` is what is opened; errors and LoadedPlugin::path name `path` (they differ for a copy).
LoadedPlugin load_plugin_library(const std::filesystem::path& path, boost::dll::shared_library& library,
                                 const std::filesystem::path& file = {});

}  // namespace sluice
