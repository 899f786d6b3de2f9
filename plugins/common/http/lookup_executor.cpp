#include "lookup_executor.hpp"

#include <pthread.h>

#include "sluice/metrics.hpp"

namespace sluice::http {

using Clock = std::chrono::steady_clock;

LookupExecutor::LookupExecutor(Options options, Gauge* depth) : options_(options), depth_(depth) {
  threads_.reserve(static_cast<std::size_t>(options_.threads) + 1);
  for (int i = 0; i < options_.threads; ++i) {
    threads_.emplace_back([this] { work(); });
    ::pthread_setname_np(threads_.back().native_handle(), "sluice-lookup");
  }
  threads_.emplace_back([this] { reap(); });
  ::pthread_setname_np(threads_.back().native_handle(), "sluice-reaper");
}

LookupExecutor::~LookupExecutor() { stop(); }

bool LookupExecutor::submit(std::unique_ptr<LookupJob> job) {
  LookupJob::Refusal refusal;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      refusal = LookupJob::Refusal::stopping;
    } else if (queue_.size() >= options_.queue) {
      refusal = LookupJob::Refusal::queue_full;
    } else {
      job->deadline_ = Clock::now() + options_.timeout;
      const bool was_empty = queue_.empty();
      queue_.push_back(std::move(job));
      publish_depth();
      work_ready_.notify_one();
      // Deadlines only grow along the queue (one timeout for all), so the reaper only needs
      // waking when the front changes.
      if (was_empty) reaper_wake_.notify_one();
      return true;
    }
  }
  job->refuse(refusal);
  return false;
}

void LookupExecutor::stop() {
  std::deque<std::unique_ptr<LookupJob>> refused;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    refused.swap(queue_);
    publish_depth();
  }
  work_ready_.notify_all();
  reaper_wake_.notify_all();
  for (auto& job : refused) job->refuse(LookupJob::Refusal::stopping);
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  std::lock_guard lock(mutex_);
  threads_.clear();
}

std::size_t LookupExecutor::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void LookupExecutor::publish_depth() {
  if (depth_) depth_->set(static_cast<double>(queue_.size()));
}

void LookupExecutor::work() {
  while (true) {
    std::unique_ptr<LookupJob> job;
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
      publish_depth();
    }
    // The reaper may not have got to it yet: a job past its deadline never touches a store.
    if (Clock::now() >= job->deadline_) {
      job->refuse(LookupJob::Refusal::timed_out);
    } else {
      job->run();
    }
  }
}

void LookupExecutor::reap() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (queue_.empty()) {
      reaper_wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      continue;
    }
    const auto due = queue_.front()->deadline_;  // a copy: a worker may take the job meanwhile
    if (Clock::now() < due) {
      reaper_wake_.wait_until(lock, due);
      continue;
    }
    auto job = std::move(queue_.front());
    queue_.pop_front();
    publish_depth();
    lock.unlock();
    job->refuse(LookupJob::Refusal::timed_out);  // sends: never with the lock held
    lock.lock();
  }
}

}  // namespace sluice::http
