// The postgres and postgres_dead_letter sinks' config: the defaults users get (declared keys,
// filled in by the host) are the ones the README states, the declared defaults are the
// settings structs' initializers, and every range is enforced with the key named and the
// message it always had. Nothing connects.
#include <gtest/gtest.h>

#include "dead_letter_sink.hpp"
#include "postgres_sink.hpp"
#include "support/config_map_checks.hpp"
#include "support/host_config.hpp"

namespace sluice::pg {
namespace {

using namespace std::chrono_literals;

const char* const dsn_yaml = "dsn: postgresql://u@localhost/db";

TEST(PostgresConfig, EmptyConfigGetsTheDocumentedDefaults) {
  PostgresSettings s = parse_postgres_settings(test::host_config(postgres_config_map().keys(), dsn_yaml));
  EXPECT_EQ(s.dsn, "postgresql://u@localhost/db");
  EXPECT_FALSE(s.migrations.has_value());  // the shipped sql/ folder
  EXPECT_TRUE(s.migrate_on_open);
  EXPECT_EQ(s.read_connections, 4u);
  EXPECT_EQ(s.read_timeout, 1000ms);
  EXPECT_EQ(s.feed_channel, "sluice_orders");
  EXPECT_TRUE(s.notify);
}

TEST(PostgresConfig, DsnIsRequiredAndHasNoDefault) {
  nlohmann::json values;
  auto errors = test::host_config_errors(postgres_config_map().keys(), "", values);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("missing required key 'dsn'"), std::string::npos) << errors[0];
  for (auto keys : {postgres_config_map().keys(), dead_letter_config_map().keys()}) {
    EXPECT_STREQ(keys[0].name, "dsn");
    EXPECT_EQ(keys[0].required, 1);
    EXPECT_EQ(keys[0].default_json, nullptr);
    EXPECT_EQ(keys[0].secret, 1) << "a DSN holds a password: never in reload diffs or the config hash";
    EXPECT_STREQ(keys[1].name, "migrations");
    EXPECT_EQ(keys[1].secret, 0);
    EXPECT_EQ(keys[1].default_json, nullptr);
    EXPECT_STREQ(keys[2].default_json, "true");
  }
  try {
    postgres_config_map().parse(Config(nlohmann::json::object()));
    FAIL() << "parsed without dsn";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "dsn");
  }
}

TEST(PostgresConfig, DeadLetterDefaultsAreTheSameConnectionDefaults) {
  DeadLetterSettings s = dead_letter_config_map().parse(test::host_config(dead_letter_config_map().keys(), dsn_yaml));
  EXPECT_EQ(s.dsn, "postgresql://u@localhost/db");
  EXPECT_FALSE(s.migrations.has_value());
  EXPECT_TRUE(s.migrate_on_open);
  // Retention (README.md, "Operating Sluice", Retention): 64 KiB of payload per letter, kept forever.
  EXPECT_EQ(s.max_payload_bytes, 65536);
  EXPECT_EQ(s.max_age_hours, 0);
  EXPECT_EQ(s.max_count, 0);
  ASSERT_EQ(dead_letter_config_map().keys().size(), 6u);
  EXPECT_STREQ(dead_letter_config_map().keys()[3].name, "max_payload_bytes");
  EXPECT_STREQ(dead_letter_config_map().keys()[4].name, "max_age_hours");
  EXPECT_STREQ(dead_letter_config_map().keys()[5].name, "max_count");
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_STREQ(dead_letter_config_map().keys()[i].doc, postgres_config_map().keys()[i].doc);
  }
}

TEST(PostgresConfig, DeclaredDefaultsAreTheStructDefaults) {
  test::expect_declared_defaults_are_struct_defaults(postgres_config_map());
  test::expect_declared_defaults_are_struct_defaults(dead_letter_config_map());
}

TEST(PostgresConfig, EveryRangeIsRefusedWithTheKey) {
  test::expect_every_range_refused(
      postgres_config_map(), [](const nlohmann::json& j) { parse_postgres_settings(Config(j)); },
      nlohmann::json{{"dsn", "postgresql://u@localhost/db"}});
  test::expect_every_range_refused(
      dead_letter_config_map(), [](const nlohmann::json& j) { dead_letter_config_map().parse(Config(j)); },
      nlohmann::json{{"dsn", "postgresql://u@localhost/db"}});
}

TEST(PostgresConfig, DeadLetterPayloadLimitIsBetween1KiBAnd64MiB) {
  auto message = [](nlohmann::json j) -> std::string {
    j["dsn"] = "postgresql://u@localhost/db";
    try {
      dead_letter_config_map().parse(Config(std::move(j)));
    } catch (const ConfigError& e) {
      return e.key() + ": " + e.what();
    }
    return "(accepted)";
  };
  EXPECT_EQ(message({{"max_payload_bytes", 1023}}),
            "max_payload_bytes: max_payload_bytes must be between 1024 and 67108864, got 1023");
  EXPECT_EQ(message({{"max_payload_bytes", 1024}}), "(accepted)");
  EXPECT_EQ(message({{"max_payload_bytes", 67108864}}), "(accepted)");
  EXPECT_EQ(message({{"max_payload_bytes", 67108865}}),
            "max_payload_bytes: max_payload_bytes must be between 1024 and 67108864, got 67108865");
  EXPECT_EQ(message({{"max_count", -1}}), "max_count: max_count must be between 0 and 1099511627776, got -1");
  EXPECT_EQ(message({{"max_age_hours", -1}}), "max_age_hours: max_age_hours must be between 0 and 876000, got -1");
}

TEST(PostgresConfig, MessagesAreUnchanged) {
  auto message = [](nlohmann::json j) -> std::string {
    j["dsn"] = "postgresql://u@localhost/db";
    try {
      parse_postgres_settings(Config(std::move(j)));
    } catch (const ConfigError& e) {
      return e.key() + ": " + e.what();
    }
    return "(accepted)";
  };
  EXPECT_EQ(message({{"read_connections", 65}}), "read_connections: read_connections must be 1..64");
  EXPECT_EQ(message({{"read_timeout_ms", 9}}), "read_timeout_ms: read_timeout_ms must be 10..600000");
  EXPECT_EQ(message({{"feed_channel", ""}}), "feed_channel: feed_channel must be 1..63 bytes");
  EXPECT_EQ(message({{"feed_channel", std::string(64, 'c')}}), "feed_channel: feed_channel must be 1..63 bytes");
  EXPECT_EQ(message({{"feed_channel", std::string(63, 'c')}}), "(accepted)");
}

}  // namespace
}  // namespace sluice::pg
