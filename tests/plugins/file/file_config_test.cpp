// The file source's and sink's config: the defaults users get (declared keys, filled in by the
// host) are the ones the README states, the declared defaults are the settings structs'
// initializers, and path is required.
#include <gtest/gtest.h>

#include "file_settings.hpp"
#include "json_member.hpp"
#include "support/config_map_checks.hpp"
#include "support/host_config.hpp"

namespace sluice::file_plugin {
namespace {

TEST(FileConfig, SourceGetsTheDocumentedDefaults) {
  FileSourceSettings s =
      file_source_config_map().parse(test::host_config(file_source_config_map().keys(), "path: orders.ndjson"));
  EXPECT_EQ(s.path, "orders.ndjson");
  EXPECT_FALSE(s.position_file.has_value());
  EXPECT_FALSE(s.follow);
  EXPECT_FALSE(s.stream.has_value());     // the file name
  EXPECT_FALSE(s.key_field.has_value());  // records without a key
  auto keys = file_source_config_map().keys();
  ASSERT_EQ(keys.size(), 5u);
  EXPECT_EQ(keys[0].required, 1);
  EXPECT_EQ(keys[0].default_json, nullptr);
  EXPECT_EQ(keys[1].default_json, nullptr);
  EXPECT_STREQ(keys[2].default_json, "false");
  EXPECT_EQ(keys[3].default_json, nullptr);
  EXPECT_EQ(keys[4].default_json, nullptr);
}

// key_field: only a top-level string member keys a record; anything else leaves it unkeyed.
TEST(FileSourceKey, OnlyATopLevelStringMemberIsTheKey) {
  // What the file source makes of a line (file_source.hpp): no member, no key.
  auto string_member = [](std::string_view line, const std::string& field) {
    return json_string_member(line, field).value_or("");
  };
  EXPECT_EQ(string_member(R"({"order_uid":"b563feb7b2b84b6test","n":1})", "order_uid"), "b563feb7b2b84b6test");
  EXPECT_EQ(string_member(R"({"order_uid":"a\u0000'\"b"})", "order_uid"), std::string("a\0'\"b", 5));
  for (const std::string& line : {std::string(R"({"order_uid":42})"), std::string(R"({"inner":{"order_uid":"x"}})"),
                                  std::string(R"(["order_uid","x"])"), std::string("not json"),
                                  std::string("{\"order_uid\":\"\xff\"}"), std::string(R"({"order_uid":"x")")}) {
    EXPECT_EQ(string_member(line, "order_uid"), "") << line;
  }
}

TEST(FileConfig, SinkGetsTheDocumentedDefaults) {
  FileSinkSettings s = file_sink_config_map().parse(test::host_config(file_sink_config_map().keys(), "path: out"));
  EXPECT_EQ(s.path, "out");
  EXPECT_EQ(s.format, "value");
  EXPECT_TRUE(s.fsync);
  auto keys = file_sink_config_map().keys();
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0].required, 1);
  EXPECT_STREQ(keys[1].default_json, "\"value\"");
  EXPECT_STREQ(keys[2].default_json, "true");
}

TEST(FileConfig, PathIsRequired) {
  for (auto keys : {file_source_config_map().keys(), file_sink_config_map().keys()}) {
    nlohmann::json values;
    auto errors = test::host_config_errors(keys, "", values);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("missing required key 'path'"), std::string::npos) << errors[0];
  }
  try {
    file_sink_config_map().parse(Config(nlohmann::json::object()));
    FAIL() << "parsed without path";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "path");
  }
}

TEST(FileConfig, DeclaredDefaultsAreTheStructDefaults) {
  test::expect_declared_defaults_are_struct_defaults(file_source_config_map());
  test::expect_declared_defaults_are_struct_defaults(file_sink_config_map());
}

TEST(FileConfig, GivenValuesAreRead) {
  FileSourceSettings s = file_source_config_map().parse(
      test::host_config(file_source_config_map().keys(), "{path: '-', position_file: pos, follow: yes, stream: in}"));
  EXPECT_EQ(s.path, "-");
  EXPECT_EQ(s.position_file, "pos");
  EXPECT_TRUE(s.follow);
  EXPECT_EQ(s.stream, "in");
}

}  // namespace
}  // namespace sluice::file_plugin
