// What a listener a reload replaced waits for before it stops its threads
// (plugins/common/http/open_connections.hpp): requests in flight, then quiet connections.
#include "open_connections.hpp"

#include <gtest/gtest.h>

#include <future>
#include <optional>

using namespace sluice::http;
using namespace std::chrono_literals;

namespace {

// Runs drain() on a thread of its own; done() says whether it returned.
class Drain {
 public:
  Drain(const OpenConnections& connections, std::chrono::milliseconds quiet, std::chrono::milliseconds limit)
      : done_(std::async(std::launch::async, [&connections, quiet, limit] { connections.drain(quiet, limit); })) {}
  bool done(std::chrono::milliseconds within) { return done_.wait_for(within) == std::future_status::ready; }

 private:
  std::future<void> done_;
};

}  // namespace

TEST(OpenConnections, CountsRequestsInFlightUntilTheirTokenGoes) {
  OpenConnections connections;
  std::optional<OpenConnections::InFlight> first = connections.answer_later();
  auto second = connections.answer_later();
  EXPECT_EQ(connections.in_flight(), 2u);
  OpenConnections::InFlight moved = std::move(second);
  EXPECT_EQ(connections.in_flight(), 2u) << "a moved token counts once";
  first.reset();
  EXPECT_EQ(connections.in_flight(), 1u);
  moved = OpenConnections::InFlight();
  EXPECT_EQ(connections.in_flight(), 0u);
}

TEST(OpenConnections, TheDrainWaitsForARequestInFlightLongerThanTheQuietTime) {
  OpenConnections connections;
  auto connection = connections.opened();
  std::optional<OpenConnections::InFlight> queued = connections.answer_later();
  Drain drain(connections, 20ms, 10s);
  // Ten quiet times pass: an idle connection alone would have ended it long ago.
  EXPECT_FALSE(drain.done(200ms)) << "the drain ended with a request still waiting for its answer";
  queued.reset();
  EXPECT_TRUE(drain.done(5s));
}

TEST(OpenConnections, AnIdleConnectionEndsTheDrainAfterTheQuietTime) {
  OpenConnections connections;
  auto connection = connections.opened();
  Drain drain(connections, 50ms, 10s);
  EXPECT_TRUE(drain.done(5s));
}

TEST(OpenConnections, AnswersSaidCloseOnceDraining) {
  OpenConnections connections;
  auto request = connections.answer_later();
  EXPECT_FALSE(request.draining());
  connections.start_draining();
  EXPECT_TRUE(request.draining()) << "a request that arrived before the drain is answered with Connection: close";
  EXPECT_FALSE(OpenConnections::InFlight().draining());
}

TEST(OpenConnections, TheDrainGivesUpAtItsLimit) {
  OpenConnections connections;
  auto stuck = connections.answer_later();
  Drain drain(connections, 10ms, 100ms);
  EXPECT_TRUE(drain.done(5s));
}
