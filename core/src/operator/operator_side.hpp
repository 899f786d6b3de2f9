// The operator side of the core (README.md, "Architecture", The operator side): the state
// the runtime publishes for operators, and the Admin (sluice/admin.hpp) that API plugins
// serve over it. The runtime holds one OperatorSide and only publishes to it through the
// calls under "Published by the runtime"; what the status needs from elsewhere (readiness,
// counters, source lag, whether the process is stopping) comes in as OperatorInputs, so the
// whole side runs, and is tested, without a pipeline (tests/core/operator_side_test.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "operator/committed_positions.hpp"
#include "operator/current_dead_letters.hpp"
#include "operator/last_reload.hpp"
#include "operator/plan_view.hpp"
#include "replay_queue.hpp"
#include "sluice/admin.hpp"
#include "sluice/health.hpp"
#include "sluice/metrics.hpp"
#include "tap_hub.hpp"

namespace sluice {

class OperatorAdmin;

// How far the source is behind the end of a partition, where it reports that (records).
using SourceLag = std::function<std::optional<std::int64_t>(const PartitionKey&)>;

struct OperatorInputs {
  // Where the side's own counters go (replays, taps open), and the records counters the
  // status shows (sluice_records_consumed_total, sluice_records_stored_total).
  Metrics& metrics;
  const Health& health;                 // the status's ready / not_ready
  std::function<bool()> stopping;       // the status's "stopping"
  std::function<int()> reloads_so_far;  // numbered reloads begun, applied or not
  SourceLag source_lag;                 // each position's "lag"; empty: none reported
};

class OperatorSide {
 public:
  // A replay request ends within `replay_deadline` (runtime_replay.cpp).
  explicit OperatorSide(OperatorInputs inputs, std::chrono::milliseconds replay_deadline = std::chrono::seconds(90));
  ~OperatorSide();
  OperatorSide(const OperatorSide&) = delete;
  OperatorSide& operator=(const OperatorSide&) = delete;

  // What API plugins serve (Host::admin()); lives as long as this object.
  Admin& admin();

  // --- Published by the runtime ---
  // Source thread, after start and every reload: the running plan (status, tap points).
  void publish_plan(PlanView view);
  // Source thread: the running dead-letter sink's store (nullptr: none that can list).
  void set_dead_letter_store(DeadLetterStore* store);
  // Source thread, a reload: hold the lock returned while destroying the old dead-letter sink.
  [[nodiscard]] std::unique_lock<std::shared_mutex> withdraw_dead_letter_store() { return dead_letters_.withdraw(); }
  // Source thread: positions the source accepted.
  void record_commit(const std::vector<Position>& positions) { committed_.record(positions); }
  // Any thread: reload #n ended with `result`; an admin reload waiting for it answers.
  void record_reload(int n, const std::string& result, std::vector<std::string> messages) {
    last_reload_.record(n, result, std::move(messages));
  }
  // What an admin reload runs (the CLI's re-read of the file); without one it is refused.
  void set_reload_trigger(std::function<void()> trigger);
  // Source thread, at a batch boundary: the replay batches queued for the stage pipeline.
  std::vector<std::pair<Batch, BatchDone>> take_replays() { return replays_.take(); }
  // Replay batches are taken while open (replay_queue.hpp: a reload restarting an API
  // closes it meanwhile, a stop for good).
  void open_replays() { replays_.open(); }
  void close_replays(const std::string& why) { replays_.close(why); }
  // Where the stage pipeline offers batches to live taps; end_taps() ends every open one.
  TapHub& tap_hub() { return taps_; }
  void end_taps() { taps_.end_all(); }

  // --- Read by the Admin (any thread) ---
  const OperatorInputs& inputs() const { return inputs_; }
  nlohmann::json plan_json() const;
  std::vector<std::string> tap_points() const;
  std::map<PartitionKey, std::int64_t> committed() const { return committed_.snapshot(); }
  LastReload& last_reload() { return last_reload_; }
  // What set_reload_trigger() set (empty: this process cannot reload).
  std::function<void()> reload_trigger() const;
  CurrentDeadLetters& dead_letters() { return dead_letters_; }
  ReplayQueue& replays() { return replays_; }

 private:
  OperatorInputs inputs_;
  mutable std::mutex mutex_;  // guards plan_, tap_points_, reload_trigger_
  nlohmann::json plan_;       // to_json(PlanView)
  std::vector<std::string> tap_points_;
  std::function<void()> reload_trigger_;
  CommittedPositions committed_;
  LastReload last_reload_;
  CurrentDeadLetters dead_letters_;
  ReplayQueue replays_;
  TapHub taps_;
  std::unique_ptr<OperatorAdmin> admin_;
};

}  // namespace sluice
