// Every integer input of the admin API with hostile values: -1, 1e30, 1.5, "x" and an
// overlong digit string each get a 400 that names the field and its range, never a 500 or a
// cast of an out-of-range value.
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "admin_routes.hpp"
#include "hostile_inputs.hpp"

namespace sluice::admin {
namespace {

using test::expect_names_field;
using test::hostile_json;
using test::hostile_text;
using test::overlong_digits;

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
  for (const Param& p :
       {Param{"/admin/dead-letters", "limit"}, Param{"/admin/dead-letters", "after"}, Param{"/admin/tap", "limit"},
        Param{"/admin/tap", "timeout_ms"}, Param{"/admin/tap", "rate"}}) {
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
}  // namespace sluice::admin
