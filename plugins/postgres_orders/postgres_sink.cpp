#include "postgres_sink.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "binary_copy_reader.hpp"
#include "pg_dsn.hpp"
#include "pg_migrator.hpp"
#include "pg_status.hpp"
#include "sluice/log_text.hpp"

namespace sluice::pg {
namespace {

constexpr const char* health_component = "postgres";

}  // namespace

const ConfigMap<PostgresSettings>& postgres_config_map() {
  using S = PostgresSettings;
  static const ConfigMap<S> map{
      dsn_key<S>(),
      migrations_key<S>(),
      migrate_on_open_key<S>(),
      key("read_connections", &S::read_connections,
          "connections kept for lookups (REST cache misses, positions, recent orders)")
          .range(1, 64, &range_message::dots),
      key("read_timeout_ms", &S::read_timeout,
          "longest a lookup waits for a connection, and its statement runs (then: unavailable)")
          .range(10, 600000, &range_message::dots),
      key("feed_channel", &S::feed_channel,
          "NOTIFY channel of the change feed (what every batch stored, for other instances' caches)"),
      key("notify", &S::notify, "announce every batch on feed_channel (false: caches of other instances are not told)"),
  };
  return map;
}

PostgresSettings parse_postgres_settings(const Config& config) {
  PostgresSettings settings = postgres_config_map().parse(config);
  // PostgreSQL truncates identifiers at 63 bytes: two names differing later would share it.
  if (settings.feed_channel.empty() || settings.feed_channel.size() > 63) {
    throw ConfigError("feed_channel", "feed_channel must be 1..63 bytes");
  }
  return settings;
}

PostgresSink::PostgresSink(const Config& config, SinkHost& host)
    : PostgresSink(parse_postgres_settings(config), host) {}

PostgresSink::PostgresSink(const PostgresSettings& settings, SinkHost& host)
    : host_(host),
      connect_string_(dsn_connect_string(settings.dsn, "sluice")),
      redacted_dsn_(redacted(settings.dsn)),
      migrations_(settings.migrations.value_or(std::string())),
      migrate_on_open_(settings.migrate_on_open),
      writer_connection_(connect_string_),
      read_pool_(connect_string_, settings.read_connections, settings.read_timeout),
      feeds_(dsn_connect_string(settings.dsn, "sluice-feed"), settings.feed_channel, settings.read_timeout, host.log()),
      holds_(dsn_connect_string(settings.dsn, "sluice-holds")),
      orders_written_(host.metrics().counter("sluice_postgres_orders_written_total",
                                             "Orders stored (inserted or replaced) in PostgreSQL")),
      orders_refused_(host.metrics().counter("sluice_postgres_orders_refused_total",
                                             "Orders the database refused (sent to dead letters)")),
      dead_letters_retired_(
          host.metrics().counter("sluice_postgres_dead_letters_retired_total",
                                 "Dead letters deleted in the transaction that stored the orders replayed from them")),
      dead_letters_stored_(host.metrics().counter("sluice_dead_letters_stored_total",
                                                  "Dead letters written to PostgreSQL (replays included)")),
      batches_(host.metrics().counter("sluice_postgres_batches_total", "Batch transactions committed")),
      retries_(host.metrics().counter("sluice_postgres_retries_total",
                                      "Batch writes that failed transiently and will be retried")),
      batch_seconds_(host.metrics().histogram("sluice_postgres_batch_seconds", "Time to write and commit one batch",
                                              {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5})) {
  if (settings.notify) writer_.set_feed_channel(settings.feed_channel);
  writer_.set_location(dsn_location(settings.dsn));
}

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

// Health reasons and Status messages reach /readyz: only the public reason goes there
// (libpq's text names the host, user and database); the log gets everything.
// The Status is pg::status_of's (pg_status.hpp), the same for reads and writes; what
// differs is the side effects: the writer's connection and availability here.
Status PostgresSink::failed(const PgError& error, const char* doing) {
  switch (error.failure()) {
    case Failure::connection:
      writer_connection_.close();
      if (!reported_down_) host_.log().warn("{}: {}", doing, printable(error.what(), 1024));
      set_available(false, error.public_reason());
      break;
    case Failure::transient:
      host_.log().warn("{}, will retry: {}", doing, printable(error.what(), 1024));
      break;
    case Failure::data:
    case Failure::fatal:
      host_.log().error("{}: {}", doing, printable(error.what(), 1024));
      break;
  }
  return status_of(error, "postgres", doing);
}

// Reads go through the read pool, which reconnects by itself: only logging here.
Status PostgresSink::read_failed(const PgError& error, const char* doing) {
  if (retryable(error.failure())) {
    host_.log().debug("{}: {}", doing, printable(error.what(), 1024));
  } else {
    host_.log().error("{}: {}", doing, printable(error.what(), 1024));
  }
  return status_of(error, "postgres", doing);
}

Status PostgresSink::apply_migrations_now() {
  std::filesystem::path folder = migrations_.empty() ? host_.data_path("sql/postgres") : migrations_;
  try {
    auto migrations = load_migrations(folder);
    writer_connection_.open();
    auto applied = apply_migrations(writer_connection_, "postgres", migrations, host_.log());
    if (applied.empty()) {
      host_.log().info("schema up to date ({} migrations in {})", migrations.size(), folder.string());
    } else {
      host_.log().info("applied {} migration(s) from {}", applied.size(), folder.string());
    }
    return Status::ok();
  } catch (const PgError& e) {
    return failed(e, "migrating");
  } catch (const std::exception& e) {
    host_.log().error("migrations: {}", printable(e.what(), 1024));
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
    dead_letters_retired_.inc(stats.retired);
    dead_letters_stored_.inc(stats.lettered);
    batches_.inc();
    if (stats.refused) {
      host_.log().warn("the database refused {} of {} orders; {}", stats.refused, batch.records.size(),
                       stats.lettered ? "their dead letters were kept before the batch committed"
                                      : "they go to the dead-letter route");
    }
  } catch (const PgError& e) {
    retries_.inc();
    return failed(e, "writing a batch");
  } catch (const std::exception& e) {
    host_.log().error("writing a batch: {}", printable(e.what(), 1024));
    return Status::fatal(std::string("postgres: writing a batch: ") + e.what());
  }
  batch_seconds_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return Status::ok();
}

void PostgresSink::close() {
  feeds_.stop_all();  // first: after close() no follower callback runs
  writer_connection_.close();
  read_pool_.close();
  holds_.close();
}

Lookup PostgresSink::get(std::string_view key, std::string& value, std::int64_t& version) {
  version = 0;
  try {
    bool found = false;
    read_pool_.run([&](PgConnection& connection) {
      Result rows =
          connection.query("SELECT document::text, version FROM orders WHERE order_uid = $1", {{std::string(key)}});
      found = PQntuples(rows.get()) == 1;
      if (found) {
        value.assign(PQgetvalue(rows.get(), 0, 0), static_cast<std::size_t>(PQgetlength(rows.get(), 0, 0)));
        version = std::stoll(PQgetvalue(rows.get(), 0, 1));
      }
    });
    return found ? Lookup::found : Lookup::not_found;
  } catch (const PgError& e) {
    // Timeouts and a database that is down are expected under pressure: the caller asks
    // another store or says "unavailable"; only a real fault is worth an error line.
    if (!retryable(e.failure())) host_.log().error("lookup failed: {}", printable(e.what(), 1024));
    return Lookup::unavailable;
  } catch (const std::exception& e) {
    host_.log().error("lookup failed: {}", printable(e.what(), 1024));
    return Lookup::unavailable;
  }
}

Status PostgresSink::get_many(const std::vector<std::string>& keys, const FoundVisitor& visit) {
  if (keys.empty()) return Status::ok();
  std::vector<std::string_view> views(keys.begin(), keys.end());
  try {
    read_pool_.run([&](PgConnection& connection) {
      Result rows =
          connection.query("SELECT order_uid, document::text, version FROM orders WHERE order_uid = ANY($1::text[])",
                           {{text_array_literal(views)}});
      for (int row = 0; row < PQntuples(rows.get()); ++row) {
        visit(
            std::string_view(PQgetvalue(rows.get(), row, 0), static_cast<std::size_t>(PQgetlength(rows.get(), row, 0))),
            std::string_view(PQgetvalue(rows.get(), row, 1), static_cast<std::size_t>(PQgetlength(rows.get(), row, 1))),
            std::stoll(PQgetvalue(rows.get(), row, 2)));
      }
    });
    return Status::ok();
  } catch (const PgError& e) {
    return read_failed(e, "looking up orders");
  }
}

Status PostgresSink::scan(const ScanVisitor& visit) {
  // Its own connection: a scan of millions of orders must not hold a lookup connection
  // (and gets no statement_timeout: it may rightly take long).
  PgConnection connection(connect_string_);
  try {
    connection.open();
    BinaryCopyReader reader(3, [&](const std::string_view* values) {
      return visit(values[0], values[1], BinaryCopyReader::int64_at(values[2]));
    });
    connection.copy_out("COPY (SELECT order_uid, document::text, version FROM orders) TO STDOUT (FORMAT binary)",
                        [&](std::string_view chunk) { return reader.feed(chunk); });
    return Status::ok();
  } catch (const PgError& e) {
    return read_failed(e, "scan");
  } catch (const std::exception& e) {
    host_.log().error("scan: {}", printable(e.what(), 1024));
    return Status::fatal(std::string("postgres: scan: ") + e.what());
  }
}

Status PostgresSink::recent(std::size_t limit, std::vector<std::string>& keys) {
  keys.clear();
  if (limit == 0) return Status::ok();
  try {
    read_pool_.run([&](PgConnection& connection) {
      Result rows =
          connection.query("SELECT order_uid FROM orders ORDER BY ingested_at DESC, order_uid LIMIT $1::integer",
                           {{std::to_string(std::min<std::size_t>(limit, 10000))}});
      for (int row = 0; row < PQntuples(rows.get()); ++row) {
        keys.emplace_back(PQgetvalue(rows.get(), row, 0));
      }
    });
    return Status::ok();
  } catch (const PgError& e) {
    return read_failed(e, "recent");
  }
}

Status PostgresSink::load(const std::string& stream, std::int32_t partition, std::int64_t& next_offset, bool& found) {
  found = false;
  try {
    read_pool_.run([&](PgConnection& connection) {
      Result rows = connection.query("SELECT next_offset FROM offsets WHERE stream = $1 AND partition = $2::integer",
                                     {{stream}, {std::to_string(partition)}});
      found = PQntuples(rows.get()) == 1;
      if (found) next_offset = std::stoll(PQgetvalue(rows.get(), 0, 0));
    });
    return Status::ok();
  } catch (const PgError& e) {
    return read_failed(e, "loading positions");
  }
}

Status PostgresSink::follow(ChangeFollower& follower) { return feeds_.follow(follower); }

void PostgresSink::unfollow(ChangeFollower& follower) { feeds_.unfollow(follower); }

Reach PostgresSink::wait_for(const Position& position, std::chrono::steady_clock::time_point deadline) {
  constexpr auto poll_every = std::chrono::milliseconds(25);
  bool answered = false;
  for (;;) {
    try {
      std::int64_t stored = 0;
      bool found = false;
      read_pool_.run([&](PgConnection& connection) {
        Result rows = connection.query("SELECT next_offset FROM offsets WHERE stream = $1 AND partition = $2::integer",
                                       {{position.stream}, {std::to_string(position.partition)}});
        found = PQntuples(rows.get()) == 1;
        if (found) stored = std::stoll(PQgetvalue(rows.get(), 0, 0));
      });
      answered = true;
      if ((found ? stored : 0) >= position.offset) return Reach::reached;
    } catch (const PgError& e) {
      // Down or too slow: keep asking until the deadline. A fault no retry can fix: unknown.
      if (!retryable(e.failure())) {
        host_.log().error("read-your-writes wait: {}", printable(e.what(), 1024));
        return Reach::unknown;
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return answered ? Reach::not_yet : Reach::unknown;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(poll_every, deadline - now));
  }
}

Status PostgresSink::hold(const std::vector<PartitionKey>& partitions) {
  try {
    holds_.hold(partitions);
    return Status::ok();
  } catch (const PgError& e) {
    return read_failed(e, "holding positions");
  }
}

void PostgresSink::release(const std::vector<PartitionKey>& partitions) { holds_.release(partitions); }

Status PostgresSink::list(const std::string& stream, std::vector<Position>& out) {
  try {
    PgConnection connection(connect_string_);
    connection.open();
    out = list_positions(connection, stream);
    return Status::ok();
  } catch (const PgError& e) {
    return read_failed(e, "reading positions");
  }
}

Status PostgresSink::move(const std::vector<Position>& positions, std::vector<PartitionKey>& held) {
  try {
    PgConnection connection(connect_string_);
    connection.open();
    held = move_positions(connection, positions);
    return Status::ok();
  } catch (const PgError& e) {
    return read_failed(e, "moving positions");
  }
}

}  // namespace sluice::pg
