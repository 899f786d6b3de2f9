#include "global_options.hpp"

#include <iostream>
#include <stdexcept>
#include <string>

#include "log_setup.hpp"
#include "sluice/abi.h"
#include "sluice/version.hpp"

namespace sluice::cli {

const char* const sluice_description =
    "Sluice " SLUICE_VERSION_STRING
    ": a plugin-based stream processor. A pipeline file (YAML) names a source, transforms, sinks, "
    "a dead-letter sink and API front ends, each a plugin.\n\nExit codes: 0 success, 1 the command "
    "failed while running, 2 bad command line, 3 bad pipeline file or plugin.";

void add_global_options(CLI::App& app, GlobalOptions& global) {
  app.set_version_flag("--version", "sluice " SLUICE_VERSION_STRING " (plugin ABI " +
                                        std::to_string(SLUICE_ABI_VERSION) + ", " SLUICE_BUILD_ID ")");
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_option("--log-format", global.log_format,
                 "text (a line for a person) or json (one object per line with time, level, component, "
                 "message and fields such as partition, offset, order_uid, reason)")
      ->envname("SLUICE_LOG_FORMAT")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  // One value per --plugin-dir: a vector option otherwise takes every word after it, so
  // `sluice validate --plugin-dir DIR FILE` would swallow FILE.
  app.add_option("--plugin-dir", global.plugin_dirs,
                 "Folder to search for plugins first (repeat the option for more); then SLUICE_PLUGIN_PATH, "
                 "then the plugins next to this binary")
      ->allow_extra_args(false);
  app.add_option("--env-file", global.env_file,
                 "KEY=VALUE file for ${VAR} in pipeline files (default: ./.env if present); the process "
                 "environment wins");
  app.require_subcommand(1);
  app.fallthrough();
}

int parse_and_run(CLI::App& app, const GlobalOptions& global, const std::vector<Command>& commands, int argc,
                  char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? exit_ok : exit_usage;
  }
  sluice::set_log_level(global.log_level);
  sluice::set_log_format(global.log_format);
  for (const auto& c : commands) {
    if (!c.app->parsed()) continue;
    try {
      return c.run();
    } catch (const std::runtime_error& e) {
      std::cerr << "error: " << e.what() << "\n";
      return exit_usage;
    }
  }
  return exit_usage;
}

}  // namespace sluice::cli
