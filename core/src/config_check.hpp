// Checks one stage's `config:` against the keys its plugin declared, and produces the
// canonical JSON the plugin receives (types converted, defaults filled in).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline_file.hpp"
#include "sluice/abi.h"

namespace sluice {

const char* key_type_name(int type);

struct CheckedConfig {
  nlohmann::json values;
  std::map<std::string, Mark> value_marks;  // where each given key's value is
};

// Appends one "file:line:col: message" per problem to `errors`. `stores` are the ids of
// sinks that are stores, for keys of type store/stores.
CheckedConfig check_config(const SpecReader& reader, const StageSpec& stage, const sluice_plugin_descriptor& plugin,
                           const std::vector<std::string>& stores, std::vector<std::string>& errors);

}  // namespace sluice
