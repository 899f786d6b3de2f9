// `sluice publish` output as scripts use it: one position per delivered message on stdout
// (the read-your-writes token GET /order takes), JSON lines with --json, and nothing else on
// stdout, so `pos=$(sluice publish ... | tail -1)` is a token.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "support/broker.hpp"
#include "support/process.hpp"
#include "support/text.hpp"

namespace sluice::test {
namespace {

TEST(Publish, PrintsOnePositionPerDeliveredMessage) {
  Broker broker;  // "orders" with 4 partitions
  auto r = run({sluice_binary().string(), "publish", "--brokers", broker.address(), "--count", "20", "--prefix",
                "pos", "--order-version", "2"},
               60s);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 20u) << r.out;
  const std::regex token(R"(^orders/([0-3])@([0-9]+)$)");
  std::set<std::string> distinct;
  for (const auto& line : lines) {
    EXPECT_TRUE(std::regex_match(line, token)) << line;
    distinct.insert(line);
  }
  EXPECT_EQ(distinct.size(), 20u) << "every message has its own position";
  EXPECT_NE(r.err.find("delivered 20 of 20"), std::string::npos) << "the summary belongs on stderr: " << r.err;

  // The sample again: its position is past everything already in its partition.
  auto again = run({sluice_binary().string(), "publish", "--brokers", broker.address(), "--sample", "--json"}, 60s);
  ASSERT_EQ(again.code, 0) << again.err;
  const auto json_lines = lines_of(again.out);
  ASSERT_EQ(json_lines.size(), 1u) << again.out;
  auto line = nlohmann::json::parse(json_lines[0]);
  EXPECT_EQ(line["topic"], "orders");
  EXPECT_EQ(line["key"], "b563feb7b2b84b6test");
  EXPECT_GE(line["offset"].get<std::int64_t>(), 0);
  EXPECT_EQ(line["position"], "orders/" + std::to_string(line["partition"].get<int>()) + "@" +
                                  std::to_string(line["offset"].get<std::int64_t>()));
}

}  // namespace
}  // namespace sluice::test
