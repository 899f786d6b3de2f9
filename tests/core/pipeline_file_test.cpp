// The pipeline file: good files plan, and each kind of mistake gets its exact message at
// file:line:col.
#include <gtest/gtest.h>

#include "host_impl.hpp"
#include "pipeline_fixture.hpp"
#include "support/process.hpp"

namespace sluice {
namespace {

using test::pipeline_errors;

const std::string kGood = R"(name: copy
source:
  plugin: file
  config: { path: in.ndjson }
sinks:
  - id: out
    plugin: stdout
)";

// Every stage is in one list, tagged by its role, in the order the roles are listed.
TEST(PipelineFile, StagesAreOneListTaggedByRole) {
  PipelineSpec spec = parse_pipeline(R"(api:
  - plugin: rest
dead_letter:
  plugin: file
sinks:
  - id: a
    plugin: stdout
  - id: b
    plugin: stdout
transforms:
  - plugin: order_validate
source:
  plugin: file
)",
                                     "test.yaml", {});
  std::vector<Role> roles;
  for (const auto& s : spec.stages) roles.push_back(s.role);
  // The rest API implies the admin API (README, "Operating Sluice"): one more API, last.
  EXPECT_EQ(roles, (std::vector<Role>{Role::source, Role::transform, Role::sink, Role::sink, Role::dead_letter,
                                      Role::api, Role::api}));
  EXPECT_EQ(spec.stages.back().plugin, "admin");
  ASSERT_EQ(spec.of(Role::sink).size(), 2u);
  EXPECT_EQ(spec.of(Role::sink)[0]->id, "a");
  EXPECT_EQ(spec.of(Role::sink)[1]->id, "b");
  EXPECT_EQ(first_of(spec.stages, Role::dead_letter)->plugin, "file");
  EXPECT_EQ(first_of(spec.stages, Role::dead_letter)->mark.line, 4);
  EXPECT_EQ(std::string(role_key(Role::transform)), "transforms");
  EXPECT_EQ(std::string(role_key(Role::api)), "api");
}

TEST(PipelineFile, GoodFilePlansWithDefaultsFilledIn) {
  auto registry = test::test_registry();
  PipelinePlan plan = test::plan_from(kGood, registry);
  EXPECT_EQ(plan.spec.name, "copy");
  EXPECT_EQ(plan.source().config.values["path"], "in.ndjson");
  EXPECT_EQ(plan.source().config.values["follow"], false);
  EXPECT_EQ(plan.of(Role::sink).at(0)->spec.id, "out");
  EXPECT_EQ(plan.of(Role::sink).at(0)->config.values["format"], "value");
  EXPECT_EQ(plan.spec.runtime.batch_max, 1000u);
}

TEST(PipelineFile, EnvironmentSubstitutionInValues) {
  Environment env;
  env.set_override("IN_FILE", "from-env.ndjson");
  auto registry = test::test_registry();
  PipelinePlan plan =
      test::plan_from(R"(source: { plugin: file, config: { path: "${IN_FILE}", follow: "${FOLLOW:-true}" } }
sinks: [ { plugin: stdout } ]
runtime: { batch_max: "${BATCH:-50}" }
)",
                      registry, env);
  EXPECT_EQ(plan.source().config.values["path"], "from-env.ndjson");
  EXPECT_EQ(plan.source().config.values["follow"], true);
  EXPECT_EQ(plan.spec.runtime.batch_max, 50u);
}

struct BadCase {
  const char* name;
  std::string yaml;
  std::string error;
};

class BadPipelineFile : public testing::TestWithParam<BadCase> {};

TEST_P(BadPipelineFile, ReportsExactError) { EXPECT_EQ(pipeline_errors(GetParam().yaml), GetParam().error); }

const std::string kSinks = "sinks:\n  - id: out\n    plugin: stdout\n";
const std::string kSource = "source:\n  plugin: file\n  config: { path: in.ndjson }\n";

INSTANTIATE_TEST_SUITE_P(
    Errors, BadPipelineFile,
    testing::Values(
        BadCase{"empty", "", "test.yaml:1:1: the pipeline file is empty (expected keys: source, sinks, ...)"},
        BadCase{"syntax", "source: [unclosed\n", "test.yaml:2:1: YAML syntax error: end of sequence flow not found"},
        BadCase{"not_a_map", "- just\n- a list\n",
                "test.yaml:1:1: the pipeline file must be a mapping of keys (name, source, transforms, sinks, "
                "dead_letter, api, admin, runtime)"},
        BadCase{"unknown_top_key", kSource + "sinkz:\n  - plugin: stdout\n",
                "test.yaml:4:1: unknown key 'sinkz' in the pipeline file (did you mean 'sinks'?); expected one of: "
                "name, source, transforms, sinks, dead_letter, api, admin, runtime"},
        BadCase{"missing_source", kSinks,
                "test.yaml:1:1: missing required key 'source' (the plugin records come from)"},
        BadCase{"missing_sinks", kSource, "test.yaml:1:1: missing required key 'sinks' (a list of at least one sink)"},
        BadCase{"empty_sinks", kSource + "sinks: []\n", "test.yaml:4:8: 'sinks' must list at least one sink"},
        BadCase{"sinks_not_list", kSource + "sinks: stdout\n",
                "test.yaml:4:8: 'sinks' must be a list of entries (- plugin: NAME)"},
        BadCase{
            "stage_without_plugin", kSource + "sinks:\n  - id: out\n",
            "test.yaml:5:5: missing required key 'plugin' in sinks entry (the plugin's name, see `sluice plugins`)"},
        BadCase{"stage_unknown_key", kSource + "sinks:\n  - plugin: stdout\n    confg: {}\n",
                "test.yaml:6:5: unknown key 'confg' in sinks entry (did you mean 'config'?); expected one of: id, "
                "plugin, config"},
        BadCase{"config_not_map", kSource + "sinks:\n  - plugin: stdout\n    config: loud\n",
                "test.yaml:6:13: 'config' of sinks entry must be a mapping of keys"},
        BadCase{"duplicate_sink_id", kSource + kSinks + "  - id: out\n    plugin: stdout\n",
                "test.yaml:7:9: id 'out' is used twice; give each transform and sink its own `id:`"},
        BadCase{"wrong_kind", "source:\n  plugin: stdout\n" + kSinks,
                "test.yaml:2:11: plugin 'stdout' is a sink, but 'source' needs a source"},
        BadCase{"dead_letter_wrong_kind", kSource + kSinks + "dead_letter: { plugin: fake_api }\n",
                "test.yaml:7:24: plugin 'fake_api' is a api, but 'dead_letter' needs a sink"},
        BadCase{"unknown_config_key_and_missing_required",
                "source:\n  plugin: file\n  config:\n    pth: in.ndjson\n" + kSinks,
                "test.yaml:4:5: unknown key 'pth' for plugin 'file' (did you mean 'path'?); valid keys: path, "
                "position_file, follow, stream, key_field\n"
                "test.yaml:4:5: missing required key 'path' (string) for plugin 'file': File to read; '-' reads stdin"},
        BadCase{
            "missing_required_no_config", "source:\n  plugin: file\n" + kSinks,
            "test.yaml:2:11: missing required key 'path' (string) for plugin 'file': File to read; '-' reads stdin"},
        BadCase{"wrong_bool", "source:\n  plugin: file\n  config: { path: x, follow: maybe }\n" + kSinks,
                "test.yaml:3:30: key 'follow' expects true or false, got 'maybe'"},
        BadCase{"list_for_string", "source:\n  plugin: file\n  config: { path: [a, b] }\n" + kSinks,
                "test.yaml:3:19: key 'path' expects a string, got a list"},
        BadCase{"wrong_int", kSource + kSinks + "runtime: { batch_max: lots }\n",
                "test.yaml:7:23: 'batch_max' must be a positive integer, got 'lots'"},
        BadCase{"unknown_runtime_key", kSource + kSinks + "runtime: { max_inflight: 3 }\n",
                "test.yaml:7:12: unknown key 'max_inflight' in runtime (did you mean 'max_in_flight'?); expected one "
                "of: batch_max, batch_wait_ms, max_in_flight, max_in_flight_bytes, retry_initial_ms, retry_max_ms"},
        BadCase{"unset_variable",
                "source:\n  plugin: file\n  config: { path: \"in/${SLUICE_SURELY_UNSET}\" }\n" + kSinks,
                "test.yaml:3:22: environment variable 'SLUICE_SURELY_UNSET' is not set (set it, add it to .env, or "
                "write ${SLUICE_SURELY_UNSET:-default})"},
        BadCase{"api_lookup_unknown_store",
                kSource + "sinks:\n  - { id: db, plugin: fake_sink, config: { probe: 0 } }\n"
                          "api:\n  - plugin: fake_api\n    config: { lookup: [db, cahce] }\n",
                "test.yaml:8:28: key 'lookup' names store 'cahce', but no sink with that id is a store; stores in "
                "this pipeline: db"},
        BadCase{"api_lookup_non_store_sink",
                kSource + kSinks + "api:\n  - plugin: fake_api\n    config: { lookup: [out] }\n",
                "test.yaml:9:24: key 'lookup' names store 'out', but no sink with that id is a store; this pipeline "
                "has no store sinks"},
        BadCase{"broken_plugin", kSource + "sinks:\n  - plugin: wrong_abi\n",
                "test.yaml:5:13: plugin 'wrong_abi' cannot be used: " + test::fixture_plugin_dir().string() +
                    "/wrong_abi.so: plugin ABI version 999, but this sluice " SLUICE_VERSION_STRING
                    " has ABI version " +
                    std::to_string(SLUICE_ABI_VERSION) + "; rebuild the plugin against this sluice"}),
    [](const testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

TEST(PipelineFile, PluginRefusingItsConfigIsReportedAtTheKey) {
  auto registry = test::test_registry();
  auto plan = test::plan_from(kSource + "sinks:\n  - plugin: stdout\n    config: { format: xml }\n", registry);
  try {
    SharedState shared;
    PluginInstance sink(*plan.of(Role::sink).at(0), std::make_unique<HostImpl>("out", shared));
    FAIL() << "expected the plugin to refuse";
  } catch (const ValidationError& e) {
    EXPECT_EQ(std::string(e.what()), "test.yaml:6:23: plugin 'stdout' (" +
                                         plan.of(Role::sink)[0]->plugin->path.string() +
                                         ") could not be created: key 'format': expected 'value' or 'json', got 'xml'");
  }
}

TEST(PipelineFile, UnknownPluginSuggestsAndListsAvailable) {
  auto registry = test::test_registry();
  std::string available = join(registry.available_names());
  ASSERT_NE(available.find("file (source), "), std::string::npos) << available;
  EXPECT_EQ(pipeline_errors("source:\n  plugin: fil\n" + kSinks),
            "test.yaml:2:11: unknown plugin 'fil' (did you mean 'file'?); available plugins: " + available);
}

// Sinks after the one that keeps positions (postgres) must be volatile: a durable one there
// would miss the records of a crash between the two writes.
const std::string kDb = "  - { id: db, plugin: postgres_orders, config: { dsn: \"postgresql:///x\" } }\n";
const std::string kFileOut = "  - { id: out, plugin: file, config: { path: out.ndjson } }\n";

std::string durable_after(const std::string& sink, int line, const std::string& keeper = "db") {
  return "test.yaml:" + std::to_string(line) + ":5: sink '" + sink + "' (" +
         (sink == "out" ? "file" : "postgres_orders") + ") is durable but comes after '" + keeper +
         "' (postgres_orders), which keeps the positions the source resumes from: a crash between the two writes would "
         "lose records from '" +
         sink + "'. Put '" + sink + "' before '" + keeper +
         "' (it then gets every record at least once) or give it a pipeline of its own; only volatile sinks "
         "(caches, taps) may follow '" +
         keeper + "'";
}

TEST(SinkOrder, DurableSinkAfterThePositionsKeeperIsRefusedAtItsEntry) {
  EXPECT_EQ(pipeline_errors(kSource + "sinks:\n" + kDb + kFileOut), durable_after("out", 6));
}

TEST(SinkOrder, EveryDurableSinkAfterTheKeeperIsNamedAndVolatileOnesAreNot) {
  std::string sinks = kDb + "  - { id: cache, plugin: memory_cache, config: { warm_from: db } }\n" + kFileOut +
                      "  - { id: tap, plugin: stdout }\n" +
                      "  - { id: db2, plugin: postgres_orders, config: { dsn: \"postgresql:///y\" } }\n";
  EXPECT_EQ(pipeline_errors(kSource + "sinks:\n" + sinks), durable_after("out", 7) + "\n" + durable_after("db2", 9));
}

TEST(SinkOrder, DurableBeforeTheKeeperAndVolatileAfterItArePlanned) {
  auto registry = test::test_registry();
  auto plan =
      test::plan_from(kSource + "sinks:\n" + kFileOut + kDb +
                          "  - { id: cache, plugin: memory_cache, config: { warm_from: db } }\n"
                          "  - { id: tap, plugin: stdout }\n"
                          "dead_letter: { plugin: postgres_dead_letter, config: { dsn: \"postgresql:///x\" } }\n",
                      registry);
  ASSERT_EQ(plan.of(Role::sink).size(), 4u);
  EXPECT_EQ(plan.of(Role::sink)[0]->plugin->descriptor->flags & sluice_flag_volatile, 0u);
  EXPECT_NE(plan.of(Role::sink)[1]->plugin->descriptor->flags & sluice_flag_positions, 0u);
  EXPECT_NE(plan.of(Role::sink)[2]->plugin->descriptor->flags & sluice_flag_volatile, 0u);
  EXPECT_NE(plan.of(Role::sink)[3]->plugin->descriptor->flags & sluice_flag_volatile, 0u);
  // Without a positions keeper any order is fine: durable sinks may follow each other.
  EXPECT_EQ(pipeline_errors(kSource + "sinks:\n  - { id: tap, plugin: stdout }\n" + kFileOut +
                            "  - { id: out2, plugin: file, config: { path: out2.ndjson } }\n"),
            "");
}

TEST(PipelineFile, NearestSuggestsOnlyCloseWords) {
  EXPECT_EQ(nearest("bach_max", {"batch_max", "topic"}), "batch_max");
  EXPECT_EQ(nearest("zzzzzz", {"batch_max", "topic"}), std::nullopt);
}

}  // namespace
}  // namespace sluice
