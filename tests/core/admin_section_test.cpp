// The top-level `admin:` key (core/src/admin_section.hpp): one more API stage, the admin
// plugin; and the admin keys older pipeline files kept in rest's config, moved to an implied
// admin stage with one deprecation notice at the first of them (README, "Operating Sluice").
#include <gtest/gtest.h>

#include "pipeline_file.hpp"

namespace sluice {
namespace {

const std::string kHead = "source:\n  plugin: file\nsinks:\n  - plugin: stdout\n";  // 4 lines

std::string scalar(const YAML::Node& config, const char* key) {
  return config && config[key] ? config[key].as<std::string>() : std::string("<absent>");
}

TEST(AdminSection, TheTopLevelKeyIsTheAdminPluginsConfigAsTheLastApi) {
  PipelineSpec spec =
      parse_pipeline(kHead + "api:\n  - plugin: rest\nadmin:\n  listen: \"127.0.0.1:9\"\n  threads: 3\n", "p.yaml", {});
  auto apis = spec.of(Role::api);
  ASSERT_EQ(apis.size(), 2u) << "rest, then admin; no implied one";
  EXPECT_EQ(apis[1]->plugin, "admin");
  EXPECT_EQ(apis[1]->id, "admin");
  EXPECT_EQ(apis[1]->mark.line, 8);
  EXPECT_EQ(scalar(apis[1]->config, "listen"), "127.0.0.1:9");
  EXPECT_TRUE(spec.notices.empty());
}

TEST(AdminSection, AnEmptyAdminKeyMeansTheDefaults) {
  PipelineSpec spec = parse_pipeline(kHead + "admin:\n", "p.yaml", {});
  ASSERT_EQ(spec.of(Role::api).size(), 1u);
  EXPECT_TRUE(spec.of(Role::api)[0]->config.IsNull()) << "no keys: the plugin's defaults";
}

TEST(AdminSection, NotAMappingIsAnErrorAtItsPlace) {
  for (const std::string& bad : {std::string("admin: [listen]\n"), std::string("admin: 8082\n")}) {
    try {
      parse_pipeline(kHead + bad, "p.yaml", {});
      ADD_FAILURE() << "accepted " << bad;
    } catch (const PipelineError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("p.yaml:5:8: 'admin' must be a mapping", 0), 0u) << e.what();
    }
  }
}

TEST(AdminSection, TheAdminApiGivenTwiceIsAnError) {
  try {
    parse_pipeline(kHead + "api:\n  - plugin: admin\nadmin: {}\n", "p.yaml", {});
    ADD_FAILURE() << "accepted";
  } catch (const PipelineError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("p.yaml:6:13: the admin API is given twice", 0), 0u) << e.what();
  }
}

TEST(AdminSection, OldRestKeysMoveToAnImpliedAdminWithOneNotice) {
  PipelineSpec spec = parse_pipeline(kHead +
                                         "api:\n"
                                         "  - plugin: rest\n"
                                         "    config:\n"
                                         "      tokens_file: /etc/t\n"
                                         "      metrics_on: admin\n"     // line 9
                                         "      admin_listen: \":9\"\n"  // line 10
                                         "      admin_threads: 4\n"
                                         "      header_timeout_ms: 9000\n"
                                         "      read_auth: open\n",
                                     "p.yaml", {});
  auto apis = spec.of(Role::api);
  ASSERT_EQ(apis.size(), 2u);
  const YAML::Node rest = apis[0]->config;
  const YAML::Node admin = apis[1]->config;
  EXPECT_EQ(apis[1]->plugin, "admin");
  EXPECT_FALSE(rest["admin_listen"]) << "moved, so rest's config check does not refuse it";
  EXPECT_FALSE(rest["admin_threads"]);
  EXPECT_EQ(scalar(rest, "metrics_on"), "none");
  EXPECT_EQ(scalar(rest, "tokens_file"), "/etc/t") << "copied, not moved";
  EXPECT_EQ(scalar(admin, "listen"), ":9");
  EXPECT_EQ(scalar(admin, "threads"), "4");
  EXPECT_EQ(scalar(admin, "metrics"), "true");
  EXPECT_EQ(scalar(admin, "metrics_auth"), "open");
  EXPECT_EQ(scalar(admin, "tokens_file"), "/etc/t");
  EXPECT_EQ(scalar(admin, "header_timeout_ms"), "5000") << "the admin listener's cap";
  ASSERT_EQ(spec.notices.size(), 1u);
  EXPECT_EQ(spec.notices[0].rfind("p.yaml:9:7: deprecated:", 0), 0u) << spec.notices[0];
  EXPECT_NE(spec.notices[0].find("admin: {listen:"), std::string::npos) << spec.notices[0];
}

// Kept as it was: an admin token opened the admin API on 127.0.0.1:8082 without any admin key.
TEST(AdminSection, ARestWithoutOldKeysStillImpliesTheAdminApiSilently) {
  PipelineSpec spec = parse_pipeline(kHead + "api:\n  - plugin: rest\n    config: { tokens_env: T }\n", "p.yaml", {});
  auto apis = spec.of(Role::api);
  ASSERT_EQ(apis.size(), 2u);
  EXPECT_EQ(scalar(apis[1]->config, "tokens_env"), "T");
  EXPECT_FALSE(apis[1]->config["listen"]) << "the admin plugin's default listen: 127.0.0.1:8082";
  EXPECT_TRUE(spec.notices.empty());
}

TEST(AdminSection, WithTheTopLevelKeyOldRestKeysStayForTheConfigCheckToRefuse) {
  PipelineSpec spec =
      parse_pipeline(kHead + "api:\n  - plugin: rest\n    config: { admin_listen: \":9\" }\nadmin: {}\n", "p.yaml", {});
  EXPECT_TRUE(spec.of(Role::api)[0]->config["admin_listen"]);
  EXPECT_EQ(spec.of(Role::api).size(), 2u);
}

}  // namespace
}  // namespace sluice
