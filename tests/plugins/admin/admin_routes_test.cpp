// AdminRoutes without sockets: what each /admin URL answers over a fake Admin and an
// in-memory dead-letter store — filters, paging, one letter as text or hex, selections that
// must say what they select, replay reports, discard, the tap's NDJSON and its end line,
// methods and errors.
#include "admin_routes.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <map>

#include "admin_json.hpp"

namespace sluice::admin {
namespace {

class MemoryLetters final : public DeadLetterStore {
 public:
  std::map<std::int64_t, DeadLetter> letters;
  bool down = false;

  Status list(const DeadLetterQuery& q, bool with_payload, std::vector<DeadLetter>& out) override {
    if (down) return Status::retry("database unavailable");
    for (const auto& [id, l] : letters) {
      if (id <= q.after_id || (!q.reason.empty() && l.reason != q.reason) || l.last_seen_ms < q.since_ms) continue;
      if (!q.key.empty() && l.key != q.key) continue;
      out.push_back(l);
      if (!with_payload) out.back().raw.clear();
      if (q.limit && out.size() >= q.limit) break;
    }
    return Status::ok();
  }
  Status get(std::int64_t id, DeadLetter& out, bool& found) override {
    found = letters.count(id) > 0;
    if (found) out = letters[id];
    return Status::ok();
  }
  Status reasons(std::vector<ReasonCount>& out) override {
    std::map<std::string, std::int64_t> n;
    for (const auto& [id, l] : letters) ++n[l.reason];
    for (const auto& [reason, count] : n) out.push_back({reason, count});
    return Status::ok();
  }
  Status discard(const DeadLetterQuery& q, std::int64_t& discarded) override {
    discarded = 0;
    for (auto id : q.ids) discarded += static_cast<std::int64_t>(letters.erase(id));
    if (q.ids.empty()) {
      discarded = static_cast<std::int64_t>(std::erase_if(letters, [&](const auto& e) {
        return (q.reason.empty() || e.second.reason == q.reason) && (q.key.empty() || e.second.key == q.key);
      }));
    }
    return Status::ok();
  }
  Status retire(const std::vector<std::int64_t>&) override { return Status::ok(); }
  std::string location() const override { return "memory://test"; }
};

class OneShotTap final : public Tap {
 public:
  explicit OneShotTap(int n) : left_(n) {}
  bool next(TapRecord& out, std::chrono::steady_clock::time_point) override {
    if (left_ == 0) return false;
    out = {};
    out.stage = "validate";
    out.record.value = "{\"n\":" + std::to_string(left_--) + "}";
    out.value_bytes = out.record.value.size();
    return true;
  }
  bool ended() const override { return left_ == 0; }
  std::size_t dropped() const override { return 3; }

 private:
  int left_;
};

class FakeAdmin final : public Admin {
 public:
  MemoryLetters store;
  ReplayOptions last_replay;
  ReplayReport next_report;
  TapLimits last_tap;

  nlohmann::json status() override { return {{"pipeline", "orders"}}; }
  ReloadReport reload(std::chrono::milliseconds) override { return {"rejected", 4, {"p.yaml:3:7: bad"}}; }
  DeadLetterStore* dead_letters() override { return &store; }
  Status replay(const ReplayOptions& options, ReplayReport& report) override {
    last_replay = options;
    report = next_report;
    return Status::ok();
  }
  std::vector<std::string> tap_points() override { return {"source", "validate"}; }
  std::unique_ptr<Tap> tap(const std::string& stage, const TapLimits& limits, std::string& error) override {
    last_tap = limits;
    if (stage != "validate") {
      error = "no stage '" + stage + "' to tap";
      return nullptr;
    }
    return std::make_unique<OneShotTap>(2);
  }
};

DeadLetter letter(std::int64_t id, std::string reason, std::string raw, std::int64_t seen_ms) {
  DeadLetter l;
  l.id = id;
  l.stream = "orders";
  l.offset = id * 10;
  l.reason = std::move(reason);
  l.raw = std::move(raw);
  l.raw_bytes = static_cast<std::int64_t>(l.raw.size());
  l.first_seen_ms = l.last_seen_ms = seen_ms;
  l.attempts = 1;
  return l;
}

class AdminRoutesTest : public testing::Test {
 protected:
  void SetUp() override {
    admin.store.letters[1] = letter(1, "missing_field", R"({"order_uid":"a"})", 1000);
    admin.store.letters[2] = letter(2, "invalid_json", std::string("\x01\xff", 2), 2000);
    admin.store.letters[3] = letter(3, "missing_field", "{}", 3000);
    // Record keys: an order id, one with every byte a query could choke on, and none.
    admin.store.letters[1].key = "order-a";
    admin.store.letters[2].key = std::string("k\0'\";--\xff", 9);
  }
  std::vector<std::int64_t> listed_ids(const AdminReply& reply) {
    std::vector<std::int64_t> ids;
    const nlohmann::json body = json(reply);  // not json(reply)["letters"]: the temporary would die first
    for (const auto& l : body["letters"]) ids.push_back(l["id"].get<std::int64_t>());
    return ids;
  }
  AdminReply call(const std::string& method, const std::string& path,
                  std::vector<std::pair<std::string, std::string>> query = {}, const std::string& body = {}) {
    AdminReply reply;
    routes.handle({method, path, std::move(query), body}, reply);
    return reply;
  }
  static nlohmann::json json(const AdminReply& reply) { return nlohmann::json::parse(reply.body); }

  std::shared_ptr<spdlog::logger> log =
      std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
  FakeAdmin admin;
  AdminRoutes routes{&admin, *log};
};

TEST_F(AdminRoutesTest, StatusAddsTheTapPoints) {
  auto reply = call("GET", "/admin/status");
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(json(reply)["pipeline"], "orders");
  EXPECT_EQ(json(reply)["tap_points"], nlohmann::json({"source", "validate"}));
}

TEST_F(AdminRoutesTest, ListFiltersAndPages) {
  auto all = json(call("GET", "/admin/dead-letters"));
  EXPECT_EQ(all["letters"].size(), 3u);
  EXPECT_TRUE(all["next_after"].is_null());
  EXPECT_FALSE(all["letters"][0].contains("raw_text")) << "the list carries no payload";

  auto page = json(call("GET", "/admin/dead-letters", {{"reason", "missing_field"}, {"limit", "1"}}));
  ASSERT_EQ(page["letters"].size(), 1u);
  EXPECT_EQ(page["letters"][0]["id"], 1);
  EXPECT_EQ(page["next_after"], 1);
  auto next = json(call("GET", "/admin/dead-letters", {{"reason", "missing_field"}, {"after", "1"}, {"limit", "1"}}));
  EXPECT_EQ(next["letters"][0]["id"], 3);

  auto recent = json(call("GET", "/admin/dead-letters", {{"since", "1970-01-01T00:00:02Z"}}));
  EXPECT_EQ(recent["letters"].size(), 2u);
  EXPECT_EQ(call("GET", "/admin/dead-letters", {{"since", "yesterday"}}).status, 400);
  EXPECT_EQ(call("GET", "/admin/dead-letters", {{"limit", "0"}}).status, 400);
}

TEST_F(AdminRoutesTest, ListByKeyMatchesOnlyThatKeyByteForByte) {
  auto by_key = call("GET", "/admin/dead-letters", {{"key", "order-a"}});
  ASSERT_EQ(by_key.status, 200) << by_key.body;
  EXPECT_EQ(listed_ids(by_key), std::vector<std::int64_t>{1});
  EXPECT_FALSE(json(by_key)["letters"][0].contains("key")) << "the list carries no key either";
  // NUL, quotes, a comment marker and a byte that is not UTF-8: matched as bytes, found.
  auto hostile = call("GET", "/admin/dead-letters", {{"key", std::string("k\0'\";--\xff", 9)}});
  ASSERT_EQ(hostile.status, 200) << hostile.body;
  EXPECT_EQ(listed_ids(hostile), std::vector<std::int64_t>{2});
  // Near misses and injection attempts find nothing; the key combines with the other filters.
  for (const std::string& key : {std::string("order-"), std::string("ORDER-A"), std::string("order-a\0", 8),
                                 std::string("' OR '1'='1"), std::string("%00"), std::string(256, 'x')}) {
    auto none = call("GET", "/admin/dead-letters", {{"key", key}});
    ASSERT_EQ(none.status, 200) << none.body;
    EXPECT_TRUE(json(none)["letters"].empty()) << key;
  }
  EXPECT_TRUE(
      json(call("GET", "/admin/dead-letters", {{"key", "order-a"}, {"reason", "invalid_json"}}))["letters"].empty());
}

TEST_F(AdminRoutesTest, AKeyOutsideOneTo256BytesIs400NamingTheFieldAndBounds) {
  for (const std::string& key : {std::string(), std::string(257, 'x'), std::string(1 << 20, '\xff')}) {
    auto reply = call("GET", "/admin/dead-letters", {{"key", key}});
    ASSERT_EQ(reply.status, 400) << key.size();
    auto body = json(reply);
    EXPECT_EQ(body["field"], "key");
    EXPECT_EQ(body["min"], 1);
    EXPECT_EQ(body["max"], 256);
    EXPECT_EQ(body["given_bytes"], key.size());
    EXPECT_LE(body["given"].get<std::string>().size(), 300u) << "an echo of at most 100 bytes (escaped)";
    EXPECT_EQ(body["error"], "invalid key: expected 1 to 256 bytes");
  }
  // A selection body takes the key too, with the same bounds.
  auto replay = call("POST", "/admin/dead-letters/replay", {}, R"({"key":"order-a","dry_run":true})");
  ASSERT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(admin.last_replay.query.key, "order-a");
  auto empty = call("POST", "/admin/dead-letters/discard", {}, R"({"key":""})");
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(json(empty)["field"], "key");
  auto discard = call("POST", "/admin/dead-letters/discard", {}, R"({"key":"order-a"})");
  ASSERT_EQ(discard.status, 200) << discard.body;
  EXPECT_EQ(json(discard)["discarded"], 1);
  EXPECT_EQ(admin.store.letters.count(1), 0u);
  EXPECT_EQ(admin.store.letters.size(), 2u);
}

TEST_F(AdminRoutesTest, ReasonsAreCounted) {
  auto reasons = json(call("GET", "/admin/dead-letters/reasons"));
  EXPECT_EQ(reasons["total"], 3);
  EXPECT_EQ(reasons["reasons"].size(), 2u);
}

TEST_F(AdminRoutesTest, OneLetterShowsItsPayloadAsTextOrHex) {
  auto text = json(call("GET", "/admin/dead-letters/1"));
  EXPECT_EQ(text["raw_text"], R"({"order_uid":"a"})");
  EXPECT_EQ(text["truncated"], false);
  auto binary = json(call("GET", "/admin/dead-letters/2"));
  EXPECT_EQ(binary["raw_hex"], "01ff");
  EXPECT_FALSE(binary.contains("raw_text"));
  EXPECT_EQ(call("GET", "/admin/dead-letters/99").status, 404);
  EXPECT_EQ(call("GET", "/admin/dead-letters/x1").status, 404);
}

TEST_F(AdminRoutesTest, DeleteDiscardsOnce) {
  EXPECT_EQ(json(call("DELETE", "/admin/dead-letters/3"))["discarded"], 1);
  EXPECT_EQ(call("DELETE", "/admin/dead-letters/3").status, 404);
  EXPECT_EQ(admin.store.letters.size(), 2u);
}

TEST_F(AdminRoutesTest, ASelectionMustSayWhatItSelects) {
  EXPECT_EQ(call("POST", "/admin/dead-letters/replay", {}, "").status, 400);
  EXPECT_EQ(call("POST", "/admin/dead-letters/replay", {}, "{}").status, 400);
  EXPECT_EQ(call("POST", "/admin/dead-letters/discard", {}, "{\"dry_run\":true}").status, 400);
  EXPECT_EQ(call("POST", "/admin/dead-letters/replay", {}, "[1,2]").status, 400);
  EXPECT_EQ(call("POST", "/admin/dead-letters/replay", {}, "{\"ids\":\"1\"}").status, 400);
  EXPECT_EQ(admin.store.letters.size(), 3u);
}

TEST_F(AdminRoutesTest, ReplayPassesTheSelectionAndReportsTheOutcome) {
  admin.next_report.matched = 2;
  admin.next_report.replayed = 1;
  admin.next_report.failed = 1;
  admin.next_report.failed_ids = {3};
  auto reply = call("POST", "/admin/dead-letters/replay", {}, R"({"reason":"missing_field","since":"15m","limit":5})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(admin.last_replay.query.reason, "missing_field");
  EXPECT_EQ(admin.last_replay.query.limit, 5u);
  EXPECT_GT(admin.last_replay.query.since_ms, 0);
  EXPECT_FALSE(admin.last_replay.dry_run);
  EXPECT_EQ(json(reply)["failed_ids"], nlohmann::json({3}));
  EXPECT_EQ(json(reply)["complete"], true);

  admin.next_report.error = "the pipeline is not running";
  reply = call("POST", "/admin/dead-letters/replay", {}, R"({"all":true,"dry_run":true})");
  EXPECT_EQ(reply.status, 503);
  EXPECT_TRUE(admin.last_replay.dry_run);
  EXPECT_EQ(json(reply)["complete"], false);
}

TEST_F(AdminRoutesTest, DiscardByReason) {
  auto dry = json(call("POST", "/admin/dead-letters/discard", {}, R"({"reason":"missing_field","dry_run":true})"));
  EXPECT_EQ(dry["would_discard"], 2);
  EXPECT_EQ(admin.store.letters.size(), 3u);
  auto done = json(call("POST", "/admin/dead-letters/discard", {}, R"({"reason":"missing_field"})"));
  EXPECT_EQ(done["discarded"], 2);
  EXPECT_EQ(admin.store.letters.size(), 1u);
}

TEST_F(AdminRoutesTest, AStoreThatIsDownAnswers503) {
  admin.store.down = true;
  EXPECT_EQ(call("GET", "/admin/dead-letters").status, 503);
}

TEST_F(AdminRoutesTest, TheTapStreamsNdjsonAndEndsWithASummary) {
  auto reply = call("GET", "/admin/tap", {{"stage", "validate"}, {"limit", "5"}, {"rate", "50"}});
  ASSERT_EQ(reply.status, 200);
  ASSERT_TRUE(reply.stream);
  EXPECT_EQ(reply.content_type, "application/x-ndjson");
  EXPECT_EQ(admin.last_tap.limit, 5u);
  EXPECT_EQ(admin.last_tap.max_per_second, 50u);
  std::vector<nlohmann::json> lines;
  std::string buffer;
  reply.stream([&](std::string_view chunk) {
    buffer.append(chunk);
    return true;
  });
  std::istringstream in(buffer);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 3u) << buffer;
  EXPECT_EQ(lines[0]["stage"], "validate");
  EXPECT_EQ(lines[0]["value_text"], "{\"n\":2}");
  EXPECT_EQ(lines[2]["end"], true);
  EXPECT_EQ(lines[2]["records"], 2);
  EXPECT_EQ(lines[2]["dropped"], 3);

  EXPECT_EQ(call("GET", "/admin/tap", {{"stage", "nowhere"}}).status, 404);
  EXPECT_EQ(call("GET", "/admin/tap").status, 400);
  EXPECT_EQ(call("GET", "/admin/tap", {{"stage", "validate"}, {"limit", "-1"}}).status, 400);
}

TEST_F(AdminRoutesTest, ReloadStatusFollowsItsResult) {
  auto reply = call("POST", "/admin/reload");
  EXPECT_EQ(reply.status, 422);
  EXPECT_EQ(json(reply)["messages"][0], "p.yaml:3:7: bad");
}

TEST_F(AdminRoutesTest, WrongMethodsAndPaths) {
  auto reply = call("POST", "/admin/status");
  EXPECT_EQ(reply.status, 405);
  ASSERT_EQ(reply.headers.size(), 1u);
  EXPECT_EQ(reply.headers[0].second, "GET");
  EXPECT_EQ(call("GET", "/admin/reload").status, 405);
  EXPECT_EQ(call("PUT", "/admin/dead-letters/1").status, 405);
  EXPECT_EQ(call("GET", "/admin/nothing").status, 404);
  AdminRoutes without{nullptr, *log};
  AdminReply none;
  without.handle({"GET", "/admin/status", {}, {}}, none);
  EXPECT_EQ(none.status, 503);
}

TEST(AdminJsonTest, OnlyWellFormedUtf8IsShownAsText) {
  nlohmann::json out;
  put_bytes(out, "ok", "caf\xc3\xa9");
  put_bytes(out, "overlong", "\xc0\xaf");       // '/' in two bytes: not UTF-8
  put_bytes(out, "surrogate", "\xed\xa0\x80");  // U+D800
  put_bytes(out, "nul", std::string_view("a\0b", 3));
  EXPECT_EQ(out["ok_text"], "caf\xc3\xa9");
  EXPECT_EQ(out["overlong_hex"], "c0af");
  EXPECT_EQ(out["surrogate_hex"], "eda080");
  EXPECT_EQ(out["nul_hex"], "610062");
}

TEST(AdminJsonTest, TimesParseInEveryAcceptedForm) {
  std::int64_t ms = 0;
  ASSERT_TRUE(parse_time("2026-12-01T06:23:43Z", 0, ms));
  EXPECT_EQ(ms, 1796106223000);
  ASSERT_TRUE(parse_time("2026-12-01T07:23:43.5+01:00", 0, ms));
  EXPECT_EQ(ms, 1796106223500);
  ASSERT_TRUE(parse_time("15m", 1000000, ms));
  EXPECT_EQ(ms, 100000);
  ASSERT_TRUE(parse_time("1700000000000", 0, ms));
  EXPECT_EQ(ms, 1700000000000);
  EXPECT_FALSE(parse_time("2026-13-01T00:00:00Z", 0, ms));
  EXPECT_FALSE(parse_time("2026-12-01 garbage", 0, ms));
  EXPECT_FALSE(parse_time("15w", 0, ms));
  EXPECT_EQ(rfc3339_ms(1796106223500), "2026-12-01T06:23:43.500Z");
}

}  // namespace
}  // namespace sluice::admin
