// After a restart the cache is warmed from PostgreSQL by streaming, and holds every order
// again, byte for byte; readiness says "warming" until it is done.
#include <gtest/gtest.h>

#include "memory_cache.hpp"
#include "postgres_sink.hpp"
#include "support/order_samples.hpp"
#include "support/plugin_test_host.hpp"
#include "support/postgres_cluster.hpp"

namespace sluice::test {
namespace {

Config sink_config(const std::string& dsn) {
  return Config(nlohmann::json{{"dsn", dsn}, {"migrate_on_open", true}, {"read_connections", 2}});
}

TEST(MemoryCacheWarmup, RestoresEveryOrderFromTheDatabase) {
  PostgresCluster cluster("memory-cache-warmup");
  constexpr int count = 5000;
  std::map<std::string, std::string> written;
  {
    PluginTestHost host;
    pg::PostgresSink sink(sink_config(cluster.dsn()), host);
    ASSERT_TRUE(sink.open().is_ok());
    for (int first = 0; first < count; first += 1000) {
      Batch batch;
      for (int i = first; i < first + 1000; ++i) {
        Record record;
        record.key = "warm-" + std::to_string(i);
        record.value = make_order(record.key, i).dump();
        written[record.key] = record.value;
        batch.records.push_back(std::move(record));
      }
      Outcome outcome;
      ASSERT_TRUE(sink.write(batch, outcome).is_ok());
    }
  }

  // "Restart": new objects, empty cache.
  PluginTestHost host;
  pg::PostgresSink sink(sink_config(cluster.dsn()), host);
  ASSERT_TRUE(sink.open().is_ok());
  host.add_store("db", &sink);
  cache::MemoryCache cache(Config(nlohmann::json{{"warm_from", "db"}, {"max_entries", 0}, {"progress_every", 1000}}),
                           host);
  std::string why;
  Status status = cache.open();
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_TRUE(host.health().ready(&why)) << why;
  EXPECT_EQ(cache.size(), count);
  for (const auto& [key, value] : written) {
    std::string cached;
    ASSERT_EQ(cache.get(key, cached), Lookup::found) << key;
    ASSERT_EQ(cached, value) << key;
  }
}

TEST(MemoryCacheWarmup, UnknownStoreIsFatalAndDatabaseDownIsRetry) {
  PluginTestHost host;
  cache::MemoryCache unknown(Config(nlohmann::json{{"warm_from", "nope"}, {"max_entries", 0}, {"progress_every", 10}}),
                             host);
  EXPECT_EQ(unknown.open().code(), StatusCode::fatal);

  PostgresCluster cluster("memory-cache-warmup-down", "sluice_test", PostgresCluster::Server::own);
  pg::PostgresSink sink(sink_config(cluster.dsn()), host);
  ASSERT_TRUE(sink.open().is_ok());
  cluster.stop(true);
  host.add_store("db", &sink);
  cache::MemoryCache cache(Config(nlohmann::json{{"warm_from", "db"}, {"max_entries", 0}, {"progress_every", 10}}),
                           host);
  EXPECT_EQ(cache.open().code(), StatusCode::retry);
  std::string why;
  EXPECT_FALSE(host.health().ready(&why));
}

}  // namespace
}  // namespace sluice::test
