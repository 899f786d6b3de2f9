// /readyz while a restarted `sluice run` waits for its partitions (found while writing the tests of
// README.md, "Crashes, restarts and the consumer group"): the kafka source reports itself not ready
// ("joining consumer group ...") until the group assigns it partitions, so a load balancer does not
// send it traffic, and an operator sees why it is idle. README.md, "REST API": /readyz = warm-up
// done, source and stores connected.
//
// After kill -9 and a restart the group waits for the killed member's session before it hands
// out partitions: a window of several seconds in which /readyz must not say "ready".
#include <gtest/gtest.h>

#include <iostream>

#include "default_pipeline.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

TEST(Readiness, NotReadyWhileARestartedRunWaitsForItsPartitions) {
  DefaultPipeline p({.name = "readiness-joining", .session_timeout_ms = 3000, .heartbeat_interval_ms = 300});
  ASSERT_TRUE(p.start()) << p.logs();
  ASSERT_TRUE(p.process().wait_stderr("kafka: assigned", 30s)) << p.logs();
  p.kill9();
  ASSERT_TRUE(p.start()) << p.logs();

  // Poll /readyz until the partitions come (the poll is the wait); count "ready" answers given
  // before the run logged its assignment. Read the log before asking, so an answer that raced
  // the assignment is not counted against it.
  int ready_before = 0;
  int asked = 0;
  HttpReply first_ready;
  bool assigned = wait_until(
      [&] {
        bool assigned_now = p.process().err().find("kafka: assigned") != std::string::npos;
        if (assigned_now) return true;
        HttpReply reply = http_get(p.http_port(), "/readyz", 1s);
        ++asked;
        if (reply.status == 200) {
          if (ready_before++ == 0) first_ready = reply;
        }
        return false;
      },
      30s, 100ms);
  std::cout << "asked /readyz " << asked << " times before the assignment; " << ready_before << " said 200"
            << (ready_before ? " (first: " + first_ready.body + ")" : std::string()) << std::endl;
  ASSERT_TRUE(assigned) << p.logs();
  EXPECT_GT(asked, 5) << "the window before the assignment was too short for the test to mean anything";
  EXPECT_EQ(ready_before, 0) << "/readyz said ready while the run had no partitions (still joining the group)"
                             << p.logs();
  EXPECT_TRUE(wait_until([&] { return http_get(p.http_port(), "/readyz").status == 200; }, 30s, 100ms)) << p.logs();
  EXPECT_EQ(p.terminate(30s), 0) << p.logs();
}

}  // namespace
}  // namespace sluice::test
