#include "replay_queue.hpp"

#include <algorithm>

namespace sluice {

void ReplayQueue::end(Wait& wait, Batch* batch, bool acknowledged, const std::string& error) {
  {
    std::lock_guard lock(wait.mutex);
    if (batch) wait.batch = std::move(*batch);
    wait.acknowledged = acknowledged;
    wait.error = error;
    wait.done = true;
  }
  wait.ended.notify_all();
}

bool ReplayQueue::run(Batch& batch, Clock::time_point deadline, std::string& error) {
  auto wait = std::make_shared<Wait>();
  {
    std::lock_guard lock(mutex_);
    if (!open_) {
      error = closed_because_;
      return false;
    }
    queued_.push_back({std::move(batch), wait});
  }
  std::unique_lock lock(wait->mutex);
  if (!wait->ended.wait_until(lock, deadline, [&] { return wait->done; })) {
    lock.unlock();
    if (withdraw(wait)) {
      error =
          "the pipeline did not take a replay batch in time (busy with a reload or a slow source); its "
          "letters stay";
      return false;
    }
    lock.lock();
    // Taken meanwhile: the pipeline has it, or has just ended it.
    if (!wait->done) {
      error =
          "a replay batch was not finished in time (a sink keeps retrying?); its letters stay until it is "
          "stored, and a later replay finds what is left";
      return false;
    }
  }
  batch = std::move(wait->batch);
  if (!wait->error.empty()) {
    error = wait->error;
    return false;
  }
  if (!wait->acknowledged) {
    error = "the pipeline abandoned a replay batch (stopping, or a rebalance); its letters stay";
    return false;
  }
  return true;
}

bool ReplayQueue::withdraw(const std::shared_ptr<Wait>& wait) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(queued_.begin(), queued_.end(), [&](const Queued& q) { return q.wait == wait; });
  if (it == queued_.end()) return false;
  queued_.erase(it);
  return true;
}

std::vector<std::pair<Batch, BatchDone>> ReplayQueue::take() {
  // Called on every turn of the source loop: nothing allocated when nothing is queued.
  std::vector<std::pair<Batch, BatchDone>> out;
  std::lock_guard lock(mutex_);
  if (queued_.empty()) return out;
  out.reserve(queued_.size());
  for (Queued& q : queued_) {
    out.emplace_back(std::move(q.batch),
                     [wait = q.wait](Batch& done, bool acknowledged) { end(*wait, &done, acknowledged, {}); });
  }
  queued_.clear();
  return out;
}

void ReplayQueue::close(const std::string& why) {
  std::deque<Queued> failed;
  {
    std::lock_guard lock(mutex_);
    open_ = false;
    closed_because_ = why;
    failed.swap(queued_);
  }
  for (Queued& q : failed) end(*q.wait, &q.batch, false, why);
}

void ReplayQueue::open() {
  std::lock_guard lock(mutex_);
  open_ = true;
}

}  // namespace sluice
