// sluice: one binary for running pipelines and the tools around them.
#include <iostream>

#include "commands.hpp"
#include "log_setup.hpp"
#include "sluice/abi.h"
#include "sluice/version.hpp"

int main(int argc, char** argv) {
  using namespace sluice::cli;
  CLI::App app{"Sluice " SLUICE_VERSION_STRING
               ": a plugin-based stream processor. A pipeline file (YAML) names a source, transforms, sinks, "
               "a dead-letter sink and API front ends, each a plugin.\n\nExit codes: 0 success, 1 the command "
               "failed while running, 2 bad command line, 3 bad pipeline file or plugin.",
               // Usage lines say `sluice`, not the path it was started by (the man page is built from them).
               "sluice"};
  app.set_version_flag("--version", "sluice " SLUICE_VERSION_STRING " (plugin ABI " +
                                        std::to_string(SLUICE_ABI_VERSION) + ", " SLUICE_BUILD_ID ")");
  GlobalOptions global;
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

  std::vector<Command> commands = {
      add_run_command(app, global),     add_validate_command(app, global), add_plugins_command(app, global),
      add_schema_command(app, global),  add_migrate_command(app, global),  add_broker_command(app, global),
      add_publish_command(app, global), add_status_command(app, global),  add_reload_command(app, global),
      add_tap_command(app, global),     add_dead_letters_command(app, global),
  };
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
      // The operator commands' setup errors (no admin token, a bad URL): one line, no trace.
      std::cerr << "error: " << e.what() << "\n";
      return exit_usage;
    }
  }
  return exit_usage;
}
