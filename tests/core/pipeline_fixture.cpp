#include "pipeline_fixture.hpp"

#include "support/process.hpp"

namespace sluice::test {

PluginRegistry test_registry() {
  return PluginRegistry({fixture_plugin_dir(), sluice_binary().parent_path() / ".." / "lib" / "sluice" / "plugins"});
}

PipelinePlan plan_from(const std::string& yaml, PluginRegistry& registry, const Environment& env) {
  return plan_pipeline(parse_pipeline(yaml, "test.yaml", env), env, registry);
}

std::string pipeline_errors(const std::string& yaml, const Environment& env) {
  auto registry = test_registry();
  try {
    plan_from(yaml, registry, env);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace sluice::test
