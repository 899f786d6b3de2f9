#include "order_writer.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>

#include "change_notice.hpp"
#include "dead_letter_table.hpp"
#include "sluice/dead_letters.hpp"
#include "sluice/replay.hpp"

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
void parse_copy_context(const std::string& context, std::string& table, long& line, std::string& column) {
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
    column = context.substr(column_at + 7, colon == std::string::npos ? std::string::npos : colon - column_at - 7);
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

void OrderWriter::prepare(const Batch& batch, const StoredPositions* fence, Outcome& outcome, WriteStats& stats) {
  rows_.clear();
  pending_.clear();
  superseded_.clear();
  stats = {};
  pending_.reserve(batch.records.size());  // `seen` points into these strings: no reallocation
  // Newest wins within a batch: walk backwards and keep the first (= last) of each uid.
  std::unordered_set<std::string_view> seen;
  for (std::size_t i = batch.records.size(); i-- > 0;) {
    const Record& record = batch.records[i];
    if (fence && dead_letter_id(batch, i) == 0 && fence->behind(record)) {  // a replay never is (stored_positions.hpp)
      ++stats.fenced;
      continue;
    }
    if (auto bad = checker_.check(record.value)) {
      outcome.reject(i, *bad);
      ++stats.invalid;
      continue;
    }
    std::string_view uid = checker_.order_uid();
    if (fence && newer_stored_.count(std::string(uid))) {  // a re-read older version (find_newer_stored)
      ++stats.fenced;
      continue;
    }
    if (seen.contains(uid)) {
      superseded_[std::string(uid)].push_back(i);  // kept in case the newer one is refused
      continue;
    }
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

void OrderWriter::begin(PgConnection& connection, const Batch& batch, Outcome& outcome, WriteStats& stats) {
  stored_.clear();
  newer_stored_.clear();
  connection.exec("BEGIN");
  fence_.lock(connection, batch);
  // Rare (a paused or evicted instance; a rewind): only then are the rows built again.
  if (!fence_.fences().empty()) {
    outcome.clear();
    prepare(batch, &fence_, outcome, stats);
  }
  if (find_newer_stored(connection, batch)) {
    outcome.clear();
    prepare(batch, &fence_, outcome, stats);
  }
}

bool OrderWriter::find_newer_stored(PgConnection& connection, const Batch& batch) {
  std::vector<std::string_view> uids;
  std::vector<std::string_view> streams;
  std::vector<std::int64_t> partitions;
  std::vector<std::int64_t> offsets;
  for (const Pending& pending : pending_) {
    const Record& r = batch.records[pending.index];
    if (dead_letter_id(batch, pending.index) != 0 || !fence_.reread(r)) continue;
    uids.push_back(pending.uid);
    streams.push_back(r.stream);
    partitions.push_back(r.partition);
    offsets.push_back(r.offset);
  }
  if (uids.empty()) return false;
  Result rows = connection.query(
      "SELECT o.order_uid FROM orders o"
      " JOIN unnest($1::text[], $2::text[], $3::integer[], $4::bigint[]) AS r(uid, s, p, off)"
      " ON o.order_uid = r.uid AND o.source_stream = r.s AND o.source_partition = r.p AND o.source_offset > r.off",
      {{text_array_literal(uids)},
       {text_array_literal(streams)},
       {bigint_array_literal(partitions)},
       {bigint_array_literal(offsets)}});
  for (int row = 0; row < PQntuples(rows.get()); ++row) newer_stored_.insert(PQgetvalue(rows.get(), row, 0));
  return !newer_stored_.empty();
}

void OrderWriter::write_all(PgConnection& connection, const Batch& batch, Outcome& outcome, WriteStats& stats) {
  begin(connection, batch, outcome, stats);
  if (!pending_.empty()) {
    std::vector<std::string_view> uids;
    uids.reserve(pending_.size());
    for (const Pending& pending : pending_) uids.push_back(pending.uid);
    // One round trip for both: the aggregate consumes the whole DELETE (and its waits on
    // other writers' row locks) before nextval runs, so the version comes after the DELETE.
    Result version = connection.query(
        "WITH deleted AS (DELETE FROM orders WHERE order_uid = ANY($1::text[]) RETURNING 1)"
        " SELECT nextval('order_version_seq') FROM (SELECT count(*) FROM deleted) AS done",
        {{text_array_literal(uids)}});
    std::int64_t value = std::stoll(PQgetvalue(version.get(), 0, 0));
    rows_.set_all_versions(value);
    for (const Pending& pending : pending_) stored_.push_back({pending.index, &pending.uid, value});
    copy_rows(connection, nullptr);
  }
  std::size_t retired = retire_dead_letters(connection, batch);
  std::size_t lettered = store_letters(connection, batch, outcome);
  announce(connection, fence_.advance(connection, batch.positions));
  connection.exec("COMMIT");
  stats.written = pending_.size();
  stats.retired = retired;
  stats.lettered = lettered;
}

std::size_t OrderWriter::store_letters(PgConnection& connection, const Batch& batch, const Outcome& rejected) {
  if (rejected.rejected().empty()) return 0;
  if (letter_limit_ > 0) {
    for (const auto& r : rejected.rejected()) {
      Record letter = batch.records[r.index];
      letter.rejection = {static_cast<const Defect&>(r), letter_stage_};
      store_dead_letter(connection, letter, dead_letter_id(batch, r.index), letter_limit_);
    }
    return rejected.rejected().size();
  }
  if (!letters_elsewhere_) return 0;
  Batch letters;
  ReplayBatch replay;
  for (const auto& r : rejected.rejected()) {
    letters.records.push_back(batch.records[r.index]);
    letters.records.back().rejection = {static_cast<const Defect&>(r), letter_stage_};
    replay.dead_letter_ids.push_back(dead_letter_id(batch, r.index));
  }
  if (batch.replay) letters.replay = std::make_shared<const ReplayBatch>(std::move(replay));
  Status kept = letters_elsewhere_->write_letters(letters);
  if (kept.is_ok()) return letters.records.size();
  // Not now: nothing of the batch may commit before its letters are kept.
  if (kept.code() == StatusCode::retry) {
    throw PgError(Failure::transient, "the dead-letter store cannot keep the letters now: " + kept.message());
  }
  return 0;  // a store that cannot: the runtime writes them after the commit
}

std::size_t OrderWriter::retire_dead_letters(PgConnection& connection, const Batch& batch) {
  if (location_.empty() || !batch.replay || batch.replay->retire_in != location_) return 0;
  std::vector<std::int64_t> ids;
  for (const Stored& s : stored_) {
    if (std::int64_t id = dead_letter_id(batch, s.index)) ids.push_back(id);
  }
  if (ids.empty()) return 0;
  // Ids already gone (discarded meanwhile) are fine: the order is stored either way.
  return static_cast<std::size_t>(pg::retire_dead_letters(connection, ids));
}

void OrderWriter::announce(PgConnection& connection, const std::vector<Position>& advanced) {
  if (feed_channel_.empty()) return;
  CommittedChange change;
  change.keys.reserve(stored_.size());
  for (const Stored& s : stored_) change.keys.push_back({*s.uid, s.version});
  change.positions = advanced;
  change.committed_at_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  auto chunks = encode_change(change);
  if (chunks.empty()) return;
  // All chunks in one round trip, as literals (NOTIFY takes no parameters); the payload is
  // ASCII by construction, the escaping is for form's sake.
  auto escape = [&](const std::string& text, bool identifier) {
    char* raw = identifier ? PQescapeIdentifier(connection.native(), text.data(), text.size())
                           : PQescapeLiteral(connection.native(), text.data(), text.size());
    if (!raw) throw error_from_result(connection.native(), nullptr, "escaping a notice");
    std::string out(raw);
    PQfreemem(raw);
    return out;
  };
  const std::string channel = escape(feed_channel_, true);
  notify_sql_.clear();
  for (const std::string& chunk : chunks) {
    notify_sql_ += "NOTIFY " + channel + ", " + escape(chunk, false) + ";";
  }
  connection.exec(notify_sql_);
}

bool OrderWriter::write_isolated(PgConnection& connection, std::size_t index, const std::string& uid,
                                 const RowSpan& rows, Outcome& outcome, WriteStats& stats) {
  connection.exec("SAVEPOINT one_order");
  for (int attempt = 1;; ++attempt) {
    try {
      // A fresh version after this order's own DELETE (see the header).
      Result version = connection.query(
          "WITH deleted AS (DELETE FROM orders WHERE order_uid = $1 RETURNING 1)"
          " SELECT nextval('order_version_seq') FROM (SELECT count(*) FROM deleted) AS done",
          {{uid}});
      std::int64_t value = std::stoll(PQgetvalue(version.get(), 0, 0));
      rows_.set_version(rows, value);
      copy_rows(connection, &rows);
      connection.exec("RELEASE SAVEPOINT one_order");
      stored_.push_back({index, &uid, value});
      ++stats.written;
      return true;
    } catch (const PgError& e) {
      if (e.failure() != Failure::data) throw;
      connection.exec("ROLLBACK TO SAVEPOINT one_order");
      // Another writer (instance) stored the same order after our DELETE's snapshot: not bad
      // data. A new DELETE sees (and waits for) its row; a version taken after it is newer.
      if (e.fields().sqlstate == "23505" && e.fields().constraint == "orders_pkey") {
        if (attempt < 5) continue;
        throw PgError(Failure::transient, std::string("order kept being written concurrently: ") + e.what(),
                      e.fields());
      }
      outcome.reject(index, "db_refused", pointer_of(e), std::string("the database refused the order: ") + e.what());
      ++stats.refused;
      return false;
    }
  }
}

void OrderWriter::store_older_version(PgConnection& connection, const Batch& batch, const Pending& refused,
                                      Outcome& outcome, WriteStats& stats) {
  auto older = superseded_.find(refused.uid);
  if (older == superseded_.end()) return;
  // Without this, the older version would be neither stored nor a dead letter, yet the
  // cache (a later sink) would take it as accepted.
  for (std::size_t index : older->second) {
    // Parsed again for its rows (it passed the same check in prepare()).
    if (checker_.check(batch.records[index].value)) continue;
    RowSpan rows = rows_.append(checker_.root(), batch.records[index].value, batch.records[index]);
    if (write_isolated(connection, index, refused.uid, rows, outcome, stats)) return;
  }
}

void OrderWriter::write_one_by_one(PgConnection& connection, const Batch& batch, Outcome& outcome, WriteStats& stats) {
  begin(connection, batch, outcome, stats);
  for (const Pending& pending : pending_) {
    if (!write_isolated(connection, pending.index, pending.uid, pending.rows, outcome, stats)) {
      store_older_version(connection, batch, pending, outcome, stats);
    }
  }
  std::size_t retired = retire_dead_letters(connection, batch);
  std::size_t lettered = store_letters(connection, batch, outcome);
  announce(connection, fence_.advance(connection, batch.positions));
  connection.exec("COMMIT");
  stats.retired = retired;
  stats.lettered = lettered;
}

WriteStats OrderWriter::write(PgConnection& connection, Batch& batch, Outcome& outcome) {
  // Rejections are reported only once the batch is durable: after a failed attempt the
  // runtime calls again with the same batch, and must not see them twice.
  Outcome rejected;
  WriteStats stats;
  fence_ = StoredPositions();
  newer_stored_.clear();
  // The letters go into this transaction only where the runtime sends them anyway: the same
  // database (and so the same dead_letters table).
  DeadLetterStore* letters = outcome.letters_in();
  letter_limit_ = letters && !location_.empty() && letters->location() == location_ ? letters->payload_limit() : 0;
  letters_elsewhere_ = letter_limit_ == 0 ? letters : nullptr;
  letter_stage_ = outcome.stage();
  // What this call stores, from scratch: a batch with nothing to write (a replay whose every
  // record an earlier stage refused) skips begin(), and must not inherit the previous
  // batch's entries (their indexes lie beyond its records).
  stored_.clear();
  prepare(batch, nullptr, rejected, stats);
  if (!batch.records.empty() || !batch.positions.empty()) {
    try {
      write_all(connection, batch, rejected, stats);
    } catch (const PgError& e) {
      connection.rollback_quietly();
      if (e.failure() != Failure::data) throw;
      try {
        // pending_ and `rejected` still describe the batch (begin() rebuilds them if the
        // fence moved meanwhile).
        write_one_by_one(connection, batch, rejected, stats);
      } catch (const PgError&) {
        connection.rollback_quietly();
        throw;
      }
    }
  }
  // Only now, committed: a failed attempt must not leave versions of what was rolled back.
  for (Record& record : batch.records) record.version = 0;
  for (const Stored& s : stored_) batch.records[s.index].version = s.version;
  for (const auto& r : rejected.rejected()) {
    if (stats.lettered) {
      outcome.reject_stored(r.index, r);
    } else {
      outcome.reject(r.index, r);
    }
  }
  for (const Position& p : fence_.fences()) outcome.behind(p);
  return stats;
}

}  // namespace sluice::pg
