// The stage pipeline: takes each batch from the source through the transforms (one stage,
// when there are any), then each sink in order, one thread per stage, and acknowledges it.
// (core/README.md, Delivery.) stage_pipeline.cpp moves batches; stage_work.cpp does the work.
//
// Ordering and durability rules, all kept here:
//  1. Lanes are FIFO. lanes_[k] holds the batches waiting for stage k in the order the source
//     handed them out, and each stage takes them one at a time, so a later stage only ever
//     holds older batches than an earlier one. Stage k works on batch n while stage k+1 still
//     has batch n-1: validation and the cache overlap with the database.
//  2. Acknowledgements are in order. A batch is acknowledged only after its last stage; then
//     its positions go into completed_ (highest per PartitionKey), which only the source
//     thread takes (take_completed) to commit to the source. By rule 1, when batch n passes
//     the last stage every older batch has passed it too (or was abandoned, see 4).
//  3. Dead letters before later sinks. Records a transform or sink rejects are written to the
//     dead-letter sink (retried like any write) before the batch moves to the next stage.
//     A sink that keeps positions (postgres) commits them with its data, and keeps the letters
//     of what it refuses before that: in the same transaction when it writes into the database
//     the letters live in, else through the dead-letter store (Outcome::route_letters,
//     DeadLetterStore::write_letters, reject_stored); the runtime then only counts and logs
//     those. Without a dead-letter sink every rejected record is still logged, one line each:
//     never silently dropped.
//  4. Abandon by sequence. On a stop (a stage kept failing past the grace period) or a fatal
//     failure, the batch a stage gives up on and every later one stay unacknowledged
//     (abandoned_from_): their positions would skip its records. By rule 1 every batch still
//     before that stage is newer and is skipped, while older ones ahead may still finish. On
//     a rebalance, discard_through(N) drops batches up to N at their next stage boundary,
//     unacknowledged, while later batches (of partitions this instance still owns) flow on.
//     Either way nothing is lost: unacknowledged records are delivered again.
//  5. Fencing. A sink reports records behind the positions it already stores (written by
//     another instance) as Outcome::behind: they are dropped before later sinks, their
//     positions are not committed, and the source hears of it (take_completed's `fenced`).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sluice/backoff.hpp"
#include "sluice/health.hpp"
#include "sluice/metrics.hpp"
#include "sluice/plugin.hpp"
#include "sluice/record.hpp"
#include "sluice/status.hpp"

namespace spdlog {
class logger;
}

namespace sluice {

class PluginInstance;
class TapHub;

// Told once when a batch leaves the pipeline: acknowledged (true; the batch holds the records
// every sink kept) or abandoned (false). Runs on a stage thread, outside the pipeline's lock.
using BatchDone = std::function<void(Batch& batch, bool acknowledged)>;

// The readiness entry kept for a stage that is opening or retrying. Plugins keep entries of
// their own (the kafka source's "kafka": joining the group); a stage's id can equal such a
// name (a source with no id is called after its plugin), so these never overwrite theirs.
inline std::string stage_health(const std::string& id) { return "stage '" + id + "'"; }

// Runs a plugin call; an exception that escapes becomes a fatal status, logged with `what`
// (plugins must report errors as values).
Status guarded(spdlog::logger& log, const std::string& what, const std::function<Status()>& call);

// All the stage pipeline needs from its owner.
struct StageHooks {
  Backoff::Duration retry_initial{100};  // sluice::Backoff settings for transient failures
  Backoff::Duration retry_max{10000};
  // Waits `d` before a retry, or less once `cancelled()` holds; false: give up (stopping past
  // the grace period, failed, or cancelled).
  std::function<bool(std::chrono::milliseconds, const std::function<bool()>& cancelled)> pause;
  // Makes a pause re-check `cancelled` (called after a rebalance discards batches).
  std::function<void()> wake_pause;
  std::function<bool()> stopping;
  // A fatal error: the pipeline stops.
  std::function<void(const std::string&)> fail;
  Metrics& metrics;
  Health& health;
  std::shared_ptr<spdlog::logger> log;
  // Live taps offered the records at each point ("source", each transform and sink id,
  // "dead_letter"); may be null.
  TapHub* taps = nullptr;
};

class StagePipeline {
 public:
  // `sinks` in order; `dead_letter` may be null. The instances outlive the pipeline.
  StagePipeline(std::vector<PluginInstance*> transforms, std::vector<PluginInstance*> sinks,
                PluginInstance* dead_letter, StageHooks hooks);
  // Joins the stage threads (after finish(), they have nothing left); a batch still waiting
  // is told it was abandoned.
  ~StagePipeline();
  StagePipeline(const StagePipeline&) = delete;
  StagePipeline& operator=(const StagePipeline&) = delete;

  // Starts one thread per stage.
  void start();
  // Source thread: hands a batch to the first stage; it gets the next sequence number.
  // `done` (a replay's) hears how it ended.
  void dispatch(Batch&& batch, BatchDone done = {});
  // Waits up to `d` until fewer than `max_batches` batches and `max_bytes` bytes are in flight
  // (one batch is always let through, however large) or stopping; true when there is room.
  bool wait_for_room(std::size_t max_batches, std::size_t max_bytes, std::chrono::milliseconds d);
  std::size_t in_flight();
  // Source thread: the positions acknowledged since the last call (highest per partition),
  // and the positions sinks found stored further than our batches (for Source::fenced).
  void take_completed(std::vector<Position>& positions, std::vector<Position>& fenced);
  // Waits up to `limit` for every dispatched batch; past it abandons the rest (discard) and
  // returns false.
  bool drain(std::chrono::milliseconds limit);
  // Every batch dispatched so far is dropped at its next stage boundary, unacknowledged.
  void discard_in_flight();
  // Waits for every batch in flight to finish or be abandoned, then ends the stage threads.
  void finish();
  // Wakes waiters (a stop was requested).
  void wake();

 private:
  enum class Result { done, abandoned, failed };
  struct Stage {
    std::string name;                // "transforms" or the sink's id (logs, thread names)
    PluginInstance* sink = nullptr;  // null: the transforms stage
  };
  // A dispatched batch and when it left the source (for sluice_batch_duration_seconds).
  struct Flight {
    Batch batch;
    std::size_t bytes = 0;
    std::chrono::steady_clock::time_point dispatched;
    BatchDone done;
  };

  // stage_pipeline.cpp: moving batches.
  void stage_loop(std::size_t stage);
  bool discarded(std::uint64_t sequence);
  void note_fenced(const std::vector<Position>& stored);
  void offer(std::string_view point, const Batch& batch);

  // stage_work.cpp: what each stage does. done: the stage holds every remaining record or
  // sent it to the dead-letter sink; the batch may go on. abandoned: stopping while the
  // stage kept failing, or discarded; failed: fatal.
  Result run_stage(std::size_t stage, Batch& batch);
  Result run_transforms(Batch& batch);
  Result run_sink(PluginInstance& sink, Batch& batch);
  // Calls `write` until ok, retrying transient errors with a Backoff; false when abandoned
  // (stopping, or batch `sequence` discarded by a rebalance) or failed.
  bool with_retry(const std::string& stage, std::uint64_t sequence, const std::function<Status()>& write,
                  Result& result);
  // Moves the records `outcome` rejected from `batch` to `dead` (with their dead-letter ids
  // when `batch` is a replay: sluice/replay.hpp), or to `lettered` those whose letters the
  // sink stored itself (Outcome::reject_stored; null: none may be, all go to `dead`).
  void take_rejected(Batch& batch, const Outcome& outcome, const std::string& stage, Batch& dead, Batch* lettered);
  // Drops the records a sink found behind its stored positions (rule 5).
  void take_behind(Batch& batch, const Outcome& outcome);
  // Counts, logs (one line each) and taps the dead letters of `dead`, wherever they are stored.
  void note_dead_letters(const Batch& dead);
  // Notes `dead` and writes it to the dead-letter sink. Thread-safe: stages on different
  // threads share the one dead-letter sink.
  bool write_dead_letters(Batch& dead, std::uint64_t sequence, Result& result);

  std::vector<PluginInstance*> transforms_;
  PluginInstance* dead_letter_;
  StageHooks hooks_;
  spdlog::logger& log_;
  std::vector<Stage> stages_;
  std::mutex dead_letter_mutex_;
  Counter& consumed_;
  Counter& stored_;
  Counter& fenced_records_;
  Histogram& batch_seconds_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::deque<Flight>> lanes_;  // lanes_[k]: batches waiting for stage k
  std::size_t in_flight_ = 0;
  std::size_t in_flight_bytes_ = 0;  // keys and values of the batches in flight
  std::uint64_t next_sequence_ = 1;
  // The first batch a stage abandoned (or failed): it and every later batch stay
  // unacknowledged (rule 4). 0: none.
  std::uint64_t abandoned_from_ = 0;
  // Batches up to this sequence were discarded on a rebalance. 0: none.
  std::uint64_t discard_through_ = 0;
  std::map<PartitionKey, std::int64_t> completed_;
  std::vector<Position> fenced_;
  bool done_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace sluice
