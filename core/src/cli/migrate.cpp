// sluice migrate FILE: apply the schema migrations of the sinks a pipeline names.
#include <iostream>

#include "pipeline_loading.hpp"
#include "runtime.hpp"

namespace sluice::cli {

Command add_migrate_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("migrate",
                                 "Apply the schema migrations of the pipeline's sinks (e.g. postgres) "
                                 "and exit");
  auto file = std::make_shared<std::string>();
  cmd->add_option("file", *file, "Pipeline file (default: config/pipeline.yaml)");
  return {cmd, [file, &global]() -> int {
            auto env = make_environment(global);
            if (!env) return exit_config;
            auto registry = make_registry(global);
            auto plan =
                load_plan(file->empty() ? default_pipeline_file() : std::filesystem::path(*file), *env, registry);
            if (!plan) return exit_config;
            try {
              Runtime runtime(*plan);
              return runtime.migrate() == 0 ? exit_ok : exit_failure;
            } catch (const ValidationError& e) {
              for (const auto& line : e.errors()) std::cerr << "error: " << line << "\n";
              return exit_config;
            }
          }};
}

}  // namespace sluice::cli
