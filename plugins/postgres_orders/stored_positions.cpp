#include "stored_positions.hpp"

#include <algorithm>
#include <map>
#include <string_view>

#include "sluice/replay.hpp"

namespace sluice::pg {
namespace {

// One entry per (stream, partition), the last given winning; sorted, so that every writer
// locks rows in the same order (no deadlock between two writers of the same partitions).
std::map<PartitionKey, std::int64_t> latest(const std::vector<Position>& positions) {
  std::map<PartitionKey, std::int64_t> out;
  for (const Position& p : positions) out[p.key()] = p.offset;
  return out;
}

}  // namespace

void StoredPositions::lock(PgConnection& connection, const Batch& batch) {
  stored_.clear();
  replayed_below_.clear();
  fences_.clear();
  auto rows = latest(batch.positions);
  if (rows.empty()) return;
  std::vector<std::string_view> streams;
  std::vector<std::int64_t> partitions;
  for (const auto& [where, offset] : rows) {
    streams.push_back(where.stream);
    partitions.push_back(where.partition);
  }
  // The no-op DO UPDATE takes the row lock (like SELECT ... FOR UPDATE) and RETURNING reads
  // the stored value, in one round trip; a missing row is inserted at 0 and locked as well,
  // so two first writers of a partition cannot both pass unfenced.
  Result result = connection.query(
      "INSERT INTO offsets AS o (stream, partition, next_offset)"
      " SELECT s, p, 0 FROM unnest($1::text[], $2::integer[]) AS t(s, p) ORDER BY s, p"
      " ON CONFLICT (stream, partition) DO UPDATE SET next_offset = o.next_offset"
      " RETURNING stream, partition, next_offset, replayed_below",
      {{text_array_literal(streams)}, {bigint_array_literal(partitions)}});
  for (int row = 0; row < PQntuples(result.get()); ++row) {
    stored_.push_back({PQgetvalue(result.get(), row, 0),
                       static_cast<std::int32_t>(std::stol(PQgetvalue(result.get(), row, 1))),
                       std::stoll(PQgetvalue(result.get(), row, 2))});
    replayed_below_.push_back(
        {stored_.back().stream, stored_.back().partition, std::stoll(PQgetvalue(result.get(), row, 3))});
  }
  find_fences(batch);
}

std::int64_t StoredPositions::stored(const std::string& stream, std::int32_t partition) const {
  for (const Position& p : stored_) {
    if (p.partition == partition && p.stream == stream) return p.offset;
  }
  return 0;
}

std::int64_t StoredPositions::replayed_below(const std::string& stream, std::int32_t partition) const {
  for (const Position& p : replayed_below_) {
    if (p.partition == partition && p.stream == stream) return p.offset;
  }
  return 0;
}

void StoredPositions::find_fences(const Batch& batch) {
  fences_.clear();
  auto index_of = [&](const std::string& stream, std::int32_t partition) -> std::size_t {
    for (std::size_t i = 0; i < stored_.size(); ++i) {
      if (stored_[i].partition == partition && stored_[i].stream == stream) return i;
    }
    return stored_.size();
  };
  std::vector<char> fenced(stored_.size() + 1, 0);  // the last slot: partitions not stored
  for (std::size_t k = 0; k < batch.records.size(); ++k) {
    const Record& r = batch.records[k];
    if (dead_letter_id(batch, k) != 0) continue;  // see behind()
    std::size_t i = index_of(r.stream, r.partition);
    if (i < stored_.size() && r.offset >= 0 && r.offset < stored_[i].offset) fenced[i] = 1;
  }
  // A batch of only rejected records still carries its position; it may be behind too.
  for (const Position& p : batch.positions) {
    std::size_t i = index_of(p.stream, p.partition);
    if (i < stored_.size() && p.offset <= stored_[i].offset) fenced[i] = 1;
  }
  for (std::size_t i = 0; i < stored_.size(); ++i) {
    if (fenced[i]) fences_.push_back(stored_[i]);
  }
}

std::vector<Position> StoredPositions::advance(PgConnection& connection, const std::vector<Position>& positions) const {
  std::vector<Position> written;
  std::string sql = "INSERT INTO offsets (stream, partition, next_offset) VALUES ";
  std::vector<Param> params;
  for (const auto& [where, offset] : latest(positions)) {
    if (offset <= stored(where.stream, where.partition)) continue;  // fenced: stays where it is
    std::size_t n = params.size();
    if (n) sql += ", ";
    sql += "($" + std::to_string(n + 1) + ", $" + std::to_string(n + 2) + "::integer, $" + std::to_string(n + 3) +
           "::bigint)";
    params.push_back({where.stream});
    params.push_back({std::to_string(where.partition)});
    params.push_back({std::to_string(offset)});
    written.push_back({where.stream, where.partition, offset});
  }
  if (params.empty()) return written;
  // GREATEST as well: a position never moves backwards, whatever the caller knew.
  sql +=
      " ON CONFLICT (stream, partition) DO UPDATE"
      " SET next_offset = GREATEST(offsets.next_offset, EXCLUDED.next_offset), updated_at = now()";
  connection.query(sql, params);
  return written;
}

}  // namespace sluice::pg
