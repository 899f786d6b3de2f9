// Takes one batch through the transforms and sinks, routes rejected records to the dead
// letter sink, and retries transient failures with capped exponential backoff.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "sluice/metrics.hpp"
#include "sluice/status.hpp"
#include "sluice/record.hpp"

namespace sluice {

class Runtime;

class BatchProcessor {
 public:
  enum class Result { done, abandoned, failed };
  explicit BatchProcessor(Runtime& runtime);
  // done: every record is in every sink or in the dead-letter store; the batch may be
  // acknowledged. abandoned: stopping while a sink kept failing; nothing may be acked.
  Result process(Batch& batch);

 private:
  // Calls `write` until ok, retrying transient errors; false when abandoned or failed.
  bool with_retry(const std::string& stage, const std::function<Status()>& write, Result& result);
  void take_rejected(Batch& batch, const Outcome& outcome, const std::string& stage, std::vector<Record>& dead);
  bool write_dead_letters(std::vector<Record>& dead, Result& result);

  Runtime& runtime_;
  Counter& consumed_;
  Counter& stored_;
  Histogram& batch_seconds_;
};

}  // namespace sluice
