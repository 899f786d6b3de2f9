// What run, validate and migrate share: the environment for ${VAR}, the plugin registry,
// and reading + checking a pipeline file with errors printed for people.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "env.hpp"
#include "pipeline_builder.hpp"
#include "plugin_registry.hpp"

namespace sluice::cli {

// Process environment plus --env-file (must exist) or ./.env (if present).
// Prints the error and returns nullopt on a malformed file.
std::optional<Environment> make_environment(const GlobalOptions& global);
// The env file make_environment reads: --env-file, else ./.env (which may not exist).
std::filesystem::path env_file(const GlobalOptions& global);
PluginRegistry make_registry(const GlobalOptions& global);
// The default pipeline file: ./config/pipeline.yaml, else the installed one.
std::filesystem::path default_pipeline_file();
// Prints every problem as "error: file:line:col: ..." and returns nullopt.
std::optional<PipelinePlan> load_plan(const std::filesystem::path& file, const Environment& env,
                                      PluginRegistry& registry);
// For a reload: reads the environment and the file again and plans them; null with every
// problem ("file:line:col: ...") in `errors`.
std::shared_ptr<const PipelinePlan> reload_plan(const std::filesystem::path& file, const GlobalOptions& global,
                                                PluginRegistry& registry, std::vector<std::string>& errors);

}  // namespace sluice::cli
