// sluice-kafka: the `sluice broker` and `sluice publish` commands, which need librdkafka, in
// an executable of their own so the `sluice` binary does not link it. `sluice` runs this tool
// with its own command line (core/src/cli/tool_dispatch.cpp), so it accepts every global
// option `sluice` does and prints `sluice ...` in its usage lines.
#include <iostream>

#include "commands.hpp"
#include "global_options.hpp"
#include "log_setup.hpp"

int main(int argc, char** argv) {
  using namespace sluice::cli;
  CLI::App app{sluice_description, "sluice"};
  GlobalOptions global;
  add_global_options(app, global);
  std::vector<Command> commands = {add_broker_command(app, global), add_publish_command(app, global)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? exit_ok : exit_usage;
  }
  sluice::set_log_level(global.log_level);
  sluice::set_log_format(global.log_format);
  for (const auto& c : commands) {
    if (c.app->parsed()) return c.run();
  }
  return exit_usage;
}
