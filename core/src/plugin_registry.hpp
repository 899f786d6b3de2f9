// Finding plugin libraries by name and kind in the search path (plugin_loader.hpp loads and
// checks each); libraries stay loaded for the life of the registry, which outlives every
// plugin object.
#pragma once

#include <boost/dll/shared_library.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "plugin_loader.hpp"

namespace sluice {

class PluginRegistry {
 public:
  explicit PluginRegistry(std::vector<std::filesystem::path> search_path);
  ~PluginRegistry();

  // The plugin called `name` of `kind`: file NAME_KIND.so or NAME.so in the first search
  // dir that has one (so a source and a sink may share a name, like `file`). Throws
  // PluginLoadError when the file is broken, std::out_of_range when there is none.
  const LoadedPlugin& find(const std::string& name, int kind);
  // Every plugin in the search path; broken files are reported in `errors`.
  std::vector<const LoadedPlugin*> all(std::vector<std::string>* errors = nullptr);
  // "name (kind)" for every loadable plugin, sorted.
  std::vector<std::string> available_names();
  const std::vector<std::filesystem::path>& search_path() const { return search_path_; }

 private:
  const LoadedPlugin& load(const std::filesystem::path& path);
  std::vector<std::filesystem::path> search_path_;
  std::vector<std::unique_ptr<boost::dll::shared_library>> libraries_;
  std::map<std::filesystem::path, LoadedPlugin> loaded_;
};

}  // namespace sluice
