// The stdout sink's config: the default users get (declared key, filled in by the host) is the
// one the README states, and it is the settings struct's initializer.
#include <gtest/gtest.h>

#include "stdout_settings.hpp"
#include "support/config_map_checks.hpp"
#include "support/host_config.hpp"

namespace sluice::stdout_plugin {
namespace {

TEST(StdoutConfig, EmptyConfigGetsTheDocumentedDefault) {
  StdoutSettings s = stdout_config_map().parse(test::host_config(stdout_config_map().keys()));
  EXPECT_EQ(s.format, "value");
  auto keys = stdout_config_map().keys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_STREQ(keys[0].name, "format");
  EXPECT_EQ(keys[0].type, sluice_key_string);
  EXPECT_STREQ(keys[0].default_json, "\"value\"");
}

TEST(StdoutConfig, DeclaredDefaultsAreTheStructDefaults) {
  test::expect_declared_defaults_are_struct_defaults(stdout_config_map());
}

TEST(StdoutConfig, GivenFormatIsRead) {
  EXPECT_EQ(stdout_config_map().parse(test::host_config(stdout_config_map().keys(), "format: json")).format, "json");
}

}  // namespace
}  // namespace sluice::stdout_plugin
