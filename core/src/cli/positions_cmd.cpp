// sluice positions show | set: the source positions a sink keeps with its data (postgres),
// read and moved without running the pipeline (README.md, "Operating Sluice", Reprocessing).
// Creates the pipeline's source and position-keeping sink (OfflineStages) and asks them:
// the source's stream offsets (sluice/stream_offsets.hpp: partitions, high-water marks,
// offsets of a point in time, the group's committed offsets) and the sink's position store
// (list, move). A move is one transaction that refuses partitions a running source holds.
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "commands.hpp"
#include "offline_stages.hpp"
#include "pipeline_loading.hpp"
#include "point_in_time.hpp"
#include "sluice/position_store.hpp"
#include "sluice/source.hpp"
#include "sluice/stream_offsets.hpp"

namespace sluice::cli {
namespace {

constexpr std::chrono::milliseconds kKafkaTimeout{15000};

struct PositionsArgs {
  std::string file;
  bool json = false;
  // set
  std::optional<std::int64_t> offset;
  bool earliest = false;
  bool latest = false;
  std::string timestamp;
  std::vector<std::int32_t> partitions;
  bool dry_run = false;
};

// Where a partition stands: its range in the stream and its stored position, if any.
struct Standing {
  PartitionRange range;
  std::optional<std::int64_t> stored;
};

std::string where(const std::string& stream, std::int32_t partition) {
  return stream + "[" + std::to_string(partition) + "]";
}

std::string shown(const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : "-"; }

// Loads the plan and creates its source and position store; prints why not and gives the
// exit code when it cannot.
struct Opened {
  // Declared first, so destroyed last: the plugin objects live in its libraries.
  std::unique_ptr<PluginRegistry> registry;
  std::optional<PipelinePlan> plan;
  std::unique_ptr<OfflineStages> stages;
  StreamOffsets* offsets = nullptr;
  PositionStore* store = nullptr;
};

int open_stages(const PositionsArgs& a, const GlobalOptions& global, Opened& o) {
  auto env = make_environment(global);
  if (!env) return exit_config;
  o.registry.reset(new PluginRegistry(make_registry(global)));  // prvalue: no move needed
  o.plan = load_plan(a.file.empty() ? default_pipeline_file() : std::filesystem::path(a.file), *env, *o.registry);
  if (!o.plan) return exit_config;
  try {
    o.stages = std::make_unique<OfflineStages>(*o.plan);
  } catch (const ValidationError& e) {
    for (const auto& line : e.errors()) std::cerr << "error: " << line << "\n";
    return exit_config;
  }
  o.offsets = o.stages->source().stream_offsets();
  o.store = o.stages->positions();
  if (!o.offsets) {
    std::cerr << "error: the source '" << o.stages->source_id() << "' (plugin " << o.plan->source().spec.plugin
              << ") has no offsets to show or set\n";
    return exit_config;
  }
  if (!o.store) {
    std::cerr << "error: no sink of this pipeline keeps source positions (e.g. postgres_orders); the source's own "
                 "offsets are the only ones, and Kafka's tools move those\n";
    return exit_config;
  }
  return exit_ok;
}

// The ranges of every partition with the stored positions; prints why not on failure.
bool read_standings(Opened& o, std::vector<Standing>& out) {
  std::vector<PartitionRange> ranges;
  if (Status s = o.offsets->ranges(ranges, kKafkaTimeout); !s.is_ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return false;
  }
  std::vector<Position> stored;
  if (Status s = o.store->list(o.offsets->stream(), stored); !s.is_ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return false;
  }
  std::map<std::int32_t, std::int64_t> by_partition;
  for (const Position& p : stored) by_partition[p.partition] = p.offset;
  for (const PartitionRange& r : ranges) {
    auto it = by_partition.find(r.partition);
    out.push_back({r, it == by_partition.end() ? std::nullopt : std::optional(it->second)});
  }
  return true;
}

int show(const PositionsArgs& a, const GlobalOptions& global) {
  Opened o;
  if (int code = open_stages(a, global, o)) return code;
  std::vector<Standing> standings;
  if (!read_standings(o, standings)) return exit_failure;
  const std::string stream = o.offsets->stream();
  auto lag = [](const Standing& s) -> std::optional<std::int64_t> {
    if (!s.stored) return std::nullopt;
    return std::max<std::int64_t>(0, s.range.high - *s.stored);
  };
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const Standing& s : standings) {
      out.push_back({{"stream", stream},
                     {"partition", s.range.partition},
                     {"stored", s.stored ? nlohmann::json(*s.stored) : nlohmann::json()},
                     {"low", s.range.low},
                     {"high_water", s.range.high},
                     {"lag", lag(s) ? nlohmann::json(*lag(s)) : nlohmann::json()}});
    }
    std::cout << out.dump(2) << "\n";
    return exit_ok;
  }
  std::cout << std::left << std::setw(20) << "STREAM" << std::setw(11) << "PARTITION" << std::setw(14) << "STORED"
            << std::setw(14) << "HIGH-WATER"
            << "LAG\n";
  for (const Standing& s : standings) {
    std::cout << std::setw(20) << stream << std::setw(11) << s.range.partition << std::setw(14) << shown(s.stored)
              << std::setw(14) << s.range.high << shown(lag(s)) << "\n";
  }
  return exit_ok;
}

// The partitions `set` moves: those named (each must exist), else all.
bool chosen_partitions(const PositionsArgs& a, const std::vector<Standing>& standings, const std::string& stream,
                       std::vector<Standing>& out) {
  if (a.partitions.empty()) {
    out = standings;
    return true;
  }
  std::set<std::int32_t> named(a.partitions.begin(), a.partitions.end());
  for (std::int32_t p : named) {
    auto it =
        std::find_if(standings.begin(), standings.end(), [&](const Standing& s) { return s.range.partition == p; });
    if (it == standings.end()) {
      std::cerr << "error: --partition " << p << ": " << stream << " has partitions 0.." << standings.size() - 1
                << "\n";
      return false;
    }
    out.push_back(*it);
  }
  return true;
}

// Where each chosen partition goes; prints why not (exit code in `code`).
bool targets(const PositionsArgs& a, std::int64_t timestamp_ms, Opened& o, const std::vector<Standing>& chosen,
             std::vector<Position>& out, int& code) {
  const std::string stream = o.offsets->stream();
  if (!a.timestamp.empty()) {
    std::vector<std::int32_t> partitions;
    for (const Standing& s : chosen) partitions.push_back(s.range.partition);
    if (Status s = o.offsets->offsets_at(timestamp_ms, partitions, out, kKafkaTimeout); !s.is_ok()) {
      std::cerr << "error: " << s.message() << "\n";
      code = exit_failure;
      return false;
    }
    return true;
  }
  for (const Standing& s : chosen) {
    std::int64_t to = a.earliest ? s.range.low : a.latest ? s.range.high : *a.offset;
    if (to < s.range.low || to > s.range.high) {
      std::cerr << "error: --offset " << to << " is outside " << where(stream, s.range.partition) << ", which holds "
                << s.range.low << ".." << s.range.high << " (the high-water mark: the next offset to be written)\n";
      code = exit_usage;
      return false;
    }
    out.push_back({stream, s.range.partition, to});
  }
  return true;
}

// The checks that need nothing but the command line: exit_ok, or exit_usage once said why.
int check_set_arguments(const PositionsArgs& a, std::int64_t& timestamp_ms) {
  const int choices = (a.offset ? 1 : 0) + (a.earliest ? 1 : 0) + (a.latest ? 1 : 0) + (a.timestamp.empty() ? 0 : 1);
  if (choices != 1) {
    std::cerr << "error: say where to, once: --offset N, --earliest, --latest or --timestamp T\n";
    return exit_usage;
  }
  if (a.offset && *a.offset < 0) {
    std::cerr << "error: --offset " << *a.offset << ": an offset is 0 or more\n";
    return exit_usage;
  }
  if (!a.timestamp.empty()) {
    auto t = parse_point_in_time(a.timestamp);
    if (!t || *t < 0) {
      std::cerr << "error: --timestamp '" << a.timestamp
                << "': expected RFC 3339 (2026-12-06T14:00:00Z) or milliseconds since 1970\n";
      return exit_usage;
    }
    timestamp_ms = *t;
  }
  for (std::int32_t p : a.partitions) {
    if (p < 0) {
      std::cerr << "error: --partition " << p << ": a partition is 0 or more\n";
      return exit_usage;
    }
  }
  return exit_ok;
}

// Moves the stored positions (one transaction, refused if held), then the group's offsets.
int move_positions(Opened& o, const std::vector<Position>& to) {
  std::vector<PartitionKey> held;
  if (Status s = o.store->move(to, held); !s.is_ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return exit_failure;
  }
  if (!held.empty()) {
    std::cerr << "error: refused, nothing changed: running instances hold";
    for (const PartitionKey& k : held) std::cerr << " " << where(k.stream, k.partition);
    std::cerr << ". Stop every `sluice run` of this pipeline (all instances of the consumer group), run this "
                 "command again, then start them: they resume from the new positions.\n";
    return exit_failure;
  }
  std::cout << "stored positions moved (" << o.stages->positions_id() << ")" << std::endl;
  if (Status s = o.offsets->commit_group(to, kKafkaTimeout); !s.is_ok()) {
    std::cerr << "error: the stored positions moved, but the consumer group's committed offsets did not follow: "
              << s.message() << " (the pipeline resumes from the stored positions and commits them as it goes)\n";
    return exit_failure;
  }
  std::cout << "consumer group's committed offsets set to match\n";
  return exit_ok;
}

int set(const PositionsArgs& a, const GlobalOptions& global) {
  std::int64_t timestamp_ms = 0;
  if (int code = check_set_arguments(a, timestamp_ms)) return code;
  Opened o;
  if (int code = open_stages(a, global, o)) return code;
  std::vector<Standing> standings;
  if (!read_standings(o, standings)) return exit_failure;
  const std::string stream = o.offsets->stream();
  std::vector<Standing> chosen;
  if (!chosen_partitions(a, standings, stream, chosen)) return exit_usage;
  std::vector<Position> to;
  int code = exit_ok;
  if (!targets(a, timestamp_ms, o, chosen, to, code)) return code;
  for (std::size_t i = 0; i < to.size(); ++i) {
    std::cout << where(stream, to[i].partition) << ": " << shown(chosen[i].stored) << " -> " << to[i].offset << "\n";
  }
  std::cout << std::flush;  // before any error line: a terminal shows them in this order
  if (a.dry_run) {
    std::cout << "dry run: nothing changed\n";
    return exit_ok;
  }
  return move_positions(o, to);
}

}  // namespace

Command add_positions_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("positions",
                                 "Show or move the source positions a sink keeps with its data (postgres), "
                                 "to reprocess from a point in time; instances must be stopped to move them");
  cmd->require_subcommand(1);
  auto args = std::make_shared<PositionsArgs>();

  auto* show_cmd = cmd->add_subcommand("show", "Per partition: stored position, high-water mark, lag");
  show_cmd->add_option("file", args->file, "Pipeline file (default: config/pipeline.yaml)");
  show_cmd->add_flag("--json", args->json, "JSON instead of a table");

  auto* set_cmd = cmd->add_subcommand("set",
                                      "Move the stored positions (and the consumer group's committed offsets) of "
                                      "all or some partitions, in one transaction");
  set_cmd->add_option("file", args->file, "Pipeline file (default: config/pipeline.yaml)");
  set_cmd->add_option("--offset", args->offset, "This offset in every chosen partition");
  set_cmd->add_flag("--earliest", args->earliest, "The first offset the stream still holds");
  set_cmd->add_flag("--latest", args->latest, "The end (the high-water mark): skip everything there is");
  set_cmd->add_option("--timestamp", args->timestamp,
                      "The first record at or after this time: RFC 3339 (2026-12-06T14:00:00Z) or Unix ms; "
                      "a time beyond the end means the end");
  set_cmd->add_option("--partition", args->partitions, "Only this partition (repeatable; default: all)");
  set_cmd->add_flag("--dry-run", args->dry_run, "Print old -> new per partition and change nothing");

  return {cmd, [args, show_cmd, set_cmd, &global]() -> int {
            if (show_cmd->parsed()) return show(*args, global);
            if (set_cmd->parsed()) return set(*args, global);
            return exit_usage;
          }};
}

}  // namespace sluice::cli
