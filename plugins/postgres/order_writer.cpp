#include "order_writer.hpp"

#include <map>
#include <string>
#include <unordered_set>

namespace sluice::pg {
namespace {

// The sink checks again what order_validate accepted: a pipeline may leave the transform
// out, and the normalized columns need the parsed fields anyway. No size limit here; the
// transform owns that policy.
orders::CheckOptions sink_check_options() {
  orders::CheckOptions options;
  options.max_bytes = static_cast<std::size_t>(-1);
  return options;
}

// "COPY items, line 2, column price: ..." -> (items, 2, price)
void parse_copy_context(const std::string& context, std::string& table, long& line,
                        std::string& column) {
  auto copy = context.find("COPY ");
  if (copy == std::string::npos) return;
  auto comma = context.find(',', copy);
  if (comma == std::string::npos) return;
  table = context.substr(copy + 5, comma - copy - 5);
  auto line_at = context.find("line ", comma);
  if (line_at != std::string::npos) line = std::strtol(context.c_str() + line_at + 5, nullptr, 10);
  auto column_at = context.find("column ", comma);
  if (column_at != std::string::npos) {
    auto colon = context.find(':', column_at);
    column = context.substr(column_at + 7, colon == std::string::npos ? std::string::npos
                                                                     : colon - column_at - 7);
  }
}

// Best effort: the JSON pointer of the value the server refused.
std::string pointer_of(const PgError& error) {
  const auto& fields = error.fields();
  std::string table = fields.table;
  std::string column = fields.column;
  long line = 0;
  parse_copy_context(fields.context, table, line, column);
  // CHECK constraints are named <table>_<column>_check by default.
  if (column.empty() && !fields.constraint.empty() && !table.empty()) {
    std::string prefix = table + "_";
    const std::string& name = fields.constraint;
    if (name.rfind(prefix, 0) == 0 && name.size() > prefix.size() + 6 &&
        name.compare(name.size() - 6, 6, "_check") == 0) {
      column = name.substr(prefix.size(), name.size() - prefix.size() - 6);
    }
  }
  return OrderRows::pointer_of(table, column, line);
}

}  // namespace

OrderWriter::OrderWriter() : checker_(sink_check_options()) {}

void OrderWriter::prepare(const Batch& batch, Outcome& outcome, WriteStats& stats) {
  rows_.clear();
  pending_.clear();
  pending_.reserve(batch.records.size());  // `seen` points into these strings: no reallocation
  // Newest wins within a batch: walk backwards and keep the first (= last) of each uid.
  std::unordered_set<std::string_view> seen;
  for (std::size_t i = batch.records.size(); i-- > 0;) {
    const Record& record = batch.records[i];
    if (auto bad = checker_.check(record.value)) {
      outcome.reject(i, bad->reason, bad->pointer, bad->detail);
      ++stats.invalid;
      continue;
    }
    std::string_view uid = checker_.order_uid();
    if (seen.contains(uid)) continue;  // superseded by a later record of this batch
    pending_.push_back({i, std::string(uid), rows_.append(checker_.root(), record.value, record)});
    seen.insert(pending_.back().uid);
  }
}

void OrderWriter::copy_rows(PgConnection& connection, const RowSpan* only) {
  for (OrderTable table : all_order_tables) {
    std::string_view data = only ? rows_.slice(table, *only) : rows_.all(table);
    if (!data.empty()) connection.copy_in(OrderRows::copy_statement(table), data);
  }
}

void OrderWriter::write_positions(PgConnection& connection, const std::vector<Position>& positions) {
  if (positions.empty()) return;
  // One row per (stream, partition), the last one given winning: ON CONFLICT cannot touch
  // the same row twice in one statement.
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> latest;
  for (const Position& position : positions) {
    latest[{position.stream, position.partition}] = position.offset;
  }
  std::string sql = "INSERT INTO offsets (stream, partition, next_offset) VALUES ";
  std::vector<Param> params;
  for (const auto& [where, offset] : latest) {
    std::size_t n = params.size();
    if (n) sql += ", ";
    sql += "($" + std::to_string(n + 1) + ", $" + std::to_string(n + 2) + "::integer, $" +
           std::to_string(n + 3) + "::bigint)";
    params.push_back({where.first});
    params.push_back({std::to_string(where.second)});
    params.push_back({std::to_string(offset)});
  }
  sql += " ON CONFLICT (stream, partition) DO UPDATE"
         " SET next_offset = EXCLUDED.next_offset, updated_at = now()";
  connection.query(sql, params);
}

void OrderWriter::write_all(PgConnection& connection, const Batch& batch) {
  connection.exec("BEGIN");
  if (!pending_.empty()) {
    std::vector<std::string_view> uids;
    uids.reserve(pending_.size());
    for (const Pending& pending : pending_) uids.push_back(pending.uid);
    connection.query("DELETE FROM orders WHERE order_uid = ANY($1::text[])",
                     {{text_array_literal(uids)}});
    copy_rows(connection, nullptr);
  }
  write_positions(connection, batch.positions);
  connection.exec("COMMIT");
}

void OrderWriter::write_one_by_one(PgConnection& connection, const Batch& batch,
                                   Outcome& outcome, WriteStats& stats) {
  connection.exec("BEGIN");
  for (const Pending& pending : pending_) {
    connection.exec("SAVEPOINT one_order");
    try {
      connection.query("DELETE FROM orders WHERE order_uid = $1", {{pending.uid}});
      copy_rows(connection, &pending.rows);
      connection.exec("RELEASE SAVEPOINT one_order");
    } catch (const PgError& e) {
      if (e.failure() != Failure::data) throw;
      connection.exec("ROLLBACK TO SAVEPOINT one_order");
      outcome.reject(pending.index, "db_refused", pointer_of(e),
                     std::string("the database refused the order: ") + e.what());
      ++stats.refused;
    }
  }
  write_positions(connection, batch.positions);
  connection.exec("COMMIT");
}

WriteStats OrderWriter::write(PgConnection& connection, const Batch& batch, Outcome& outcome) {
  // Rejections are reported only once the batch is durable: after a failed attempt the
  // runtime calls again with the same batch, and must not see them twice.
  Outcome rejected;
  WriteStats stats;
  prepare(batch, rejected, stats);
  if (!pending_.empty() || !batch.positions.empty()) {
    try {
      write_all(connection, batch);
    } catch (const PgError& e) {
      connection.rollback_quietly();
      if (e.failure() != Failure::data) throw;
      stats.isolated = true;
      try {
        write_one_by_one(connection, batch, rejected, stats);
      } catch (const PgError&) {
        connection.rollback_quietly();
        throw;
      }
    }
  }
  stats.written = pending_.size() - stats.refused;
  for (const auto& r : rejected.rejected()) outcome.reject(r.index, r.reason, r.pointer, r.detail);
  return stats;
}

}  // namespace sluice::pg
