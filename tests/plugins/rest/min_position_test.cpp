// Read-your-writes token syntax: stream/partition@offset, lists, limits, percent-decoding.
#include "min_position.hpp"

#include <gtest/gtest.h>

#include "percent_decode.hpp"

using namespace sluice::rest;
using sluice::http::percent_decode;

TEST(MinPosition, ParsesIntoANextOffset) {
  sluice::Position p;
  ASSERT_TRUE(parse_min_position("orders/3@1234", p));
  EXPECT_EQ(p.stream, "orders");
  EXPECT_EQ(p.partition, 3);
  EXPECT_EQ(p.offset, 1235) << "the store API takes the next offset";

  ASSERT_TRUE(parse_min_position("a/b@c/0@0", p)) << "split on the last '@' and the last '/' before it";
  EXPECT_EQ(p.stream, "a/b@c");
  EXPECT_EQ(p.partition, 0);
  EXPECT_EQ(p.offset, 1);
}

TEST(MinPosition, RefusesBadSyntax) {
  sluice::Position p;
  for (const char* bad : {"", "orders", "orders/3", "orders@3", "/3@1", "orders/@1", "orders/3@", "orders/-1@5",
                          "orders/3@-5", "orders/3@+5", "orders/x@1", "orders/3@1x", "orders/99999999999@1",
                          "orders/3@9223372036854775807", "orders/3@ 1"}) {
    EXPECT_FALSE(parse_min_position(bad, p)) << bad;
  }
}

TEST(MinPosition, ListsAreCommaSeparatedAndBounded) {
  std::vector<MinPosition> out;
  std::string bad;
  ASSERT_TRUE(parse_min_positions(" orders/1@5 , orders/2@6,", out, bad));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].token, "orders/1@5");
  EXPECT_EQ(out[1].position.offset, 7);

  out.clear();
  EXPECT_FALSE(parse_min_positions("orders/1@5,nonsense", out, bad));
  EXPECT_EQ(bad, "nonsense");

  std::string many;
  for (int i = 0; i < 17; ++i) many += "orders/0@" + std::to_string(i) + ",";
  out.clear();
  EXPECT_FALSE(parse_min_positions(many, out, bad));
  EXPECT_NE(bad.find("16"), std::string::npos) << bad;
}

TEST(MinPosition, PercentDecoding) {
  std::string out;
  ASSERT_TRUE(percent_decode("orders%2F3%401234", out));
  EXPECT_EQ(out, "orders/3@1234");
  EXPECT_FALSE(percent_decode("orders%2", out));
  EXPECT_FALSE(percent_decode("orders%zz", out));
}
