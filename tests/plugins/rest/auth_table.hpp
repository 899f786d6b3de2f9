// The authentication table both front ends are checked with: an endpoint on the main (rest)
// or admin listener, and the exact status for {no token, read, admin, wrong token}, with the
// 401's challenge and the JSON error body every refusal carries.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "auth_server.hpp"

namespace sluice::test {

enum class Listener { main, admin };
struct Endpoint {
  Listener listener;
  std::string path;
};

// Expected status for {no token, read, admin, wrong token}.
struct Row {
  Endpoint endpoint;
  std::array<int, 4> status;
};

class AuthTable : public AuthServerTest {
 protected:
  void check(const std::vector<Row>& rows) {
    cache.put(sample_uid, sample_order_json());
    const std::array<std::string, 4> tokens{"", read_token, admin_token, wrong_token};
    const std::array<const char*, 4> names{"no token", "read", "admin", "wrong"};
    for (const auto& row : rows) {
      const int port = row.endpoint.listener == Listener::main ? this->port() : admin_port();
      const std::string where =
          std::string(row.endpoint.listener == Listener::main ? "main " : "admin ") + row.endpoint.path;
      for (std::size_t i = 0; i < tokens.size(); ++i) {
        auto res = request(port, row.endpoint.path, tokens[i]);
        ASSERT_TRUE(res) << where << " with " << names[i];
        EXPECT_EQ(res->status, row.status[i]) << where << " with " << names[i] << ": " << res->body;
        if (res->status == 401) {
          EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer realm=\"sluice\"") << where;
        }
        if (res->status >= 400) {
          EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << where;
          EXPECT_TRUE(nlohmann::json::parse(res->body).contains("error")) << where << ": " << res->body;
        }
      }
    }
  }
};

}  // namespace sluice::test
