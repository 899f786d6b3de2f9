// The postgres sink against a real PostgreSQL 15: migrations, round trip, dead letters,
// idempotency, positions in the same transaction, streaming scan, lookups.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "pipeline_steps.hpp"
#include "postgres_fixture.hpp"
#include "rfc3339.hpp"
#include "support/order_samples.hpp"

namespace sluice::test {
namespace {

TEST_F(PostgresTest, MigrationsAreAppliedOnceAndRecorded) {
  auto first = make_sink();
  auto second = make_sink();
  auto letters = make_dead_letter_sink();
  // Two instances and the other PostgreSQL plugin racing on an empty database: the advisory
  // lock serialises them. Each plugin applies its own set (sql/postgres/, sql/postgres_dead_letter/).
  Status a, b, c;
  std::thread other([&] { b = second->migrate(); });
  std::thread dead_letter_plugin([&] { c = letters->migrate(); });
  a = first->migrate();
  other.join();
  dead_letter_plugin.join();
  ASSERT_TRUE(a.is_ok()) << a.message();
  ASSERT_TRUE(b.is_ok()) << b.message();
  ASSERT_TRUE(c.is_ok()) << c.message();
  EXPECT_EQ(scalar("SELECT string_agg(plugin, ',' ORDER BY version) FROM schema_migrations"),
            "postgres,postgres,postgres_dead_letter,postgres,postgres_dead_letter,postgres_dead_letter,postgres");
  EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), "7");
  EXPECT_EQ(scalar("SELECT string_agg(name, ',' ORDER BY version) FROM schema_migrations"),
            "0001_orders.sql,0002_offsets.sql,0003_dead_letters.sql,0004_order_versions.sql,"
            "0005_dead_letter_retention.sql,0006_dead_letter_key.sql,0007_offsets_replayed_below.sql");
  ASSERT_TRUE(first->open().is_ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), "7");
  EXPECT_EQ(scalar("SELECT to_regclass('dead_letters') IS NOT NULL"), "t");
}

TEST_F(PostgresTest, CanonicalOrderRoundTripsAndIsNormalized) {
  auto validate = make_validate();
  auto sink = make_sink();
  ASSERT_TRUE(sink->open().is_ok());
  std::string sent = read_file(source_dir() / "tests/fixtures/model.json");
  Batch batch;
  batch.records.push_back(make_record(sent, 0));
  batch.positions.push_back({"orders", 0, 1});
  EXPECT_TRUE(run_batch(batch, validate.get(), {sink.get()}, nullptr).empty());

  std::string stored;
  ASSERT_EQ(sink->get("b563feb7b2b84b6test", stored), Lookup::found);
  EXPECT_EQ(nlohmann::json::parse(stored), nlohmann::json::parse(sent));
  EXPECT_EQ(query("SELECT track_number, sm_id, shardkey, date_created AT TIME ZONE 'UTC' FROM orders")[0],
            (PostgresCluster::Row{"WBILMTESTTRACK", "99", "9", "2021-11-26 06:22:19"}));
  EXPECT_EQ(query("SELECT name, city, email FROM deliveries")[0],
            (PostgresCluster::Row{"Test Testov", "Kiryat Mozkin", "test@gmail.com"}));
  EXPECT_EQ(query("SELECT amount, delivery_cost, goods_total, request_id FROM payments")[0],
            (PostgresCluster::Row{"1817", "1500", "317", ""}));
  EXPECT_EQ(query("SELECT item_index, chrt_id, price, brand, status FROM items")[0],
            (PostgresCluster::Row{"0", "9934930", "453", "Vivienne Sabo", "202"}));
  EXPECT_EQ(query("SELECT source_stream, source_partition, source_offset FROM orders")[0],
            (PostgresCluster::Row{"orders", "0", "0"}));
  EXPECT_EQ(sink->get("no-such-order", stored), Lookup::not_found);
}

TEST_F(PostgresTest, DocumentKeepsWhatColumnsCannot) {
  auto sink = make_sink();
  ASSERT_TRUE(sink->open().is_ok());
  auto order = make_order("offset-and-extras");
  order["date_created"] = "2021-11-26T09:22:19+03:00";
  order["delivery"]["name"] = "Tab\there \\ and \"quotes\" and ünïcode ✓";
  order["gift_note"] = "not in the schema";
  Batch batch;
  batch.records.push_back(make_record(order.dump(), 0));
  batch.records[0].key = "offset-and-extras";
  Outcome outcome;
  ASSERT_TRUE(sink->write(batch, outcome).is_ok());
  ASSERT_TRUE(outcome.rejected().empty());
  std::string stored;
  ASSERT_EQ(sink->get("offset-and-extras", stored), Lookup::found);
  EXPECT_EQ(stored, order.dump());  // byte for byte
  EXPECT_EQ(scalar("SELECT date_created AT TIME ZONE 'UTC' FROM orders"), "2021-11-26 06:22:19");
  EXPECT_EQ(scalar("SELECT name FROM deliveries"), "Tab\there \\ and \"quotes\" and ünïcode ✓");
}

TEST_F(PostgresTest, DocumentsWithNewlinesTabsAndBackslashesAreStoredByteForByte) {
  // COPY text needs \\, \t, \n and \r escaped wherever they fall in the 8-byte words the
  // sink scans; indented JSON puts them everywhere.
  auto sink = make_sink();
  ASSERT_TRUE(sink->open().is_ok());
  auto order = make_order("indented");
  order["delivery"]["address"] = "C:\\orders\\ line\r\nnext \\";
  std::vector<std::string> sent(3);
  for (std::size_t i = 0; i < sent.size(); ++i) {
    order["order_uid"] = "indented-" + std::to_string(i);
    sent[i] = i == 0 ? order.dump(2) : i == 1 ? order.dump(1, '\t') : order.dump(0) + "\r\n";
    Batch batch;
    batch.records.push_back(make_record(sent[i], static_cast<std::int64_t>(i)));
    Outcome outcome;
    ASSERT_TRUE(sink->write(batch, outcome).is_ok());
    ASSERT_TRUE(outcome.rejected().empty()) << outcome.rejected()[0].detail;
    std::string stored;
    ASSERT_EQ(sink->get("indented-" + std::to_string(i), stored), Lookup::found);
    EXPECT_EQ(stored, sent[i]) << "document " << i;
  }
  EXPECT_EQ(scalar("SELECT DISTINCT address FROM deliveries"), "C:\\orders\\ line\r\nnext \\");
}

TEST_F(PostgresTest, BadMessagesAreDeadLetteredWhileTheValidOneCommits) {
  auto validate = make_validate();
  auto sink = make_sink();
  auto dead_letters = make_dead_letter_sink();
  ASSERT_TRUE(sink->open().is_ok());
  ASSERT_TRUE(dead_letters->open().is_ok());

  std::ifstream manifest(source_dir() / "tests/fixtures/orders/invalid/cases.tsv");
  std::map<std::int64_t, std::string> expected_reason;
  Batch batch;
  std::string line;
  while (std::getline(manifest, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string file, reason;
    std::getline(fields, file, '\t');
    std::getline(fields, reason, '\t');
    auto offset = static_cast<std::int64_t>(batch.records.size());
    expected_reason[offset] = reason;
    batch.records.push_back(make_record(read_file(source_dir() / "tests/fixtures/orders/invalid" / file), offset));
  }
  // The validator refuses every value PostgreSQL's types refuse, so only a rule it does not
  // know (an operator's constraint) lets the database refuse a valid order.
  query("ALTER TABLE orders ADD CONSTRAINT orders_customer_id_check CHECK (customer_id <> 'banned')");
  auto banned = make_order("banned-customer");
  banned["customer_id"] = "banned";
  auto offset = static_cast<std::int64_t>(batch.records.size());
  expected_reason[offset] = "db_refused";
  batch.records.push_back(make_record(banned.dump(), offset));
  batch.records.push_back(make_record(read_file(source_dir() / "tests/fixtures/model.json"), offset + 1));
  batch.positions.push_back({"orders", 0, offset + 2});

  auto dead = run_batch(batch, validate.get(), {sink.get()}, dead_letters.get());
  EXPECT_EQ(dead.size(), expected_reason.size());
  EXPECT_EQ(scalar("SELECT string_agg(order_uid, ',') FROM orders"), "b563feb7b2b84b6test");
  EXPECT_EQ(scalar("SELECT count(*) FROM dead_letters"), std::to_string(expected_reason.size()));
  for (const auto& row :
       query("SELECT source_offset, reason, json_pointer, stage, length(raw) > 0 OR source_offset = 1 "
             "FROM dead_letters ORDER BY source_offset")) {
    SCOPED_TRACE(row[0]);
    EXPECT_EQ(row[1], expected_reason.at(std::stoll(row[0])));
    EXPECT_EQ(row[4], "t");
  }
  EXPECT_EQ(query("SELECT json_pointer, stage FROM dead_letters WHERE reason = 'db_refused'")[0],
            (PostgresCluster::Row{"/customer_id", "sink"}));
  // The raw bytes are kept exactly, NUL and invalid UTF-8 included.
  EXPECT_EQ(scalar("SELECT count(*) FROM dead_letters WHERE position('\\x00'::bytea in raw) > 0"), "1");
  EXPECT_EQ(scalar("SELECT next_offset FROM offsets"), std::to_string(offset + 2));
  // The hostile uid did nothing but land in dead letters.
  EXPECT_EQ(scalar("SELECT to_regclass('orders') IS NOT NULL"), "t");

  // A replay of the same positions counts attempts instead of adding rows. The sink does not
  // see its refused record again: the whole batch is behind the stored position (fencing).
  run_batch(batch, validate.get(), {sink.get()}, dead_letters.get());
  EXPECT_EQ(scalar("SELECT count(*) FROM dead_letters"), std::to_string(expected_reason.size()));
  EXPECT_EQ(scalar("SELECT min(attempts) || ',' || max(attempts) FROM dead_letters WHERE reason <> 'db_refused'"),
            "2,2");
  EXPECT_EQ(scalar("SELECT attempts FROM dead_letters WHERE reason = 'db_refused'"), "1");
}

// order_validate's date rule (shared with the sink's own check) and timestamptz agree on every
// edge, so a date the validator passes never turns into a db_refused dead letter.
TEST_F(PostgresTest, ValidatorAndTimestamptzAgreeOnDates) {
  const std::string digits_64(64, '7'), digits_200(200, '7');
  const std::vector<std::string> dates = {"2021-11-26T06:22:19Z",
                                          "0000-01-01T00:00:00Z",
                                          "0000-12-31T23:59:59-01:00",
                                          "0001-01-01T00:00:00Z",
                                          "0001-01-01T00:00:00+15:59",
                                          "9999-12-31T23:59:60-15:59",
                                          "2016-12-31T23:59:60Z",
                                          "2021-11-26T06:22:19+15:59",
                                          "2021-11-26T06:22:19-15:59",
                                          "2021-11-26T06:22:19+16:00",
                                          "2021-11-26T06:22:19-16:00",
                                          "2021-11-26T06:22:19+23:59",
                                          "2021-11-26T06:22:19." + digits_64 + "+15:59",
                                          "2021-11-26T06:22:19." + digits_200 + "Z"};
  (void)query(
      "CREATE FUNCTION takes_timestamptz(t text) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN "
      "PERFORM t::timestamptz; RETURN true; EXCEPTION WHEN others THEN RETURN false; END $$");
  std::string array, expected;
  for (const auto& d : dates) {
    array += (array.empty() ? "'" : ",'") + d + "'";
    expected += std::string(expected.empty() ? "" : ",") + (orders::is_rfc3339_date_time(d) ? "t" : "f");
  }
  EXPECT_EQ(scalar("SELECT string_agg(CASE WHEN takes_timestamptz(d) THEN 't' ELSE 'f' END, ',' ORDER BY n) "
                   "FROM unnest(ARRAY[" +
                   array + "]) WITH ORDINALITY AS x(d, n)"),
            expected);
  EXPECT_NE(expected.find('t'), std::string::npos);
  EXPECT_NE(expected.find('f'), std::string::npos);
}

TEST_F(PostgresTest, SameOrderTwiceIsOneRowSetAndNewestWins) {
  auto sink = make_sink();
  ASSERT_TRUE(sink->open().is_ok());
  auto write = [&](std::vector<nlohmann::json> orders, std::int64_t first_offset) {
    Batch batch;
    for (auto& order : orders) batch.records.push_back(make_record(order.dump(), first_offset++));
    Outcome outcome;
    Status status = sink->write(batch, outcome);
    ASSERT_TRUE(status.is_ok()) << status.message();
    ASSERT_TRUE(outcome.rejected().empty());
  };
  write({make_order("same")}, 0);
  write({make_order("same")}, 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "1");
  EXPECT_EQ(scalar("SELECT count(*) FROM items"), "1");

  write({make_order("same", 2)}, 2);  // new content: three items, other amounts
  EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "1");
  EXPECT_EQ(scalar("SELECT count(*) FROM payments"), "1");
  EXPECT_EQ(scalar("SELECT amount FROM payments"), "1819");
  EXPECT_EQ(scalar("SELECT count(*) || ':' || min(price) FROM items"), "3:455");

  // Two versions in one batch: the later one wins.
  write({make_order("same", 4), make_order("other"), make_order("same", 3)}, 3);
  EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "2");
  EXPECT_EQ(scalar("SELECT amount FROM payments WHERE order_uid = 'same'"), "1820");
  EXPECT_EQ(scalar("SELECT count(*) FROM items WHERE order_uid = 'same'"), "1");
  std::string stored;
  ASSERT_EQ(sink->get("same", stored), Lookup::found);
  EXPECT_EQ(nlohmann::json::parse(stored), make_order("same", 3));
}

TEST_F(PostgresTest, PositionsCommitWithTheDataOrNotAtAll) {
  auto sink = make_sink();
  ASSERT_TRUE(sink->open().is_ok());
  bool found = true;
  std::int64_t next = -1;
  ASSERT_TRUE(sink->load("orders", 0, next, found).is_ok());
  EXPECT_FALSE(found);

  Batch batch;
  batch.records.push_back(make_record(make_order("p1").dump(), 9, 0));
  batch.records.push_back(make_record(make_order("p2").dump(), 4, 1));
  batch.positions = {{"orders", 0, 10}, {"orders", 1, 5}};
  Outcome outcome;
  ASSERT_TRUE(sink->write(batch, outcome).is_ok());
  ASSERT_TRUE(sink->load("orders", 0, next, found).is_ok());
  EXPECT_TRUE(found);
  EXPECT_EQ(next, 10);
  ASSERT_TRUE(sink->load("orders", 1, next, found).is_ok());
  EXPECT_EQ(next, 5);

  // A batch whose records were all rejected upstream still moves its positions.
  Batch empty;
  empty.positions = {{"orders", 0, 12}};
  ASSERT_TRUE(sink->write(empty, outcome).is_ok());
  ASSERT_TRUE(sink->load("orders", 0, next, found).is_ok());
  EXPECT_EQ(next, 12);

  // Make the position write fail: the orders of that batch must not be stored either.
  query(
      "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "RAISE EXCEPTION 'positions refused for the test'; END $$");
  query("CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON offsets FOR EACH ROW EXECUTE FUNCTION refuse()");
  Batch doomed;
  doomed.records.push_back(make_record(make_order("never").dump(), 12, 0));
  doomed.positions = {{"orders", 0, 13}};
  Status status = sink->write(doomed, outcome);
  EXPECT_EQ(status.code(), StatusCode::fatal);
  EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE order_uid = 'never'"), "0");
  EXPECT_EQ(scalar("SELECT next_offset FROM offsets WHERE partition = 0"), "12");
}

TEST_F(PostgresTest, ScanStreamsEveryOrderAndStopsWhenAsked) {
  auto sink = make_sink();
  ASSERT_TRUE(sink->open().is_ok());
  constexpr int count = 2500;
  Batch batch;
  for (int i = 0; i < count; ++i)
    batch.records.push_back(make_record(make_order("scan-" + std::to_string(i)).dump(), i));
  Outcome outcome;
  ASSERT_TRUE(sink->write(batch, outcome).is_ok());

  std::map<std::string, std::string> seen;
  Status status = sink->scan([&](std::string_view key, std::string_view value, std::int64_t) {
    seen.emplace(key, value);
    return true;
  });
  ASSERT_TRUE(status.is_ok()) << status.message();
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(count));
  EXPECT_EQ(nlohmann::json::parse(seen.at("scan-42")), make_order("scan-42"));

  int visited = 0;
  status = sink->scan([&](std::string_view, std::string_view, std::int64_t) { return ++visited < 10; });
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_EQ(visited, 10);

  std::vector<std::string> recent;
  ASSERT_TRUE(sink->recent(5, recent).is_ok());
  EXPECT_EQ(recent.size(), 5u);
}

// The test support itself: every clone is another build tree, so a cluster that left its
// folder under /tmp behind would pile up gigabytes over many runs.
TEST(PostgresClusterSupport, StopsItsServerAndRemovesItsFolder) {
  std::filesystem::path dir;
  {
    PostgresCluster cluster("cluster-cleanup", "sluice_test", PostgresCluster::Server::own);
    dir = cluster.dir();
    ASSERT_TRUE(std::filesystem::exists(dir / "data" / "PG_VERSION"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
}

// Under ctest (SHARED_POSTGRES) clusters join the run's shared server: each gets a database of
// its own, dropped with it, and may not stop the server the other tests use.
TEST(PostgresClusterSupport, SharedServerGivesEachClusterItsOwnDatabaseAndDropsIt) {
  if (!std::getenv("SLUICE_TEST_POSTGRES")) GTEST_SKIP() << "not under ctest: no shared server";
  PostgresCluster first("shared-a", "same_name");
  std::string second_database;
  {
    PostgresCluster second("shared-b", "same_name");
    second_database = second.database();
    EXPECT_EQ(second.port(), first.port());
    EXPECT_NE(second_database, first.database());
    EXPECT_THROW(second.stop(), std::logic_error);
    EXPECT_EQ(first.scalar("SELECT count(*) FROM pg_database WHERE datname = '" + second_database + "'"), "1");
  }
  EXPECT_EQ(first.scalar("SELECT count(*) FROM pg_database WHERE datname = '" + second_database + "'"), "0");
  EXPECT_TRUE(first.running());
}

TEST_F(PostgresTest, BadDsnIsAConfigError) {
  EXPECT_THROW(
      pg::PostgresSink(
          Config(nlohmann::json{{"dsn", "postgresql://[broken"}, {"migrate_on_open", true}, {"read_connections", 2}}),
          host_),
      ConfigError);
}

}  // namespace
}  // namespace sluice::test
