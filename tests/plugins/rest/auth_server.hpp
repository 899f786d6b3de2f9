// A RestServerTest with API tokens (through tokens_env) and, beside it on the same host, the
// admin plugin on a free port with the same tokens and page folder (the two front ends a
// default pipeline runs), plus an HTTP client that can send a Bearer token to either.
#pragma once

#include <httplib.h>

#include <cstdlib>
#include <string>

#include "admin_api.hpp"
#include "rest_server.hpp"

namespace sluice::test {

inline constexpr const char* read_token = "read-token-0123456789abcdef";
inline constexpr const char* admin_token = "admin-token-0123456789abcdef";
// As long as read_token, so a length check alone cannot tell it apart.
inline constexpr const char* wrong_token = "read-token-0123456789abcdeX";
inline constexpr const char* tokens_variable = "SLUICE_TEST_REST_TOKENS";

class AuthServerTest : public RestServerTest {
 protected:
  // The tokens the server reads from tokens_variable at start().
  virtual std::string tokens() const { return std::string("read:") + read_token + ",admin:" + admin_token; }
  virtual nlohmann::json auth_config() const { return nlohmann::json::object(); }
  // The admin plugin's keys merged over {listen, tokens_env, static_dir}.
  virtual nlohmann::json admin_config() const { return nlohmann::json::object(); }

  nlohmann::json extra_config() const override {
    nlohmann::json config{{"tokens_env", tokens_variable}};
    config.update(auth_config());
    return config;
  }

  void SetUp() override {
    ::setenv(tokens_variable, tokens().c_str(), 1);
    RestServerTest::SetUp();
    if (HasFatalFailure()) return;
    nlohmann::json config{
        {"listen", "127.0.0.1:0"}, {"tokens_env", tokens_variable}, {"static_dir", page_dir().string()}};
    config.update(admin_config());
    admin = std::make_unique<admin::AdminApi>(Config(config), host);
    Status started = admin->start();
    ASSERT_TRUE(started.is_ok()) << started.message();
  }
  void TearDown() override {
    if (admin) admin->stop();
    RestServerTest::TearDown();
    ::unsetenv(tokens_variable);
  }

  // The admin API's port; 0 when it is off (no admin token).
  int admin_port() const { return admin ? admin->port() : 0; }

  std::unique_ptr<admin::AdminApi> admin;

  // GET (or `method`) with `Authorization: Bearer <token>` unless token is empty.
  static httplib::Result request(int port, const std::string& path, const std::string& token,
                                 const std::string& method = "GET") {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(5, 0);
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    if (method == "POST") return client.Post(path, headers, "{}", "application/json");
    if (method == "DELETE") return client.Delete(path, headers);
    if (method == "PUT") return client.Put(path, headers, "{}", "application/json");
    return client.Get(path, headers);
  }
};

}  // namespace sluice::test
