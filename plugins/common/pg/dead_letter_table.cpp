#include "dead_letter_table.hpp"

#include "payload_digest.hpp"
#include "pg_connection.hpp"

namespace sluice::pg {
namespace {

// One letter per source position (dead_letters_position_idx, sql/postgres_dead_letter/0003):
// the same record again counts up its letter.
constexpr const char* insert_statement =
    "INSERT INTO dead_letters (source_stream, source_partition, source_offset, record_key, raw,"
    " reason, json_pointer, detail, stage, raw_bytes, raw_sha256)"
    " VALUES ($1, $2::integer, $3::bigint, $4::bytea, $5::bytea, $6, $7, $8, $9, $10::bigint, $11)"
    " ON CONFLICT (source_stream, source_partition, source_offset) WHERE source_offset >= 0"
    " DO UPDATE SET attempts = dead_letters.attempts + 1, last_seen = now(),"
    " raw = EXCLUDED.raw, record_key = EXCLUDED.record_key, reason = EXCLUDED.reason,"
    " json_pointer = EXCLUDED.json_pointer, detail = EXCLUDED.detail, stage = EXCLUDED.stage,"
    " raw_bytes = EXCLUDED.raw_bytes, raw_sha256 = EXCLUDED.raw_sha256";

// The letter keeps its raw bytes (they are what a replay sent) and its first_seen.
constexpr const char* update_replayed_statement =
    "UPDATE dead_letters SET attempts = attempts + 1, last_seen = now(),"
    " reason = $2, json_pointer = $3, detail = $4, stage = $5 WHERE id = $1::bigint";

std::string reason_of(const Rejection& why) { return clean_text(why.reason.empty() ? "unknown" : why.reason); }

// A replay refused again: counts up its letter; false when the letter is gone (discarded).
bool update_replayed(PgConnection& connection, std::int64_t id, const Rejection& why) {
  Result result = connection.query(update_replayed_statement, {{std::to_string(id)},
                                                               {reason_of(why)},
                                                               {clean_text(why.pointer)},
                                                               {clean_text(why.detail)},
                                                               {clean_text(why.stage)}});
  return affected_rows(result) == 1;
}

}  // namespace

std::int64_t retire_dead_letters(PgConnection& connection, const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return 0;
  return affected_rows(
      connection.query("DELETE FROM dead_letters WHERE id = ANY($1::bigint[])", {{bigint_array_literal(ids)}}));
}

void store_dead_letter(PgConnection& connection, const Record& record, std::int64_t replayed_id,
                       std::size_t payload_limit) {
  const Rejection& why = record.rejection;
  if (replayed_id != 0 && update_replayed(connection, replayed_id, why)) return;
  const std::string_view kept = std::string_view(record.value).substr(0, payload_limit);
  std::vector<Param> params = {
      {clean_text(record.stream)},      {std::to_string(record.partition)},
      {std::to_string(record.offset)},  {record.key, record.key.empty(), true},
      {std::string(kept), false, true}, {reason_of(why)},
      {clean_text(why.pointer)},        {clean_text(why.detail)},
      {clean_text(why.stage)},          {std::to_string(record.value.size())},
      {sha256_hex(record.value)},
  };
  connection.query(insert_statement, params);
}

// Text columns must be valid UTF-8 without NUL; reasons and details are ours, but a stream
// name or a detail quoting a server message could still carry anything.
std::string clean_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      valid = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
    }
    if (!valid || c == 0) {
      out += '?';
      ++i;
      continue;
    }
    out.append(text.data() + i, length);
    i += length;
  }
  return out;
}

}  // namespace sluice::pg
