#include "dead_letter_sink.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <stdexcept>
#include <string_view>

#include "dead_letter_table.hpp"
#include "pg_dsn.hpp"
#include "pg_migrator.hpp"
#include "pg_status.hpp"
#include "sluice/log_text.hpp"
#include "sluice/replay.hpp"

namespace sluice::pg {
namespace {

constexpr const char* health_component = "postgres_dead_letter";

}  // namespace

const ConfigMap<DeadLetterSettings>& dead_letter_config_map() {
  using S = DeadLetterSettings;
  static const ConfigMap<S> map{
      dsn_key<S>(),
      migrations_key<S>(),
      migrate_on_open_key<S>(),
      key("max_payload_bytes", &S::max_payload_bytes,
          "payload bytes kept per letter (1024..67108864); a longer one keeps its first max_payload_bytes (its size "
          "and "
          "SHA-256 are kept whole) and cannot be replayed")
          .range(1024, std::int64_t{64} << 20),
      key("max_age_hours", &S::max_age_hours,
          "prune letters not seen for this many hours, at start and at most once a minute (0: keep forever)")
          .range(0, 24 * 365 * 100),
      key("max_count", &S::max_count,
          "keep at most this many letters, pruning the oldest, at start and at most once a minute (0: unlimited)")
          .range(0, std::int64_t{1} << 40),
  };
  return map;
}

DeadLetterSink::DeadLetterSink(const Config& config, SinkHost& host)
    : DeadLetterSink(dead_letter_config_map().parse(config), host) {}

DeadLetterSink::DeadLetterSink(const DeadLetterSettings& settings, SinkHost& host)
    : host_(host),
      redacted_dsn_(redacted(settings.dsn)),
      migrations_(settings.migrations.value_or(std::string())),
      migrate_on_open_(settings.migrate_on_open),
      max_payload_bytes_(static_cast<std::size_t>(settings.max_payload_bytes)),
      connection_(dsn_connect_string(settings.dsn, "sluice-dead-letters")),
      store_(dsn_connect_string(settings.dsn, "sluice-dead-letters-admin"), dsn_location(settings.dsn), host,
             static_cast<std::size_t>(settings.max_payload_bytes)),
      retention_({settings.max_age_hours, settings.max_count}),
      stored_(host.metrics().counter("sluice_dead_letters_stored_total",
                                     "Dead letters written to PostgreSQL (replays included)")),
      pruned_(host.metrics().counter("sluice_dead_letters_pruned_total",
                                     "Dead letters deleted by retention (max_age_hours, max_count)")) {}

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
  std::filesystem::path folder = migrations_.empty() ? host_.data_path("sql/postgres_dead_letter") : migrations_;
  try {
    auto migrations = load_migrations(folder);
    connection_.open();
    apply_migrations(connection_, "postgres_dead_letter", migrations, host_.log());
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
  prune_if_due();
  return Status::ok();
}

void DeadLetterSink::prune_if_due() {
  auto now = std::chrono::steady_clock::now();
  if (!retention_.due(now)) return;
  try {
    std::int64_t pruned = retention_.prune(connection_, now);
    if (pruned > 0) {
      host_.log().info("pruned {} dead letter(s) beyond the retention limits", pruned);
      pruned_.inc(static_cast<std::uint64_t>(pruned));
    }
  } catch (const PgError& e) {
    // The letters are stored; retention waits for the next run (a minute later).
    if (e.failure() == Failure::connection) connection_.close();
    host_.log().warn("pruning dead letters failed, will try again: {}", printable(e.what(), 1024));
  } catch (const std::exception& e) {
    host_.log().warn("pruning dead letters failed, will try again: {}", printable(e.what(), 1024));
  }
}

Status DeadLetterSink::write(Batch& batch, Outcome&) {
  if (batch.records.empty()) return Status::ok();
  try {
    connection_.open();
    try {
      // One transaction per batch; dead letters are rare, so one statement per record is
      // plenty and keeps bytea parameters binary.
      connection_.exec("BEGIN");
      for (std::size_t i = 0; i < batch.records.size(); ++i) {
        // A replay refused again updates its letter; gone meanwhile (discarded), it is a
        // new letter like any other (dead_letter_table.hpp).
        store_dead_letter(connection_, batch.records[i], dead_letter_id(batch, i), max_payload_bytes_);
      }
      connection_.exec("COMMIT");
    } catch (...) {
      connection_.rollback_quietly();
      throw;
    }
  } catch (const PgError& e) {
    return failed(e, "storing dead letters");
  } catch (const std::exception& e) {
    host_.log().error("storing dead letters: {}", printable(e.what(), 1024));
    return Status::fatal(std::string("postgres_dead_letter: storing dead letters: ") + e.what());
  }
  if (reported_down_) {
    host_.log().info("database {} is reachable again", redacted_dsn_);
    reported_down_ = false;
    host_.health().set(health_component, true);
  }
  stored_.inc(batch.records.size());
  prune_if_due();
  return Status::ok();
}

void DeadLetterSink::close() {
  connection_.close();
  store_.close();
}

}  // namespace sluice::pg
