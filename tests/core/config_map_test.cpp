// sluice::ConfigMap: key types from member types, declared defaults from the struct's
// initializers (with static storage the descriptor can point into), parse with ranges,
// required keys, store overrides and custom conversions; and SLUICE_PLUGIN taking the keys
// from either a config map or an old-style plugin_keys array.
#include "sluice/config_map.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sluice/plugin.hpp"

namespace {

using namespace std::chrono_literals;
using sluice::Config;
using sluice::ConfigError;
using sluice::ConfigMap;
using sluice::key;

struct Point {
  int x = 0;
  int y = 0;
};

struct Settings {
  std::string name = "orders";
  bool enabled = true;
  int threads = 4;
  std::size_t limit = 100;
  std::int64_t big = 1;
  double ratio = 0.5;
  std::vector<std::string> tags{"a", "b"};
  std::map<std::string, std::string> props{{"k", "v"}};
  std::chrono::milliseconds wait{250};
  std::optional<std::string> maybe;
  std::string store_id = "db";
  std::vector<std::string> stores;
  Point at{3, 4};
  std::string must;
};

const ConfigMap<Settings>& settings_map() {
  using S = Settings;
  static const ConfigMap<S> map{
      key("name", &S::name, "a name"),
      key("enabled", &S::enabled, "on or off"),
      key("threads", &S::threads, "threads").range(1, 64),
      key("limit", &S::limit, "a size").range(1, 1000, &sluice::range_message::dots),
      key("big", &S::big, "a large number"),
      key("ratio", &S::ratio, "a fraction"),
      key("tags", &S::tags, "a list"),
      key("props", &S::props, "a map"),
      key("wait_ms", &S::wait, "a duration").range(0, 60000),
      key("maybe", &S::maybe, "no default"),
      key("store", &S::store_id, "a store").store(),
      key("stores", &S::stores, "stores").store(),
      key("at", &S::at, "x,y",
          sluice::Conversion<Point>{
              sluice_key_string,
              [](const nlohmann::json& j) {
                std::string t = j.get<std::string>();
                auto comma = t.find(',');
                if (comma == std::string::npos) throw ConfigError("at", "at must be x,y");
                return Point{std::stoi(t.substr(0, comma)), std::stoi(t.substr(comma + 1))};
              },
              [](const Point& p) { return nlohmann::json(std::to_string(p.x) + "," + std::to_string(p.y)); }}),
      key("must", &S::must, "required").required(),
  };
  return map;
}

const sluice_config_key& declared(const char* name) {
  for (const auto& k : settings_map().keys()) {
    if (std::string(k.name) == name) return k;
  }
  throw std::runtime_error(std::string("no key ") + name);
}

TEST(ConfigMap, KeyTypesFollowTheMemberTypes) {
  EXPECT_EQ(declared("name").type, sluice_key_string);
  EXPECT_EQ(declared("enabled").type, sluice_key_bool);
  EXPECT_EQ(declared("threads").type, sluice_key_int);
  EXPECT_EQ(declared("limit").type, sluice_key_int);
  EXPECT_EQ(declared("big").type, sluice_key_int);
  EXPECT_EQ(declared("ratio").type, sluice_key_number);
  EXPECT_EQ(declared("tags").type, sluice_key_list);
  EXPECT_EQ(declared("props").type, sluice_key_map);
  EXPECT_EQ(declared("wait_ms").type, sluice_key_int);
  EXPECT_EQ(declared("maybe").type, sluice_key_string);
  EXPECT_EQ(declared("store").type, sluice_key_store);
  EXPECT_EQ(declared("stores").type, sluice_key_stores);
  EXPECT_EQ(declared("at").type, sluice_key_string);
  EXPECT_EQ(settings_map().keys().size(), 14u);
  EXPECT_STREQ(declared("threads").doc, "threads");
}

TEST(ConfigMap, DeclaredDefaultsComeFromTheStruct) {
  EXPECT_STREQ(declared("name").default_json, "\"orders\"");
  EXPECT_STREQ(declared("enabled").default_json, "true");
  EXPECT_STREQ(declared("threads").default_json, "4");
  EXPECT_STREQ(declared("limit").default_json, "100");
  EXPECT_STREQ(declared("ratio").default_json, "0.5");
  EXPECT_STREQ(declared("tags").default_json, "[\"a\",\"b\"]");
  EXPECT_STREQ(declared("props").default_json, "{\"k\":\"v\"}");
  EXPECT_STREQ(declared("wait_ms").default_json, "250");
  EXPECT_EQ(declared("maybe").default_json, nullptr);
  EXPECT_STREQ(declared("store").default_json, "\"db\"");
  EXPECT_STREQ(declared("stores").default_json, "[]");
  EXPECT_STREQ(declared("at").default_json, "\"3,4\"");
  EXPECT_EQ(declared("must").default_json, nullptr);
  EXPECT_EQ(declared("must").required, 1);
  EXPECT_EQ(declared("name").required, 0);
}

TEST(ConfigMap, KeysAreBuiltOnce) {
  EXPECT_EQ(settings_map().keys().data(), settings_map().keys().data());
  EXPECT_EQ(declared("name").default_json, declared("name").default_json);
}

TEST(ConfigMap, ParsesGivenValuesAndKeepsDefaultsForAbsentOnes) {
  Settings s = settings_map().parse(Config(nlohmann::json{{"must", "x"},
                                                          {"threads", 8},
                                                          {"wait_ms", 1000},
                                                          {"maybe", "here"},
                                                          {"tags", {"z"}},
                                                          {"props", {{"a", "b"}}},
                                                          {"ratio", 2.5},
                                                          {"at", "7,9"},
                                                          {"enabled", false}}));
  EXPECT_EQ(s.must, "x");
  EXPECT_EQ(s.threads, 8);
  EXPECT_EQ(s.wait, 1000ms);
  EXPECT_EQ(s.maybe, "here");
  EXPECT_EQ(s.tags, std::vector<std::string>{"z"});
  EXPECT_EQ(s.props.at("a"), "b");
  EXPECT_DOUBLE_EQ(s.ratio, 2.5);
  EXPECT_EQ(s.at.x, 7);
  EXPECT_EQ(s.at.y, 9);
  EXPECT_FALSE(s.enabled);
  EXPECT_EQ(s.name, "orders");  // absent: the initializer
  EXPECT_EQ(s.limit, 100u);
  // null counts as absent
  EXPECT_EQ(settings_map().parse(Config(nlohmann::json{{"must", "x"}, {"name", nullptr}})).name, "orders");
}

std::string error_of(nlohmann::json j) {
  j["must"] = "x";
  try {
    settings_map().parse(Config(std::move(j)));
  } catch (const ConfigError& e) {
    return e.key() + ": " + e.what();
  }
  return "(accepted)";
}

TEST(ConfigMap, RangesRefuseWithTheKeyAndTheChosenMessage) {
  EXPECT_EQ(error_of({{"threads", 0}}), "threads: threads must be between 1 and 64, got 0");
  EXPECT_EQ(error_of({{"threads", 65}}), "threads: threads must be between 1 and 64, got 65");
  EXPECT_EQ(error_of({{"threads", 64}}), "(accepted)");
  EXPECT_EQ(error_of({{"limit", 1001}}), "limit: limit must be 1..1000");
  EXPECT_EQ(error_of({{"wait_ms", -1}}), "wait_ms: wait_ms must be between 0 and 60000, got -1");
  EXPECT_EQ(error_of({{"threads", "many"}}), "threads: threads must be an integer");
  EXPECT_EQ(error_of({{"enabled", 3}}), "enabled: enabled must be true or false");
  EXPECT_EQ(error_of({{"at", "7"}}), "at: at must be x,y");
}

TEST(ConfigMap, AnUnrangedIntegerStillFitsItsMember) {
  struct Small {
    std::uint8_t n = 1;
  };
  static const ConfigMap<Small> map{key("n", &Small::n, "small")};
  EXPECT_EQ(map.parse(Config(nlohmann::json{{"n", 255}})).n, 255);
  EXPECT_THROW(map.parse(Config(nlohmann::json{{"n", 256}})), ConfigError);
  EXPECT_THROW(map.parse(Config(nlohmann::json{{"n", -1}})), ConfigError);
}

TEST(ConfigMap, RequiredKeyMissingIsAConfigError) {
  try {
    settings_map().parse(Config(nlohmann::json::object()));
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "must");
  }
}

TEST(ConfigMap, StoreOnlyFitsStringsAndListsAndRangeOnlyIntegers) {
  EXPECT_THROW(key("enabled", &Settings::enabled, "x").store(), std::logic_error);
  EXPECT_THROW(key("name", &Settings::name, "x").range(0, 1), std::logic_error);
  EXPECT_NO_THROW(key("wait_ms", &Settings::wait, "x").range(0, 1));
}

// SLUICE_PLUGIN's key lookup: a config map, or the older static array.
struct MapPlugin {
  static const ConfigMap<Settings>& config_map() { return settings_map(); }
};
struct ArrayPlugin {
  static constexpr sluice_config_key plugin_keys[] = {
      {"a", sluice_key_int, 0, "1", "one", 0},
      {"b", sluice_key_string, 1, nullptr, "two", 0},
  };
};

TEST(ConfigMap, PluginKeysComeFromTheMapOrTheArray) {
  EXPECT_EQ(sluice::detail::keys_of<MapPlugin>(), settings_map().keys().data());
  EXPECT_EQ(sluice::detail::key_count_of<MapPlugin>(), settings_map().keys().size());
  EXPECT_EQ(sluice::detail::keys_of<ArrayPlugin>(), ArrayPlugin::plugin_keys);
  EXPECT_EQ(sluice::detail::key_count_of<ArrayPlugin>(), 2u);
}

}  // namespace
