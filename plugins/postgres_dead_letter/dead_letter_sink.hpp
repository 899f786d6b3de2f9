// The `postgres_dead_letter` sink: keeps refused records in the dead_letters table with the
// raw bytes (at most max_payload_bytes of them, with the whole payload's size and SHA-256),
// the reason, the JSON pointer and the source position. Replays of the same position (after a
// crash) count up `attempts` instead of adding rows; so does a replayed letter refused again
// (Batch::replay, sluice/replay.hpp). Operators reach the letters through dead_letter_store().
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "dead_letter_retention.hpp"
#include "dead_letter_store.hpp"
#include "pg_config_keys.hpp"
#include "pg_connection.hpp"
#include "sluice/dead_letters.hpp"
#include "sluice/sink.hpp"

namespace sluice::pg {

// The sink's configuration: the connection keys every PostgreSQL plugin takes, then retention.
// Every member's initializer is its key's default.
struct DeadLetterSettings : ConnectionSettings {
  std::int64_t max_payload_bytes = 65536;
  std::int64_t max_age_hours = 0;  // keep forever
  std::int64_t max_count = 0;      // unlimited
};

// The keys postgres_dead_letter declares, bound to DeadLetterSettings' members.
const ConfigMap<DeadLetterSettings>& dead_letter_config_map();

class DeadLetterSink final : public Sink {
 public:
  static constexpr const char* plugin_description =
      "Stores dead letters (raw bytes, reason, JSON pointer, source position) in PostgreSQL";
  static const ConfigMap<DeadLetterSettings>& config_map() { return dead_letter_config_map(); }

  DeadLetterSink(const Config& config, SinkHost& host);
  DeadLetterSink(const DeadLetterSettings& settings, SinkHost& host);
  ~DeadLetterSink() override;

  Status open() override;
  Status write(Batch& batch, Outcome& outcome) override;
  void close() override;
  Status migrate() override;
  DeadLetterStore* dead_letter_store() override { return &store_; }

 private:
  Status failed(const PgError& error, const char* doing);
  // Retention, if due; logs and counts what it pruned, logs (only) what failed.
  void prune_if_due();

  SinkHost& host_;
  std::string redacted_dsn_;
  std::filesystem::path migrations_;
  bool migrate_on_open_;
  std::size_t max_payload_bytes_;
  PgConnection connection_;
  PgDeadLetterStore store_;
  DeadLetterRetention retention_;
  bool reported_down_ = false;
  Counter& stored_;
  Counter& pruned_;
};

}  // namespace sluice::pg
