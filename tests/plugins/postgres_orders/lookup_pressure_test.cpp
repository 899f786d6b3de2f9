// Lookups while the database is under pressure or gone
// (README.md, "Coherent reads across instances"): bounded by read_timeout_ms, transient
// (unavailable, not a "database down" back-off), and what reaches /readyz or a Status names no
// host, port, user or database.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <thread>

#include "pipeline_steps.hpp"
#include "postgres_fixture.hpp"
#include "support/order_samples.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

class LookupPressureTest : public PostgresTest {};

TEST_F(LookupPressureTest, LockedOrdersTableAnswersUnavailableWithinTheReadTimeout) {
  constexpr auto read_timeout = 500ms;
  pg::PostgresSink sink(
      Config(nlohmann::json{{"dsn", dsn()}, {"read_connections", 2}, {"read_timeout_ms", read_timeout.count()}}),
      host_);
  ASSERT_TRUE(sink.open().is_ok());
  Batch batch;
  batch.records.push_back(make_record(make_order("kept").dump(), 0));
  Outcome outcome;
  ASSERT_TRUE(sink.write(batch, outcome).is_ok());
  std::string value;
  ASSERT_EQ(sink.get("kept", value), Lookup::found);  // the pool has a live connection

  // Another session holds the table: every statement touching it waits.
  std::unique_ptr<PGconn, decltype(&PQfinish)> locker(PQconnectdb(dsn().c_str()), &PQfinish);
  ASSERT_EQ(PQstatus(locker.get()), CONNECTION_OK);
  PQclear(PQexec(locker.get(), "BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"));
  ASSERT_EQ(PQtransactionStatus(locker.get()), PQTRANS_INTRANS);

  std::atomic<int> unavailable{0};
  std::atomic<long long> slowest_ms{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 20; ++i) {
    readers.emplace_back([&, i] {
      auto started = std::chrono::steady_clock::now();
      std::string found;
      if (sink.get("unknown-" + std::to_string(i), found) == Lookup::unavailable) ++unavailable;
      long long ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
      for (long long seen = slowest_ms; ms > seen && !slowest_ms.compare_exchange_weak(seen, ms);) {
      }
    });
  }
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(unavailable, 20);
  EXPECT_LE(slowest_ms, read_timeout.count() + 250) << "a lookup waited past read_timeout_ms";

  // The other stages' view: still one database, healthy, not "down".
  EXPECT_TRUE(host_.health().ready());
  PQclear(PQexec(locker.get(), "ROLLBACK"));
  EXPECT_EQ(sink.get("kept", value), Lookup::found);  // no back-off after timeouts
  EXPECT_EQ(sink.get("unknown-1", value), Lookup::not_found);
}

TEST_F(LookupPressureTest, WaitForAnUnreachableDatabaseIsUnknownAndReasonsArePublic) {
  const int port = free_port();
  const std::string nowhere = "postgresql://secret_user@127.0.0.1:" + std::to_string(port) + "/secret_db";
  pg::PostgresSink sink(Config(nlohmann::json{{"dsn", nowhere}, {"read_timeout_ms", 200}}), host_);
  Status status = sink.open();
  ASSERT_EQ(status.code(), StatusCode::retry);
  std::string why;
  EXPECT_FALSE(host_.health().ready(&why));
  for (const std::string& text : {status.message(), why}) {
    for (const std::string& secret :
         {std::string("127.0.0.1"), std::to_string(port), std::string("secret_user"), std::string("secret_db")}) {
      EXPECT_EQ(text.find(secret), std::string::npos) << text;
    }
  }
  EXPECT_NE(status.message().find("database connection failed"), std::string::npos) << status.message();
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(sink.wait_for({"orders", 0, 1}, started + 300ms), Reach::unknown);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  std::vector<std::string> keys;
  Status recent = sink.recent(5, keys);
  EXPECT_EQ(recent.code(), StatusCode::retry);
  EXPECT_EQ(recent.message().find("127.0.0.1"), std::string::npos) << recent.message();
}

}  // namespace
}  // namespace sluice::test
