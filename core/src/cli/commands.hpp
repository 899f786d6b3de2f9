// Each `sluice` subcommand lives in its own file and registers itself through one of these
// functions; main.cpp only wires them together.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace sluice::cli {

// Options every subcommand understands.
struct GlobalOptions {
  std::string log_level = "info";
  std::string log_format = "text";       // --log-format / SLUICE_LOG_FORMAT: text or json
  std::vector<std::string> plugin_dirs;  // --plugin-dir, searched before SLUICE_PLUGIN_PATH
  std::string env_file;                  // --env-file, else ./.env if present
};

// Exit codes, documented in the README.
enum ExitCode : int {
  exit_ok = 0,
  exit_failure = 1,  // the command ran and failed (runtime error, delivery failures)
  exit_usage = 2,    // bad command line
  exit_config = 3,   // bad pipeline file or plugin (validation, load errors)
};

struct Command {
  CLI::App* app;
  std::function<int()> run;
};

Command add_run_command(CLI::App& app, const GlobalOptions& global);
Command add_validate_command(CLI::App& app, const GlobalOptions& global);
Command add_plugins_command(CLI::App& app, const GlobalOptions& global);
Command add_schema_command(CLI::App& app, const GlobalOptions& global);
Command add_migrate_command(CLI::App& app, const GlobalOptions& global);
Command add_positions_command(CLI::App& app, const GlobalOptions& global);  // positions_cmd.cpp
Command add_broker_command(CLI::App& app, const GlobalOptions& global);     // the Kafka tool's broker.cpp
Command add_publish_command(CLI::App& app, const GlobalOptions& global);    // the Kafka tool's publish.cpp
// The operator commands talk to a running pipeline's admin API (admin_client.hpp).
Command add_status_command(CLI::App& app, const GlobalOptions& global);        // status_cmd.cpp
Command add_reload_command(CLI::App& app, const GlobalOptions& global);        // status_cmd.cpp
Command add_tap_command(CLI::App& app, const GlobalOptions& global);           // tap_cmd.cpp
Command add_dead_letters_command(CLI::App& app, const GlobalOptions& global);  // dead_letters_cmd.cpp

// A command another executable implements (tool_commands.hpp): run with this process's
// command line (argc, argv) in its place. tool_dispatch.cpp
struct ToolCommand;
Command add_tool_command(CLI::App& app, const ToolCommand& command, int argc, char** argv);

}  // namespace sluice::cli
