// order_validate's config: the defaults users get (declared keys, filled in by the host) are
// the ones the README states, the declared defaults are ValidateSettings' initializers (which
// take the checker's own defaults), and max_bytes is refused with its key and message.
#include <gtest/gtest.h>

#include "order_validate.hpp"
#include "support/config_map_checks.hpp"
#include "support/host_config.hpp"

namespace sluice::orders {
namespace {

TEST(OrderValidateConfig, EmptyConfigGetsTheDocumentedDefaults) {
  ValidateSettings s = validate_config_map().parse(test::host_config(validate_config_map().keys()));
  EXPECT_EQ(s.max_bytes, 1048576u);
  EXPECT_TRUE(s.allow_unknown_fields);
  EXPECT_TRUE(s.canonicalize);
  EXPECT_EQ(s.max_bytes, CheckOptions{}.max_bytes);
}

TEST(OrderValidateConfig, DeclaresTheDocumentedKeys) {
  auto keys = validate_config_map().keys();
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_STREQ(keys[0].name, "max_bytes");
  EXPECT_EQ(keys[0].type, sluice_key_int);
  EXPECT_STREQ(keys[0].default_json, "1048576");
  EXPECT_STREQ(keys[1].default_json, "true");
  EXPECT_STREQ(keys[2].default_json, "true");
}

TEST(OrderValidateConfig, DeclaredDefaultsAreTheStructDefaults) {
  test::expect_declared_defaults_are_struct_defaults(validate_config_map());
}

TEST(OrderValidateConfig, EveryRangeIsRefusedWithTheKey) {
  test::expect_every_range_refused(validate_config_map(),
                                   [](const nlohmann::json& j) { validate_config_map().parse(Config(j)); });
  try {
    validate_config_map().parse(Config(nlohmann::json{{"max_bytes", 0}}));
    FAIL() << "accepted max_bytes: 0";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "max_bytes");
    EXPECT_STREQ(e.what(), "max_bytes must be a positive number of bytes");
  }
}

}  // namespace
}  // namespace sluice::orders
