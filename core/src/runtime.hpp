// Runs a planned pipeline: source -> transforms -> sinks (in order) -> dead letters, with
// bounded in-flight batches, in-order acknowledgement and graceful stop (core/README.md, Delivery).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "host_impl.hpp"
#include "pipeline_builder.hpp"

namespace sluice {

class BatchProcessor;

// The readiness entry the runtime keeps for a stage that is opening or retrying. Plugins keep
// entries of their own (the kafka source's "kafka": joining the group); a stage's id can
// equal such a name (a source with no id is called after its plugin), so the runtime's never
// overwrite theirs.
inline std::string stage_health(const std::string& id) { return "stage '" + id + "'"; }

class Runtime {
 public:
  // Creates every plugin object (no I/O yet). Throws ValidationError if one refuses.
  explicit Runtime(const PipelinePlan& plan);
  ~Runtime();

  // Opens everything, moves records until the source ends or a stop is requested, then
  // drains, commits and closes. Returns 0 on a clean end, 1 after a fatal error.
  int run();
  // Thread-safe. The first reason given is logged.
  void request_stop(const std::string& reason);
  // Only opens the sinks' schema step (`sluice migrate`). Returns 0 or 1.
  int migrate();
  SharedState& shared() { return shared_; }

 private:
  friend class BatchProcessor;
  std::unique_ptr<PluginInstance> instantiate(const PlannedStage& stage);
  bool open_with_retry(const std::string& what, const std::function<Status()>& open);
  bool start_apis();
  bool open_sinks();
  void source_loop();
  void dispatch(Batch&& batch);
  // One thread per stage of the BatchProcessor: takes batches in order from its lane, runs
  // the stage and hands each on to the next lane, or acknowledges it after the last stage.
  void stage_loop(std::size_t stage);
  // Hands positions of fully handled batches to the source (source thread only).
  void commit_completed();
  // Source thread, from inside poll()/idle(): waits for every dispatched batch, at most
  // `limit`; past it abandons the rest (abandon_in_flight) and returns false.
  bool drain_in_flight(std::chrono::milliseconds limit);
  // Every batch dispatched so far is dropped at its next stage boundary, unacknowledged.
  void abandon_in_flight();
  // A sink found these partitions stored further than our batches (thread-safe); the source
  // hears of it on its own thread (commit_completed).
  void note_fenced(const std::vector<Position>& stored);
  // True when `sequence` was abandoned by abandon_in_flight() (thread-safe).
  bool discarded(std::uint64_t sequence);
  void finish(bool source_opened);
  void fail(const std::string& message);
  bool interruptible_sleep(std::chrono::milliseconds d);
  // Every 10 s with activity: one line with totals and rates, so a long run is visibly alive.
  void report_progress();
  Status guarded(const std::string& what, const std::function<Status()>& call);

  const PipelinePlan& plan_;
  SharedState shared_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<PluginInstance> source_;
  std::vector<std::unique_ptr<PluginInstance>> transforms_;
  std::vector<std::unique_ptr<PluginInstance>> sinks_;
  std::unique_ptr<PluginInstance> dead_letter_;
  std::vector<std::unique_ptr<PluginInstance>> apis_;
  std::vector<PluginInstance*> started_apis_;
  std::vector<PluginInstance*> opened_sinks_;
  std::unique_ptr<BatchProcessor> processor_;

  // A dispatched batch and when it left the source (for sluice_batch_duration_seconds).
  struct Flight {
    Batch batch;
    std::size_t bytes = 0;
    std::chrono::steady_clock::time_point dispatched;
  };

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::deque<Flight>> lanes_;  // lanes_[k]: batches waiting for stage k
  std::size_t in_flight_ = 0;
  std::size_t in_flight_bytes_ = 0;  // keys and values of the batches in flight
  std::uint64_t next_sequence_ = 1;
  // The first batch a stage abandoned (or failed): it and every later batch stay
  // unacknowledged, since their positions would skip its records. 0: none.
  std::uint64_t abandoned_from_ = 0;
  // Batches up to this sequence were abandoned on a rebalance (drain timed out, or the
  // assignment was lost): dropped unacknowledged at their next stage boundary, while later
  // batches flow on. 0: none.
  std::uint64_t discard_through_ = 0;
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> completed_;
  std::vector<Position> fenced_;  // for Source::fenced, on the source thread
  bool stages_done_ = false;
  bool failed_ = false;
  std::string stop_reason_;
  std::chrono::steady_clock::time_point stop_time_;
  std::chrono::steady_clock::time_point last_report_ = std::chrono::steady_clock::now();
  std::uint64_t reported_consumed_ = 0;
  std::vector<std::thread> stage_threads_;
};

}  // namespace sluice
