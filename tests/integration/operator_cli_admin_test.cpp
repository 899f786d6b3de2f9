// The admin API as a front end of its own (README, "Operating Sluice"): a pipeline without the
// rest API still has it; a pipeline file written before it (the admin keys in rest's config)
// keeps its admin API where it was and is told, once, how to write it now; the top-level
// `admin:` key refuses what it does not know at its file:line:col.
#include "operator_cli.hpp"

namespace sluice::test {
namespace {

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST_F(OperatorCli, APipelineWithoutRestServesStatusAndDeadLetters) {
  admin_form_ = AdminForm::without_rest;
  ASSERT_NO_FATAL_FAILURE(start());
  auto status = cli({"status"});
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_NE(status.out.find("pipeline opcli"), std::string::npos) << status.out;
  auto letters = cli({"dead-letters", "list", "--json"});
  ASSERT_EQ(letters.code, 0) << letters.err;
  auto listed = nlohmann::json::parse(letters.out, nullptr, false);
  ASSERT_TRUE(listed.is_object() && listed["letters"].is_array()) << letters.out;
  EXPECT_EQ(run_->err().find("deprecated"), std::string::npos) << run_->err();
}

TEST_F(OperatorCli, OldRestAdminKeysStillOpenTheAdminApiWithOneDeprecationLine) {
  admin_form_ = AdminForm::legacy_rest_keys;
  ASSERT_NO_FATAL_FAILURE(start());
  auto status = cli({"status"});
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_NE(status.out.find("pipeline opcli"), std::string::npos) << status.out;
  // The line of admin_listen in pipeline(): counted, not hard-coded.
  const std::string text = pipeline();
  const auto line = 1 + count_of(text.substr(0, text.find("admin_listen")), "\n");
  const std::string where = (dir_ / "p.yaml").string() + ":" + std::to_string(line) + ":7: deprecated:";
  EXPECT_NE(run_->err().find(where), std::string::npos) << run_->err();
  EXPECT_NE(run_->err().find("admin: {listen:"), std::string::npos) << "the new form is named: " << run_->err();
  EXPECT_EQ(count_of(run_->err(), "deprecated"), 1u) << run_->err();
}

// A change to the top-level admin: is applied by a reload like any API's: the admin API asked
// for the reload is restarted with its new keys and answers the next request with them.
TEST_F(OperatorCli, AReloadAppliesAChangedAdminKey) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto metrics_status = [&] {
    auto r = run({find_on_path("curl"), "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                  "Authorization: Bearer " + kReadToken, admin_url_ + "/metrics"});
    return r.out;
  };
  EXPECT_EQ(metrics_status(), "404") << "metrics: false, the default";
  write_file(dir_ / "p.yaml", pipeline({.max_bytes = "1048576", .rest_extra = "", .admin_extra = "  metrics: true\n"}));
  auto applied = cli({"reload"});
  EXPECT_EQ(applied.code, 0) << applied.err << applied.out;
  EXPECT_NE(applied.out.find("reload #1: applied"), std::string::npos) << applied.out;
  ASSERT_TRUE(wait_while_running(
      *run_, [&] { return metrics_status() == "200"; }, 30s))
      << run_->err();
  EXPECT_EQ(cli({"status"}).code, 0);
}

// `sluice validate` of a pipeline whose top-level admin: is `admin_text`: its exit code and stderr.
RunResult validate_admin(const std::string& name, const std::string& admin_text) {
  auto dir = scratch_dir("admin_key_" + name);
  write_file(dir / "p.yaml",
             "source:\n  plugin: file\n  config: { path: in }\nsinks: [ { plugin: stdout } ]\n" + admin_text);
  return run({sluice_binary().string(), "validate", (dir / "p.yaml").string()}, 60s,
             {.env = {}, .cwd = dir, .stdin_text = ""});
}

TEST(AdminKey, AnUnknownKeyIsRefusedAtItsPlace) {
  auto r = validate_admin("unknown", "admin:\n  listn: \"127.0.0.1:0\"\n");
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("p.yaml:6:3: unknown key 'listn' for plugin 'admin' (did you mean 'listen'?)"),
            std::string::npos)
      << r.err;
}

TEST(AdminKey, AWrongTypeIsRefusedAtItsPlace) {
  auto r = validate_admin("type", "admin:\n  threads: many\n");
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("p.yaml:6:12:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("threads"), std::string::npos) << r.err;
}

TEST(AdminKey, NotAMappingIsRefusedAtItsPlace) {
  auto r = validate_admin("list", "admin: [listen]\n");
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("p.yaml:5:8: 'admin' must be a mapping"), std::string::npos) << r.err;
}

TEST(AdminKey, TheAdminApiGivenTwiceIsRefused) {
  auto r = validate_admin("twice", "api:\n  - plugin: admin\nadmin: {}\n");
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("p.yaml:6:13: the admin API is given twice"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sluice::test
