// The `stdout` sink's configuration: a settings struct whose member initializers are the keys'
// defaults, and the config map (sluice/config_map.hpp) that declares the keys from it.
// Header-only, so tests read the same table the plugin declares.
#pragma once

#include <string>

#include "sluice/config_map.hpp"

namespace sluice::stdout_plugin {

struct StdoutSettings {
  std::string format = "value";
};

inline const ConfigMap<StdoutSettings>& stdout_config_map() {
  using S = StdoutSettings;
  static const ConfigMap<S> map{
      key("format", &S::format,
          "'value' prints the record as is; 'json' prints {key, value, stream, partition, offset, rejection}"),
  };
  return map;
}

}  // namespace sluice::stdout_plugin
