#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli/kafka_orders.hpp"
#include "cli/sample_order.hpp"
#include "consumer_settings.hpp"
#include "kafka_stats.hpp"
#include "offset_tracker.hpp"
#include "sluice/status.hpp"
#include "support/process.hpp"

namespace sluice::kafka {
namespace {

TEST(OffsetTracker, SendsHighestAcceptedOffsetOncePerOwnedPartition) {
  OffsetTracker t;
  t.assign("orders", 0);
  t.assign("orders", 1);
  t.accepted({{"orders", 0, 10}, {"orders", 1, 5}, {"orders", 0, 7}, {"orders", 2, 99}});
  auto sent = t.take_unsent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].offset, 10);
  EXPECT_EQ(sent[1].offset, 5);
  EXPECT_TRUE(t.take_unsent().empty());  // nothing new
}

TEST(OffsetTracker, RevokedPartitionsAreNeverCommitted) {
  OffsetTracker t;
  t.assign("orders", 0);
  t.revoke("orders", 0);
  t.accepted({{"orders", 0, 10}});
  EXPECT_TRUE(t.take_unsent().empty());
  EXPECT_FALSE(t.owns("orders", 0));
}

TEST(OffsetTracker, FailedCommitIsResentUnlessSuperseded) {
  OffsetTracker t;
  t.assign("orders", 0);
  t.accepted({{"orders", 0, 10}});
  ASSERT_EQ(t.take_unsent().size(), 1u);
  t.commit_failed("orders", 0, 10);
  auto again = t.take_unsent();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].offset, 10);

  t.accepted({{"orders", 0, 20}});
  ASSERT_EQ(t.take_unsent().size(), 1u);
  t.commit_failed("orders", 0, 10);  // late failure of an older commit
  EXPECT_TRUE(t.take_unsent().empty());
}

TEST(KafkaStats, ReadsLagAndBrokerState) {
  auto json = R"({
    "brokers": {
      "127.0.0.1:9092/bootstrap": {"nodeid": -1, "state": "UP"},
      "127.0.0.1:9092/1": {"nodeid": 1, "state": "DOWN"}
    },
    "topics": {"orders": {"partitions": {
      "0": {"partition": 0, "consumer_lag": 12},
      "1": {"partition": 1, "consumer_lag": -1},
      "-1": {"partition": -1, "consumer_lag": 0}
    }}}
  })";
  StatsSummary s = summarize_stats(json);
  ASSERT_TRUE(s.parsed);
  EXPECT_FALSE(s.broker_up);  // a bootstrap connection alone is not a broker
  ASSERT_EQ(s.lags.size(), 1u);
  EXPECT_EQ(s.lags[0].partition, 0);
  EXPECT_EQ(s.lags[0].lag, 12);
  EXPECT_FALSE(summarize_stats("not json").parsed);
}

nlohmann::json defaults() {
  return {{"brokers", "localhost:9092"}, {"topic", "orders"},        {"group", "g"},
          {"start_from", "earliest"},    {"session_timeout_ms", 6000}, {"heartbeat_interval_ms", 500},
          {"commit_interval_ms", 1000},  {"stats_interval_ms", 5000},  {"properties", nlohmann::json::object()}};
}

std::string config_error_key(nlohmann::json j) {
  try {
    ConsumerSettings::from(Config(std::move(j)));
  } catch (const ConfigError& e) {
    return e.key();
  }
  return "";
}

TEST(ConsumerSettings, AcceptsDefaultsAndRejectsNonsenseNamingTheKey) {
  EXPECT_EQ(config_error_key(defaults()), "");
  auto j = defaults();
  j["start_from"] = "middle";
  EXPECT_EQ(config_error_key(j), "start_from");
  j = defaults();
  j["heartbeat_interval_ms"] = 6000;
  EXPECT_EQ(config_error_key(j), "heartbeat_interval_ms");
  j = defaults();
  j["properties"] = {{"enable.auto.commit", "true"}};
  EXPECT_EQ(config_error_key(j), "properties");
  j = defaults();
  j["properties"] = {{"no.such.property", "1"}};
  EXPECT_EQ(config_error_key(j), "properties");
  j = defaults();
  j["properties"] = {{"client.id", "x"}};
  EXPECT_EQ(config_error_key(j), "");
}

}  // namespace
}  // namespace sluice::kafka

namespace sluice::cli {
namespace {

TEST(SampleOrder, EmbeddedCopyEqualsTheFixture) {
  std::ifstream in(sluice::test::source_dir() / "tests/fixtures/model.json");
  ASSERT_TRUE(in);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(nlohmann::json::parse(text.str()), nlohmann::json::parse(sample_order_json));
  auto sample = sample_order_message();
  EXPECT_EQ(sample.key, "b563feb7b2b84b6test");
  EXPECT_EQ(nlohmann::json::parse(sample.value), nlohmann::json::parse(sample_order_json));
}

TEST(OrderGenerator, MakesDistinctOrdersShapedLikeTheSample) {
  OrderGenerator gen("t_x-1");
  auto sample = nlohmann::json::parse(sample_order_json);
  std::set<std::string> uids, rids;
  for (int i = 0; i < 100; ++i) {
    KeyedMessage m = gen.next();
    auto order = nlohmann::json::parse(m.value);
    EXPECT_EQ(m.key, order["order_uid"]);
    EXPECT_LE(m.key.size(), 64u);
    EXPECT_EQ(order["payment"]["transaction"], order["order_uid"]);
    EXPECT_TRUE(uids.insert(m.key).second);
    for (auto& item : order["items"]) EXPECT_TRUE(rids.insert(item["rid"].get<std::string>()).second);
    // Same fields with the same JSON types as the sample.
    ASSERT_EQ(order.size(), sample.size());
    for (auto& [k, v] : sample.items()) EXPECT_EQ(order[k].type(), v.type()) << k;
    EXPECT_EQ(order["date_created"].get<std::string>().size(), 20u);  // YYYY-MM-DDTHH:MM:SSZ
  }
  EXPECT_EQ(gen.generated(), 100u);
}

// --order-version: the same order_uids again, told apart by track_number, nothing else moved.
TEST(OrderGenerator, MarksAVersionInTrackNumber) {
  OrderGenerator plain("v"), versioned("v", 3);
  for (int i = 0; i < 3; ++i) {
    auto a = nlohmann::json::parse(plain.next().value);
    auto b = nlohmann::json::parse(versioned.next().value);
    EXPECT_EQ(a["order_uid"], b["order_uid"]);
    EXPECT_EQ(b["track_number"], a["track_number"].get<std::string>() + "-v3");
    EXPECT_EQ(b["items"][0]["track_number"], a["items"][0]["track_number"]);
    EXPECT_EQ(a.size(), b.size());
  }
}

TEST(OrderPrefix, ValidatesAndRandomizes) {
  EXPECT_TRUE(valid_order_prefix("abc_D-9"));
  EXPECT_FALSE(valid_order_prefix(""));
  EXPECT_FALSE(valid_order_prefix("a b"));
  EXPECT_FALSE(valid_order_prefix(std::string(max_order_prefix + 1, 'a')));
  auto a = random_order_prefix(), b = random_order_prefix();
  EXPECT_TRUE(valid_order_prefix(a));
  EXPECT_NE(a, b);
  EXPECT_EQ(order_key(R"({"order_uid":"x1"})"), "x1");
  EXPECT_FALSE(order_key("{}").has_value());
  EXPECT_FALSE(order_key("garbage").has_value());
}

}  // namespace
}  // namespace sluice::cli
