#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "consumer_settings.hpp"
#include "instance_slot.hpp"
#include "kafka_orders.hpp"
#include "kafka_stats.hpp"
#include "offset_tracker.hpp"
#include "rejoin_delay.hpp"
#include "sample_order.hpp"
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

TEST(OffsetTracker, RewindGoesBackToTheLastAcceptedPositionOnlyWhenSomethingWasInFlight) {
  OffsetTracker t;
  t.assign("orders", 0);
  t.assign("orders", 1);
  t.assign("orders", 2);
  EXPECT_EQ(t.rewind("orders", 0), -1);  // nothing handed out
  // Partition 0: 100..199 handed out, 100..149 accepted: 150.. must come again.
  t.handed_out("orders", 0, 100, 150);
  t.handed_out("orders", 0, 150, 200);
  t.accepted({{"orders", 0, 150}});
  // Partition 1: handed out, nothing accepted since the assignment: from the first one.
  t.handed_out("orders", 1, 40, 60);
  // Partition 2: all accepted.
  t.handed_out("orders", 2, 7, 9);
  t.accepted({{"orders", 2, 9}});
  EXPECT_EQ(t.rewind("orders", 0), 150);
  EXPECT_EQ(t.rewind("orders", 1), 40);
  EXPECT_EQ(t.rewind("orders", 2), -1);
  EXPECT_EQ(t.rewind("orders", 0), -1);  // already rewound: nothing in flight any more
  EXPECT_EQ(t.rewind("orders", 9), -1);  // not owned
  t.handed_out("orders", 0, 150, 170);   // read again, handed out again, abandoned again
  EXPECT_EQ(t.rewind("orders", 0), 150);
}

TEST(InstanceSlot, LowestFreeSlotIsClaimedAndFreedWhenReleased) {
  auto dir = sluice::test::scratch_dir("kafka-instance-slot");
  std::string error;
  auto a = InstanceSlot::claim(dir, "g", error);
  auto b = InstanceSlot::claim(dir, "g", error);
  auto other = InstanceSlot::claim(dir, "other group", error);
  ASSERT_TRUE(a && b && other) << error;
  EXPECT_EQ(a->slot(), 0);
  EXPECT_EQ(b->slot(), 1);      // flock excludes a second open file, even in one process
  EXPECT_EQ(other->slot(), 0);  // slots count per group
  a.reset();                    // as the kernel does for a process killed with kill -9
  auto c = InstanceSlot::claim(dir, "g", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->slot(), 0);  // the restart gets the dead one's id back
  auto d = InstanceSlot::claim(dir, "g", error, 2);
  EXPECT_FALSE(d);  // both slots held
  EXPECT_NE(error.find("no free instance slot"), std::string::npos) << error;
}

// The slot file tells the next holder whether its predecessor may still be in the group: a new
// slot and a clean leave say no; a holder that died says when it was last alive.
TEST(InstanceSlot, TheNextHolderLearnsWhenAPredecessorThatDidNotLeaveWasLastAlive) {
  auto dir = sluice::test::scratch_dir("kafka-instance-slot-alive");
  std::string error;
  auto first = InstanceSlot::claim(dir, "g", error);
  ASSERT_TRUE(first) << error;
  EXPECT_FALSE(first->predecessor_alive_at());  // a new slot
  const auto before = std::chrono::system_clock::now();
  first->stamp_alive();
  first.reset();  // killed: no mark_left()
  auto second = InstanceSlot::claim(dir, "g", error);
  ASSERT_TRUE(second && second->predecessor_alive_at()) << error;
  EXPECT_GE(*second->predecessor_alive_at(), before - std::chrono::seconds(1));
  EXPECT_LE(*second->predecessor_alive_at(), std::chrono::system_clock::now());
  second->mark_left();
  second.reset();
  auto third = InstanceSlot::claim(dir, "g", error);
  ASSERT_TRUE(third) << error;
  EXPECT_FALSE(third->predecessor_alive_at());  // it left its group
}

TEST(RejoinDelay, WaitsUntilTwoSecondsAfterADeadPredecessorAndNeverLonger) {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const milliseconds session(6000);
  EXPECT_EQ(rejoin_delay(std::nullopt, now, session), milliseconds(0));
  // Alive 100 ms ago: died within a stamp interval, joins 2.25 s after that.
  EXPECT_EQ(rejoin_delay(now - milliseconds(100), now, session), milliseconds(2350));
  EXPECT_EQ(rejoin_delay(now - milliseconds(3000), now, session), milliseconds(0));  // past the wait
  EXPECT_EQ(rejoin_delay(now - seconds(60), now, session), milliseconds(0));         // evicted long ago
  EXPECT_EQ(rejoin_delay(now + hours(1), now, session), milliseconds(2450));         // a stamp in the future
}

// The lock folder is /tmp by default, where anyone may plant a file at the next lock path. A
// FIFO there made a plain open() block forever (the source never started, silently); it, a
// symbolic link and another user's file are refused at once, the path named.
TEST(InstanceSlot, AnythingButOurOwnRegularFileAtTheLockPathIsRefusedAtOnce) {
  auto dir = sluice::test::scratch_dir("kafka-instance-slot-planted");
  const auto fifo = dir / "sluice-kafka-g.0.lock";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0666), 0);
  auto claimed = std::async(std::launch::async, [&]() -> std::string {
    std::string error;
    try {
      InstanceSlot::claim(dir, "g", error);
      return "claimed";
    } catch (const UnsafeLockFile& e) {
      return e.what();
    }
  });
  if (claimed.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    ::close(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK));  // a writer lets the blocked open return
    FAIL() << "claim blocked on a FIFO at the lock path";
  }
  std::string message = claimed.get();
  EXPECT_NE(message.find(fifo.string() + " is not a regular file"), std::string::npos) << message;
  EXPECT_NE(message.find("lock_dir"), std::string::npos) << message;

  const auto link_dir = sluice::test::scratch_dir("kafka-instance-slot-link");
  std::filesystem::create_symlink(dir / "elsewhere", link_dir / "sluice-kafka-g.0.lock");
  std::string error;
  EXPECT_THROW(InstanceSlot::claim(link_dir, "g", error), UnsafeLockFile);

  if (::geteuid() == 0) {  // another user's regular file: only root can make one here
    const auto foreign_dir = sluice::test::scratch_dir("kafka-instance-slot-foreign");
    const auto foreign = foreign_dir / "sluice-kafka-g.0.lock";
    std::ofstream(foreign).put('x');
    ASSERT_EQ(::chown(foreign.c_str(), 65534, 65534), 0);
    try {
      InstanceSlot::claim(foreign_dir, "g", error);
      ADD_FAILURE() << "claimed another user's lock file";
    } catch (const UnsafeLockFile& e) {
      EXPECT_NE(std::string(e.what()).find("belongs to another user"), std::string::npos) << e.what();
    }
  }
}

TEST(InstanceSlot, DerivedIdsAreLegalKafkaIds) {
  EXPECT_EQ(derived_instance_id("web-1", "sluice-orders", 2), "web-1-sluice-orders-2");
  EXPECT_EQ(derived_instance_id("h", "a b/c", 0), "h-a_b_c-0");
  auto long_id = derived_instance_id(std::string(300, 'h'), "g", 17);
  EXPECT_EQ(long_id.size(), 249u);
  EXPECT_EQ(long_id.substr(long_id.size() - 5), "-g-17");
  EXPECT_FALSE(host_name().empty());
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
  return {{"brokers", "localhost:9092"}, {"topic", "orders"},          {"group", "g"},
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
  j = defaults();
  j["properties"] = {{"group.instance.id", "x"}};
  EXPECT_EQ(config_error_key(j), "properties");
  j = defaults();
  j["rebalance_drain_timeout_ms"] = 0;
  EXPECT_EQ(config_error_key(j), "rebalance_drain_timeout_ms");
  j = defaults();
  j["instance_id"] = "web 1";
  EXPECT_EQ(config_error_key(j), "instance_id");
  j = defaults();
  j["instance_id"] = "web-1.example_0";
  j["rebalance_drain_timeout_ms"] = 250;
  j["leave_on_close"] = false;
  EXPECT_EQ(config_error_key(j), "");
  auto s = ConsumerSettings::from(Config(j));
  EXPECT_EQ(s.rebalance_drain_timeout_ms, 250);
  EXPECT_FALSE(s.leave_on_close);
  EXPECT_FALSE(s.derive_instance_id());
  j["instance_id"] = "none";
  EXPECT_TRUE(ConsumerSettings::from(Config(j)).dynamic_membership());
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
