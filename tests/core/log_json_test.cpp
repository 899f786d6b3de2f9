// --log-format json: one parseable object per line, with the call's structured fields and
// nothing of a previous call's.
#include "log_json.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "sluice/log_fields.hpp"

namespace sluice {
namespace {

class JsonLog : public ::testing::Test {
 protected:
  JsonLog() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)), log_("db", sink_) {
    sink_->set_formatter(std::make_unique<JsonLogFormatter>());
    log_.set_level(spdlog::level::debug);
  }

  std::vector<nlohmann::json> lines() {
    std::vector<nlohmann::json> parsed;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) parsed.push_back(nlohmann::json::parse(line));
    return parsed;
  }

  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
  spdlog::logger log_;
};

TEST_F(JsonLog, LineCarriesTimeLevelComponentMessageAndFields) {
  log_event(log_, spdlog::level::warn, {{"partition", 3}, {"offset", std::int64_t{1} << 40}, {"reason", "too_large"}},
            "dead letter: {} at {}@{}", "too_large", 3, 42);
  auto all = lines();
  ASSERT_EQ(all.size(), 1u) << out_.str();
  const auto& line = all[0];
  EXPECT_EQ(line["level"], "warning");
  EXPECT_EQ(line["component"], "db");
  EXPECT_EQ(line["message"], "dead letter: too_large at 3@42");
  EXPECT_EQ(line["partition"], 3);
  EXPECT_EQ(line["offset"], std::int64_t{1} << 40);
  EXPECT_TRUE(line["offset"].is_number_integer());
  EXPECT_EQ(line["reason"], "too_large");
  // RFC 3339, UTC, milliseconds.
  EXPECT_TRUE(
      std::regex_match(line["time"].get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << line["time"];
}

TEST_F(JsonLog, FieldsBelongToOneCallOnly) {
  log_event(log_, spdlog::level::info, {{"order_uid", "abc"}}, "stored");
  log_.info("plain");
  auto all = lines();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]["order_uid"], "abc");
  EXPECT_FALSE(all[1].contains("order_uid")) << all[1];
  EXPECT_EQ(all[1].size(), 4u) << all[1];
}

TEST_F(JsonLog, RecordTextCannotBreakTheLineOrOverwriteItsMembers) {
  // A newline stays inside the string; invalid UTF-8 becomes U+FFFD; a field named like a
  // member of the line keeps its value under another name.
  log_event(log_, spdlog::level::err, {{"message", "forged"}, {"key", "\xff\xfe"}}, "a\nb \"q\" \xc3");
  auto all = lines();
  ASSERT_EQ(all.size(), 1u) << out_.str();
  EXPECT_EQ(all[0]["message"], "a\nb \"q\" \xef\xbf\xbd");
  EXPECT_EQ(all[0]["field_message"], "forged");
  EXPECT_EQ(all[0]["key"], "\xef\xbf\xbd\xef\xbf\xbd");
}

TEST_F(JsonLog, BelowTheLevelNothingIsFormatted) {
  log_.set_level(spdlog::level::info);
  log_event(log_, spdlog::level::debug, {{"partition", 1}}, "hidden");
  EXPECT_EQ(out_.str(), "");
}

}  // namespace
}  // namespace sluice
