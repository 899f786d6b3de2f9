#include "plugin_registry.hpp"

#include <algorithm>
#include <set>

namespace sluice {

namespace fs = std::filesystem;

PluginRegistry::PluginRegistry(std::vector<fs::path> search_path) : search_path_(std::move(search_path)) {}

// Libraries stay mapped until the registry dies; by then every plugin object is gone.
PluginRegistry::~PluginRegistry() = default;

const LoadedPlugin& PluginRegistry::load(const fs::path& path) {
  fs::path key = fs::weakly_canonical(path);
  if (auto it = loaded_.find(key); it != loaded_.end()) return it->second;
  auto library = std::make_unique<boost::dll::shared_library>();
  LoadedPlugin plugin = load_plugin_library(key, *library);
  libraries_.push_back(std::move(library));
  return loaded_.emplace(key, plugin).first->second;
}

const LoadedPlugin& PluginRegistry::find(const std::string& name, int kind) {
  for (const auto& dir : search_path_) {
    for (const auto& candidate : {dir / (name + "_" + kind_name(kind) + ".so"), dir / (name + ".so")}) {
      std::error_code ec;
      if (fs::exists(candidate, ec)) {
        const LoadedPlugin& plugin = load(candidate);
        if (plugin.descriptor->name != name) {
          throw PluginLoadError(candidate.string() + ": file is named '" + name + "' but the plugin calls itself '" +
                                plugin.descriptor->name + "'");
        }
        return plugin;
      }
    }
  }
  throw std::out_of_range(name);
}

std::vector<const LoadedPlugin*> PluginRegistry::all(std::vector<std::string>* errors) {
  std::vector<const LoadedPlugin*> out;
  std::set<std::string> names;
  for (const auto& dir : search_path_) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".so") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      // An earlier search dir shadows later ones, as with PATH.
      if (!names.insert(file.stem().string()).second) continue;
      try {
        out.push_back(&load(file));
      } catch (const PluginLoadError& e) {
        if (errors) errors->push_back(e.what());
      }
    }
  }
  return out;
}

std::vector<std::string> PluginRegistry::available_names() {
  std::vector<std::string> names;
  for (const auto* p : all())
    names.push_back(std::string(p->descriptor->name) + " (" + kind_name(p->descriptor->kind) + ")");
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace sluice
