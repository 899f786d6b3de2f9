// Replay batches on their way from an admin thread to the source thread (runtime_replay.cpp),
// which hands them to the stage pipeline at a batch boundary. An admin thread waiting here
// must never hold up the source thread, nor wait forever (README, "Operating Sluice", Replay):
//  - a reload that is about to stop an API closes the queue first: the batches queued fail at
//    once and new ones are refused until it opens again, so the API's threads end and the
//    stop that joins them returns;
//  - a stop closes it for good;
//  - every wait has a deadline; past it a batch still queued is taken back (it never runs),
//    and one already in the pipeline is left to finish there (sinks upsert, and a letter is
//    retired only once its record is stored), the caller told either way.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "stage_pipeline.hpp"

namespace sluice {

class ReplayQueue {
 public:
  using Clock = std::chrono::steady_clock;

  // Admin thread: queues `batch` and waits until the pipeline is done with it (true: `batch`
  // then holds the records every sink kept), or false with `error` set: refused (closed),
  // failed by a close while queued, abandoned by the pipeline, or `deadline` passed.
  bool run(Batch& batch, Clock::time_point deadline, std::string& error);
  // Source thread: the batches queued, each with what the pipeline calls when it ends it.
  std::vector<std::pair<Batch, BatchDone>> take();
  // Thread-safe. Refuses new batches with `why` and fails those queued with it.
  void close(const std::string& why);
  // Thread-safe. Takes batches again (after start, and after a reload).
  void open();

 private:
  // One batch's end, shared with the pipeline's callback, which may come after the waiter
  // gave up.
  struct Wait {
    std::mutex mutex;
    std::condition_variable ended;
    bool done = false;
    bool acknowledged = false;
    std::string error;  // set when it never reached the pipeline
    Batch batch;
  };
  struct Queued {
    Batch batch;
    std::shared_ptr<Wait> wait;
  };
  static void end(Wait& wait, Batch* batch, bool acknowledged, const std::string& error);
  // True when `wait`'s batch was still queued and is now taken back.
  bool withdraw(const std::shared_ptr<Wait>& wait);

  std::mutex mutex_;
  bool open_ = false;
  std::string closed_because_ = "the pipeline is not running yet";
  std::deque<Queued> queued_;
};

}  // namespace sluice
