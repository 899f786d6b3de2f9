// The admin listener's connection limits: a client that has not authenticated gets the short
// header timeout (not the 11 minutes an admin answer may take), an authenticated request may
// take longer than that, and connections beyond admin_max_connections are closed at once
// while an operator's connection keeps working.
#include <gtest/gtest.h>

#include <thread>

#include "auth_server.hpp"
#include "raw_http.hpp"
#include "support/process.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

// An Admin whose reload takes longer than the header timeout.
class SlowAdmin final : public Admin {
 public:
  nlohmann::json status() override { return {{"pipeline", "slow"}}; }
  ReloadReport reload(std::chrono::milliseconds) override {
    std::this_thread::sleep_for(1500ms);
    return {"applied", 1, {"nothing changed"}};
  }
  DeadLetterStore* dead_letters() override { return nullptr; }
  Status replay(const ReplayOptions&, ReplayReport&) override { return Status::ok(); }
  std::vector<std::string> tap_points() override { return {}; }
  std::unique_ptr<Tap> tap(const std::string&, const TapLimits&, std::string& error) override {
    error = "none";
    return nullptr;
  }
};

std::string admin_request(const std::string& method, const std::string& path) {
  return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + admin_token +
         "\r\nContent-Length: 0\r\n\r\n";
}

class AdminLimits : public AuthServerTest {
 protected:
  nlohmann::json admin_config() const override { return {{"header_timeout_ms", 400}}; }
  void SetUp() override {
    host.set_admin(&slow_);
    AuthServerTest::SetUp();
  }
  SlowAdmin slow_;
};

TEST_F(AdminLimits, HalfAHeaderIsDroppedAfterTheShortTimeout) {
  RawConnection connection(admin_port());
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.send("GET /admin/status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthor"));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(connection.closed_by_peer(5s)) << "a client stalling before authentication kept its connection";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST_F(AdminLimits, AnAuthenticatedRequestMayTakeLongerThanTheHeaderTimeout) {
  RawConnection connection(admin_port());
  ASSERT_TRUE(connection.send(admin_request("POST", "/admin/reload")));
  auto answer = connection.read_response(10s);
  ASSERT_TRUE(answer) << "the 1.5 s reload was cut off";
  EXPECT_EQ(answer->status, 200) << answer->body;
  // The operator's connection stays open for the next request.
  ASSERT_TRUE(connection.send(admin_request("GET", "/admin/status")));
  auto status = connection.read_response();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, 200);
}

TEST_F(AdminLimits, AnUnauthenticatedAnswerClosesItsConnection) {
  RawConnection connection(admin_port());
  ASSERT_TRUE(connection.send("GET /admin/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  auto answer = connection.read_response();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 401);
  EXPECT_TRUE(connection.closed_by_peer(2s)) << "only operators keep idle connections on the admin listener";
}

class CappedAdminConnections : public AdminLimits {
 protected:
  // A header timeout long enough that only the cap can close the connection the test opens.
  nlohmann::json admin_config() const override { return {{"header_timeout_ms", 4000}, {"max_connections", 3}}; }
};

TEST_F(CappedAdminConnections, ConnectionsBeyondTheCapAreClosedAtOnceWhileTheOperatorsWorks) {
  RawConnection operator_connection(admin_port());
  ASSERT_TRUE(operator_connection.send(admin_request("GET", "/admin/status")));
  auto first = operator_connection.read_response();
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200);

  RawConnection silent_a(admin_port());
  RawConnection silent_b(admin_port());
  ASSERT_TRUE(silent_a.connected() && silent_b.connected());
  EXPECT_FALSE(silent_a.closed_by_peer(300ms)) << "within the cap";
  RawConnection over(admin_port());
  EXPECT_TRUE(over.closed_by_peer(1s)) << "a fourth connection was kept";

  ASSERT_TRUE(operator_connection.send(admin_request("GET", "/admin/status")));
  auto again = operator_connection.read_response();
  ASSERT_TRUE(again) << "the operator's connection stopped working";
  EXPECT_EQ(again->status, 200);
}

TEST_F(CappedAdminConnections, ASlotComesBackWhenAConnectionEnds) {
  for (int round = 0; round < 3; ++round) {
    std::vector<std::unique_ptr<RawConnection>> held;
    for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<RawConnection>(admin_port()));
    ASSERT_FALSE(held.back()->closed_by_peer(300ms)) << "round " << round;
    RawConnection over(admin_port());
    EXPECT_TRUE(over.closed_by_peer(1s)) << "round " << round;
    held.clear();  // closed by the client: the slots come back
    ASSERT_TRUE(wait_until(
        [&] { return host.metrics().render().find("sluice_admin_connections 0\n") != std::string::npos; }, 5s, 10ms))
        << host.metrics().render();
  }
}

}  // namespace
}  // namespace sluice::test
