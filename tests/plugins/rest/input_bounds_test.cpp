// Every integer input of the REST and admin APIs with hostile values: -1, 1e30, 1.5, "x" and
// an overlong_digits digit string each get a 400 that names the field and its range, never a 500 or
// a cast of an out-of-range value.
#include <gtest/gtest.h>
#include <httplib.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "admin_routes.hpp"
#include "input_bounds.hpp"
#include "auth_server.hpp"
#include "rest_server.hpp"

namespace sluice::rest {
namespace {

const std::string overlong_digits(400, '9');

TEST(InputBounds, QueryTextOutsideItsRangeIsRefused) {
  std::int64_t value = 0;
  for (const std::string& bad : {std::string("-1"), std::string("1e30"), std::string("1.5"), std::string("x"),
                                 overlong_digits, std::string(""), std::string("+5"), std::string(" 5"), std::string("0")}) {
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

// The hostile values, as query text and as JSON text.
const std::vector<std::string> hostile_text{"-1", "1e30", "1.5", "x", overlong_digits};
const std::vector<std::string> hostile_json{"-1", "1e30", "1.5", "\"x\"", overlong_digits};

void expect_names_field(int status, const std::string& body, const std::string& field, const std::string& what) {
  EXPECT_EQ(status, 400) << what << ": " << body;
  const auto json = nlohmann::json::parse(body, nullptr, false);
  ASSERT_TRUE(json.is_object()) << what << ": " << body;
  EXPECT_EQ(json.value("field", ""), field) << what << ": " << body;
  EXPECT_NE(json.value("error", "").find(field), std::string::npos) << what << ": " << body;
}

class NoAdmin final : public Admin {
 public:
  struct NoLetters final : DeadLetterStore {
    Status list(const DeadLetterQuery&, bool, std::vector<DeadLetter>&) override { return Status::ok(); }
    Status get(std::int64_t, DeadLetter&, bool& found) override { return found = false, Status::ok(); }
    Status reasons(std::vector<ReasonCount>&) override { return Status::ok(); }
    Status discard(const DeadLetterQuery&, std::int64_t& n) override { return n = 0, Status::ok(); }
    Status retire(const std::vector<std::int64_t>&) override { return Status::ok(); }
    std::string location() const override { return "none"; }
  } letters;
  int replays = 0;
  nlohmann::json status() override { return nlohmann::json::object(); }
  ReloadReport reload(std::chrono::milliseconds) override { return {}; }
  DeadLetterStore* dead_letters() override { return &letters; }
  Status replay(const ReplayOptions&, ReplayReport&) override { return ++replays, Status::ok(); }
  std::vector<std::string> tap_points() override { return {"validate"}; }
  std::unique_ptr<Tap> tap(const std::string&, const TapLimits&, std::string& error) override {
    error = "not in this test";
    return nullptr;
  }
};

TEST(AdminInputBounds, EveryIntegerQueryParameterNamesItsFieldAndRange) {
  auto log = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
  NoAdmin admin;
  AdminRoutes routes(&admin, *log);
  struct Param {
    std::string path;
    std::string name;
  };
  for (const Param& p : {Param{"/admin/dead-letters", "limit"}, Param{"/admin/dead-letters", "after"},
                         Param{"/admin/tap", "limit"}, Param{"/admin/tap", "timeout_ms"}, Param{"/admin/tap", "rate"}}) {
    for (const auto& value : hostile_text) {
      if (p.name == "after" && value == "-1") continue;  // covered below: after 0 is valid, -1 is not
      AdminReply reply;
      routes.handle({"GET", p.path, {{p.name, value}, {"stage", "validate"}}, ""}, reply);
      expect_names_field(reply.status, reply.body, p.name, p.path + "?" + p.name + "=" + value.substr(0, 20));
    }
  }
  AdminReply reply;
  routes.handle({"GET", "/admin/dead-letters", {{"after", "-1"}}, ""}, reply);
  expect_names_field(reply.status, reply.body, "after", "after=-1");
}

TEST(AdminInputBounds, EveryIntegerOfASelectionBodyNamesItsFieldAndRange) {
  auto log = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
  NoAdmin admin;
  AdminRoutes routes(&admin, *log);
  for (const char* path : {"/admin/dead-letters/replay", "/admin/dead-letters/discard"}) {
    for (const auto& value : hostile_json) {
      AdminReply reply;
      if (value == overlong_digits) {
        // Too large for any JSON number type: the body does not parse, and the 400 says so.
        routes.handle({"POST", path, {}, R"({"all":true,"limit":)" + value + "}"}, reply);
        EXPECT_EQ(reply.status, 400);
        EXPECT_NE(reply.body.find("number overflow"), std::string::npos) << reply.body;
        continue;
      }
      routes.handle({"POST", path, {}, R"({"all":true,"limit":)" + value + "}"}, reply);
      expect_names_field(reply.status, reply.body, "limit", std::string(path) + " limit " + value.substr(0, 20));
      reply = {};
      routes.handle({"POST", path, {}, R"({"ids":[1,)" + value + "]}"}, reply);
      expect_names_field(reply.status, reply.body, "ids", std::string(path) + " ids " + value.substr(0, 20));
    }
    AdminReply reply;
    routes.handle({"POST", path, {}, R"({"ids":[0]})"}, reply);
    expect_names_field(reply.status, reply.body, "ids", "id 0");
    reply = {};
    routes.handle({"POST", path, {}, R"({"all":"yes"})"}, reply);
    expect_names_field(reply.status, reply.body, "all", "all as a string");
    reply = {};
    routes.handle({"POST", path, {}, R"({"all":true,"dry_run":1})"}, reply);
    expect_names_field(reply.status, reply.body, "dry_run", "dry_run as a number");
  }
  EXPECT_EQ(admin.replays, 0) << "no bad selection reached a replay";
  AdminReply ok;
  routes.handle({"POST", "/admin/dead-letters/replay", {}, R"({"ids":[1,9223372036854775807],"limit":0})"}, ok);
  EXPECT_EQ(ok.status, 200) << ok.body;
}

}  // namespace
}  // namespace sluice::rest

namespace sluice::test {
namespace {

using RestInputBounds = RestServerTest;
// The listing of order ids always needs a read token.
using RecentOrdersInputBounds = AuthServerTest;

TEST_F(RecentOrdersInputBounds, RecentOrdersLimitNamesItsFieldAndRange) {
  for (const auto& value : rest::hostile_text) {
    auto res = request(port(), "/api/orders?limit=" + value, read_token);
    ASSERT_TRUE(res) << value;
    rest::expect_names_field(res->status, res->body, "limit", "limit=" + value.substr(0, 20));
  }
  auto capped = request(port(), "/api/orders?limit=100000", read_token);
  ASSERT_TRUE(capped);
  EXPECT_EQ(capped->status, 200) << "a large limit is capped, not refused";
}

TEST_F(RestInputBounds, MinPositionOffsetsOutsideTheirRangeAre400) {
  cache.put(sample_uid, sample_order_json());
  httplib::Client client("127.0.0.1", port());
  for (const auto& value : rest::hostile_text) {
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
