// A plugin's config as the host hands it over: the given `config:` YAML checked against the
// declared keys and completed with their declared defaults (core's check_config, as a
// pipeline file's stage gets it). For config tests that compare what users get with what
// the README states. Link yaml-cpp and sluice_core; needs core/src on the include path.
#pragma once

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "config_check.hpp"
#include "env.hpp"
#include "pipeline_file.hpp"
#include "sluice/abi.h"
#include "sluice/config.hpp"

namespace sluice::test {

// `yaml` is the stage's config mapping ("" for none). Fails the test on a config error;
// see host_config_errors() for those.
inline std::vector<std::string> host_config_errors(std::span<const sluice_config_key> keys, const std::string& yaml,
                                                   nlohmann::json& values, std::vector<std::string> stores = {}) {
  Environment env;
  SpecReader reader("test.yaml", env);
  StageSpec stage;
  stage.role = Role::sink;
  stage.plugin = "under_test";
  stage.id = "under_test";
  if (!yaml.empty()) stage.config = YAML::Load(yaml);
  sluice_plugin_descriptor descriptor{};
  descriptor.name = "under_test";
  descriptor.keys = keys.data();
  descriptor.key_count = keys.size();
  std::vector<std::string> errors;
  values = check_config(reader, stage, descriptor, stores, errors).values;
  return errors;
}

inline Config host_config(std::span<const sluice_config_key> keys, const std::string& yaml = "",
                          std::vector<std::string> stores = {}) {
  nlohmann::json values;
  auto errors = host_config_errors(keys, yaml, values, std::move(stores));
  for (const auto& e : errors) ADD_FAILURE() << e;
  return Config(values);
}

}  // namespace sluice::test
