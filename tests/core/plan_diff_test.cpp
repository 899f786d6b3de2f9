// What a reload reports and keeps (plan_diff.hpp): stages matched by role and id, kept only
// when plugin and config are the same, and one phrase per change for the log.
#include "plan_diff.hpp"

#include <gtest/gtest.h>

#include "pipeline_fixture.hpp"

namespace sluice {
namespace {

class PlanDiffTest : public testing::Test {
 protected:
  PipelinePlan plan(const std::string& sinks, const std::string& extra = "") {
    return test::plan_from("source: { plugin: fake_source, config: { probe: 1 } }\nsinks:\n" + sinks + extra,
                           registry_);
  }
  PluginRegistry registry_ = test::test_registry();
};

TEST_F(PlanDiffTest, NamesEachAddedRemovedAndChangedStageAndSetting) {
  auto running = plan(
      "  - { id: a, plugin: fake_sink, config: { probe: 1 } }\n"
      "  - { id: gone, plugin: fake_sink, config: { probe: 1 } }\n");
  auto next = plan(
      "  - { id: a, plugin: fake_sink, config: { probe: 1, reject_every: 3 } }\n"
      "  - { id: watch, plugin: fake_sink, config: { probe: 1 } }\n",
      "runtime: { batch_max: 500 }\n");
  PlanDiff diff = diff_plans(running, next);
  EXPECT_EQ(diff.kept.size(), 1u);  // the source
  ASSERT_EQ(diff.changed.size(), 1u);
  EXPECT_EQ(diff.changed[0].second->spec.id, "a");
  ASSERT_EQ(diff.added.size(), 1u);
  ASSERT_EQ(diff.removed.size(), 1u);
  EXPECT_EQ(diff.changes, (std::vector<std::string>{"a.reject_every 0 -> 3", "sinks +watch(fake_sink)",
                                                    "sinks -gone(fake_sink)", "runtime.batch_max 1000 -> 500"}));
}

TEST_F(PlanDiffTest, TheSameFileTwiceChangesNothingAndHashesTheSame) {
  auto text = "  - { id: a, plugin: fake_sink, config: { probe: 1 } }\n";
  auto one = plan(text);
  auto two = plan(text);
  PlanDiff diff = diff_plans(one, two);
  EXPECT_TRUE(diff.changes.empty());
  EXPECT_TRUE(diff.same_stages());
  EXPECT_EQ(diff.kept.size(), 2u);
  EXPECT_EQ(plan_hash(one), plan_hash(two));
  EXPECT_EQ(plan_hash(one).size(), 16u);
  EXPECT_NE(plan_hash(one), plan_hash(plan(text, "runtime: { batch_max: 500 }\n")));
}

// A key the plugin declares secret (fake_sink's `password`, like postgres' `dsn`) is named
// without its values, and the hash served on /metrics does not depend on it: no offline oracle.
TEST_F(PlanDiffTest, ASecretKeyIsNamedWithoutItsValuesAndLeftOutOfTheHash) {
  auto with = [&](const std::string& password, const std::string& more = "") {
    return plan("  - { id: a, plugin: fake_sink, config: { probe: 1, password: \"" + password + "\"" + more + " } }\n");
  };
  auto running = with("0ld-Pa55w0rd");
  auto rotated = with("n3w-Pa55w0rd");
  PlanDiff diff = diff_plans(running, rotated);
  EXPECT_EQ(diff.changes, (std::vector<std::string>{"a.password changed"}));
  ASSERT_EQ(diff.changed.size(), 1u) << "the stage must still be remade with the new secret";
  EXPECT_EQ(plan_hash(running), plan_hash(rotated));
  EXPECT_NE(plan_hash(running), plan_hash(with("n3w-Pa55w0rd", ", reject_every: 3")));

  auto unset = plan("  - { id: a, plugin: fake_sink, config: { probe: 1 } }\n");
  EXPECT_EQ(diff_plans(unset, running).changes, (std::vector<std::string>{"a.password changed"}))
      << "the declared default \"\" is filled in: the key is present on both sides";
  for (const auto& change : diff_plans(running, rotated).changes) {
    EXPECT_EQ(change.find("Pa55"), std::string::npos) << change;
  }
}

// APIs have no `id:`: two entries of one plugin are matched by their order, so an unchanged
// file changes nothing and an edit of the second restarts the second only.
TEST_F(PlanDiffTest, TwoApisOfOnePluginAreMatchedByTheirOrder) {
  auto sinks = "  - { id: cache, plugin: fake_sink, config: { probe: 1 } }\n";
  auto apis = [](const std::string& second_lookup) {
    return "api:\n  - { plugin: fake_api, config: { probe: 1 } }\n"
           "  - { plugin: fake_api, config: { probe: 1, lookup: [" +
           second_lookup + "] } }\n";
  };
  auto running = plan(sinks, apis("cache"));
  PlanDiff same = diff_plans(running, plan(sinks, apis("cache")));
  EXPECT_TRUE(same.changes.empty()) << ::testing::PrintToString(same.changes);
  EXPECT_EQ(same.kept.size(), 4u);

  PlanDiff edited = diff_plans(running, plan(sinks, apis("")));
  ASSERT_EQ(edited.changed.size(), 1u) << ::testing::PrintToString(edited.changes);
  EXPECT_EQ(edited.changed[0].first, &running.stages.back());
  EXPECT_TRUE(edited.added.empty());
  EXPECT_TRUE(edited.removed.empty());
}

}  // namespace
}  // namespace sluice
