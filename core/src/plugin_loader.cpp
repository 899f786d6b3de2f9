#include "plugin_loader.hpp"

#include <dlfcn.h>

#include <fstream>

#include "sluice/version.hpp"

namespace sluice {

namespace fs = std::filesystem;

const char* kind_name(int kind) {
  switch (kind) {
    case sluice_kind_source:
      return "source";
    case sluice_kind_transform:
      return "transform";
    case sluice_kind_sink:
      return "sink";
    case sluice_kind_api:
      return "api";
    default:
      return "unknown kind";
  }
}

namespace {

bool is_elf(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}

// Boost.DLL reports a failed load as an error code only; dlopen's own text says which
// symbol or dependency is missing, so ask it again for the message.
std::string dlopen_reason(const fs::path& path) {
  dlerror();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle) {
    dlclose(handle);
    return "unknown reason";
  }
  const char* reason = dlerror();
  return reason ? reason : "unknown reason";
}

}  // namespace

LoadedPlugin load_plugin_library(const fs::path& path, boost::dll::shared_library& library, const fs::path& file) {
  const fs::path& opened = file.empty() ? path : file;
  const std::string where = path.string() + ": ";
  std::error_code exists_ec;
  if (!fs::exists(opened, exists_ec)) throw PluginLoadError(where + "no such file");
  if (!is_elf(opened)) throw PluginLoadError(where + "not a plugin: the file is not an ELF shared library");

  boost::dll::fs::error_code ec;
  library.load(boost::dll::fs::path(opened.string()),
               boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec) throw PluginLoadError(where + "cannot load: " + dlopen_reason(opened));
  if (!library.has(SLUICE_ENTRY_SYMBOL)) {
    throw PluginLoadError(where + "not a sluice plugin: entry symbol '" SLUICE_ENTRY_SYMBOL
                                  "' not found (declare the plugin with SLUICE_PLUGIN)");
  }
  auto entry = library.get<const sluice_plugin_descriptor*()>(SLUICE_ENTRY_SYMBOL);
  const sluice_plugin_descriptor* d = entry();
  if (d == nullptr) throw PluginLoadError(where + "entry symbol returned no descriptor");

  const std::string host_versions =
      "this sluice " SLUICE_VERSION_STRING " has ABI version " + std::to_string(SLUICE_ABI_VERSION);
  if (d->abi_version != SLUICE_ABI_VERSION) {
    throw PluginLoadError(where + "plugin ABI version " + std::to_string(d->abi_version) + ", but " + host_versions +
                          "; rebuild the plugin against this sluice");
  }
  if (d->struct_size != sizeof(sluice_plugin_descriptor)) {
    throw PluginLoadError(where + "plugin descriptor is " + std::to_string(d->struct_size) + " bytes, but " +
                          host_versions + " with " + std::to_string(sizeof(sluice_plugin_descriptor)) +
                          "-byte descriptors; rebuild the plugin against this sluice");
  }
  if (d->build_id == nullptr || std::string(d->build_id) != SLUICE_BUILD_ID) {
    throw PluginLoadError(where + "plugin built as '" + (d->build_id ? d->build_id : "?") +
                          "', but this sluice is '" SLUICE_BUILD_ID
                          "'; C++ objects cannot cross between them: rebuild the plugin with this tree");
  }
  if (d->name == nullptr || d->create == nullptr || d->destroy == nullptr || (d->keys == nullptr && d->key_count)) {
    throw PluginLoadError(where + "plugin descriptor is incomplete (name, create and destroy are required)");
  }
  if (d->kind < sluice_kind_source || d->kind > sluice_kind_api) {
    throw PluginLoadError(where + "plugin declares unknown kind " + std::to_string(d->kind));
  }
  return {path, 1, d};
}

}  // namespace sluice
