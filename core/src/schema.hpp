// Descriptions of plugins for people (`sluice plugins`) and editors (`sluice schema`).
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "plugin_registry.hpp"

namespace sluice {

// {name, kind, version, description, path, keys: [{name, type, required, default, doc, secret?}]}
nlohmann::json describe_plugin(const LoadedPlugin& plugin);
// A JSON Schema (draft 2020-12) of the pipeline file that knows every plugin's keys.
nlohmann::json pipeline_schema(const std::vector<const LoadedPlugin*>& plugins);

}  // namespace sluice
