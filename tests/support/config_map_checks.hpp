// Checks every plugin's config test makes of its config map (sluice/config_map.hpp):
// the declared defaults are the settings struct's initializers, and every range check
// refuses a value just outside it with the key named.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "sluice/config_map.hpp"

namespace sluice::test {

// The declared default JSON of every key is the default-constructed member, and a required
// key declares none.
template <class Settings>
void expect_declared_defaults_are_struct_defaults(const ConfigMap<Settings>& map) {
  // On the heap, as ConfigMap does: GCC 12 -O3 takes a stack copy's strings for uninitialised.
  const auto defaults_owner = std::make_unique<const Settings>();
  const Settings& defaults = *defaults_owner;
  ASSERT_EQ(map.keys().size(), map.entries().size());
  for (std::size_t i = 0; i < map.entries().size(); ++i) {
    const auto& entry = map.entries()[i];
    const sluice_config_key& declared = map.keys()[i];
    EXPECT_STREQ(declared.name, entry.name());
    if (entry.is_required()) {
      EXPECT_EQ(declared.default_json, nullptr) << entry.name();
      continue;
    }
    nlohmann::json value = entry.write(defaults);
    if (value.is_null()) {
      EXPECT_EQ(declared.default_json, nullptr) << entry.name();
    } else {
      ASSERT_NE(declared.default_json, nullptr) << entry.name();
      EXPECT_EQ(nlohmann::json::parse(declared.default_json), value) << entry.name();
    }
  }
}

// For each key with a range: min - 1 and max + 1 are refused by `parse` naming the key, and
// (with `bounds_accepted`) min and max themselves are not refused for that key. `base` is a
// config that parses.
inline void expect_ranges_refused(const std::function<void(const nlohmann::json&)>& parse, const nlohmann::json& base,
                                  const std::string& name, std::optional<std::int64_t> min,
                                  std::optional<std::int64_t> max, bool bounds_accepted = true) {
  auto key_refused = [&](std::int64_t value) -> std::string {
    nlohmann::json j = base;
    j[name] = value;
    try {
      parse(j);
    } catch (const ConfigError& e) {
      return e.key();
    }
    return "";
  };
  if (min && *min > std::numeric_limits<std::int64_t>::min()) {
    EXPECT_EQ(key_refused(*min - 1), name) << name << " = " << *min - 1;
    if (bounds_accepted) {
      EXPECT_NE(key_refused(*min), name) << name << " = " << *min;
    }
  }
  if (max && *max < std::numeric_limits<std::int64_t>::max()) {
    EXPECT_EQ(key_refused(*max + 1), name) << name << " = " << *max + 1;
    if (bounds_accepted) {
      EXPECT_NE(key_refused(*max), name) << name << " = " << *max;
    }
  }
}

template <class Settings>
void expect_every_range_refused(const ConfigMap<Settings>& map, const std::function<void(const nlohmann::json&)>& parse,
                                const nlohmann::json& base = nlohmann::json::object(), bool bounds_accepted = true) {
  int ranged = 0;
  for (const auto& entry : map.entries()) {
    if (!entry.min() && !entry.max()) continue;
    ++ranged;
    expect_ranges_refused(parse, base, entry.name(), entry.min(), entry.max(), bounds_accepted);
  }
  EXPECT_GT(ranged, 0);
}

}  // namespace sluice::test
