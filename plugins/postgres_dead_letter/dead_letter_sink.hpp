// The `postgres_dead_letter` sink: keeps refused records in the dead_letters table with the
// raw bytes, the reason, the JSON pointer and the source position. Replays of the same
// position (after a crash) count up `attempts` instead of adding rows.
#pragma once

#include <filesystem>
#include <string>

#include "pg_config_keys.hpp"
#include "pg_connection.hpp"
#include "sluice/plugin.hpp"

namespace sluice::pg {

// The sink's configuration: the connection keys every PostgreSQL plugin takes; their defaults
// are ConnectionSettings' initializers.
struct DeadLetterSettings : ConnectionSettings {};

// The keys postgres_dead_letter declares, bound to DeadLetterSettings' members.
const ConfigMap<DeadLetterSettings>& dead_letter_config_map();

class DeadLetterSink final : public Sink {
 public:
  static constexpr const char* plugin_description =
      "Stores dead letters (raw bytes, reason, JSON pointer, source position) in PostgreSQL";
  static const ConfigMap<DeadLetterSettings>& config_map() { return dead_letter_config_map(); }

  DeadLetterSink(const Config& config, Host& host);
  DeadLetterSink(const DeadLetterSettings& settings, Host& host);
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
