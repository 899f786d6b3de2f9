// sluice: one binary for running pipelines and the tools around them.

#include "commands.hpp"
#include "global_options.hpp"
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
      add_positions_command(app, global),
      add_tool_command(app, tool_command("broker"), argc, argv),
      add_tool_command(app, tool_command("publish"), argc, argv),
      add_status_command(app, global),
      add_reload_command(app, global),
      add_tap_command(app, global),
      add_dead_letters_command(app, global),
  };
  return parse_and_run(app, global, commands, argc, argv);
}
