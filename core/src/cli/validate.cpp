// sluice validate FILE: load the plugins a pipeline names and check every config, without
// connecting to anything.
#include <iostream>

#include "pipeline_loading.hpp"
#include "runtime.hpp"

namespace sluice::cli {

Command add_validate_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("validate",
                                 "Check a pipeline file and its plugins' configs; connects to nothing. "
                                 "Exit 0 if valid, 3 with file:line:col errors otherwise");
  auto files = std::make_shared<std::vector<std::string>>();
  cmd->add_option("files", *files, "Pipeline files")->required();
  return {cmd, [files, &global]() -> int {
            auto env = make_environment(global);
            if (!env) return exit_config;
            auto registry = make_registry(global);
            int code = exit_ok;
            for (const auto& file : *files) {
              auto plan = load_plan(file, *env, registry);
              if (!plan) {
                code = exit_config;
                continue;
              }
              // Constructing the plugins runs their own checks; they do no I/O until opened.
              try {
                Runtime runtime(*plan);
              } catch (const ValidationError& e) {
                for (const auto& line : e.errors()) std::cerr << "error: " << line << "\n";
                code = exit_config;
                continue;
              }
              std::cout << file << ": ok (" << plan->spec.name << ": " << plan->source().spec.plugin << " -> "
                        << plan->of(Role::transform).size() << " transform(s) -> " << plan->of(Role::sink).size()
                        << " sink(s))\n";
            }
            return code;
          }};
}

}  // namespace sluice::cli
