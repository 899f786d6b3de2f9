#include "dead_letter_retention.hpp"

#include <string>

namespace sluice::pg {

std::int64_t DeadLetterRetention::prune(PgConnection& connection, std::chrono::steady_clock::time_point now) {
  last_run_ = now;
  std::int64_t pruned = 0;
  if (limits_.max_age_hours > 0) {
    // By last_seen: a letter refused again lately (a failed replay) is not old.
    pruned += affected_rows(
        connection.query("DELETE FROM dead_letters WHERE last_seen < now() - $1::bigint * interval '1 hour'",
                         {{std::to_string(limits_.max_age_hours)}}));
  }
  if (limits_.max_count > 0) {
    // The newest max_count stay: everything at or below the id just past them goes. Walks the
    // primary key backwards max_count + 1 rows, whatever the table's size.
    pruned +=
        affected_rows(connection.query("DELETE FROM dead_letters WHERE id <= "
                                       "(SELECT id FROM dead_letters ORDER BY id DESC OFFSET $1::bigint LIMIT 1)",
                                       {{std::to_string(limits_.max_count)}}));
  }
  return pruned;
}

}  // namespace sluice::pg
