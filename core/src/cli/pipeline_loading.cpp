#include "pipeline_loading.hpp"

#include <iostream>

#include "paths.hpp"

namespace sluice::cli {

namespace fs = std::filesystem;

std::optional<Environment> make_environment(const GlobalOptions& global) {
  Environment env;
  try {
    if (!global.env_file.empty()) {
      env.load_file(global.env_file);
    } else if (std::error_code ec; fs::exists(".env", ec)) {
      env.load_file(".env");
    }
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return std::nullopt;
  }
  return env;
}

PluginRegistry make_registry(const GlobalOptions& global) {
  return PluginRegistry(plugin_search_path(global.plugin_dirs));
}

fs::path default_pipeline_file() {
  fs::path local = data_path("config/pipeline.yaml");
  std::error_code ec;
  if (fs::exists(local, ec)) return local;
  fs::path installed = (executable_dir() / ".." / "etc" / "sluice" / "pipeline.yaml").lexically_normal();
  if (fs::exists(installed, ec)) return installed;
  return "/etc/sluice/pipeline.yaml";
}

std::optional<PipelinePlan> load_plan(const fs::path& file, const Environment& env, PluginRegistry& registry) {
  try {
    PipelineSpec spec = load_pipeline_file(file, env);
    return plan_pipeline(spec, env, registry);
  } catch (const ValidationError& e) {
    for (const auto& line : e.errors()) std::cerr << "error: " << line << "\n";
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
  }
  return std::nullopt;
}

}  // namespace sluice::cli
