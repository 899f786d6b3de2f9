// The admin listener's threads (admin_http.hpp): requests that wait for the pipeline (a tap,
// a replay, a reload) never take the threads short requests need, and a tap on a quiet stage
// notices within seconds that its client left.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "auth_server.hpp"
#include "raw_http.hpp"
#include "support/process.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class NoLetters final : public DeadLetterStore {
 public:
  Status list(const DeadLetterQuery&, bool, std::vector<DeadLetter>& out) override {
    out.clear();
    return Status::ok();
  }
  Status get(std::int64_t, DeadLetter&, bool& found) override {
    found = false;
    return Status::ok();
  }
  Status reasons(std::vector<ReasonCount>& out) override {
    out.clear();
    return Status::ok();
  }
  Status discard(const DeadLetterQuery&, std::int64_t& discarded) override {
    discarded = 0;
    return Status::ok();
  }
  Status retire(const std::vector<std::int64_t>&) override { return Status::ok(); }
  std::string location() const override { return "memory"; }
};

// Shared by the admin and its taps: what is in flight, and the test's release.
struct Flight {
  std::mutex mutex;
  std::condition_variable changed;
  int taps_open = 0;
  int replays_running = 0;
  bool released = false;

  void add(int& counter, int n) {
    {
      std::lock_guard lock(mutex);
      counter += n;
    }
    changed.notify_all();
  }
  bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, condition);
  }
  void release() {
    {
      std::lock_guard lock(mutex);
      released = true;
    }
    changed.notify_all();
  }
};

// A stage where nothing passes: no record until max_duration or the test's release.
class QuietTap final : public Tap {
 public:
  QuietTap(Flight& flight, std::chrono::milliseconds lasts) : flight_(flight), until_(Clock::now() + lasts) {
    flight_.add(flight_.taps_open, 1);
  }
  ~QuietTap() override { flight_.add(flight_.taps_open, -1); }
  bool next(TapRecord&, Clock::time_point deadline) override {
    std::unique_lock lock(flight_.mutex);
    flight_.changed.wait_until(lock, std::min(deadline, until_), [&] { return flight_.released; });
    return false;
  }
  bool ended() const override {
    std::lock_guard lock(flight_.mutex);
    return flight_.released || Clock::now() >= until_;
  }
  std::size_t dropped() const override { return 0; }

 private:
  Flight& flight_;
  const Clock::time_point until_;
};

class SlowAdmin final : public Admin {
 public:
  explicit SlowAdmin(Flight& flight) : flight_(flight) {}
  nlohmann::json status() override { return {{"pipeline", "slow"}}; }
  ReloadReport reload(std::chrono::milliseconds) override { return {"applied", 1, {}}; }
  DeadLetterStore* dead_letters() override { return &letters_; }
  // As a replay while a sink retries: until the test releases it.
  Status replay(const ReplayOptions&, ReplayReport&) override {
    flight_.add(flight_.replays_running, 1);
    flight_.wait_for([&] { return flight_.released; }, 60s);
    flight_.add(flight_.replays_running, -1);
    return Status::ok();
  }
  std::vector<std::string> tap_points() override { return {"quiet"}; }
  std::unique_ptr<Tap> tap(const std::string&, const TapLimits& limits, std::string&) override {
    return std::make_unique<QuietTap>(flight_, limits.max_duration);
  }

 private:
  Flight& flight_;
  NoLetters letters_;
};

class AdminThreads : public AuthServerTest {
 protected:
  void SetUp() override {
    host.set_admin(&admin_);
    AuthServerTest::SetUp();
  }
  void TearDown() override {
    flight_.release();
    for (auto& t : clients_) t.join();
    AuthServerTest::TearDown();
  }
  nlohmann::json admin_config() const override { return {{"threads", 2}}; }

  // A long request on a client thread of its own; its answer is not the point.
  void in_background(const std::string& path, const std::string& method) {
    const int port = admin_port();
    clients_.emplace_back([port, path, method] {
      httplib::Client client("127.0.0.1", port);
      client.set_read_timeout(60, 0);
      httplib::Headers headers{{"Authorization", std::string("Bearer ") + admin_token}};
      if (method == "POST") {
        client.Post(path, headers, R"({"all":true})", "application/json");
      } else {
        client.Get(path, headers);
      }
    });
  }
  int taps_open() {
    std::lock_guard lock(flight_.mutex);
    return flight_.taps_open;
  }

  Flight flight_;
  SlowAdmin admin_{flight_};
  std::vector<std::thread> clients_;
};

TEST_F(AdminThreads, TwoLongRequestsInFlightLeaveStatusAThread) {
  in_background("/admin/tap?stage=quiet&timeout_ms=60000", "GET");
  in_background("/admin/dead-letters/replay", "POST");
  ASSERT_TRUE(flight_.wait_for([&] { return flight_.taps_open == 1 && flight_.replays_running == 1; }, 10s))
      << "the two long requests did not start";
  const auto asked = Clock::now();
  auto status = request(admin_port(), "/admin/status", admin_token);
  ASSERT_TRUE(status) << "no answer to /admin/status while a tap and a replay run";
  EXPECT_EQ(status->status, 200) << status->body;
  EXPECT_LT(Clock::now() - asked, 2s);
  // Listing letters is short as well.
  auto letters = request(admin_port(), "/admin/dead-letters", admin_token);
  ASSERT_TRUE(letters);
  EXPECT_EQ(letters->status, 200) << letters->body;
}

TEST_F(AdminThreads, AQuietTapNoticesWithinSecondsThatItsClientLeft) {
  {
    RawConnection client(admin_port());
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.send(std::string("GET /admin/tap?stage=quiet&timeout_ms=600000 HTTP/1.1\r\nHost: t\r\n"
                                        "Authorization: Bearer ") +
                            admin_token + "\r\n\r\n"));
    ASSERT_TRUE(flight_.wait_for([&] { return flight_.taps_open == 1; }, 10s)) << "the tap did not open";
  }  // the client hangs up
  EXPECT_TRUE(flight_.wait_for([&] { return flight_.taps_open == 0; }, 5s))
      << "the tap still runs for a client that left";
}

}  // namespace
}  // namespace sluice::test
