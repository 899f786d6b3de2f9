#include "postgres_sink.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <stdexcept>

#include "binary_copy_reader.hpp"
#include "pg_dsn.hpp"
#include "pg_migrator.hpp"

namespace sluice::pg {
namespace {

std::string connect_string_from(const Config& config) {
  try {
    return soci_connect_string(config.get_string("dsn"), "sluice");
  } catch (const std::invalid_argument& e) {
    throw ConfigError("dsn", e.what());
  }
}

std::size_t read_connections_from(const Config& config) {
  auto n = config.get_int("read_connections");
  if (n < 1 || n > 64) throw ConfigError("read_connections", "read_connections must be 1..64");
  return static_cast<std::size_t>(n);
}

constexpr const char* health_component = "postgres";

}  // namespace

PostgresSink::PostgresSink(const Config& config, Host& host)
    : host_(host),
      connect_string_(connect_string_from(config)),
      redacted_dsn_(redacted(config.get_string("dsn"))),
      migrations_(config.has("migrations") ? std::filesystem::path(config.get_string("migrations"))
                                           : std::filesystem::path()),
      migrate_on_open_(config.get_bool("migrate_on_open")),
      writer_connection_(connect_string_),
      read_pool_(connect_string_, read_connections_from(config)),
      orders_written_(host.metrics().counter("sluice_postgres_orders_written_total",
                                             "Orders stored (inserted or replaced) in PostgreSQL")),
      orders_refused_(host.metrics().counter("sluice_postgres_orders_refused_total",
                                             "Orders the database refused (sent to dead letters)")),
      batches_(host.metrics().counter("sluice_postgres_batches_total",
                                      "Batch transactions committed")),
      retries_(host.metrics().counter("sluice_postgres_retries_total",
                                      "Batch writes that failed transiently and will be retried")),
      batch_seconds_(host.metrics().histogram("sluice_postgres_batch_seconds",
                                              "Time to write and commit one batch",
                                              {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5})) {}

PostgresSink::~PostgresSink() { close(); }

void PostgresSink::set_available(bool available, const std::string& why) {
  available_ = available;
  host_.health().set(health_component, available, why);
  if (available && reported_down_) {
    host_.log().info("database {} is reachable again", redacted_dsn_);
    reported_down_ = false;
  } else if (!available && !reported_down_) {
    host_.log().warn("database {} unavailable, will retry: {}", redacted_dsn_, why);
    reported_down_ = true;
  }
}

Status PostgresSink::failed(const PgError& error, const char* doing) {
  switch (error.failure()) {
    case Failure::connection:
      writer_connection_.close();
      set_available(false, error.what());
      return Status::retry(std::string("postgres: ") + doing + ": " + error.what());
    case Failure::transient:
      return Status::retry(std::string("postgres: ") + doing + ": " + error.what());
    case Failure::data:
    case Failure::fatal:
      break;
  }
  host_.log().error("{}: {}", doing, error.what());
  return Status::fatal(std::string("postgres: ") + doing + ": " + error.what());
}

Status PostgresSink::apply_migrations_now() {
  std::filesystem::path folder = migrations_.empty() ? host_.data_path("sql") : migrations_;
  try {
    auto migrations = load_migrations(folder);
    writer_connection_.open();
    auto applied = apply_migrations(writer_connection_, migrations, host_.log());
    if (applied.empty()) {
      host_.log().info("schema up to date ({} migrations in {})", migrations.size(), folder.string());
    } else {
      host_.log().info("applied {} migration(s) from {}", applied.size(), folder.string());
    }
    return Status::ok();
  } catch (const PgError& e) {
    return failed(e, "migrating");
  } catch (const std::exception& e) {
    return Status::fatal(std::string("postgres: migrations: ") + e.what());
  }
}

Status PostgresSink::open() {
  host_.log().info("connecting to {}", redacted_dsn_);
  try {
    writer_connection_.open();
  } catch (const PgError& e) {
    return failed(e, "connecting");
  }
  if (migrate_on_open_) {
    Status status = apply_migrations_now();
    if (!status.is_ok()) return status;
  }
  set_available(true, {});
  return Status::ok();
}

Status PostgresSink::migrate() { return apply_migrations_now(); }

Status PostgresSink::write(Batch& batch, Outcome& outcome) {
  auto started = std::chrono::steady_clock::now();
  try {
    writer_connection_.open();
    WriteStats stats = writer_.write(writer_connection_, batch, outcome);
    if (!available_) set_available(true, {});
    orders_written_.inc(stats.written);
    orders_refused_.inc(stats.refused);
    batches_.inc();
    if (stats.refused) {
      host_.log().warn("the database refused {} of {} orders; they go to the dead-letter route",
                       stats.refused, batch.records.size());
    }
  } catch (const PgError& e) {
    retries_.inc();
    return failed(e, "writing a batch");
  } catch (const std::exception& e) {
    return Status::fatal(std::string("postgres: writing a batch: ") + e.what());
  }
  batch_seconds_.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return Status::ok();
}

void PostgresSink::close() {
  writer_connection_.close();
  read_pool_.close();
}

Lookup PostgresSink::get(std::string_view key, std::string& value, std::int64_t& version) {
  version = 0;
  try {
    bool found = false;
    read_pool_.run([&](PgConnection& connection) {
      std::string uid(key);
      soci::indicator indicator = soci::i_null;
      connection.session() << "SELECT document::text FROM orders WHERE order_uid = :uid",
          soci::use(uid), soci::into(value, indicator);
      found = connection.session().got_data() && indicator == soci::i_ok;
    });
    return found ? Lookup::found : Lookup::not_found;
  } catch (const PgError& e) {
    if (e.failure() == Failure::fatal) host_.log().error("lookup failed: {}", e.what());
    return Lookup::unavailable;
  } catch (const std::exception& e) {
    host_.log().error("lookup failed: {}", e.what());
    return Lookup::unavailable;
  }
}

Status PostgresSink::scan(const ScanVisitor& visit) {
  // Its own connection: a scan of millions of orders must not hold a lookup connection.
  PgConnection connection(connect_string_);
  try {
    connection.open();
    BinaryCopyReader reader([&](std::string_view key, std::string_view value) { return visit(key, value, 0); });
    connection.copy_out("COPY (SELECT order_uid, document::text FROM orders) TO STDOUT (FORMAT binary)",
                        [&](std::string_view chunk) { return reader.feed(chunk); });
    return Status::ok();
  } catch (const PgError& e) {
    if (e.failure() == Failure::connection || e.failure() == Failure::transient) {
      return Status::retry(std::string("postgres: scan: ") + e.what());
    }
    return Status::fatal(std::string("postgres: scan: ") + e.what());
  } catch (const std::exception& e) {
    return Status::fatal(std::string("postgres: scan: ") + e.what());
  }
}

Status PostgresSink::recent(std::size_t limit, std::vector<std::string>& keys) {
  keys.clear();
  if (limit == 0) return Status::ok();
  try {
    read_pool_.run([&](PgConnection& connection) {
      Result rows = connection.query(
          "SELECT order_uid FROM orders ORDER BY ingested_at DESC, order_uid LIMIT $1::integer",
          {{std::to_string(std::min<std::size_t>(limit, 10000))}});
      for (int row = 0; row < PQntuples(rows.get()); ++row) {
        keys.emplace_back(PQgetvalue(rows.get(), row, 0));
      }
    });
    return Status::ok();
  } catch (const PgError& e) {
    return Status::retry(std::string("postgres: recent: ") + e.what());
  }
}

Status PostgresSink::load(const std::string& stream, std::int32_t partition,
                          std::int64_t& next_offset, bool& found) {
  found = false;
  try {
    read_pool_.run([&](PgConnection& connection) {
      long long offset = 0;
      int partition_value = partition;
      std::string stream_value = stream;
      connection.session() << "SELECT next_offset FROM offsets WHERE stream = :stream AND "
                              "partition = :partition",
          soci::use(stream_value), soci::use(partition_value), soci::into(offset);
      found = connection.session().got_data();
      if (found) next_offset = offset;
    });
    return Status::ok();
  } catch (const PgError& e) {
    if (e.failure() == Failure::fatal) {
      return Status::fatal(std::string("postgres: loading positions: ") + e.what());
    }
    return Status::retry(std::string("postgres: loading positions: ") + e.what());
  }
}

}  // namespace sluice::pg
