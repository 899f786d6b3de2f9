#include "dead_letter_sink.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "pg_dsn.hpp"
#include "pg_migrator.hpp"
#include "pg_status.hpp"
#include "sluice/log_text.hpp"

namespace sluice::pg {
namespace {

constexpr const char* health_component = "postgres_dead_letter";

constexpr const char* insert_statement =
    "INSERT INTO dead_letters (source_stream, source_partition, source_offset, record_key, raw,"
    " reason, json_pointer, detail, stage)"
    " VALUES ($1, $2::integer, $3::bigint, $4::bytea, $5::bytea, $6, $7, $8, $9)"
    " ON CONFLICT (source_stream, source_partition, source_offset) WHERE source_offset >= 0"
    " DO UPDATE SET attempts = dead_letters.attempts + 1, last_seen = now(),"
    " raw = EXCLUDED.raw, record_key = EXCLUDED.record_key, reason = EXCLUDED.reason,"
    " json_pointer = EXCLUDED.json_pointer, detail = EXCLUDED.detail, stage = EXCLUDED.stage";

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

std::string dead_letter_connect_string(const std::string& dsn) {
  try {
    return soci_connect_string(dsn, "sluice-dead-letters");
  } catch (const std::invalid_argument& e) {
    throw ConfigError("dsn", e.what());
  }
}

}  // namespace

const ConfigMap<DeadLetterSettings>& dead_letter_config_map() {
  using S = DeadLetterSettings;
  static const ConfigMap<S> map{dsn_key<S>(), migrations_key<S>(), migrate_on_open_key<S>()};
  return map;
}

DeadLetterSink::DeadLetterSink(const Config& config, Host& host)
    : DeadLetterSink(dead_letter_config_map().parse(config), host) {}

DeadLetterSink::DeadLetterSink(const DeadLetterSettings& settings, Host& host)
    : host_(host),
      redacted_dsn_(redacted(settings.dsn)),
      migrations_(settings.migrations.value_or(std::string())),
      migrate_on_open_(settings.migrate_on_open),
      connection_(dead_letter_connect_string(settings.dsn)),
      stored_(host.metrics().counter("sluice_dead_letters_stored_total",
                                     "Dead letters written to PostgreSQL (replays included)")) {}

DeadLetterSink::~DeadLetterSink() { close(); }

// Health reasons and Status messages reach /readyz: only the public reason goes there
// (libpq's text names the host, user and database); the log gets everything.
Status DeadLetterSink::failed(const PgError& error, const char* doing) {
  const Status status = status_of(error, "postgres_dead_letter", doing);  // pg_status.hpp
  if (retryable(error.failure())) {
    if (error.failure() == Failure::connection) {
      connection_.close();
      host_.health().set(health_component, false, error.public_reason());
    }
    if (!reported_down_) {
      host_.log().warn("database {} unavailable, will retry: {}", redacted_dsn_, printable(error.what(), 1024));
      reported_down_ = true;
    }
    return status;
  }
  // The server's message may quote the dead letter's bytes (its reason, pointer, detail).
  host_.log().error("{}: {}", doing, printable(error.what(), 1024));
  return status;
}

Status DeadLetterSink::migrate() {
  std::filesystem::path folder = migrations_.empty() ? host_.data_path("sql") : migrations_;
  try {
    auto migrations = load_migrations(folder);
    connection_.open();
    apply_migrations(connection_, migrations, host_.log());
    return Status::ok();
  } catch (const PgError& e) {
    return failed(e, "migrating");
  } catch (const std::exception& e) {
    return Status::fatal(std::string("postgres_dead_letter: migrations: ") + e.what());
  }
}

Status DeadLetterSink::open() {
  try {
    connection_.open();
  } catch (const PgError& e) {
    return failed(e, "connecting");
  }
  if (migrate_on_open_) {
    Status status = migrate();
    if (!status.is_ok()) return status;
  }
  host_.health().set(health_component, true);
  return Status::ok();
}

void DeadLetterSink::insert(const Record& record) {
  const Rejection& why = record.rejection;
  std::vector<Param> params = {
      {clean_text(record.stream)},
      {std::to_string(record.partition)},
      {std::to_string(record.offset)},
      {record.key, record.key.empty(), true},
      {record.value, false, true},
      {clean_text(why.reason.empty() ? "unknown" : why.reason)},
      {clean_text(why.pointer)},
      {clean_text(why.detail)},
      {clean_text(why.stage)},
  };
  connection_.query(insert_statement, params);
}

Status DeadLetterSink::write(Batch& batch, Outcome&) {
  if (batch.records.empty()) return Status::ok();
  try {
    connection_.open();
    try {
      // One transaction per batch; dead letters are rare, so one statement per record is
      // plenty and keeps bytea parameters binary.
      connection_.exec("BEGIN");
      for (const Record& record : batch.records) insert(record);
      connection_.exec("COMMIT");
    } catch (...) {
      connection_.rollback_quietly();
      throw;
    }
  } catch (const PgError& e) {
    return failed(e, "storing dead letters");
  }
  if (reported_down_) {
    host_.log().info("database {} is reachable again", redacted_dsn_);
    reported_down_ = false;
    host_.health().set(health_component, true);
  }
  stored_.inc(batch.records.size());
  return Status::ok();
}

void DeadLetterSink::close() { connection_.close(); }

}  // namespace sluice::pg
