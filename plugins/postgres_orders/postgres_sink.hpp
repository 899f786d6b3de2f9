// The `postgres_orders` sink (formerly `postgres`): stores orders normalized (sql/postgres/0001_orders.sql) with their
// source positions in the same transaction, answers lookups as a store, streams its contents for cache warm-up, and
// tells sources where to resume (README.md, "Delivery guarantees", Effectively-once into
// PostgreSQL). Coherence (README.md, "Coherent reads across instances"): every stored order has a
// version that only grows, every batch transaction NOTIFYs what it stored (the change feed a cache
// follows: follow()), and wait_for() answers read-your-writes tokens from the positions stored with
// the data.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "change_feeds.hpp"
#include "order_writer.hpp"
#include "pg_config_keys.hpp"
#include "pg_connection.hpp"
#include "pg_read_pool.hpp"
#include "position_admin.hpp"
#include "sluice/position_store.hpp"
#include "sluice/sink.hpp"
#include "sluice/store.hpp"

namespace sluice::pg {

// The sink's configuration. Every member's initializer is the key's default; the declared
// defaults (`sluice plugins`, the README, the schema) are derived from them (postgres_config_map()).
struct PostgresSettings : ConnectionSettings {
  std::size_t read_connections = 4;
  std::chrono::milliseconds read_timeout{1000};
  std::string feed_channel = "sluice_orders";
  bool notify = true;
};

// The keys the postgres sink declares, bound to PostgresSettings' members.
const ConfigMap<PostgresSettings>& postgres_config_map();
// postgres_config_map().parse() and the checks across keys; throws ConfigError naming the key.
PostgresSettings parse_postgres_settings(const Config& config);

class PostgresSink final : public Sink, public Store, public PositionStore {
 public:
  // Its name until 0.1: pipeline files saying `plugin: postgres` still load it, with a
  // deprecation line (README.md, "Plugins").
  static constexpr const char* plugin_former_names[] = {"postgres", nullptr};
  static constexpr const char* plugin_description =
      "Stores orders in PostgreSQL (normalized, upsert by order_uid, positions in the same "
      "transaction); a store and a position store";
  static constexpr std::uint32_t plugin_flags = sluice_flag_store | sluice_flag_positions;
  static const ConfigMap<PostgresSettings>& config_map() { return postgres_config_map(); }

  PostgresSink(const Config& config, SinkHost& host);
  PostgresSink(const PostgresSettings& settings, SinkHost& host);
  ~PostgresSink() override;

  // Sink
  Status open() override;
  Status write(Batch& batch, Outcome& outcome) override;
  void close() override;
  Status migrate() override;
  Store* store() override { return this; }
  PositionStore* position_store() override { return this; }

  // Store
  using Store::get;
  Lookup get(std::string_view key, std::string& value, std::int64_t& version) override;
  Status scan(const ScanVisitor& visit) override;
  Status get_many(const std::vector<std::string>& keys, const FoundVisitor& visit) override;
  Status recent(std::size_t limit, std::vector<std::string>& keys) override;
  // Every follower gets its own feed (change_feeds.hpp); follow() again with one does nothing.
  Status follow(ChangeFollower& follower) override;
  void unfollow(ChangeFollower& follower) override;
  // Reached once the stored next offset of (stream, partition) is at least position.offset,
  // polled every 25 ms until `deadline`; not_yet then. unknown only when no poll got an
  // answer at all (the database could not be asked) or the question cannot be answered.
  Reach wait_for(const Position& position, std::chrono::steady_clock::time_point deadline) override;

  // PositionStore
  Status load(const std::string& stream, std::int32_t partition, std::int64_t& next_offset, bool& found) override;
  // `sluice positions` and its fencing (position_admin.hpp); list() and move() connect for
  // the call, without open().
  Status hold(const std::vector<PartitionKey>& partitions) override;
  void release(const std::vector<PartitionKey>& partitions) override;
  Status list(const std::string& stream, std::vector<Position>& out) override;
  Status move(const std::vector<Position>& positions, std::vector<PartitionKey>& held) override;

 private:
  Status apply_migrations_now();
  // Both log the full text and return pg::status_of(error) (pg_status.hpp: the one
  // PgError -> Status rule); failed() also drops the writer's connection when it broke.
  Status failed(const PgError& error, const char* doing);
  Status read_failed(const PgError& error, const char* doing);
  void set_available(bool available, const std::string& why);

  SinkHost& host_;
  std::string connect_string_;
  std::string redacted_dsn_;
  std::filesystem::path migrations_;
  bool migrate_on_open_;
  PgConnection writer_connection_;
  OrderWriter writer_;
  PgReadPool read_pool_;
  ChangeFeeds feeds_;
  PositionHolds holds_;
  std::atomic<bool> available_{false};
  bool reported_down_ = false;
  Counter& orders_written_;
  Counter& orders_refused_;
  Counter& dead_letters_retired_;
  Counter& dead_letters_stored_;  // postgres_dead_letter's counter: letters this sink kept for it
  Counter& batches_;
  Counter& retries_;
  Histogram& batch_seconds_;
};

}  // namespace sluice::pg
