// TLS on both listeners (tls_cert/tls_key) checked with curl, plain HTTP to the TLS port
// refused cleanly; and start() failing cleanly on bad token sources.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "auth_server.hpp"
#include "raw_http.hpp"
#include "support/process.hpp"

namespace sluice::test {
namespace {

struct Certificate {
  std::filesystem::path cert;
  std::filesystem::path key;
};

// A throwaway self-signed certificate for localhost and 127.0.0.1 (the openssl command).
Certificate make_certificate() {
  const auto dir = scratch_dir("rest-tls-cert");
  Certificate made{dir / "cert.pem", dir / "key.pem"};
  auto result = run({find_on_path("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                     "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout",
                     made.key.string(), "-out", made.cert.string()});
  EXPECT_EQ(result.code, 0) << result.err;
  return made;
}

class TlsServer : public AuthServerTest {
 protected:
  // Made in SetUp, not SetUpTestSuite: a failure there would only mark the test skipped.
  void SetUp() override {
    certificate() = make_certificate();
    ASSERT_TRUE(std::filesystem::exists(certificate().cert));
    AuthServerTest::SetUp();
  }
  static Certificate& certificate() {
    static Certificate instance;
    return instance;
  }
  nlohmann::json auth_config() const override {
    return {{"tls_cert", certificate().cert.string()}, {"tls_key", certificate().key.string()}};
  }
  nlohmann::json admin_config() const override { return auth_config(); }

  // curl's status code for https://127.0.0.1:<port><path>, trusting only our certificate.
  static std::string curl_status(int port, const std::string& path, const std::string& token = "",
                                 int max_seconds = 10) {
    std::vector<std::string> argv{find_on_path("curl"),
                                  "-sS",
                                  "-o",
                                  "/dev/null",
                                  "-w",
                                  "%{http_code}",
                                  "--max-time",
                                  std::to_string(max_seconds),
                                  "--cacert",
                                  certificate().cert.string()};
    if (!token.empty()) {
      argv.push_back("-H");
      argv.push_back("Authorization: Bearer " + token);
    }
    argv.push_back("https://127.0.0.1:" + std::to_string(port) + path);
    auto result = run(argv, std::chrono::seconds(max_seconds + 10));
    return result.out +
           (result.code == 0 ? "" : " (curl exit " + std::to_string(result.code) + ": " + result.err + ")");
  }
};

TEST_F(TlsServer, BothListenersSpeakHttpsAndPlainHttpIsRefusedCleanly) {
  EXPECT_EQ(curl_status(port(), "/healthz"), "200");
  EXPECT_EQ(curl_status(admin_port(), "/admin/status", admin_token), "503");  // reached the routes
  EXPECT_EQ(curl_status(admin_port(), "/admin/status"), "401");

  {
    RawConnection plain(port());
    ASSERT_TRUE(plain.connected());
    ASSERT_TRUE(plain.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    EXPECT_TRUE(plain.closed_by_peer(std::chrono::seconds(5))) << "plain HTTP must be refused by closing";
  }
  EXPECT_EQ(curl_status(port(), "/healthz"), "200") << "the server keeps serving TLS clients";

  // And curl without our CA refuses the self-signed certificate: it really is TLS with this cert.
  auto untrusted = run({find_on_path("curl"), "-sS", "-o", "/dev/null", "--max-time", "10",
                        "https://127.0.0.1:" + std::to_string(port()) + "/healthz"});
  EXPECT_NE(untrusted.code, 0);
}

// Pistache runs a blocking SSL_accept() on its one accept thread; Debian's build bounds each
// accepted socket's reads and writes at 10 s (seen with strace: SO_RCVTIMEO/SO_SNDTIMEO set
// right after accept4). So an idle client holds up later TLS clients for 10 s, not for good.
// A client that gives up meanwhile gets its handshake written to a closed socket: without
// SIGPIPE blocked in Pistache's threads that signal killed this whole test process.
TEST_F(TlsServer, IdleAndImpatientClientsNeitherStopNorKillTheServer) {
  RawConnection idle(port());
  ASSERT_TRUE(idle.connected());
  auto impatient = run({find_on_path("curl"), "-sS", "-o", "/dev/null", "--max-time", "0.5", "--cacert",
                        certificate().cert.string(), "https://127.0.0.1:" + std::to_string(port()) + "/healthz"});
  EXPECT_NE(impatient.code, 0) << "curl should have given up while the idle client held the accept thread";
  // Not for good: within curl's 30 s the accept thread gives the idle handshake up (after
  // Pistache's 10 s) and serves the next client; by then the idle client has been closed.
  // (How long one idle client may hold the others up is a bound of Pistache's, not asserted
  // here: a timing measured under a parallel test run is not a verdict.)
  EXPECT_EQ(curl_status(port(), "/healthz", "", 30), "200");
  EXPECT_TRUE(idle.closed_by_peer(std::chrono::seconds(10))) << "the idle client's handshake should have timed out";
}

TEST(RestStart, BadTokenSourcesFailStartWithoutEchoingTokens) {
  PluginTestHost host;
  const auto dir = scratch_dir("rest-bad-tokens");
  const auto file = dir / "tokens";
  write_file(file, "read read-token-0123456789abcdef\nadmin tiny-secret\n");
  ::chmod(file.c_str(), 0600);
  rest::RestApi api(
      Config(nlohmann::json{{"listen", "127.0.0.1:0"}, {"tokens_file", file.string()}, {"tokens_env", ""}}), host);
  Status status = api.start();
  EXPECT_EQ(status.code(), StatusCode::fatal) << status.message();
  EXPECT_NE(status.message().find(file.string() + ":2"), std::string::npos) << status.message();
  EXPECT_EQ(status.message().find("tiny-secret"), std::string::npos) << status.message();
  EXPECT_EQ(api.port(), 0);

  rest::RestApi no_tokens(Config(nlohmann::json{{"listen", "127.0.0.1:0"}, {"read_auth", "token"}, {"tokens_env", ""}}),
                          host);
  Status refused = no_tokens.start();
  EXPECT_EQ(refused.code(), StatusCode::fatal);
  EXPECT_NE(refused.message().find("read_auth"), std::string::npos) << refused.message();
}

TEST(RestStart, TlsNeedsCertAndKeyTogether) {
  PluginTestHost host;
  try {
    rest::RestApi api(Config(nlohmann::json{{"tls_cert", "/tmp/cert.pem"}}), host);
    FAIL() << "tls_cert without tls_key must be a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "tls_key");  // the one missing
  }
}

}  // namespace
}  // namespace sluice::test
