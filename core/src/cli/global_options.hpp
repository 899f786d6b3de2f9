// The options every `sluice` command line may carry before (or, by fallthrough, after) its
// subcommand. Declared here once for the `sluice` binary and for the tools it hands commands
// to (tool_commands.hpp), which get the same command line and must accept the same options.
#pragma once

#include <CLI/CLI.hpp>

#include "commands.hpp"

namespace sluice::cli {

// The top-level description of `sluice --help`.
extern const char* const sluice_description;

// --log-level, --log-format, --plugin-dir, --env-file (into `global`), --version,
// one subcommand required, and fallthrough: `sluice publish --log-format json` works too.
void add_global_options(CLI::App& app, GlobalOptions& global);

}  // namespace sluice::cli
