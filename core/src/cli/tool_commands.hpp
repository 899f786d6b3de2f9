// Subcommands of `sluice` that another executable implements, as git's `git foo` runs
// git-foo: the Kafka tooling (broker, publish) lives with the kafka plugin, so the `sluice`
// binary and libsluice_core never link librdkafka (README, CLI). The `sluice` binary lists
// these commands in its --help and runs the tool in their place (tool_dispatch.cpp); the tool
// declares them with the same summaries.
#pragma once

#include <string_view>

namespace sluice::cli {

struct ToolCommand {
  std::string_view name;     // the subcommand: `sluice <name> ...`
  std::string_view tool;     // the executable in lib/sluice/libexec that implements it
  std::string_view missing;  // what the build lacks when the tool is absent
  std::string_view summary;  // the one-paragraph description --help shows
};

inline constexpr std::string_view kafka_tool = "sluice-kafka";
inline constexpr std::string_view no_kafka_tool =
    "no Kafka tool here (install the sluice-kafka package, or build with the kafka plugin)";

inline constexpr ToolCommand tool_commands[] = {
    {"broker", kafka_tool, no_kafka_tool,
     "Run an in-memory Kafka-protocol cluster (librdkafka mock) for demos and tests; prints its bootstrap "
     "address as the first stdout line and runs until SIGINT/SIGTERM. Not durable, ~5 MiB kept per "
     "partition: use real Kafka in production. SIGUSR1 takes all brokers down, SIGUSR2 brings them up, "
     "SIGHUP makes the next 10 OffsetCommit requests fail (timeouts, coordinator and group errors)."},
    {"publish", kafka_tool, no_kafka_tool,
     "Publish orders to Kafka: the built-in sample, an NDJSON file, or N generated distinct orders. Prints "
     "each delivered message's position (topic/partition@offset, the token GET /order accepts in "
     "Sluice-Min-Position) on stdout, one a line; progress and the summary on stderr. Exits 1 if any failed."},
};

// The entry of `name` in tool_commands (a name not in the table is a programming error: it throws).
const ToolCommand& tool_command(std::string_view name);

}  // namespace sluice::cli
