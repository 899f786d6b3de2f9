// Finding plugin libraries by name and kind in the search path (plugin_loader.hpp loads and
// checks each); libraries stay loaded for the life of the registry, which outlives every
// plugin object. A library replaced on disk (a rebuilt .so installed over the old one) is
// loaded again on the next find(), so a reload picks it up while objects of the old one live.
#pragma once

#include <boost/dll/shared_library.hpp>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "plugin_loader.hpp"

namespace sluice {

// [a-z0-9_]+: what a pipeline file may name in `plugin:` (never a path).
bool valid_plugin_name(std::string_view name);

// Plugin folders and files writable by group or others are refused (PluginLoadError naming
// the path): whoever can write there runs code inside sluice. README.md, "Plugins".
class PluginRegistry {
 public:
  explicit PluginRegistry(std::vector<std::filesystem::path> search_path);
  ~PluginRegistry();

  // The plugin called `name` of `kind`: file NAME_KIND.so or NAME.so in the first search
  // dir that has one (so a source and a sink may share a name, like `file`). Throws
  // PluginLoadError when the file is broken, std::out_of_range when there is none. Without such
  // a file, a plugin of `kind` that lists `name` among its former names (renamed; abi.h) is the
  // answer: its descriptor's name then differs from `name`.
  const LoadedPlugin& find(const std::string& name, int kind);
  // Every plugin in the search path; broken files are reported in `errors`.
  std::vector<const LoadedPlugin*> all(std::vector<std::string>* errors = nullptr);
  // "name (kind)" for every loadable plugin, sorted.
  std::vector<std::string> available_names();
  const std::vector<std::filesystem::path>& search_path() const { return search_path_; }

 private:
  // What tells a replaced file from the one loaded: inode, size and modification time.
  struct FileStamp {
    std::uintmax_t device = 0, inode = 0, size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const FileStamp&) const = default;
  };
  struct Current {
    const LoadedPlugin* plugin;
    FileStamp stamp;
  };
  static FileStamp stamp_of(const std::filesystem::path& path);
  const LoadedPlugin& load(const std::filesystem::path& path);
  // dlopen() hands back the library already loaded from a path, so a replaced file is
  // opened through a copy under a fresh name (removed once mapped).
  const LoadedPlugin& load_replacement(const std::filesystem::path& path, int generation);
  std::vector<std::filesystem::path> search_path_;
  std::vector<std::unique_ptr<boost::dll::shared_library>> libraries_;
  std::deque<LoadedPlugin> plugins_;                  // every load; stages point into it, so it never moves
  std::map<std::filesystem::path, Current> current_;  // the newest load of each path
  std::filesystem::path copies_dir_;
};

}  // namespace sluice
