// The `file` source's and sink's configuration: settings structs whose member initializers are
// the keys' defaults, and the config maps (sluice/config_map.hpp) that declare the keys from
// them. Header-only, so tests read the same tables the plugins declare.
#pragma once

#include <optional>
#include <string>

#include "sluice/config_map.hpp"

namespace sluice::file_plugin {

struct FileSourceSettings {
  std::string path;                          // required; "-" is stdin
  std::optional<std::string> position_file;  // none: nothing kept, every run starts at line 0
  bool follow = false;
  std::optional<std::string> stream;     // none: the file name ("stdin" for "-")
  std::optional<std::string> key_field;  // none: records have no key
};

inline const ConfigMap<FileSourceSettings>& file_source_config_map() {
  using S = FileSourceSettings;
  static const ConfigMap<S> map{
      key("path", &S::path, "File to read; '-' reads stdin").required(),
      key("position_file", &S::position_file,
          "Where to keep the number of lines every sink accepted; a restart resumes after them"),
      key("follow", &S::follow, "At the end of the file, wait for more lines instead of ending the run"),
      key("stream", &S::stream, "Stream name given to records (default: the file name)"),
      key("key_field", &S::key_field,
          "Top-level JSON member whose string value becomes the record key, as a producer keys orders by "
          "order_uid (default: no key)"),
  };
  return map;
}

struct FileSinkSettings {
  std::string path;  // required
  std::string format = "value";
  bool fsync = true;
};

inline const ConfigMap<FileSinkSettings>& file_sink_config_map() {
  using S = FileSinkSettings;
  static const ConfigMap<S> map{
      key("path", &S::path, "File to append to (created if missing)").required(),
      key("format", &S::format,
          "'value' writes the record as is; 'json' writes {key, value, stream, partition, offset, rejection}"),
      key("fsync", &S::fsync, "fsync after every batch (durable before the source commits)"),
  };
  return map;
}

}  // namespace sluice::file_plugin
