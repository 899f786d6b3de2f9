// sluice run [FILE]: run a pipeline until its source ends or SIGINT/SIGTERM.
#include <iostream>

#include "pipeline_loading.hpp"
#include "runtime.hpp"
#include "stop_signals.hpp"

namespace sluice::cli {

Command add_run_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("run", "Run a pipeline until its source ends or SIGINT/SIGTERM (graceful: stop "
                                        "fetching, drain in-flight batches, commit, exit 0)");
  auto file = std::make_shared<std::string>();
  cmd->add_option("file", *file, "Pipeline file (default: config/pipeline.yaml)");
  return {cmd, [file, &global]() -> int {
            // Before any plugin thread exists, so every thread inherits the blocked mask; it
            // outlives the Runtime, so a late signal finds its thread still there.
            StopSignals signals;

            auto env = make_environment(global);
            if (!env) return exit_config;
            auto registry = make_registry(global);
            std::filesystem::path path = file->empty() ? default_pipeline_file() : std::filesystem::path(*file);
            auto plan = load_plan(path, *env, registry);
            if (!plan) return exit_config;
            std::unique_ptr<Runtime> runtime;
            try {
              runtime = std::make_unique<Runtime>(*plan);
            } catch (const ValidationError& e) {
              for (const auto& line : e.errors()) std::cerr << "error: " << line << "\n";
              return exit_config;
            }
            // Destroyed before the Runtime: from then on a signal no longer reaches it.
            auto watch = signals.watch([&runtime](const std::string& why) { runtime->request_stop(why); });
            return runtime->run() == 0 ? exit_ok : exit_failure;
          }};
}

}  // namespace sluice::cli
