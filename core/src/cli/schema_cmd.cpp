// sluice schema: a JSON Schema of the pipeline file, built from the plugins' declared keys.
#include <iostream>

#include "pipeline_loading.hpp"
#include "schema.hpp"

namespace sluice::cli {

Command add_schema_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("schema",
                                 "Print a JSON Schema of the pipeline file for editors (YAML language "
                                 "servers complete and check with it)");
  return {cmd, [&global]() -> int {
            auto registry = make_registry(global);
            std::cout << pipeline_schema(registry.all()).dump(2) << "\n";
            return exit_ok;
          }};
}

}  // namespace sluice::cli
