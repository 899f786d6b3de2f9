// The kafka source's config: the defaults users get (declared keys, filled in by the host)
// are the ones the README states, the declared defaults are ConsumerSettings' initializers,
// and every range is enforced with the key named and the message it always had.
#include <gtest/gtest.h>

#include "consumer_settings.hpp"
#include "support/config_map_checks.hpp"
#include "support/host_config.hpp"

namespace sluice::kafka {
namespace {

TEST(KafkaConfig, EmptyConfigGetsTheDocumentedDefaults) {
  ConsumerSettings s = ConsumerSettings::from(test::host_config(consumer_config_map().keys()));
  EXPECT_EQ(s.brokers, "localhost:9092");
  EXPECT_EQ(s.topic, "orders");
  EXPECT_EQ(s.group, "sluice");
  EXPECT_EQ(s.start_from, "earliest");
  EXPECT_EQ(s.session_timeout_ms, 6000);
  EXPECT_EQ(s.heartbeat_interval_ms, 2000);
  EXPECT_EQ(s.commit_interval_ms, 1000);
  EXPECT_EQ(s.stats_interval_ms, 5000);
  EXPECT_EQ(s.instance_id, "");
  EXPECT_TRUE(s.derive_instance_id());
  EXPECT_TRUE(s.leave_on_close);
  EXPECT_EQ(s.rebalance_drain_timeout_ms, 5000);
  EXPECT_TRUE(s.properties.empty());
}

TEST(KafkaConfig, DeclaresTheKeysInTheirOrderWithTheirTypes) {
  auto keys = consumer_config_map().keys();
  const char* names[] = {"brokers",
                         "topic",
                         "group",
                         "start_from",
                         "session_timeout_ms",
                         "heartbeat_interval_ms",
                         "commit_interval_ms",
                         "stats_interval_ms",
                         "instance_id",
                         "lock_dir",
                         "leave_on_close",
                         "rebalance_drain_timeout_ms",
                         "properties"};
  ASSERT_EQ(keys.size(), std::size(names));
  for (std::size_t i = 0; i < keys.size(); ++i) {
    EXPECT_STREQ(keys[i].name, names[i]);
    EXPECT_EQ(keys[i].required, 0) << names[i];
  }
  EXPECT_EQ(keys[10].type, sluice_key_bool);
  EXPECT_EQ(keys[12].type, sluice_key_map);
  EXPECT_STREQ(keys[12].default_json, "{}");
  EXPECT_STREQ(keys[8].default_json, "\"\"");
  EXPECT_STREQ(keys[9].default_json, "\"\"");
  // properties may hold sasl.password and the like: secret as a whole
  // (README.md, "Secrets in the config"); nothing else is.
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(keys[i].secret, i == 12 ? 1 : 0) << names[i];
}

// properties are secret: a value librdkafka refuses is named by its property, never shown,
// not even where librdkafka's message quotes it.
TEST(KafkaConfig, ARefusedPropertyValueIsNotShown) {
  for (const char* name : {"session.timeout.ms", "security.protocol", "fetch.wait.max.ms"}) {
    ConsumerSettings s = ConsumerSettings::from(test::host_config(consumer_config_map().keys()));
    s.properties = {{name, "Zq7Xsecret"}};
    try {
      s.make_conf("");
      ADD_FAILURE() << name << " took a nonsense value";
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.key(), "properties");
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find("Zq7X"), std::string::npos) << e.what();
    }
  }
}

TEST(KafkaConfig, DeclaredDefaultsAreTheStructDefaults) {
  test::expect_declared_defaults_are_struct_defaults(consumer_config_map());
}

TEST(KafkaConfig, EveryRangeIsRefusedWithTheKey) {
  // The bounds themselves are not all accepted: librdkafka has narrower limits of its own
  // (session.timeout.ms), and heartbeat_interval_ms must stay below session_timeout_ms.
  test::expect_every_range_refused(
      consumer_config_map(), [](const nlohmann::json& j) { ConsumerSettings::from(Config(j)); },
      nlohmann::json{{"heartbeat_interval_ms", 1}, {"session_timeout_ms", 60000}}, false);
}

TEST(KafkaConfig, RangeMessagesAreUnchanged) {
  auto message = [](nlohmann::json j) -> std::string {
    try {
      ConsumerSettings::from(Config(std::move(j)));
    } catch (const ConfigError& e) {
      return e.key() + ": " + e.what();
    }
    return "(accepted)";
  };
  EXPECT_EQ(message({{"session_timeout_ms", 0}}), "session_timeout_ms: session_timeout_ms must be positive, got 0");
  EXPECT_EQ(message({{"commit_interval_ms", -1}}),
            "commit_interval_ms: commit_interval_ms must be zero or more, got -1");
  EXPECT_EQ(message({{"stats_interval_ms", std::int64_t{INT32_MAX} + 1}}),
            "stats_interval_ms: stats_interval_ms is too large");
}

}  // namespace
}  // namespace sluice::kafka
