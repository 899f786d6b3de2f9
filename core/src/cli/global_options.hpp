// The options every `sluice` command line may carry before (or, by fallthrough, after) its
// subcommand. Declared here once for the `sluice` binary and for the tools it hands commands
// to (tool_commands.hpp), which get the same command line and must accept the same options.
#pragma once

#include <CLI/CLI.hpp>
#include <vector>

#include "commands.hpp"

namespace sluice::cli {

// The top-level description of `sluice --help`.
extern const char* const sluice_description;

// --log-level, --log-format, --plugin-dir, --env-file (into `global`), --version,
// one subcommand required, and fallthrough: `sluice publish --log-format json` works too.
void add_global_options(CLI::App& app, GlobalOptions& global);

// Parses the command line, sets up the log as the global options say and runs the one
// subcommand given; returns the exit code. A command's setup error (a std::runtime_error: no
// admin token, a bad URL) is one line and exit 2, never a trace.
int parse_and_run(CLI::App& app, const GlobalOptions& global, const std::vector<Command>& commands, int argc,
                  char** argv);

}  // namespace sluice::cli
