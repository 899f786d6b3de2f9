// sluice-kafka: the `sluice broker` and `sluice publish` commands, which need librdkafka, in
// an executable of their own so the `sluice` binary does not link it. `sluice` runs this tool
// with its own command line (core/src/cli/tool_dispatch.cpp), so it accepts every global
// option `sluice` does and prints `sluice ...` in its usage lines.

#include "commands.hpp"
#include "global_options.hpp"

int main(int argc, char** argv) {
  using namespace sluice::cli;
  CLI::App app{sluice_description, "sluice"};
  GlobalOptions global;
  add_global_options(app, global);
  std::vector<Command> commands = {add_broker_command(app, global), add_publish_command(app, global)};
  return parse_and_run(app, global, commands, argc, argv);
}
