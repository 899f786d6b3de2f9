#include "stored_positions.hpp"

#include <algorithm>
#include <map>
#include <string_view>

namespace sluice::pg {
namespace {

// One entry per (stream, partition), the last given winning; sorted, so that every writer
// locks rows in the same order (no deadlock between two writers of the same partitions).
std::map<std::pair<std::string, std::int32_t>, std::int64_t> latest(const std::vector<Position>& positions) {
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> out;
  for (const Position& p : positions) out[{p.stream, p.partition}] = p.offset;
  return out;
}

std::string int_array_literal(const std::vector<std::int64_t>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(values[i]);
  }
  return out + "}";
}

}  // namespace

void StoredPositions::lock(PgConnection& connection, const std::vector<Position>& positions) {
  stored_.clear();
  auto rows = latest(positions);
  if (rows.empty()) return;
  std::vector<std::string_view> streams;
  std::vector<std::int64_t> partitions;
  for (const auto& [where, offset] : rows) {
    streams.push_back(where.first);
    partitions.push_back(where.second);
  }
  // The no-op DO UPDATE takes the row lock (like SELECT ... FOR UPDATE) and RETURNING reads
  // the stored value, in one round trip; a missing row is inserted at 0 and locked as well,
  // so two first writers of a partition cannot both pass unfenced.
  Result result = connection.query(
      "INSERT INTO offsets AS o (stream, partition, next_offset)"
      " SELECT s, p, 0 FROM unnest($1::text[], $2::integer[]) AS t(s, p) ORDER BY s, p"
      " ON CONFLICT (stream, partition) DO UPDATE SET next_offset = o.next_offset"
      " RETURNING stream, partition, next_offset",
      {{text_array_literal(streams)}, {int_array_literal(partitions)}});
  for (int row = 0; row < PQntuples(result.get()); ++row) {
    stored_.push_back({PQgetvalue(result.get(), row, 0),
                       static_cast<std::int32_t>(std::stol(PQgetvalue(result.get(), row, 1))),
                       std::stoll(PQgetvalue(result.get(), row, 2))});
  }
}

std::int64_t StoredPositions::stored(const std::string& stream, std::int32_t partition) const {
  for (const Position& p : stored_) {
    if (p.partition == partition && p.stream == stream) return p.offset;
  }
  return 0;
}

bool StoredPositions::any_stored() const {
  return std::any_of(stored_.begin(), stored_.end(), [](const Position& p) { return p.offset > 0; });
}

std::size_t StoredPositions::count_behind(const Batch& batch) const {
  if (!any_stored()) return 0;
  return static_cast<std::size_t>(
      std::count_if(batch.records.begin(), batch.records.end(), [&](const Record& r) { return behind(r); }));
}

std::vector<Position> StoredPositions::fences(const Batch& batch) const {
  std::vector<Position> out;
  if (!any_stored()) return out;
  for (const Position& p : stored_) {
    bool fenced = std::any_of(batch.records.begin(), batch.records.end(), [&](const Record& r) {
      return r.partition == p.partition && r.stream == p.stream && behind(r);
    });
    // A batch of only rejected records still carries its position; it may be behind too.
    fenced = fenced || std::any_of(batch.positions.begin(), batch.positions.end(), [&](const Position& b) {
               return b.partition == p.partition && b.stream == p.stream && b.offset <= p.offset;
             });
    if (fenced) out.push_back(p);
  }
  return out;
}

void StoredPositions::advance(PgConnection& connection, const std::vector<Position>& positions) const {
  std::string sql = "INSERT INTO offsets (stream, partition, next_offset) VALUES ";
  std::vector<Param> params;
  for (const auto& [where, offset] : latest(positions)) {
    if (offset <= stored(where.first, where.second)) continue;  // fenced: stays where it is
    std::size_t n = params.size();
    if (n) sql += ", ";
    sql += "($" + std::to_string(n + 1) + ", $" + std::to_string(n + 2) + "::integer, $" + std::to_string(n + 3) +
           "::bigint)";
    params.push_back({where.first});
    params.push_back({std::to_string(where.second)});
    params.push_back({std::to_string(offset)});
  }
  if (params.empty()) return;
  // GREATEST as well: a position never moves backwards, whatever the caller knew.
  sql += " ON CONFLICT (stream, partition) DO UPDATE"
         " SET next_offset = GREATEST(offsets.next_offset, EXCLUDED.next_offset), updated_at = now()";
  connection.query(sql, params);
}

}  // namespace sluice::pg
