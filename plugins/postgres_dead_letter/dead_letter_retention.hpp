// Retention of the dead_letters table (postgres_dead_letter's max_age_hours and max_count):
// without it a flood of bad input grows the table without bound. Prunes the oldest letters
// (lowest ids) beyond the limits; the sink runs it at open() and then at most once a minute
// after a write, on its own connection, outside the write's transaction (a pruning failure
// never fails a write that is already committed).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "pg_connection.hpp"

namespace sluice::pg {

struct RetentionLimits {
  std::int64_t max_age_hours = 0;  // 0: keep forever
  std::int64_t max_count = 0;      // 0: unlimited
  bool any() const { return max_age_hours > 0 || max_count > 0; }
};

class DeadLetterRetention {
 public:
  static constexpr std::chrono::seconds interval{60};

  explicit DeadLetterRetention(RetentionLimits limits) : limits_(limits) {}

  bool enabled() const { return limits_.any(); }
  // True when pruning is enabled and the last run is `interval` ago (or there was none).
  bool due(std::chrono::steady_clock::time_point now) const {
    return enabled() && (!last_run_ || now - *last_run_ >= interval);
  }
  // Deletes the letters beyond the limits; returns how many. Marks the run even when it
  // throws (PgError), so a failing database is not asked again on every batch.
  std::int64_t prune(PgConnection& connection, std::chrono::steady_clock::time_point now);

 private:
  RetentionLimits limits_;
  std::optional<std::chrono::steady_clock::time_point> last_run_;
};

}  // namespace sluice::pg
