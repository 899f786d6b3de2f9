// Runs the lookups that may block (a database query, a read-your-writes wait) off the HTTP
// event loop, on a fixed set of threads with a bounded queue.
//
// Why: Pistache serves every connection of a worker from one event loop, so a lookup that
// blocks on PostgreSQL there stalls /healthz, /metrics and cache hits of every other client
// on that loop. Here the loop hands the job over and moves on; a worker answers it later
// (Pistache queues writes for the loop, so a response may be sent from any thread).
//
// Overload is answered, never queued without bound: a full queue refuses at once, and a job
// still waiting at its deadline is refused by the reaper thread even while every worker is
// stuck in a slow store, so a client hears 503 in lookup_timeout, not whenever a worker frees.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace sluice {
class Gauge;
}

namespace sluice::http {

class LookupJob {
 public:
  enum class Refusal { queue_full, timed_out, stopping };

  virtual ~LookupJob() = default;
  // On a worker thread; must answer the client.
  virtual void run() = 0;
  // Answers the client without touching a store. Called on the submitting thread (queue_full,
  // stopping) or on the reaper or a worker thread (timed_out, stopping).
  virtual void refuse(Refusal why) = 0;

 private:
  friend class LookupExecutor;
  std::chrono::steady_clock::time_point deadline_;
};

class LookupExecutor {
 public:
  struct Options {
    int threads = 8;
    std::size_t queue = 1024;
    std::chrono::milliseconds timeout{2000};
  };

  // `depth`, if given, follows the number of queued (not yet running) jobs.
  LookupExecutor(Options options, Gauge* depth);
  ~LookupExecutor();
  LookupExecutor(const LookupExecutor&) = delete;
  LookupExecutor& operator=(const LookupExecutor&) = delete;

  // Queues the job (its deadline: now + timeout) and returns true; or, when the queue is full
  // or the executor is stopped, calls job->refuse() here and returns false.
  bool submit(std::unique_ptr<LookupJob> job);

  // Refuses every queued job (stopping), waits for the running ones and joins every thread.
  // Later submits are refused. Idempotent.
  void stop();

  std::size_t queued() const;

 private:
  void work();
  void reap();
  void publish_depth();  // with mutex_ held

  Options options_;
  Gauge* depth_;
  mutable std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable reaper_wake_;
  std::deque<std::unique_ptr<LookupJob>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace sluice::http
