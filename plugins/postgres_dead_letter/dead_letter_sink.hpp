// The `postgres_dead_letter` sink: keeps refused records in the dead_letters table with the
// raw bytes, the reason, the JSON pointer and the source position. Replays of the same
// position (after a crash) count up `attempts` instead of adding rows.
#pragma once

#include <filesystem>
#include <string>

#include "pg_connection.hpp"
#include "sluice/plugin.hpp"

namespace sluice::pg {

class DeadLetterSink final : public Sink {
 public:
  static constexpr const char* plugin_description =
      "Stores dead letters (raw bytes, reason, JSON pointer, source position) in PostgreSQL";
  static constexpr sluice_config_key plugin_keys[] = {
      {"dsn", sluice_key_string, 1, nullptr,
       "PostgreSQL connection: URI (postgresql://user:pass@host:5432/db) or key=value pairs"},
      {"migrations", sluice_key_string, 0, nullptr,
       "folder of NNNN_name.sql migrations; default: the shipped sql/ folder"},
      {"migrate_on_open", sluice_key_bool, 0, "true",
       "apply missing migrations when the pipeline starts (else only by `sluice migrate`)"},
  };

  DeadLetterSink(const Config& config, Host& host);
  ~DeadLetterSink() override;

  Status open() override;
  Status write(Batch& batch, Outcome& outcome) override;
  void close() override;
  Status migrate() override;

 private:
  Status failed(const PgError& error, const char* doing);
  void insert(const Record& record);

  Host& host_;
  std::string redacted_dsn_;
  std::filesystem::path migrations_;
  bool migrate_on_open_;
  PgConnection connection_;
  bool reported_down_ = false;
  Counter& stored_;
};

}  // namespace sluice::pg
