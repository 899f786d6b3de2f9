// The admin request's query: percent-decoded names and values, in a stable order.
#include <gtest/gtest.h>

#include "admin_http.hpp"

namespace sluice::admin {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(AdminQuery, DecodesNamesAndValuesAndSortsByName) {
  Pairs out;
  ASSERT_TRUE(decode_query({{"reason", "bad%20json"}, {"a%5Bb%5D", "x+y"}, {"limit", "5"}}, out));
  EXPECT_EQ(out, (Pairs{{"a[b]", "x y"}, {"limit", "5"}, {"reason", "bad json"}}));
}

TEST(AdminQuery, MalformedEscapeIsRefused) {
  Pairs out;
  EXPECT_FALSE(decode_query({{"id", "%zz"}}, out));
  EXPECT_FALSE(decode_query({{"%4", "1"}}, out));
  EXPECT_TRUE(decode_query({}, out));
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace sluice::admin
