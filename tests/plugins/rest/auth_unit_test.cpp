// Tokens, the constant-time match and the failure limiter, without sockets.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <sys/stat.h>

#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "auth_gate.hpp"
#include "auth_limiter.hpp"
#include "auth_tokens.hpp"
#include "client_address.hpp"
#include "rest_api.hpp"
#include "sluice/metrics.hpp"
#include "sluice/status.hpp"
#include "support/plugin_test_host.hpp"
#include "token_sources.hpp"

namespace sluice::rest {
namespace {

constexpr const char* read_token = "read-token-0123456789";
constexpr const char* admin_token = "admin-token-0123456789";

// The message of the ConfigError parsing `text` throws ("" if none).
std::string file_error(const std::string& text) {
  TokenSet tokens;
  try {
    tokens.add_file_text(text, "/etc/sluice/tokens");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

TEST(AuthTokens, ParsesAGoodFileWithCommentsAndBlankLines) {
  TokenSet tokens;
  tokens.add_file_text(
      std::string("# operators\n\n  read ") + read_token + "  \r\nadmin\t" + admin_token + "\n   # indented comment\n",
      "tokens");
  EXPECT_EQ(tokens.size(), 2u);
  EXPECT_TRUE(tokens.has_admin());
  EXPECT_EQ(tokens.match(read_token), Role::read);
  EXPECT_EQ(tokens.match(admin_token), Role::admin);
  EXPECT_EQ(tokens.match("read-token-012345678X"), Role::none);  // same length, one char off
  EXPECT_EQ(tokens.match(""), Role::none);
  EXPECT_EQ(tokens.match(std::string(read_token) + " "), Role::none);
}

TEST(AuthTokens, ReadOnlySetHasNoAdmin) {
  TokenSet tokens;
  tokens.add_file_text(std::string("read ") + read_token, "tokens");
  EXPECT_FALSE(tokens.has_admin());
  EXPECT_EQ(tokens.match(admin_token), Role::none);
}

TEST(AuthTokens, BadRoleNamesFileAndLineNotTheToken) {
  const std::string secret = "supersecret-token-value-42";
  const std::string error = file_error("# header\nread " + std::string(read_token) + "\nwriter " + secret + "\n");
  EXPECT_NE(error.find("/etc/sluice/tokens:3"), std::string::npos) << error;
  EXPECT_NE(error.find("role"), std::string::npos) << error;
  EXPECT_EQ(error.find(secret), std::string::npos) << error;
  // Fields swapped: the token sits where the role should be; still not echoed.
  const std::string swapped = file_error(secret + " admin\n");
  EXPECT_NE(swapped.find(":1"), std::string::npos) << swapped;
  EXPECT_EQ(swapped.find(secret), std::string::npos) << swapped;
}

TEST(AuthTokens, ShortTokenNamesTheLineNotTheToken) {
  const std::string error = file_error("\n\nadmin short-secret1\n");  // 13 characters
  EXPECT_NE(error.find("/etc/sluice/tokens:3"), std::string::npos) << error;
  EXPECT_NE(error.find("16"), std::string::npos) << error;
  EXPECT_EQ(error.find("short-secret1"), std::string::npos) << error;
}

TEST(AuthTokens, LineWithoutTokenIsAnError) {
  EXPECT_NE(file_error("admin\n").find(":1"), std::string::npos);
  EXPECT_NE(file_error("read " + std::string(read_token) + " extra-part-123456\n").find(":1"), std::string::npos);
}

TEST(AuthTokens, EnvironmentListForm) {
  TokenSet tokens;
  tokens.add_list(std::string("read:") + read_token + ", admin:" + admin_token + ",", "SLUICE_API_TOKENS");
  EXPECT_EQ(tokens.match(read_token), Role::read);
  EXPECT_EQ(tokens.match(admin_token), Role::admin);
  TokenSet bad;
  try {
    bad.add_list("read:" + std::string(read_token) + ",admin:tooshort-9", "SLUICE_API_TOKENS");
    FAIL() << "a short token must be refused";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("SLUICE_API_TOKENS item 2"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("tooshort-9"), std::string::npos) << e.what();
  }
}

TEST(AuthTokens, MatchGivesTheHighestRoleOfEqualTokens) {
  TokenSet tokens;
  tokens.add(Role::admin, admin_token);
  tokens.add(Role::read, admin_token);  // listed twice: admin still wins
  EXPECT_EQ(tokens.match(admin_token), Role::admin);
}

TEST(AuthTokens, BearerHeaderParsing) {
  EXPECT_EQ(bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(bearer_token("bearer   abc  "), "abc");
  EXPECT_EQ(bearer_token("Basic abc"), std::nullopt);
  EXPECT_EQ(bearer_token("Bearer"), std::nullopt);
  EXPECT_EQ(bearer_token("Bearer "), std::nullopt);
  EXPECT_EQ(bearer_token("Bearer a b"), std::nullopt);
  EXPECT_EQ(bearer_token(""), std::nullopt);
}

TEST(AuthTokens, LoadFromFileAndEnvironmentAtStart) {
  auto dir = test::scratch_dir("auth-load");
  const auto path = dir / "tokens";
  test::write_file(path, std::string("admin ") + admin_token + "\n");
  ::chmod(path.c_str(), 0600);
  ::setenv("SLUICE_TEST_LOAD_TOKENS", (std::string("read:") + read_token).c_str(), 1);
  RestSettings settings;
  settings.tokens_file = path.string();
  settings.tokens_env = "SLUICE_TEST_LOAD_TOKENS";
  test::PluginTestHost host;
  TokenSet tokens;
  std::string error;
  ASSERT_TRUE(load_tokens(settings.token_sources(), host.log(), tokens, error)) << error;
  EXPECT_EQ(tokens.match(admin_token), Role::admin);
  EXPECT_EQ(tokens.match(read_token), Role::read);

  test::write_file(path, "read " + std::string(read_token) + "\nadmin 0123\n");
  TokenSet bad;
  EXPECT_FALSE(load_tokens(settings.token_sources(), host.log(), bad, error));
  EXPECT_NE(error.find(path.string() + ":2"), std::string::npos) << error;

  settings.tokens_file = (dir / "missing").string();
  EXPECT_FALSE(load_tokens(settings.token_sources(), host.log(), bad, error));
  EXPECT_NE(error.find("missing"), std::string::npos) << error;
  ::unsetenv("SLUICE_TEST_LOAD_TOKENS");
}

TEST(AuthTokens, RefusesATokensFileOpenToGroupOrOthers) {
  auto dir = test::scratch_dir("auth-mode");
  const auto path = dir / "tokens";
  test::write_file(path, std::string("admin ") + admin_token + "\n");
  test::PluginTestHost host;
  RestSettings settings;
  settings.tokens_file = path.string();
  settings.tokens_env = "";
  for (mode_t mode : {0600, 0400}) {
    ::chmod(path.c_str(), mode);
    TokenSet tokens;
    std::string error;
    EXPECT_TRUE(load_tokens(settings.token_sources(), host.log(), tokens, error)) << std::oct << mode << ": " << error;
  }
  for (mode_t mode : {0640, 0604, 0644, 0620, 0602, 0610}) {
    ::chmod(path.c_str(), mode);
    TokenSet tokens;
    std::string error;
    EXPECT_FALSE(load_tokens(settings.token_sources(), host.log(), tokens, error)) << std::oct << mode;
    EXPECT_TRUE(tokens.empty()) << "nothing read from a refused file";
    char shown[8];
    std::snprintf(shown, sizeof shown, "%03o", static_cast<unsigned>(mode));
    EXPECT_NE(error.find(path.string()), std::string::npos) << error;
    EXPECT_NE(error.find(std::string("mode ") + shown), std::string::npos) << error;
    EXPECT_NE(error.find("chmod 600"), std::string::npos) << error;
    EXPECT_EQ(error.find(admin_token), std::string::npos) << error;
  }
}

TEST(AuthTokens, StartRefusesATlsKeyOpenToGroupOrOthers) {
  auto dir = test::scratch_dir("tls-key-mode");
  const auto cert = dir / "cert.pem";
  const auto key = dir / "key.pem";
  test::write_file(cert, "not checked before the key's mode");
  test::write_file(key, "-----BEGIN PRIVATE KEY-----\n");
  ::chmod(key.c_str(), 0644);
  test::PluginTestHost host;
  RestApi api(
      Config(nlohmann::json{
          {"listen", "127.0.0.1:0"}, {"tls_cert", cert.string()}, {"tls_key", key.string()}, {"tokens_env", ""}}),
      host);
  const Status started = api.start();
  EXPECT_FALSE(started.is_ok());
  EXPECT_NE(started.message().find("tls_key " + key.string() + " has mode 644"), std::string::npos)
      << started.message();
  EXPECT_EQ(api.port(), 0) << "nothing listens";
  api.stop();
}

// A clock the test moves by hand.
struct FakeClock {
  AuthLimiter::Clock::time_point now{};
  AuthLimiter::Now fn() {
    return [this] { return now; };
  }
};

TEST(AuthLimiter, BurstThenBlockedUntilRefill) {
  FakeClock clock;
  AuthLimiter limiter({/*burst=*/3, std::chrono::seconds(1), 100}, clock.fn());
  EXPECT_FALSE(limiter.blocked("1.2.3.4"));
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(limiter.blocked("1.2.3.4")) << i;
    limiter.failed("1.2.3.4");
  }
  auto wait = limiter.blocked("1.2.3.4");
  ASSERT_TRUE(wait);
  EXPECT_EQ(wait->count(), 1);
  EXPECT_FALSE(limiter.blocked("5.6.7.8")) << "another client is not affected";

  clock.now += std::chrono::milliseconds(999);
  EXPECT_TRUE(limiter.blocked("1.2.3.4"));
  clock.now += std::chrono::milliseconds(1);
  EXPECT_FALSE(limiter.blocked("1.2.3.4")) << "one credit back after one interval";
  limiter.failed("1.2.3.4");
  EXPECT_TRUE(limiter.blocked("1.2.3.4"));

  clock.now += std::chrono::hours(1);  // refills up to the burst, no further
  for (int i = 0; i < 3; ++i) limiter.failed("1.2.3.4");
  EXPECT_TRUE(limiter.blocked("1.2.3.4"));
}

TEST(AuthLimiter, ClientMapIsBoundedEvictingTheOldest) {
  FakeClock clock;
  AuthLimiter limiter({1, std::chrono::hours(1), 3}, clock.fn());
  for (const char* ip : {"a", "b", "c"}) limiter.failed(ip);
  EXPECT_EQ(limiter.clients(), 3u);
  limiter.failed("a");  // a is now the most recent
  limiter.failed("d");  // evicts b
  EXPECT_EQ(limiter.clients(), 3u);
  EXPECT_TRUE(limiter.blocked("a"));
  EXPECT_FALSE(limiter.blocked("b"));
  EXPECT_TRUE(limiter.blocked("c"));
  EXPECT_TRUE(limiter.blocked("d"));
}

TEST(AuthGate, AnswersAndCountsEachKindOfFailure) {
  FakeClock clock;
  Metrics metrics;
  TokenSet tokens;
  tokens.add(Role::read, read_token);
  tokens.add(Role::admin, admin_token);
  AuthGate gate(std::move(tokens), {2, std::chrono::seconds(1), 100}, metrics, {}, clock.fn());
  const std::string bearer_read = std::string("Bearer ") + read_token;
  const std::string bearer_admin = std::string("Bearer ") + admin_token;

  EXPECT_FALSE(gate.check(Role::read, bearer_read, "c"));
  EXPECT_FALSE(gate.check(Role::admin, bearer_admin, "c"));
  EXPECT_FALSE(gate.check(Role::read, bearer_admin, "c")) << "admin implies read";
  auto missing = gate.check(Role::read, std::nullopt, "c");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  EXPECT_TRUE(missing->challenge);
  auto forbidden = gate.check(Role::admin, bearer_read, "c");
  ASSERT_TRUE(forbidden);
  EXPECT_EQ(forbidden->status, 403);
  EXPECT_EQ(gate.check(Role::read, std::string("Bearer wrong-token-0123456789"), "c")->status, 401);
  EXPECT_EQ(gate.check(Role::read, std::string("Bearer wrong-token-0123456789"), "c")->status, 401);
  auto limited = gate.check(Role::read, std::string("Bearer wrong-token-0123456789"), "c");
  ASSERT_TRUE(limited) << "an empty bucket refuses wrong tokens";
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(limited->retry_after, 1);
  EXPECT_FALSE(gate.check(Role::read, bearer_read, "c")) << "a right token always passes";
  EXPECT_EQ(gate.check(Role::admin, bearer_read, "c")->status, 403) << "and its role still counts";
  clock.now += std::chrono::seconds(1);
  EXPECT_EQ(gate.check(Role::read, std::string("Bearer wrong-token-0123456789"), "c")->status, 401);

  const std::string text = metrics.render();
  EXPECT_NE(text.find(R"(sluice_http_auth_failures_total{reason="missing"} 1)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(sluice_http_auth_failures_total{reason="invalid"} 3)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(sluice_http_auth_failures_total{reason="forbidden"} 2)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(sluice_http_auth_failures_total{reason="limited"} 1)"), std::string::npos) << text;
}

TEST(ClientKey, PeerAloneWhenNoProxyIsTrusted) {
  const TrustedProxies none;
  EXPECT_EQ(client_key("192.0.2.1", std::nullopt, none), "192.0.2.1");
  EXPECT_EQ(client_key("192.0.2.1", "198.51.100.1", none), "192.0.2.1") << "X-Forwarded-For is anyone's to forge";
  EXPECT_EQ(client_key("::ffff:192.0.2.1", std::nullopt, none), "192.0.2.1") << "IPv4-mapped is IPv4";
  EXPECT_EQ(client_key("not an address", std::nullopt, none), "not an address");
}

TEST(ClientKey, Ipv6ByItsSlash64) {
  const TrustedProxies none;
  EXPECT_EQ(client_key("2001:db8:1:2::1", std::nullopt, none), "2001:db8:1:2::/64");
  EXPECT_EQ(client_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd", std::nullopt, none), "2001:db8:1:2::/64");
  EXPECT_NE(client_key("2001:db8:1:3::1", std::nullopt, none), "2001:db8:1:2::/64");
  EXPECT_EQ(client_key("[::1]", std::nullopt, none), "::/64");
}

TEST(ClientKey, RightmostUntrustedHopBehindTrustedProxies) {
  const TrustedProxies trusted({"10.0.0.0/8", "2001:db8:ffff::/48", "127.0.0.1"});
  EXPECT_EQ(client_key("10.1.1.1", "192.0.2.7", trusted), "192.0.2.7");
  EXPECT_EQ(client_key("10.1.1.1", "6.6.6.6, 192.0.2.7", trusted), "192.0.2.7") << "left hops are forged";
  EXPECT_EQ(client_key("10.1.1.1", "192.0.2.7, 10.9.9.9", trusted), "192.0.2.7") << "a second proxy is skipped";
  EXPECT_EQ(client_key("10.1.1.1", "10.2.2.2, 10.3.3.3", trusted), "10.2.2.2") << "all trusted: the leftmost";
  EXPECT_EQ(client_key("10.1.1.1", "garbage, 192.0.2.7", trusted), "192.0.2.7");
  EXPECT_EQ(client_key("10.1.1.1", "192.0.2.7, garbage", trusted), "10.1.1.1") << "a non-address hop ends the walk";
  EXPECT_EQ(client_key("10.1.1.1", "", trusted), "10.1.1.1");
  EXPECT_EQ(client_key("2001:db8:ffff:1::5", "2001:db8:1:2::9", trusted), "2001:db8:1:2::/64");
  EXPECT_EQ(client_key("192.0.2.50", "198.51.100.1", trusted), "192.0.2.50") << "an untrusted peer";
}

TEST(ClientKey, RangesParseAndRefuseNonsense) {
  EXPECT_TRUE(parse_ip_range("10.0.0.0/8"));
  EXPECT_TRUE(parse_ip_range("::1"));
  EXPECT_TRUE(parse_ip_range("fd00::/8"));
  EXPECT_FALSE(parse_ip_range("10.0.0.0/33"));
  EXPECT_FALSE(parse_ip_range("10.0.0.0/"));
  EXPECT_FALSE(parse_ip_range("10.0.0.0/-1"));
  EXPECT_FALSE(parse_ip_range("fd00::/129"));
  EXPECT_FALSE(parse_ip_range("proxy.example"));
  EXPECT_THROW(TrustedProxies({"10.0.0.0/8", "nope"}), std::invalid_argument);
  const auto range = parse_ip_range("192.168.0.0/23");
  ASSERT_TRUE(range);
  EXPECT_TRUE(range->contains(*parse_ip("192.168.1.255")));
  EXPECT_FALSE(range->contains(*parse_ip("192.168.2.0")));
}

}  // namespace
}  // namespace sluice::rest
