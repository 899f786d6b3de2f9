// The plugin's config checks: what is refused in the constructor, before anything listens.
#include <gtest/gtest.h>
#include <sched.h>
#include <spdlog/sinks/ostream_sink.h>

#include <algorithm>
#include <sstream>

#include "rest_api.hpp"
#include "rest_settings.hpp"
#include "support/host_config.hpp"
#include "support/plugin_test_host.hpp"

using sluice::Config;
using sluice::ConfigError;
using namespace sluice::rest;

TEST(RestSettings, ParsesListenForms) {
  auto a = parse_listen_address("0.0.0.0:8081");
  EXPECT_EQ(a.host, "0.0.0.0");
  EXPECT_EQ(a.port, 8081);
  auto b = parse_listen_address(":9000");
  EXPECT_EQ(b.host, "0.0.0.0");
  EXPECT_EQ(b.port, 9000);
  auto c = parse_listen_address("[::1]:80");
  EXPECT_EQ(c.host, "::1");
  EXPECT_EQ(c.port, 80);
  EXPECT_EQ(parse_listen_address("localhost:0").port, 0);
}

TEST(RestSettings, RejectsMalformedListenWithTheKey) {
  for (const char* bad : {"8081", "host:", "host:http", "host:70000", "::1:80", "[::1]80", "[::1", "h:-1", "h:80x"}) {
    try {
      parse_listen_address(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.key(), "listen") << bad;
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

// The defaults users get are checked in rest_config_test.cpp (RestConfig.EmptyConfigGetsTheDocumentedDefaults).

// A config built by hand (tests, tools) without the host's filling gets the same values.
TEST(RestSettings, AbsentKeysGetTheSameDefaults) {
  RestSettings filled = parse_settings(sluice::test::host_config(rest_config_map().keys()));
  RestSettings bare = parse_settings(Config(nlohmann::json::object()));
  EXPECT_EQ(bare.listen.port, filled.listen.port);
  EXPECT_EQ(bare.static_dir, filled.static_dir);
  EXPECT_EQ(bare.threads, filled.threads);
  EXPECT_EQ(bare.max_request_bytes, filled.max_request_bytes);
  EXPECT_EQ(bare.min_position_wait, filled.min_position_wait);
}

TEST(RestSettings, ThreadsZeroLeavesOneCoreToThePipeline) {
  cpu_set_t set;
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  int cpus = CPU_COUNT(&set);  // the CPUs this process may run on
  int automatic = parse_settings(Config(nlohmann::json{{"threads", 0}})).threads;
  EXPECT_EQ(automatic, std::max(1, cpus - 1));
  EXPECT_EQ(parse_settings(Config(nlohmann::json{{"threads", 3}})).threads, 3);
}

TEST(RestSettings, RejectsOutOfRangeNumbers) {
  auto key_of = [](nlohmann::json j) {
    try {
      parse_settings(Config(std::move(j)));
    } catch (const ConfigError& e) {
      return e.key();
    }
    return std::string("(accepted)");
  };
  EXPECT_EQ(key_of({{"threads", -1}}), "threads");
  EXPECT_EQ(key_of({{"threads", 65}}), "threads");
  EXPECT_EQ(key_of({{"max_request_bytes", 10}}), "max_request_bytes");
  EXPECT_EQ(key_of({{"max_url_bytes", 20000}, {"max_request_bytes", 16384}}), "max_url_bytes");
  EXPECT_EQ(key_of({{"header_timeout_ms", 1}}), "header_timeout_ms");
  EXPECT_EQ(key_of({{"recent_limit", 0}}), "recent_limit");
}

TEST(RestSettings, ConstructorDoesNoIoAndReportsBadListen) {
  sluice::test::PluginTestHost host;
  // A folder that does not exist and a store that does not exist: neither is looked at yet.
  EXPECT_NO_THROW(RestApi(Config(nlohmann::json{{"static_dir", "/does/not/exist"}, {"lookup", {"nope"}}}), host));
  EXPECT_THROW(RestApi(Config(nlohmann::json{{"listen", "nonsense"}}), host), ConfigError);
}

TEST(RestSettings, StartFailsCleanlyForUnknownStoreAndBusyPort) {
  sluice::test::PluginTestHost host;
  RestApi unknown(Config(nlohmann::json{{"listen", "127.0.0.1:0"}, {"lookup", {"nope"}}}), host);
  auto status = unknown.start();
  EXPECT_EQ(status.code(), sluice::StatusCode::fatal);
  EXPECT_NE(status.message().find("nope"), std::string::npos);

  RestApi first(Config(nlohmann::json{{"listen", "127.0.0.1:0"}, {"read_auth", "open"}}), host);
  ASSERT_TRUE(first.start().is_ok());
  std::string busy = "127.0.0.1:" + std::to_string(first.port());
  RestApi second(Config(nlohmann::json{{"listen", busy}, {"read_auth", "open"}}), host);
  auto clash = second.start();
  EXPECT_EQ(clash.code(), sluice::StatusCode::fatal);
  EXPECT_NE(clash.message().find(std::to_string(first.port())), std::string::npos) << clash.message();
  first.stop();
  first.stop();  // twice is fine
}

// Secure by default: without read_auth in the config, orders need a token, and a server without
// one does not start (README, "Authentication").
TEST(RestSettings, ReadsNeedATokenUnlessTheConfigSaysOpen) {
  EXPECT_TRUE(parse_settings(Config(nlohmann::json::object())).read_needs_token());
  EXPECT_FALSE(parse_settings(Config(nlohmann::json{{"read_auth", "open"}})).read_needs_token());
  sluice::test::PluginTestHost host;
  RestApi api(Config(nlohmann::json{{"listen", "127.0.0.1:0"}, {"tokens_env", ""}}), host);
  auto refused = api.start();
  EXPECT_EQ(refused.code(), sluice::StatusCode::fatal);
  for (const char* hint : {"read_auth is token (the default)", "no token is configured", "read_auth: open"}) {
    EXPECT_NE(refused.message().find(hint), std::string::npos) << refused.message();
  }
}

// Captures what the plugin logs at warning level and above.
std::string warnings_of_start(const std::string& listen) {
  sluice::test::PluginTestHost host;
  std::ostringstream log;
  host.logger().sinks().push_back(std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  RestApi api(Config(nlohmann::json{{"listen", listen}, {"read_auth", "open"}, {"static_dir", "web"}}), host);
  const auto started = api.start();
  EXPECT_TRUE(started.is_ok()) << started.message();
  api.stop();
  return log.str();
}

TEST(RestSettings, OpenReadsWarnOnlyWhenOthersCanConnect) {
  const std::string everywhere = warnings_of_start("0.0.0.0:0");
  EXPECT_NE(everywhere.find("read_auth is open on 0.0.0.0:"), std::string::npos) << everywhere;
  const std::string loopback = warnings_of_start("127.0.0.1:0");
  EXPECT_EQ(loopback.find("read_auth is open"), std::string::npos) << loopback;
}

TEST(RestSettings, LoopbackAddresses) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "localhost"}) {
    EXPECT_TRUE(is_loopback(ListenAddress{host, 1})) << host;
  }
  for (const char* host :
       {"0.0.0.0", "::", "10.0.0.1", "example.org", "1270.0.0.1", "::ffff:10.0.0.1", "127.example.org"}) {
    EXPECT_FALSE(is_loopback(ListenAddress{host, 1})) << host;
  }
}

// Pistache's accept thread runs every TLS handshake: one slow client stalls the others, so TLS
// is for loopback listeners behind a proxy (compose/tls-proxy; README, "TLS").
TEST(RestSettings, TlsIsRefusedOnAddressesOthersCanReach) {
  const nlohmann::json tls{{"tls_cert", "/x/cert.pem"}, {"tls_key", "/x/key.pem"}};
  auto with = [&](nlohmann::json extra) {
    nlohmann::json config = tls;
    config.update(extra);
    return Config(config);
  };
  for (const char* listen : {"0.0.0.0:8443", ":8443", "[::]:8443", "192.0.2.1:8443"}) {
    try {
      parse_settings(with({{"listen", listen}}));
      ADD_FAILURE() << "TLS accepted on " << listen;
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.key(), "tls_cert");
      EXPECT_NE(std::string(e.what()).find("compose/tls-proxy/nginx.conf"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("loopback"), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(parse_settings(with({{"listen", "127.0.0.1:8443"}})));
  EXPECT_NO_THROW(parse_settings(with({{"listen", "[::1]:8443"}})));
  // Without TLS, any address.
  EXPECT_NO_THROW(parse_settings(Config(nlohmann::json{{"listen", "0.0.0.0:8081"}})));
}
