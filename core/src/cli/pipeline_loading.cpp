#include "pipeline_loading.hpp"

#include "log_setup.hpp"
#include "paths.hpp"

namespace sluice::cli {

namespace fs = std::filesystem;

namespace {

// Throws on a malformed or (when given by --env-file) missing file.
Environment read_environment(const GlobalOptions& global) {
  Environment env;
  if (!global.env_file.empty()) {
    env.load_file(global.env_file);
  } else if (std::error_code ec; fs::exists(".env", ec)) {
    env.load_file(".env");
  }
  return env;
}

// Deprecations and other warnings about the file, one line each.
void warn_each(const std::vector<std::string>& notices) {
  if (notices.empty()) return;
  auto log = make_logger("pipeline");
  for (const auto& notice : notices) log->warn(notice);
}

PipelinePlan plan_file(const fs::path& file, const Environment& env, PluginRegistry& registry) {
  PipelineSpec spec = load_pipeline_file(file, env);
  warn_each(spec.notices);
  PipelinePlan plan = plan_pipeline(std::move(spec), env, registry);
  warn_each(plan.notices);
  return plan;
}

}  // namespace

fs::path env_file(const GlobalOptions& global) { return global.env_file.empty() ? ".env" : global.env_file; }

std::optional<Environment> make_environment(const GlobalOptions& global) {
  try {
    return read_environment(global);
  } catch (const std::exception& e) {
    print_error(e.what());
    return std::nullopt;
  }
}

PluginRegistry make_registry(const GlobalOptions& global) {
  return PluginRegistry(plugin_search_path(global.plugin_dirs));
}

fs::path default_pipeline_file() {
  fs::path local = data_path("config/pipeline.yaml");
  std::error_code ec;
  if (fs::exists(local, ec)) return local;
  auto installed = installed_path("etc/sluice/pipeline.yaml");
  if (installed && fs::exists(*installed, ec)) return *installed;
  return "/etc/sluice/pipeline.yaml";
}

std::optional<PipelinePlan> load_plan(const fs::path& file, const Environment& env, PluginRegistry& registry) {
  try {
    return plan_file(file, env, registry);
  } catch (const ValidationError& e) {
    for (const auto& line : e.errors()) print_error(line);
  } catch (const std::exception& e) {
    print_error(e.what());
  }
  return std::nullopt;
}

std::shared_ptr<const PipelinePlan> reload_plan(const fs::path& file, const GlobalOptions& global,
                                                PluginRegistry& registry, std::vector<std::string>& errors) {
  try {
    Environment env = read_environment(global);
    return std::make_shared<const PipelinePlan>(plan_file(file, env, registry));
  } catch (const ValidationError& e) {
    errors = e.errors();
  } catch (const std::exception& e) {
    errors = {e.what()};
  }
  return nullptr;
}

}  // namespace sluice::cli
