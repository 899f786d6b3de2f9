#include "plugin_registry.hpp"

#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <set>

namespace sluice {

namespace fs = std::filesystem;

bool valid_plugin_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

namespace {

// Throws when `path` (a plugin folder or file; links followed) may be written by group or
// others: "chmod go-w" says the fix. A path that cannot be examined is left to the caller.
void refuse_writable_by_others(const fs::path& path, const char* what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) == 0) return;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  throw PluginLoadError(path.string() + ": the plugin " + what + " is writable by " +
                        ((st.st_mode & S_IWOTH) ? "everyone" : "its group") + " (mode " + mode +
                        "), so anyone who can write it could run code inside sluice; refusing to load from it "
                        "(chmod go-w " +
                        path.string() + ")");
}

}  // namespace

PluginRegistry::PluginRegistry(std::vector<fs::path> search_path) : search_path_(std::move(search_path)) {}

// Libraries stay mapped until the registry dies; by then every plugin object is gone.
PluginRegistry::~PluginRegistry() {
  std::error_code ec;
  if (!copies_dir_.empty()) fs::remove_all(copies_dir_, ec);
}

PluginRegistry::FileStamp PluginRegistry::stamp_of(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {static_cast<std::uintmax_t>(st.st_dev), static_cast<std::uintmax_t>(st.st_ino),
          static_cast<std::uintmax_t>(st.st_size),
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

const LoadedPlugin& PluginRegistry::load(const fs::path& path) {
  fs::path key = fs::weakly_canonical(path);
  FileStamp stamp = stamp_of(key);
  auto it = current_.find(key);
  if (it != current_.end() && it->second.stamp == stamp) return *it->second.plugin;
  const LoadedPlugin* plugin;
  if (it == current_.end()) {
    auto library = std::make_unique<boost::dll::shared_library>();
    plugin = &plugins_.emplace_back(load_plugin_library(key, *library));
    libraries_.push_back(std::move(library));
  } else {
    plugin = &load_replacement(key, it->second.plugin->generation + 1);
  }
  current_[key] = {plugin, stamp};
  return *plugin;
}

const LoadedPlugin& PluginRegistry::load_replacement(const fs::path& path, int generation) {
  if (copies_dir_.empty()) {
    std::string pattern = (fs::temp_directory_path() / "sluice-plugins-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw PluginLoadError(path.string() + ": cannot make a folder to load it again");
    copies_dir_ = pattern;
  }
  fs::path copy = copies_dir_ / (path.stem().string() + "." + std::to_string(generation) + ".so");
  std::error_code ec;
  fs::copy_file(path, copy, fs::copy_options::overwrite_existing, ec);
  if (ec) throw PluginLoadError(path.string() + ": cannot copy it to load it again: " + ec.message());
  auto library = std::make_unique<boost::dll::shared_library>();
  LoadedPlugin loaded;
  try {
    loaded = load_plugin_library(path, *library, copy);
  } catch (...) {
    fs::remove(copy, ec);
    throw;
  }
  fs::remove(copy, ec);  // mapped now; nothing else needs the name
  loaded.generation = generation;
  libraries_.push_back(std::move(library));
  return plugins_.emplace_back(loaded);
}

const LoadedPlugin& PluginRegistry::find(const std::string& name, int kind) {
  if (!valid_plugin_name(name)) throw std::out_of_range(name);  // never a path
  for (const auto& dir : search_path_) {
    for (const auto& candidate : {dir / (name + "_" + kind_name(kind) + ".so"), dir / (name + ".so")}) {
      std::error_code ec;
      if (fs::exists(candidate, ec)) {
        refuse_writable_by_others(dir, "folder");
        refuse_writable_by_others(candidate, "file");
        const LoadedPlugin& plugin = load(candidate);
        if (plugin.descriptor->name != name) {
          throw PluginLoadError(candidate.string() + ": file is named '" + name + "' but the plugin calls itself '" +
                                plugin.descriptor->name + "'");
        }
        return plugin;
      }
    }
  }
  for (const LoadedPlugin* plugin : all()) {
    const auto& d = *plugin->descriptor;
    if (d.kind != kind || !d.former_names) continue;
    for (const char* const* former = d.former_names; *former; ++former) {
      if (name == *former) return *plugin;
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
    if (files.empty()) continue;
    try {
      refuse_writable_by_others(dir, "folder");
    } catch (const PluginLoadError& e) {
      if (errors) errors->push_back(e.what());
      continue;
    }
    for (const auto& file : files) {
      // An earlier search dir shadows later ones, as with PATH.
      if (!names.insert(file.stem().string()).second) continue;
      try {
        refuse_writable_by_others(file, "file");
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
