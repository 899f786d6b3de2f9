// The outcome of the latest reload (README.md, "Live reload"), for status and for an admin
// reload waiting for its own: the source thread (or the CLI's thread, for a file that did not
// plan) records it, an admin thread waits for a number past the one it saw before asking.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sluice/admin.hpp"

namespace sluice {

class LastReload {
 public:
  // Reload #n ended with `result` (applied, rejected, rolled_back, abandoned); wakes waiters.
  void record(int n, const std::string& result, std::vector<std::string> messages);
  // The outcome of the first reload numbered above `before`, or nothing once `wait` passed,
  // or, while waiters are answered now (below), a report with result "released" and why.
  std::optional<ReloadReport> wait_past(int before, std::chrono::milliseconds wait);
  // The source thread, while it stops APIs (a reload replaced them, or the pipeline stops):
  // an admin thread of theirs that waits for a later reload (or starts to) answers at once
  // with `why`, since that reload cannot run before they stopped, and their stop waits for it.
  void answer_waiters_now(std::string why);
  void let_waiters_wait();
  // {number, result, at_ms, messages}, or null before the first reload.
  nlohmann::json to_json() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable recorded_;
  ReloadReport last_;                      // number 0: none yet
  std::optional<std::string> answer_now_;  // why waiters answer at once, if they do
  std::int64_t at_ms_ = 0;                 // Unix time of the record
};

}  // namespace sluice
