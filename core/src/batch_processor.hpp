// Takes batches through the pipeline's stages: the transforms (one stage, when there are
// any), then each sink in order. Routes rejected records to the dead-letter sink and retries
// transient failures with capped exponential backoff. The runtime runs each stage on its own
// thread, so stage k works on batch n while stage k+1 still has batch n-1: validation and the
// cache overlap with the database instead of waiting for it.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "sluice/metrics.hpp"
#include "sluice/status.hpp"
#include "sluice/record.hpp"

namespace sluice {

class PluginInstance;
class Runtime;

class BatchProcessor {
 public:
  enum class Result { done, abandoned, failed };
  explicit BatchProcessor(Runtime& runtime);

  std::size_t stage_count() const { return stages_.size(); }
  // A short name for logs and thread names: "transforms" or the sink's id.
  const std::string& stage_name(std::size_t stage) const { return stages_[stage].name; }

  // Counts the batch as consumed; called once, before its first stage.
  void begin(const Batch& batch);
  // done: the stage holds every remaining record or sent it to the dead-letter store; the
  // batch may go on. abandoned: stopping while the stage kept failing; failed: fatal. After
  // either, neither this batch nor any later one may be acknowledged.
  Result run_stage(std::size_t stage, Batch& batch);
  // Counts the batch as stored after its last stage; `dispatched` is when it left the source.
  void end(const Batch& batch, std::chrono::steady_clock::time_point dispatched);

 private:
  struct Stage {
    std::string name;
    PluginInstance* sink = nullptr;  // null: the transforms stage
  };
  Result run_transforms(Batch& batch);
  Result run_sink(PluginInstance& sink, Batch& batch);
  // Calls `write` until ok, retrying transient errors; false when abandoned (stopping, or
  // batch `sequence` abandoned by a rebalance) or failed.
  bool with_retry(const std::string& stage, std::uint64_t sequence, const std::function<Status()>& write,
                  Result& result);
  void take_rejected(Batch& batch, const Outcome& outcome, const std::string& stage, std::vector<Record>& dead);
  // Drops the records a sink found behind its stored positions (fencing; see Outcome::behind).
  void take_behind(Batch& batch, const Outcome& outcome);
  // Thread-safe: stages on different threads share the one dead-letter sink.
  bool write_dead_letters(std::vector<Record>& dead, std::uint64_t sequence, Result& result);

  Runtime& runtime_;
  std::vector<Stage> stages_;
  std::mutex dead_letter_mutex_;
  Counter& consumed_;
  Counter& stored_;
  Counter& fenced_;
  Histogram& batch_seconds_;
};

}  // namespace sluice
