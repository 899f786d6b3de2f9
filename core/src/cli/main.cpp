// sluice: one binary for running pipelines and the tools around them.
#include <iostream>

#include "commands.hpp"
#include "global_options.hpp"
#include "log_setup.hpp"
#include "tool_commands.hpp"

int main(int argc, char** argv) {
  using namespace sluice::cli;
  // Usage lines say `sluice`, not the path it was started by (the man page is built from them).
  CLI::App app{sluice_description, "sluice"};
  GlobalOptions global;
  add_global_options(app, global);

  std::vector<Command> commands = {
      add_run_command(app, global),
      add_validate_command(app, global),
      add_plugins_command(app, global),
      add_schema_command(app, global),
      add_migrate_command(app, global),
      add_tool_command(app, tool_command("broker"), argc, argv),
      add_tool_command(app, tool_command("publish"), argc, argv),
      add_status_command(app, global),
      add_reload_command(app, global),
      add_tap_command(app, global),
      add_dead_letters_command(app, global),
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
