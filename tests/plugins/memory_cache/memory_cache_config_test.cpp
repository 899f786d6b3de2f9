// memory_cache's config: the defaults users get (declared keys, filled in by the host) are the
// ones the README states, the declared defaults are CacheSettings' initializers, and every
// range is enforced with the key named and the message it always had.
#include <gtest/gtest.h>

#include "memory_cache.hpp"
#include "support/config_map_checks.hpp"
#include "support/host_config.hpp"
#include "support/plugin_test_host.hpp"

namespace sluice::cache {
namespace {

using namespace std::chrono_literals;

TEST(MemoryCacheConfig, EmptyConfigGetsTheDocumentedDefaults) {
  CacheSettings s = cache_config_map().parse(test::host_config(cache_config_map().keys()));
  EXPECT_FALSE(s.warm_from.has_value());
  EXPECT_TRUE(s.follow);
  EXPECT_EQ(s.max_entries, 0u);
  EXPECT_EQ(s.progress_every, 100000u);
  EXPECT_EQ(s.negative_ttl, 2000ms);
  EXPECT_EQ(s.negative_max_entries, 100000u);
  // And the plugin takes it: nothing to warm from, so it is warm at once.
  test::PluginTestHost host;
  MemoryCache cache(test::host_config(cache_config_map().keys()), host);
  EXPECT_TRUE(cache.open().is_ok());
}

TEST(MemoryCacheConfig, DeclaresWarmFromAsAStoreWithoutDefault) {
  auto keys = cache_config_map().keys();
  ASSERT_EQ(keys.size(), 6u);
  EXPECT_STREQ(keys[0].name, "warm_from");
  EXPECT_EQ(keys[0].type, sluice_key_store);
  EXPECT_EQ(keys[0].default_json, nullptr);
  EXPECT_EQ(keys[0].required, 0);
  nlohmann::json values;
  auto errors = test::host_config_errors(keys, "warm_from: postgres", values, {"postgres"});
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(cache_config_map().parse(Config(values)).warm_from, "postgres");
}

TEST(MemoryCacheConfig, DeclaredDefaultsAreTheStructDefaults) {
  test::expect_declared_defaults_are_struct_defaults(cache_config_map());
}

TEST(MemoryCacheConfig, EveryRangeIsRefusedWithTheKey) {
  test::expect_every_range_refused(cache_config_map(),
                                   [](const nlohmann::json& j) { cache_config_map().parse(Config(j)); });
}

TEST(MemoryCacheConfig, RangeMessagesAreUnchanged) {
  auto message = [](nlohmann::json j) -> std::string {
    try {
      cache_config_map().parse(Config(std::move(j)));
    } catch (const ConfigError& e) {
      return e.key() + ": " + e.what();
    }
    return "(accepted)";
  };
  EXPECT_EQ(message({{"max_entries", -1}}), "max_entries: max_entries must be 0 or more");
  EXPECT_EQ(message({{"progress_every", 0}}), "progress_every: progress_every must be positive");
  EXPECT_EQ(message({{"negative_ttl_ms", -5}}), "negative_ttl_ms: negative_ttl_ms must be 0 or more");
}

}  // namespace
}  // namespace sluice::cache
