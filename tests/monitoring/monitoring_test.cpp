// compose/monitoring proven (README.md, "Monitoring"): the alert rules pass promtool's checks and
// unit tests, and against a live pipeline (PostgreSQL cluster, `sluice broker`, `sluice run
// config/pipeline.yaml` with an admin listener) scraped every second by a real Prometheus, every
// panel query of the Grafana dashboard and every alert expression evaluates without error; the
// panels the traffic must fill return data, and the alerts stay quiet on the healthy pipeline. Exit
// code 77 (ctest: skipped) when prometheus or promtool is not installed.
#include <gtest/gtest.h>
#include <signal.h>

#include <cmath>
#include <iostream>
#include <regex>
#include <set>

#include "default_pipeline.hpp"
#include "monitoring_files.hpp"
#include "prometheus_server.hpp"
#include "support/process.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using nlohmann::json;

bool on_path(const std::string& name) { return find_on_path(name) != name; }

// ---- promtool ------------------------------------------------------------------------------

TEST(MonitoringRules, PromtoolChecksAndUnitTestsPass) {
  const fs::path dir = monitoring_dir();
  auto check = run({find_on_path("promtool"), "check", "rules", (dir / "alerts.yml").string()});
  EXPECT_EQ(check.code, 0) << check.out << check.err;
  // Rule files in a test file are found relative to it.
  auto unit = run({find_on_path("promtool"), "test", "rules", (dir / "alerts_test.yml").string()});
  EXPECT_EQ(unit.code, 0) << unit.out << unit.err;
  EXPECT_NE((unit.out + unit.err).find("SUCCESS"), std::string::npos) << unit.out << unit.err;

  // Every alert has unit tests.
  const std::string tests = read_file(dir / "alerts_test.yml");
  for (const auto& rule : alert_rules(dir / "alerts.yml")) {
    EXPECT_NE(tests.find("alertname: " + rule.name + "\n"), std::string::npos) << rule.name << " has no test case";
  }

  // The compose Prometheus config is valid, with the rule file where compose mounts it.
  const fs::path scratch = scratch_dir("monitoring-promtool");
  std::string config = read_file(dir / "prometheus.yml");
  const std::string mounted = "/etc/prometheus/alerts.yml";
  ASSERT_NE(config.find(mounted), std::string::npos) << "compose's prometheus.yml does not load " << mounted;
  config.replace(config.find(mounted), mounted.size(), (dir / "alerts.yml").string());
  // The scrape's read token is a compose secret; promtool wants the file to exist.
  const std::string secret = "/run/secrets/sluice_read_token";
  if (config.find(secret) != std::string::npos) {
    write_file(scratch / "sluice_read_token", "monitoring-read-token-0123456789");
    config.replace(config.find(secret), secret.size(), (scratch / "sluice_read_token").string());
  }
  write_file(scratch / "prometheus.yml", config);
  auto compose_config = run({find_on_path("promtool"), "check", "config", (scratch / "prometheus.yml").string()});
  EXPECT_EQ(compose_config.code, 0) << compose_config.out << compose_config.err;
}

// ---- a live pipeline ------------------------------------------------------------------------

// The samples of an instant vector answer ({"metric": {...}, "value": [t, "v"]}).
const json& samples(const json& answer) {
  static const json none = json::array();
  if (answer.value("status", "") != "success" || !answer.contains("data")) return none;
  return answer["data"].value("resultType", "") == "vector" ? answer["data"]["result"] : none;
}

double value_of(const json& sample) { return std::stod(sample["value"][1].get<std::string>()); }

std::string label(const json& sample, const std::string& name) {
  return sample["metric"].contains(name) ? sample["metric"][name].get<std::string>() : "";
}

// What the traffic below must make a panel query return.
struct Needs {
  std::string panel;
  std::string ref_id;
  enum { data, finite, positive } value = data;  // any sample | one not NaN/Inf | one > 0
  std::size_t min_series = 1;
  std::vector<std::pair<std::string, std::string>> labels = {};  // series with these labels exist
};

std::string describe(const Needs& n) {
  std::string text = n.panel + "/" + n.ref_id + ": " + std::to_string(n.min_series) + "+ series";
  text += n.value == Needs::positive ? ", a value > 0" : n.value == Needs::finite ? ", a finite value" : "";
  for (const auto& [k, v] : n.labels) text += ", " + k + "=\"" + v + "\"";
  return text;
}

bool satisfied(const Needs& n, const json& answer) {
  const json& result = samples(answer);
  if (result.size() < n.min_series) return false;
  bool value_ok = n.value == Needs::data;
  for (const auto& s : result) {
    const double v = value_of(s);
    if (n.value == Needs::finite && std::isfinite(v)) value_ok = true;
    if (n.value == Needs::positive && v > 0) value_ok = true;
  }
  for (const auto& [k, v] : n.labels) {
    bool found = false;
    for (const auto& s : result) found |= label(s, k) == v;
    if (!found) return false;
  }
  return value_ok;
}

// Every sluice_* series an expression reads exists in Prometheus: a misspelt metric name
// would otherwise only make a panel empty or an alert forever quiet.
void expect_inputs_exist(const PrometheusServer& prometheus, const std::string& what, const std::string& expr) {
  static const std::regex name(R"(\bsluice_[a-z0-9_]+)");
  for (std::sregex_iterator it(expr.begin(), expr.end(), name), end; it != end; ++it) {
    EXPECT_FALSE(samples(prometheus.query("count(" + it->str() + ")")).empty())
        << what << " reads " << it->str() << ", which /metrics does not have";
  }
}

class MonitoringLive : public ::testing::Test {
 protected:
  static constexpr int valid_orders = 200;
  // Three reasons: invalid_json, missing_field, not_object.
  static inline const std::vector<std::string> invalid_messages = {
      "this is not json", R"({"order_uid":"bad-1"})", "[1,2,3]", "{\"order_uid\":", R"({"order_uid":"bad-2"})"};
  const std::string admin_token = "monitoring-test-admin-token-0123456789";
};

TEST_F(MonitoringLive, EveryPanelAndAlertQueryAnswersOnALivePipeline) {
  const int admin_port = free_port();
  DefaultPipeline::Options options;
  options.name = "monitoring";
  // An admin token opens the admin listener, whose refusals fill the auth-failure panel.
  options.env = {{"SLUICE_API_TOKENS", "admin:" + admin_token},
                 {"ADMIN_LISTEN", "127.0.0.1:" + std::to_string(admin_port)}};
  DefaultPipeline pipeline(options);
  ASSERT_TRUE(pipeline.start()) << pipeline.logs();
  const int port = pipeline.http_port();
  ASSERT_TRUE(wait_until([&] { return http_get(port, "/readyz", 1s).status == 200; }, 60s, 100ms))
      << "/readyz never answered 200" << pipeline.logs();

  const std::string instance = "127.0.0.1:" + std::to_string(port);
  PrometheusServer prometheus({"monitoring-prometheus", "sluice", instance, {monitoring_dir() / "alerts.yml"}});
  ASSERT_TRUE(wait_until([&] { return !samples(prometheus.query("up{job=\"sluice\"} == 1")).empty(); }, 30s, 200ms))
      << "the sluice target never came up: " << prometheus.get("/api/v1/targets").dump() << "\n"
      << prometheus.log();

  // ---- traffic: valid and invalid orders, answers 200, 404 and 401 ----
  auto publish = pipeline.publish(valid_orders, "mon");
  ASSERT_EQ(publish->wait(60s), 0) << publish->err();
  const fs::path bad = scratch_dir("monitoring-bad") / "bad.ndjson";
  std::string lines;
  for (const auto& m : invalid_messages) lines += m + "\n";
  write_file(bad, lines);
  auto dead_letters_stored = [&](std::size_t n) {
    return wait_until(
        [&] {
          try {
            return pipeline.stored().value_or(0) == valid_orders &&
                   pipeline.db().scalar("SELECT count(*) FROM dead_letters") == std::to_string(n);
          } catch (const std::exception&) {
            return false;  // the schema is not there yet
          }
        },
        60s, 200ms);
  };
  auto publish_bad = [&] {
    auto published = run({sluice_binary().string(), "publish", "--brokers", pipeline.broker().address(), "--topic",
                          pipeline.topic(), "--file", bad.string()});
    ASSERT_EQ(published.code, 0) << published.err;
  };
  // Twice: a reason's counter is born at its first dead letter, and rate() sees only what
  // grows after Prometheus has seen the series once.
  publish_bad();
  ASSERT_TRUE(dead_letters_stored(invalid_messages.size())) << pipeline.logs();
  ASSERT_TRUE(wait_until([&] { return samples(prometheus.query("sluice_records_dead_lettered_total")).size() == 3; },
                         20s, 200ms))
      << prometheus.query("sluice_records_dead_lettered_total").dump();
  publish_bad();
  ASSERT_TRUE(dead_letters_stored(2 * invalid_messages.size())) << pipeline.logs();
  for (int i = 1; i <= 20; ++i) {
    ASSERT_EQ(http_get(port, "/order/mon-" + std::to_string(i)).status, 200);
  }
  for (int i = 1; i <= 5; ++i) {
    ASSERT_EQ(http_get(port, "/order/unknown-" + std::to_string(i)).status, 404);
  }
  EXPECT_EQ(http_get(admin_port, "/admin/status").status, 401);
  EXPECT_EQ(http_get(admin_port, "/admin/status", 3s, {{"Authorization", "Bearer not-the-token-0123456789"}}).status,
            401);
  EXPECT_EQ(http_get(admin_port, "/admin/status", 3s, {{"Authorization", "Bearer " + admin_token}}).status, 200);

  // ---- the dashboard: its instance variable lists this process ----
  const fs::path dashboard = monitoring_dir() / "grafana/dashboards/sluice.json";
  const json board = json::parse(read_file(dashboard));
  std::string instance_source;
  for (const auto& v : board["templating"]["list"]) {
    if (v.value("name", "") == "instance") instance_source = v.value("definition", "");
  }
  std::smatch m;
  ASSERT_TRUE(std::regex_match(instance_source, m, std::regex(R"(label_values\((\w+), *instance\))")))
      << "the instance variable is " << instance_source;
  json values = prometheus.get("/api/v1/label/instance/values", {{"match[]", m[1]}});
  ASSERT_TRUE(wait_until(
      [&] {
        values = prometheus.get("/api/v1/label/instance/values", {{"match[]", m[1]}});
        return values.value("status", "") == "success" && values["data"].dump().find(instance) != std::string::npos;
      },
      10s, 200ms))
      << values.dump();

  // ---- every panel query: no error; the ones the traffic fills return data ----
  // $__rate_interval: what Grafana picks is at least four scrape intervals; 2m keeps the
  // rates of the traffic above in the window while the checks run.
  const auto queries = dashboard_queries(dashboard, {{"__rate_interval", "2m"},
                                                     {"__interval", "5s"},
                                                     {"__range", "5m"},
                                                     {"instance", instance},
                                                     {"DS_PROMETHEUS", "prometheus"}});
  const std::vector<Needs> needs = {
      {"Ready", "A", Needs::positive},
      {"Throughput", "A", Needs::positive},  // consumed
      {"Throughput", "B", Needs::positive},  // stored
      {"Throughput", "C", Needs::positive},  // dead-lettered
      {"Throughput", "D", Needs::positive},  // commits
      {"Kafka lag per partition", "A", Needs::data, 4},
      {"Dead letters by reason",
       "A",
       Needs::positive,
       3,
       {{"reason", "invalid_json"}, {"reason", "missing_field"}, {"reason", "not_object"}}},
      {"Batch duration p99", "A", Needs::finite},
      {"Batch duration p99", "B", Needs::finite},
      {"Reloads", "A", Needs::data, 3, {{"result", "applied"}, {"result", "rejected"}}},
      {"Cache hit ratio", "A", Needs::finite},
      {"Change-feed lag", "A", Needs::data},
      {"HTTP requests by route and code",
       "A",
       Needs::positive,
       3,
       {{"code", "200"}, {"code", "404"}, {"code", "401"}, {"route", "/order/{order_uid}"}, {"route", "/admin/*"}}},
      {"HTTP latency p99 by route", "A", Needs::finite, 1, {{"route", "/order/{order_uid}"}}},
      {"Auth failures", "A", Needs::positive, 2, {{"reason", "missing"}, {"reason", "invalid"}}},
  };
  std::cout << "panel queries (" << queries.size() << "):\n";
  for (const auto& q : queries) std::cout << "  [" << q.panel << "/" << q.ref_id << "] " << q.expr << "\n";
  EXPECT_GE(queries.size(), 15u);
  for (const auto& n : needs) {
    bool present = false;
    for (const auto& q : queries) present |= q.panel == n.panel && q.ref_id == n.ref_id;
    EXPECT_TRUE(present) << "the dashboard has no query " << n.panel << "/" << n.ref_id;
  }
  for (const auto& q : queries) {
    json answer = prometheus.query(q.expr);
    EXPECT_EQ(answer.value("status", ""), "success") << "[" << q.panel << "/" << q.ref_id << "] " << q.expr << "\n"
                                                     << answer.dump();
    EXPECT_EQ(answer["data"].value("resultType", ""), "vector") << q.expr;
    for (const auto& n : needs) {
      if (n.panel != q.panel || n.ref_id != q.ref_id) continue;
      const bool filled = wait_until([&] { return satisfied(n, answer = prometheus.query(q.expr)); }, 45s, 250ms);
      EXPECT_TRUE(filled) << "needs " << describe(n) << "\n  " << q.expr << "\n  last answer: " << answer.dump();
    }
    expect_inputs_exist(prometheus, q.panel + "/" + q.ref_id, q.expr);  // after the wait for data
  }

  // ---- every alert: evaluates, and stays quiet on this healthy pipeline ----
  const auto rules = alert_rules(monitoring_dir() / "alerts.yml");
  EXPECT_GE(rules.size(), 6u);
  for (const auto& rule : rules) {
    json answer = prometheus.query(rule.expr);
    EXPECT_EQ(answer.value("status", ""), "success") << rule.name << ": " << rule.expr << "\n" << answer.dump();
    expect_inputs_exist(prometheus, rule.name, rule.expr);
    const bool quiet = wait_until([&] { return samples(answer = prometheus.query(rule.expr)).empty(); }, 20s, 250ms);
    EXPECT_TRUE(quiet) << rule.name << " holds on a healthy pipeline: " << answer.dump();
  }
  // The alerts' inputs exist, so "quiet" is not "no data": ready is 1, commits and lag are there.
  EXPECT_EQ(samples(prometheus.query("sluice_ready == 1")).size(), 1u);
  EXPECT_FALSE(samples(prometheus.query("sluice_commits_total > 0")).empty());
  EXPECT_FALSE(samples(prometheus.query("sluice_kafka_lag")).empty());

  // ---- Prometheus loaded the rules and evaluates them without error ----
  json loaded;
  const bool evaluated = wait_until(
      [&] {
        loaded = prometheus.get("/api/v1/rules");
        std::set<std::string> ok;
        for (const auto& group : loaded["data"]["groups"]) {
          for (const auto& rule : group["rules"]) {
            if (rule.value("health", "") == "ok" && rule.value("lastEvaluation", "").rfind("0001-", 0) != 0) {
              ok.insert(rule.value("name", ""));
            }
          }
        }
        for (const auto& rule : rules) {
          if (!ok.count(rule.name)) return false;
        }
        return true;
      },
      20s, 250ms);
  EXPECT_TRUE(evaluated) << "not every rule evaluated with health ok: " << loaded.dump();
  EXPECT_TRUE(samples(prometheus.query("ALERTS")).empty()) << prometheus.query("ALERTS").dump();

  prometheus.stop();
  EXPECT_EQ(pipeline.terminate(30s), 0) << pipeline.logs();
}

}  // namespace
}  // namespace sluice::test

// Skipped (77) without Prometheus: the one dependency of this suite that is not a build package.
int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (!sluice::test::on_path("prometheus") || !sluice::test::on_path("promtool")) {
    std::cout << "SKIP: prometheus/promtool not installed (apt-get install prometheus)" << std::endl;
    return 77;
  }
  return RUN_ALL_TESTS();
}
