#include "dead_letter_store.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "dead_letter_table.hpp"
#include "pg_status.hpp"
#include "sluice/log_text.hpp"
#include "sluice/replay.hpp"

namespace sluice::pg {
namespace {

constexpr const char* who = "postgres_dead_letter";

// Old rows written before 0005 by a process of the previous version may lack raw_bytes and
// raw_sha256 (see the migration): their raw is the whole payload, so these are exact.
constexpr const char* summary_columns =
    "coalesce(raw_bytes, octet_length(raw)), coalesce(raw_sha256, encode(sha256(raw), 'hex')),"
    " reason, json_pointer, detail, stage,"
    " floor(extract(epoch FROM first_seen) * 1000)::bigint,"
    " floor(extract(epoch FROM last_seen) * 1000)::bigint, attempts";

// Results come in text format: bytea as hex, which is what encode() hands over.
std::string from_hex(const char* text, int length) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::runtime_error("unexpected hex digit from the database");
  };
  std::string out;
  out.reserve(static_cast<std::size_t>(length) / 2);
  for (int i = 0; i + 1 < length; i += 2) {
    out += static_cast<char>((nibble(text[i]) << 4) | nibble(text[i + 1]));
  }
  return out;
}

// The WHERE clause of a query (every condition must hold), with its parameters.
struct Filter {
  std::string sql;
  std::vector<Param> params;

  void add(const std::string& condition_with_placeholder, std::string value, bool binary = false) {
    params.push_back({std::move(value), false, binary});
    std::string condition = condition_with_placeholder;
    std::string placeholder = "$";
    placeholder += std::to_string(params.size());
    condition.replace(condition.find('?'), 1, placeholder);
    sql += sql.empty() ? " WHERE " : " AND ";
    sql += condition;
  }
};

Filter filter_of(const DeadLetterQuery& query) {
  Filter filter;
  if (!query.ids.empty()) filter.add("id = ANY(?::bigint[])", bigint_array_literal(query.ids));
  if (!query.reason.empty()) filter.add("reason = ?", query.reason);
  if (!query.stage.empty()) filter.add("stage = ?", query.stage);
  // The key goes as raw bytes (a binary parameter), so NUL and any other byte match exactly;
  // 0006_dead_letter_key.sql's hash index answers it.
  if (!query.key.empty()) filter.add("record_key = ?::bytea", query.key, /*binary=*/true);
  if (query.since_ms != 0) {
    filter.add("last_seen >= to_timestamp(0) + ?::bigint * interval '1 millisecond'", std::to_string(query.since_ms));
  }
  if (query.after_id != 0) filter.add("id > ?::bigint", std::to_string(query.after_id));
  return filter;
}

// " ORDER BY id [LIMIT $n]": ascending ids, so after_id pages through without gaps.
std::string order_and_limit(const DeadLetterQuery& query, Filter& filter) {
  std::string sql = " ORDER BY id";
  if (query.limit != 0) {
    filter.params.push_back({std::to_string(query.limit)});
    sql += " LIMIT $" + std::to_string(filter.params.size()) + "::bigint";
  }
  return sql;
}

std::string text_at(const PGresult* rows, int row, int column) {
  return std::string(PQgetvalue(rows, row, column), static_cast<std::size_t>(PQgetlength(rows, row, column)));
}

// Columns: id, stream, partition, offset, key hex, raw hex, then summary_columns.
DeadLetter letter_at(const PGresult* rows, int row) {
  DeadLetter letter;
  letter.id = std::stoll(PQgetvalue(rows, row, 0));
  letter.stream = text_at(rows, row, 1);
  letter.partition = static_cast<std::int32_t>(std::stol(PQgetvalue(rows, row, 2)));
  letter.offset = std::stoll(PQgetvalue(rows, row, 3));
  letter.key = from_hex(PQgetvalue(rows, row, 4), PQgetlength(rows, row, 4));
  letter.raw = from_hex(PQgetvalue(rows, row, 5), PQgetlength(rows, row, 5));
  letter.raw_bytes = std::stoll(PQgetvalue(rows, row, 6));
  letter.raw_sha256 = text_at(rows, row, 7);
  letter.reason = text_at(rows, row, 8);
  letter.pointer = text_at(rows, row, 9);
  letter.detail = text_at(rows, row, 10);
  letter.stage = text_at(rows, row, 11);
  letter.first_seen_ms = std::stoll(PQgetvalue(rows, row, 12));
  letter.last_seen_ms = std::stoll(PQgetvalue(rows, row, 13));
  letter.attempts = static_cast<std::int32_t>(std::stol(PQgetvalue(rows, row, 14)));
  return letter;
}

std::string select_letters(bool with_payload) {
  return std::string("SELECT id, source_stream, source_partition, source_offset, ") +
         (with_payload ? "encode(coalesce(record_key, ''::bytea), 'hex'), encode(raw, 'hex'), " : "'', '', ") +
         summary_columns + " FROM dead_letters";
}

}  // namespace

PgDeadLetterStore::PgDeadLetterStore(std::string connect_string, std::string location, Host& host,
                                     std::size_t payload_limit)
    : connection_(std::move(connect_string)),
      location_(std::move(location)),
      host_(host),
      payload_limit_(payload_limit) {}

template <class Work>
Status PgDeadLetterStore::run(const char* doing, Work&& work) {
  std::lock_guard lock(mutex_);
  try {
    connection_.open();
    work(connection_);
    return Status::ok();
  } catch (const PgError& e) {
    if (e.failure() == Failure::connection) connection_.close();  // the next call reconnects
    // Down is expected and answered (retry) to every API call meanwhile; the sink's write
    // path already warns once. Only a fault no retry can fix is an error line.
    if (retryable(e.failure())) {
      host_.log().debug("dead-letter store: {}: {}", doing, printable(e.what(), 1024));
    } else {
      host_.log().error("dead-letter store: {}: {}", doing, printable(e.what(), 1024));
    }
    return status_of(e, who, doing);
  } catch (const std::exception& e) {
    host_.log().error("dead-letter store: {}: {}", doing, printable(e.what(), 1024));
    return Status::fatal(std::string(who) + ": " + doing + ": " + e.what());
  }
}

Status PgDeadLetterStore::list(const DeadLetterQuery& query, bool with_payload, std::vector<DeadLetter>& out) {
  out.clear();
  return run("listing dead letters", [&](PgConnection& connection) {
    Filter filter = filter_of(query);
    std::string sql = select_letters(with_payload) + filter.sql;
    sql += order_and_limit(query, filter);
    Result rows = connection.query(sql, filter.params);
    for (int row = 0; row < PQntuples(rows.get()); ++row) out.push_back(letter_at(rows.get(), row));
  });
}

Status PgDeadLetterStore::get(std::int64_t id, DeadLetter& out, bool& found) {
  found = false;
  return run("reading a dead letter", [&](PgConnection& connection) {
    Result rows = connection.query(select_letters(true) + " WHERE id = $1::bigint", {{std::to_string(id)}});
    found = PQntuples(rows.get()) == 1;
    if (found) out = letter_at(rows.get(), 0);
  });
}

Status PgDeadLetterStore::reasons(std::vector<ReasonCount>& out) {
  out.clear();
  return run("counting dead letters", [&](PgConnection& connection) {
    Result rows =
        connection.query("SELECT reason, count(*) FROM dead_letters GROUP BY reason ORDER BY count(*) DESC, reason");
    for (int row = 0; row < PQntuples(rows.get()); ++row) {
      out.push_back({text_at(rows.get(), row, 0), std::stoll(PQgetvalue(rows.get(), row, 1))});
    }
  });
}

Status PgDeadLetterStore::discard(const DeadLetterQuery& query, std::int64_t& discarded) {
  discarded = 0;
  return run("discarding dead letters", [&](PgConnection& connection) {
    Filter filter = filter_of(query);
    // The limit picks the lowest ids, as list() with the same query shows them.
    std::string sql = "DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters" + filter.sql;
    sql += order_and_limit(query, filter) + ")";
    discarded = affected_rows(connection.query(sql, filter.params));
  });
}

Status PgDeadLetterStore::retire(const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return Status::ok();
  return run("retiring dead letters", [&](PgConnection& connection) { retire_dead_letters(connection, ids); });
}

Status PgDeadLetterStore::write_letters(const Batch& letters) {
  if (letters.records.empty()) return Status::ok();
  return run("storing dead letters", [&](PgConnection& connection) {
    connection.exec("BEGIN");
    try {
      for (std::size_t i = 0; i < letters.records.size(); ++i) {
        store_dead_letter(connection, letters.records[i], dead_letter_id(letters, i), payload_limit_);
      }
      connection.exec("COMMIT");
    } catch (...) {
      connection.rollback_quietly();
      throw;
    }
  });
}

void PgDeadLetterStore::close() {
  std::lock_guard lock(mutex_);
  connection_.close();
}

}  // namespace sluice::pg
