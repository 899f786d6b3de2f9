// Placeholder until the Kafka tools land: weak definitions that a real broker.cpp and
// publish.cpp override at link time.
#include <iostream>

#include "commands.hpp"

namespace sluice::cli {

__attribute__((weak)) Command add_broker_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand("broker", "In-memory Kafka-protocol broker (not built yet)");
  return {cmd, [] { std::cerr << "sluice broker is not available in this build\n"; return 1; }};
}

__attribute__((weak)) Command add_publish_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand("publish", "Publish orders to Kafka (not built yet)");
  return {cmd, [] { std::cerr << "sluice publish is not available in this build\n"; return 1; }};
}

}  // namespace sluice::cli
