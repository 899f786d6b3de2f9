// Loading pipeline text the way `sluice` does, against the build's plugins and the test
// fixture plugins.
#pragma once

#include <string>

#include "pipeline_builder.hpp"

namespace sluice::test {

PluginRegistry test_registry();
// Parses and plans `yaml` (named test.yaml in errors); returns the errors joined by '\n',
// or "" when the pipeline is valid.
std::string pipeline_errors(const std::string& yaml, const Environment& env = {});
PipelinePlan plan_from(const std::string& yaml, PluginRegistry& registry, const Environment& env = {});

}  // namespace sluice::test
