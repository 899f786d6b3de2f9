// Read-your-writes against the end of the stream, on the default pipeline over `sluice broker`
// (plugins/rest/README.md, "Read-your-writes"):
//
// - A position far beyond the end of its partition can never be reached: 409 within a second,
//   naming the partition's end, instead of holding a lookup thread for min_position_wait_ms.
// - The race that matters: a producer that just had its message delivered asks for it at
//   once. The broker's end has moved past it before the delivery report, so it is waited for
//   and served (200), never refused as "beyond the end".
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "coherent_reads.hpp"
#include "default_pipeline.hpp"
#include "support/text.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class StreamEnd : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(p.start()) << p.logs();
    ASSERT_TRUE(wait_until([&] { return http_get(port(), "/readyz").status == 200; }, 60s, 50ms)) << p.logs();
  }
  int port() const { return p.http_port_of(0); }

  DefaultPipeline p{{.name = "stream-end", .partitions = 2}};
};

TEST_F(StreamEnd, APositionFarBeyondTheEndIs409WithinASecond) {
  auto publish = p.publish(1, "end", 0, 1);
  ASSERT_EQ(publish->wait(60s), 0) << publish->err();
  const std::string far = p.topic() + "/0@999999999";
  const auto asked = Clock::now();
  HttpReply reply = http_get(port(), "/order/end-1", 10s, {{"Sluice-Min-Position", far}});
  const long long took = ms_since(asked);
  ASSERT_EQ(reply.status, 409) << reply.body << p.logs();
  EXPECT_LT(took, 1000) << "answered at once, not after min_position_wait_ms";
  const auto body = nlohmann::json::parse(reply.body);
  EXPECT_EQ(body["error"], "position beyond the end of the stream");
  EXPECT_EQ(body["min_position"], far);
  const auto ends = p.end_offsets();
  ASSERT_TRUE(ends);
  EXPECT_EQ(body["end_offset"].get<std::int64_t>(), ends->at(0)) << "the partition's end, as the broker has it";

  // Several at once stay quick too: none of them waits.
  const auto burst = Clock::now();
  for (int i = 0; i < 8; ++i) {
    reply = http_get(port(), "/order/end-1", 10s,
                     {{"Sluice-Min-Position", p.topic() + "/1@" + std::to_string(1000000 + i)}});
    EXPECT_EQ(reply.status, 409) << reply.body;
  }
  EXPECT_LT(ms_since(burst), 4000);
}

TEST_F(StreamEnd, AMessageJustDeliveredIsWaitedForAndServedNever409) {
  for (int version = 1; version <= 15; ++version) {
    auto publish = p.publish(1, "fresh", 0, version);
    ASSERT_EQ(publish->wait(60s), 0) << publish->err();
    const std::string token = last_line(publish->out());
    ASSERT_TRUE(token.rfind(p.topic() + "/", 0) == 0) << "publish printed no position: '" << publish->out() << "'";
    // At once: the pipeline has most likely not stored it yet, so the end is asked.
    HttpReply reply = http_get(port(), "/order/fresh-1", 5s, {{"Sluice-Min-Position", token}});
    ASSERT_EQ(reply.status, 200) << "token " << token << ": " << reply.body << p.logs();
    EXPECT_EQ(published_version(reply), version) << "token " << token;
  }
}

}  // namespace
}  // namespace sluice::test
