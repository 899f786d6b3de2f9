// The rest plugin's config: the defaults users get (declared keys, filled in by the host) are
// the ones the README states, the declared defaults are RestSettings' initializers, and every
// range is enforced with the key named.
#include <gtest/gtest.h>

#include "rest_settings.hpp"
#include "support/config_map_checks.hpp"
#include "support/host_config.hpp"

using namespace std::chrono_literals;
using sluice::Config;
using sluice::ConfigError;
using namespace sluice::rest;

TEST(RestConfig, EmptyConfigGetsTheDocumentedDefaults) {
  RestSettings s = parse_settings(sluice::test::host_config(rest_config_map().keys()));
  EXPECT_EQ(s.listen.host, "0.0.0.0");
  EXPECT_EQ(s.listen.port, 8081);
  EXPECT_EQ(s.static_dir, "web");
  EXPECT_TRUE(s.lookup.empty());
  EXPECT_EQ(s.threads, default_threads());  // threads: 0
  EXPECT_EQ(s.max_request_bytes, 16384u);
  EXPECT_EQ(s.max_url_bytes, 2048u);
  EXPECT_EQ(s.header_timeout, 10000ms);
  EXPECT_EQ(s.keepalive_timeout, 60000ms);
  EXPECT_EQ(s.recent_limit, 100u);
  EXPECT_EQ(s.lookup_threads, 8);
  EXPECT_EQ(s.lookup_queue, 1024u);
  EXPECT_EQ(s.lookup_timeout, 2000ms);
  EXPECT_EQ(s.min_position_wait, 2000ms);
  EXPECT_EQ(s.max_position_waits, 4);  // max_position_waits: 0, half of lookup_threads
  EXPECT_TRUE(s.trusted_proxies.empty());
  EXPECT_TRUE(s.allowed_hosts.empty());
}

TEST(RestConfig, TrustedProxiesMustBeAddressesOrRanges) {
  EXPECT_NO_THROW(parse_settings(Config(nlohmann::json{{"trusted_proxies", {"10.0.0.0/8", "::1", "192.0.2.7"}}})));
  try {
    parse_settings(Config(nlohmann::json{{"trusted_proxies", {"10.0.0.0/8", "proxy.internal"}}}));
    FAIL() << "accepted a host name";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "trusted_proxies");
    EXPECT_NE(std::string(e.what()).find("proxy.internal"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_settings(Config(nlohmann::json{{"trusted_proxies", {"10.0.0.0/40"}}})), ConfigError);
  EXPECT_EQ(parse_settings(Config(nlohmann::json{{"lookup_threads", 1}})).max_position_waits, 1);
}

TEST(RestConfig, DeclaresTheDocumentedDefaults) {
  auto keys = rest_config_map().keys();
  ASSERT_EQ(keys.size(), 24u);  // the admin listener's three keys are the admin plugin's now
  EXPECT_STREQ(keys[0].name, "listen");
  EXPECT_EQ(keys[0].type, sluice_key_string);
  EXPECT_STREQ(keys[0].default_json, "\"0.0.0.0:8081\"");
  EXPECT_STREQ(keys[2].name, "lookup");
  EXPECT_EQ(keys[2].type, sluice_key_stores);
  EXPECT_STREQ(keys[2].default_json, "[]");
  EXPECT_STREQ(keys[3].name, "threads");
  EXPECT_STREQ(keys[3].default_json, "0");
  for (const auto& k : keys) EXPECT_EQ(k.required, 0) << k.name;
}

TEST(RestConfig, DeclaredDefaultsAreTheStructDefaults) {
  sluice::test::expect_declared_defaults_are_struct_defaults(rest_config_map());
}

TEST(RestConfig, EveryRangeIsRefusedWithTheKey) {
  sluice::test::expect_every_range_refused(
      rest_config_map(), [](const nlohmann::json& j) { parse_settings(Config(j)); },
      nlohmann::json{{"max_request_bytes", 64 * 1024 * 1024}});
}

TEST(RestConfig, RangeMessagesAreUnchanged) {
  try {
    parse_settings(Config(nlohmann::json{{"threads", 65}}));
    FAIL() << "accepted threads: 65";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "threads");
    EXPECT_STREQ(e.what(), "threads must be between 0 and 64, got 65");
  }
  try {
    parse_settings(Config(nlohmann::json{{"lookup_timeout_ms", "soon"}}));
    FAIL() << "accepted a string";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "lookup_timeout_ms");
    EXPECT_STREQ(e.what(), "lookup_timeout_ms must be an integer");
  }
}

TEST(RestConfig, HostRefusesAStoreThatIsNotThere) {
  nlohmann::json values;
  auto errors = sluice::test::host_config_errors(rest_config_map().keys(), "lookup: [cache]", values, {"postgres"});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("names store 'cache'"), std::string::npos) << errors[0];
}

TEST(RestConfig, ListenRoundTrips) {
  EXPECT_EQ(format_listen_address(parse_listen_address("0.0.0.0:8081")), "0.0.0.0:8081");
  EXPECT_EQ(format_listen_address(parse_listen_address("[::1]:80")), "[::1]:80");
  RestSettings s = parse_settings(sluice::test::host_config(rest_config_map().keys(), "listen: '[::]:9000'"));
  EXPECT_EQ(s.listen.host, "::");
  EXPECT_EQ(s.listen.port, 9000);
}
