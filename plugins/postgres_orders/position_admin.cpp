#include "position_admin.hpp"

#include <string_view>

namespace sluice::pg {
namespace {

// The two-integer form of advisory locks, the first one derived from the stream: the key
// space of other applications' single-bigint locks stays apart.
constexpr const char* kLockPrefix = "sluice.positions ";

struct Arrays {
  std::string streams;
  std::string partitions;
};

Arrays arrays_of(const std::vector<PartitionKey>& keys) {
  std::vector<std::string_view> streams;
  std::vector<std::int64_t> partitions;
  for (const PartitionKey& k : keys) {
    streams.push_back(k.stream);
    partitions.push_back(k.partition);
  }
  return {text_array_literal(streams), bigint_array_literal(partitions)};
}

}  // namespace

std::string position_lock_key(const std::string& stream_sql, const std::string& partition_sql) {
  return std::string("hashtext('") + kLockPrefix + "' || " + stream_sql + "), " + partition_sql;
}

PositionHolds::PositionHolds(std::string connect_string) : connection_(std::move(connect_string)) {
  // A move holds its locks for milliseconds; waiting longer means something is wrong.
  connection_.set_session_setup("SET lock_timeout = '5s'");
}

void PositionHolds::hold(const std::vector<PartitionKey>& partitions) {
  std::lock_guard lock_held(mutex_);
  std::vector<PartitionKey> fresh;
  for (const PartitionKey& k : partitions) {
    if (held_.insert(k).second) fresh.push_back(k);
  }
  if (fresh.empty() && connection_.is_open()) {
    // Asked again for what it holds (the source checks every few seconds): is the session
    // that holds them still there? A database restart ends it silently.
    try {
      connection_.query("SELECT 1");
      return;
    } catch (const PgError&) {
      connection_.close();
    }
  }
  try {
    if (!connection_.is_open()) {
      // A new (or broken and closed) connection holds nothing yet: take every one again.
      connection_.open();
      lock({held_.begin(), held_.end()});
    } else if (!fresh.empty()) {
      lock(fresh);
    }
  } catch (const PgError&) {
    connection_.close();  // whatever it held went with it; the next hold() takes them all again
    throw;
  }
}

void PositionHolds::lock(const std::vector<PartitionKey>& partitions) {
  if (partitions.empty()) return;
  Arrays a = arrays_of(partitions);
  connection_.query("SELECT pg_advisory_lock_shared(" + position_lock_key("s", "p") +
                        ") FROM unnest($1::text[], $2::integer[]) AS t(s, p)",
                    {{a.streams}, {a.partitions}});
}

void PositionHolds::release(const std::vector<PartitionKey>& partitions) {
  std::lock_guard lock_held(mutex_);
  std::vector<PartitionKey> known;
  for (const PartitionKey& k : partitions) {
    if (held_.erase(k)) known.push_back(k);
  }
  if (known.empty() || !connection_.is_open()) return;
  Arrays a = arrays_of(known);
  try {
    connection_.query("SELECT pg_advisory_unlock_shared(" + position_lock_key("s", "p") +
                          ") FROM unnest($1::text[], $2::integer[]) AS t(s, p)",
                      {{a.streams}, {a.partitions}});
  } catch (const PgError&) {
    connection_.close();  // lets go of everything; the next hold() takes the rest again
  }
}

void PositionHolds::close() {
  std::lock_guard lock_held(mutex_);
  held_.clear();
  connection_.close();
}

std::vector<Position> list_positions(PgConnection& connection, const std::string& stream) {
  Result rows =
      connection.query("SELECT partition, next_offset FROM offsets WHERE stream = $1 ORDER BY partition", {{stream}});
  std::vector<Position> out;
  for (int row = 0; row < PQntuples(rows.get()); ++row) {
    out.push_back({stream, static_cast<std::int32_t>(std::stol(PQgetvalue(rows.get(), row, 0))),
                   std::stoll(PQgetvalue(rows.get(), row, 1))});
  }
  return out;
}

std::vector<PartitionKey> move_positions(PgConnection& connection, const std::vector<Position>& positions) {
  std::vector<PartitionKey> keys;
  std::vector<std::int64_t> offsets;
  for (const Position& p : positions) {
    keys.push_back(p.key());
    offsets.push_back(p.offset);
  }
  Arrays a = arrays_of(keys);
  std::vector<PartitionKey> held;
  connection.exec("BEGIN");
  try {
    Result locks = connection.query("SELECT s, p, pg_try_advisory_xact_lock(" + position_lock_key("s", "p") +
                                        ") FROM unnest($1::text[], $2::integer[]) AS t(s, p) ORDER BY s, p",
                                    {{a.streams}, {a.partitions}});
    for (int row = 0; row < PQntuples(locks.get()); ++row) {
      if (std::string_view(PQgetvalue(locks.get(), row, 2)) != "t") {
        held.push_back(
            {PQgetvalue(locks.get(), row, 0), static_cast<std::int32_t>(std::stol(PQgetvalue(locks.get(), row, 1)))});
      }
    }
    if (!held.empty()) {
      connection.exec("ROLLBACK");
      return held;
    }
    // Unlike a batch's advance (stored_positions.hpp), this one may go backwards: that is
    // what it is for. replayed_below keeps where it stood, so that the writer checks the
    // records read again against the orders stored from them (order_writer.hpp).
    connection.query(
        "INSERT INTO offsets (stream, partition, next_offset)"
        " SELECT s, p, o FROM unnest($1::text[], $2::integer[], $3::bigint[]) AS t(s, p, o)"
        " ON CONFLICT (stream, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now(),"
        " replayed_below = GREATEST(offsets.replayed_below, offsets.next_offset)",
        {{a.streams}, {a.partitions}, {bigint_array_literal(offsets)}});
    connection.exec("COMMIT");
  } catch (...) {
    connection.rollback_quietly();
    throw;
  }
  return held;
}

}  // namespace sluice::pg
