// Fuzzes the pipeline-file loader: YAML parsing, ${VAR} expansion, structure checks and
// every plugin's config check. Any input must end in a plan or a PipelineError /
// ValidationError, never a crash, hang or other exception.
#include <cstddef>
#include <cstdint>
#include <string>

#include "pipeline_fixture.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static sluice::PluginRegistry registry = sluice::test::test_registry();
  static sluice::Environment env = [] {
    sluice::Environment e;
    e.set_override("SET", "value");
    e.set_override("NUMBER", "12");
    return e;
  }();
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    sluice::test::plan_from(text, registry, env);
  } catch (const sluice::PipelineError&) {
  } catch (const sluice::ValidationError&) {
  }
  return 0;
}
