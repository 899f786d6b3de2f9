// One record as one output line (plugins/common/records), as the file and stdout sinks write it.
#include "record_format.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sluice/status.hpp"

using namespace sluice::file_plugin;

TEST(RecordFormat, ParsesTheTwoFormats) {
  EXPECT_EQ(parse_format("value"), RecordFormat::value);
  EXPECT_EQ(parse_format("json"), RecordFormat::json);
  EXPECT_THROW(parse_format("xml"), sluice::ConfigError);
}

TEST(RecordFormat, OneLinePerRecord) {
  sluice::Record record;
  record.key = "k1";
  record.value = R"({"a":1})";
  record.stream = "orders";
  record.partition = 2;
  record.offset = 7;
  std::string out;
  append_line(out, record, RecordFormat::value);
  EXPECT_EQ(out, "{\"a\":1}\n");
  out.clear();
  append_line(out, record, RecordFormat::json);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  auto line = nlohmann::json::parse(out);
  EXPECT_EQ(line["key"], "k1");
  EXPECT_EQ(line["stream"], "orders");
  EXPECT_EQ(line["partition"], 2);
  EXPECT_EQ(line["offset"], 7);
}
