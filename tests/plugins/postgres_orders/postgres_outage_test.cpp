// PostgreSQL stopped for ~10 s in the middle of a stream: writes ask to be retried (nothing
// kept, nothing dead-lettered), lookups say "unavailable" instead of failing, and once the
// server is back every order and position is there exactly once.
#include <gtest/gtest.h>

#include <thread>

#include "pipeline_steps.hpp"
#include "postgres_sink.hpp"
#include "support/order_samples.hpp"
#include "support/plugin_test_host.hpp"
#include "support/postgres_cluster.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

Batch batch_of(int first, int count) {
  Batch batch;
  for (int i = first; i < first + count; ++i) {
    batch.records.push_back(make_record(make_order("outage-" + std::to_string(i)).dump(), i));
  }
  batch.positions = {{"orders", 0, first + count}};
  return batch;
}

TEST(PostgresOutage, WritesRetryWhileTheDatabaseIsDownAndEverythingArrivesAfter) {
  PostgresCluster cluster("postgres-outage", "sluice_test", PostgresCluster::Server::own);
  PluginTestHost host;
  pg::PostgresSink sink(
      Config(nlohmann::json{{"dsn", cluster.dsn()}, {"migrate_on_open", true}, {"read_connections", 2}}), host);
  ASSERT_TRUE(sink.open().is_ok());

  Outcome outcome;
  Batch first = batch_of(0, 100);
  ASSERT_TRUE(sink.write(first, outcome).is_ok());
  std::string value;
  ASSERT_EQ(sink.get("outage-1", value), Lookup::found);

  cluster.stop(true);
  auto stopped_at = std::chrono::steady_clock::now();
  std::thread restarter([&] {
    std::this_thread::sleep_for(10s);
    cluster.start();
  });

  EXPECT_EQ(sink.get("outage-1", value), Lookup::unavailable);
  bool found = false;
  std::int64_t next = 0;
  EXPECT_EQ(sink.load("orders", 0, next, found).code(), StatusCode::retry);

  // What the runtime does: the same batch again, with a pause, until it is accepted.
  Batch second = batch_of(100, 100);
  int retries = 0;
  Status status;
  for (;;) {
    outcome.clear();
    status = sink.write(second, outcome);
    if (status.code() != StatusCode::retry) break;
    ++retries;
    ASSERT_LT(std::chrono::steady_clock::now() - stopped_at, 90s) << "the database never came back";
    std::this_thread::sleep_for(250ms);
  }
  restarter.join();
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_TRUE(outcome.rejected().empty());
  EXPECT_GE(retries, 5);
  EXPECT_GE(std::chrono::steady_clock::now() - stopped_at, 9s);
  EXPECT_NE(host.metrics().render().find("sluice_postgres_retries_total"), std::string::npos);

  Batch third = batch_of(200, 100);
  ASSERT_TRUE(sink.write(third, outcome).is_ok());

  EXPECT_EQ(cluster.scalar("SELECT count(*) FROM orders"), "300");
  EXPECT_EQ(cluster.scalar("SELECT count(DISTINCT order_uid) FROM items"), "300");
  EXPECT_EQ(cluster.scalar("SELECT next_offset FROM offsets"), "300");
  // Lookups recover by themselves (after their short back-off).
  EXPECT_TRUE(wait_until([&] { return sink.get("outage-150", value) == Lookup::found; }, 5s));
  ASSERT_TRUE(sink.load("orders", 0, next, found).is_ok());
  EXPECT_EQ(next, 300);
}

}  // namespace
}  // namespace sluice::test
