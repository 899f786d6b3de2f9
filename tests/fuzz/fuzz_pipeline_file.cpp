// Fuzzes the pipeline-file loader: YAML parsing, ${VAR} expansion, structure checks and
// every plugin's config check. Any input must end in a plan or a PipelineError /
// ValidationError, never a crash, hang or other exception.
#include <dlfcn.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "pipeline_fixture.hpp"
#include "support/process.hpp"

// Plugins are built with coverage counters that libFuzzer registers when a module is loaded.
// The registry unloads a library it refuses (the wrong_abi fixture and friends), and libFuzzer
// would then clear counters in unmapped memory (an ASan "unknown-crash" inside
// TracePC::ClearInlineCounters, not a Sluice bug). Holding one reference to every plugin for
// the life of the process keeps them all mapped.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  for (const auto& dir : {sluice::test::fixture_plugin_dir(),
                          sluice::test::sluice_binary().parent_path() / ".." / "lib" / "sluice" / "plugins"}) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".so") (void)::dlopen(entry.path().c_str(), RTLD_NOW | RTLD_LOCAL);
    }
  }
  return 0;
}

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
