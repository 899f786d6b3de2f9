// The admin plugin's keys: the defaults an older pipeline's admin listener had, the checks done
// before anything listens, and the listener staying shut without an admin token.
#include "admin_settings.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "admin_api.hpp"
#include "support/plugin_test_host.hpp"

namespace sluice::admin {
namespace {

Config with(nlohmann::json keys) { return Config(std::move(keys)); }

TEST(AdminSettings, DefaultsAreTheOldAdminListenersOnLoopback) {
  const AdminSettings s = parse_admin_settings(with(nlohmann::json::object()));
  EXPECT_EQ(format_listen_address(s.listen), "127.0.0.1:8082");
  EXPECT_EQ(s.threads, 2);
  EXPECT_EQ(s.max_connections, 64);
  EXPECT_EQ(s.tokens_env, "SLUICE_API_TOKENS");
  EXPECT_EQ(s.static_dir, "web");
  EXPECT_FALSE(s.metrics);
  EXPECT_TRUE(s.metrics_need_token());
  EXPECT_EQ(s.header_timeout, std::chrono::milliseconds(5000));
}

TEST(AdminSettings, BadValuesNameTheirKey) {
  const std::vector<std::pair<nlohmann::json, std::string>> cases{
      {{{"metrics_auth", "maybe"}}, "metrics_auth"},
      {{{"tls_cert", "/x/cert.pem"}}, "tls_key"},
      {{{"tls_key", "/x/key.pem"}}, "tls_cert"},
      {{{"trusted_proxies", {"not an address"}}}, "trusted_proxies"},
      {{{"listen", "8082"}}, "listen"},
      {{{"static_dir", ""}}, "static_dir"},
  };
  for (const auto& [keys, key] : cases) {
    try {
      parse_admin_settings(with(keys));
      ADD_FAILURE() << "accepted " << keys;
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.key(), key) << keys << ": " << e.what();
    }
  }
}

// One slow ClientHello stalls Pistache's accept thread: TLS on loopback only (README, "TLS").
TEST(AdminSettings, TlsIsRefusedOnAddressesOthersCanReach) {
  const nlohmann::json tls{{"tls_cert", "/x/cert.pem"}, {"tls_key", "/x/key.pem"}};
  auto at = [&](const char* listen) {
    nlohmann::json keys = tls;
    keys["listen"] = listen;
    return with(keys);
  };
  for (const char* listen : {"0.0.0.0:8444", "192.0.2.1:8444", "[::]:8444"}) {
    try {
      parse_admin_settings(at(listen));
      ADD_FAILURE() << "TLS accepted on " << listen;
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.key(), "tls_cert");
      EXPECT_NE(std::string(e.what()).find("loopback"), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(parse_admin_settings(at("127.0.0.1:8444")));
  EXPECT_NO_THROW(parse_admin_settings(at("localhost:8444")));
}

TEST(AdminApiStart, WithoutAnAdminTokenNothingListens) {
  ::setenv("SLUICE_TEST_ADMIN_TOKENS", "read:read-token-0123456789abcdef", 1);
  test::PluginTestHost host;
  AdminApi api(with({{"listen", "127.0.0.1:0"}, {"tokens_env", "SLUICE_TEST_ADMIN_TOKENS"}}), host);
  ASSERT_TRUE(api.start().is_ok());
  EXPECT_EQ(api.port(), 0);
  api.stop();
  ::unsetenv("SLUICE_TEST_ADMIN_TOKENS");
}

TEST(AdminApiStart, WithAnAdminTokenItListens) {
  ::setenv("SLUICE_TEST_ADMIN_TOKENS", "admin:admin-token-0123456789abcdef", 1);
  test::PluginTestHost host;
  AdminApi api(with({{"listen", "127.0.0.1:0"}, {"tokens_env", "SLUICE_TEST_ADMIN_TOKENS"}}), host);
  ASSERT_TRUE(api.start().is_ok());
  EXPECT_GT(api.port(), 0);
  api.stop();
  EXPECT_EQ(api.port(), 0);
  ::unsetenv("SLUICE_TEST_ADMIN_TOKENS");
}

}  // namespace
}  // namespace sluice::admin
