// Every integer input of the REST API (the admin API's: tests/plugins/admin/admin_input_bounds_test.cpp) with hostile
// values: -1, 1e30, 1.5, "x" and an overlong_digits digit string each get a 400 that names the field and its range,
// never a 500 or a cast of an out-of-range value.
#include "input_bounds.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "auth_server.hpp"
#include "hostile_inputs.hpp"
#include "rest_server.hpp"

namespace sluice::rest {
namespace {

using test::overlong_digits;

TEST(InputBounds, QueryTextOutsideItsRangeIsRefused) {
  std::int64_t value = 0;
  for (const std::string& bad :
       {std::string("-1"), std::string("1e30"), std::string("1.5"), std::string("x"), overlong_digits, std::string(""),
        std::string("+5"), std::string(" 5"), std::string("0")}) {
    EXPECT_FALSE(parse_integer(bad, IntegerRange{1, 1000}, value)) << bad;
  }
  EXPECT_FALSE(parse_integer("1001", IntegerRange{1, 1000}, value));
  ASSERT_TRUE(parse_integer("1000", IntegerRange{1, 1000}, value));
  EXPECT_EQ(value, 1000);
  ASSERT_TRUE(parse_integer("-3", IntegerRange{-5, 5}, value));
  EXPECT_EQ(value, -3);
}

TEST(InputBounds, JsonValuesOutsideItsRangeAreRefused) {
  std::int64_t value = 0;
  for (const char* bad : {"-1", "1e30", "1.5", "\"x\"", "\"5\"", "true", "null", "[1]", "18446744073709551615",
                          "99999999999999999999999999999999999999999"}) {
    EXPECT_FALSE(json_integer(nlohmann::json::parse(bad), IntegerRange{0}, value)) << bad;
  }
  ASSERT_TRUE(json_integer(nlohmann::json::parse("9223372036854775807"), IntegerRange{0}, value));
  EXPECT_EQ(value, 9223372036854775807);
  const auto error = nlohmann::json::parse(range_error("limit", IntegerRange{1, 1000}, overlong_digits));
  EXPECT_EQ(error["field"], "limit");
  EXPECT_EQ(error["min"], 1);
  EXPECT_EQ(error["max"], 1000);
  EXPECT_EQ(error["given"].get<std::string>().size(), 100u);
  EXPECT_NE(error["error"].get<std::string>().find("from 1 to 1000"), std::string::npos) << error;
}

}  // namespace
}  // namespace sluice::rest

namespace sluice::test {
namespace {

using RestInputBounds = RestServerTest;
// The listing of order ids always needs a read token.
using RecentOrdersInputBounds = AuthServerTest;

TEST_F(RecentOrdersInputBounds, RecentOrdersLimitNamesItsFieldAndRange) {
  for (const auto& value : hostile_text) {
    auto res = request(port(), "/api/orders?limit=" + value, read_token);
    ASSERT_TRUE(res) << value;
    expect_names_field(res->status, res->body, "limit", "limit=" + value.substr(0, 20));
  }
  auto capped = request(port(), "/api/orders?limit=100000", read_token);
  ASSERT_TRUE(capped);
  EXPECT_EQ(capped->status, 200) << "a large limit is capped, not refused";
}

TEST_F(RestInputBounds, MinPositionOffsetsOutsideTheirRangeAre400) {
  cache.put(sample_uid, sample_order_json());
  httplib::Client client("127.0.0.1", port());
  for (const auto& value : hostile_text) {
    auto res = client.Get(std::string("/order/") + sample_uid, {{"Sluice-Min-Position", "orders/0@" + value}});
    ASSERT_TRUE(res) << value;
    EXPECT_EQ(res->status, 400) << value.substr(0, 20) << ": " << res->body;
    res = client.Get(std::string("/order/") + sample_uid, {{"Sluice-Min-Position", "orders/" + value + "@1"}});
    ASSERT_TRUE(res) << value;
    EXPECT_EQ(res->status, 400) << "partition " << value.substr(0, 20) << ": " << res->body;
  }
}

}  // namespace
}  // namespace sluice::test
