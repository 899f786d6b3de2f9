// Dead letters fixed and replayed, with the real processes: `sluice run` of the default
// pipeline (a copy of config/pipeline.yaml the test rewrites), `sluice broker`, a PostgreSQL
// cluster of the test's own, and the operator commands (`sluice dead-letters`, `sluice
// reload`) against the admin listener with an admin token.
//
// 1. A rule refuses 50 orders (order_validate's max_bytes below their size: too_large). The
//    rule is relaxed in the file, `sluice reload` applies it, `sluice dead-letters replay
//    --reason too_large` stores all 50 exactly once and retires their letters.
// 2. 5,000 letters; the replay is killed (kill -9 of `sluice run`) after its first batch
//    committed and before the last. After a restart a second replay stores the rest. Every
//    order is stored exactly once: no order was ever written twice (the postgres sink retires
//    a letter in the transaction that stores its order, so nothing stored is replayed again),
//    and no letter is left.
// 3. A replay where a letter is refused again (a message that is not JSON, next to 200 too
//    large orders that a reload let through): the refused letter stays with attempts + 1,
//    the CLI gets its answer, and `sluice run` lives on and stops cleanly.
// 4. A reload that restarts the API (the database DSN spelled differently) while a replay of
//    2,000 letters waits for its batches: the reload finishes, the replay answers (stopped
//    early; a second one does the rest) and SIGTERM still ends the process cleanly.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "default_pipeline.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kToken = "replay-test-admin-token-0123456789";

class ReplayTest : public testing::Test {
 protected:
  void SetUp() override {
    admin_port_ = free_port();
    DefaultPipeline::Options options;
    options.name = "replay";
    options.own_pipeline_file = true;
    options.env = {{"ADMIN_LISTEN", "127.0.0.1:" + std::to_string(admin_port_)},
                   {"SLUICE_API_TOKENS", std::string("admin:") + kToken}};
    pipeline_ = std::make_unique<DefaultPipeline>(options);
    set_max_bytes(400);  // every generated order is larger: too_large
  }
  void TearDown() override {
    if (HasFailure() && pipeline_) std::cerr << pipeline_->logs();
  }

  void set_max_bytes(long bytes) {
    std::ifstream in(pipeline_->pipeline_file());
    std::stringstream text;
    text << in.rdbuf();
    std::string yaml = text.str();
    const auto at = yaml.find("max_bytes: ");
    ASSERT_NE(at, std::string::npos);
    const auto end = yaml.find('\n', at);
    yaml.replace(at, end - at, "max_bytes: " + std::to_string(bytes));
    std::ofstream(pipeline_->pipeline_file()) << yaml;
  }

  static Process::Options with_token() {
    Process::Options options;
    options.env["SLUICE_ADMIN_TOKEN"] = kToken;
    return options;
  }
  // An operator command against the running pipeline's admin listener.
  RunResult sluice(std::vector<std::string> args, std::chrono::milliseconds timeout = 120s) {
    args.insert(args.begin(), sluice_binary().string());
    args.push_back("--admin-url");
    args.push_back("http://127.0.0.1:" + std::to_string(admin_port_));
    return run(args, timeout, with_token());
  }
  Process replay_in_background() {
    return Process({sluice_binary().string(), "dead-letters", "replay", "--reason", "too_large", "--admin-url",
                    "http://127.0.0.1:" + std::to_string(admin_port_)},
                   with_token());
  }

  long long letters() { return std::stoll(pipeline_->db().scalar("SELECT count(*) FROM dead_letters")); }
  long long letters(const std::string& reason) {
    return std::stoll(pipeline_->db().scalar("SELECT count(*) FROM dead_letters WHERE reason = '" + reason + "'"));
  }
  // Publishes `n` orders and waits until every one is a dead letter and its offset stored.
  void dead_letter(int n, const std::string& prefix) {
    // start() returns once HTTP answers; the dead_letters table exists once the sinks opened
    // (migrations), which /readyz says.
    ASSERT_TRUE(wait_until([&] { return http_get(pipeline_->http_port(), "/readyz", 1s).status == 200; }, 60s, 20ms));
    auto publish = pipeline_->publish(n, prefix);
    ASSERT_EQ(publish->wait(300s), 0) << publish->err();
    ASSERT_TRUE(wait_until([&] { return letters("too_large") >= n; }, 300s, 20ms))
        << letters("too_large") << " of " << n << " dead-lettered";
    EXPECT_EQ(*pipeline_->stored(), 0);
  }

  // Spells the db sink's DSN differently (same database): the sink is replaced, and the REST
  // API, which looks it up, restarts.
  void respell_db_dsn() {
    std::ifstream in(pipeline_->pipeline_file());
    std::stringstream text;
    text << in.rdbuf();
    std::string yaml = text.str();
    const auto db = yaml.find("id: db");
    ASSERT_NE(db, std::string::npos);
    const auto dsn = yaml.find("dsn: ", db);
    ASSERT_NE(dsn, std::string::npos);
    const auto end = yaml.find('\n', dsn);
    yaml.replace(dsn, end - dsn, "dsn: \"${DATABASE_URL}?connect_timeout=7\"");
    std::ofstream(pipeline_->pipeline_file()) << yaml;
  }

  // Publishes one message (not necessarily an order) with `sluice publish --file`.
  void publish_raw(const std::string& message) {
    const auto file = test_scratch_root() / ("replay-raw-" + std::to_string(admin_port_) + ".ndjson");
    std::ofstream(file) << message << "\n";
    auto published = run({sluice_binary().string(), "publish", "--brokers", pipeline_->broker().address(), "--topic",
                          pipeline_->topic(), "--file", file.string(), "--timeout", "60"},
                         120s);
    ASSERT_EQ(published.code, 0) << published.out << published.err;
  }

  int admin_port_ = 0;
  std::unique_ptr<DefaultPipeline> pipeline_;
};

TEST_F(ReplayTest, RelaxedRuleReloadedAndReplayedByReasonStoresEachOrderOnce) {
  ASSERT_TRUE(pipeline_->start());
  dead_letter(50, "dl");
  auto listed = sluice({"dead-letters", "list", "--reason", "too_large", "--json", "--limit", "1000"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  auto json = nlohmann::json::parse(listed.out);
  EXPECT_EQ(json["letters"].size(), 50u);
  EXPECT_EQ(json["reasons"][0]["reason"], "too_large");

  set_max_bytes(1048576);
  auto reload = sluice({"reload"});
  ASSERT_EQ(reload.code, 0) << reload.out << reload.err;
  EXPECT_NE(reload.out.find("applied"), std::string::npos) << reload.out;

  auto replay = sluice({"dead-letters", "replay", "--reason", "too_large"});
  ASSERT_EQ(replay.code, 0) << replay.out << replay.err;
  EXPECT_NE(replay.out.find("50 matched, 50 replayed"), std::string::npos) << replay.out;
  EXPECT_EQ(letters(), 0);
  EXPECT_EQ(*pipeline_->stored(), 50);
  auto order = http_get(pipeline_->http_port(), "/order/dl-1");
  EXPECT_EQ(order.status, 200) << order.body;
  ASSERT_EQ(pipeline_->terminate(30s), 0);
  EXPECT_EQ(pipeline_->replaced_orders(), 0) << "an order was written twice";
}

TEST_F(ReplayTest, AReplayKilledMidwayIsFinishedByTheNextWithEachOrderOnce) {
  constexpr int kOrders = 5000;
  ASSERT_TRUE(pipeline_->start());
  dead_letter(kOrders, "kill");
  ASSERT_EQ(pipeline_->terminate(30s), 0);
  set_max_bytes(1048576);  // relaxed, then a restart
  ASSERT_TRUE(pipeline_->start());

  auto first = replay_in_background();
  // The moment that hurts: some replay batches committed, others not yet.
  long long stored = 0;
  long long last_letters = letters();
  ASSERT_TRUE(wait_until(
      [&] {
        // One statement, one snapshot: two separate counts could straddle a commit.
        const auto row =
            pipeline_->db().query("SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM dead_letters)");
        stored = std::stoll(row.at(0).at(0));
        const long long now = std::stoll(row.at(0).at(1));
        EXPECT_LE(now, last_letters) << "letters came back";
        EXPECT_EQ(stored + now, kOrders) << "an order is stored while its letter is still there, or neither";
        last_letters = now;
        return stored > 0;
      },
      120s, 1ms));
  pipeline_->kill9();
  (void)first.wait(30s);
  stored = *pipeline_->stored();
  std::cerr << "killed after " << stored << " of " << kOrders << " replayed\n";
  EXPECT_LT(stored, kOrders) << "the replay finished before the kill: the test proves nothing";
  EXPECT_EQ(stored + letters(), kOrders);

  ASSERT_TRUE(pipeline_->start());
  auto second = sluice({"dead-letters", "replay", "--reason", "too_large"});
  ASSERT_EQ(second.code, 0) << second.out << second.err;
  EXPECT_NE(second.out.find(std::to_string(kOrders - stored) + " matched"), std::string::npos) << second.out;
  EXPECT_EQ(letters(), 0);
  EXPECT_EQ(*pipeline_->stored(), kOrders);
  ASSERT_EQ(pipeline_->terminate(30s), 0);
  EXPECT_EQ(pipeline_->replaced_orders(), 0) << "an order was written twice";
}

// The sequence that used to end `sluice run` with `free(): invalid pointer`: the second
// replay's one letter is refused again by the validator.
TEST_F(ReplayTest, ALetterRefusedAgainByAReplayStaysAndTheProcessLivesOn) {
  ASSERT_TRUE(pipeline_->start());
  dead_letter(200, "again");
  publish_raw("this is not json");
  ASSERT_TRUE(wait_until([&] { return letters() == 201; }, 120s, 20ms)) << letters() << " letters";
  const long long not_json = letters() - letters("too_large");
  ASSERT_EQ(not_json, 1);

  set_max_bytes(1048576);
  auto reload = sluice({"reload"});
  ASSERT_EQ(reload.code, 0) << reload.out << reload.err;
  auto by_reason = sluice({"dead-letters", "replay", "--reason", "too_large"});
  ASSERT_EQ(by_reason.code, 0) << by_reason.out << by_reason.err;
  EXPECT_NE(by_reason.out.find("200 matched, 200 replayed"), std::string::npos) << by_reason.out;

  auto all = sluice({"dead-letters", "replay", "--all"}, 60s);
  EXPECT_NE(all.out.find("1 matched, 0 replayed"), std::string::npos) << all.code << all.out << all.err;
  EXPECT_NE(all.out.find("1 refused again"), std::string::npos) << all.out;
  EXPECT_EQ(all.code, 0) << all.err;
  ASSERT_TRUE(pipeline_->running()) << pipeline_->logs();
  EXPECT_EQ(letters(), 1);
  EXPECT_EQ(pipeline_->db().scalar("SELECT attempts FROM dead_letters"), "2");
  // Alive and still serving the operators and the orders.
  auto status = sluice({"status"}, 30s);
  EXPECT_EQ(status.code, 0) << status.out << status.err;
  EXPECT_EQ(http_get(pipeline_->http_port(), "/order/again-1").status, 200);
  ASSERT_EQ(pipeline_->terminate(30s), 0) << pipeline_->logs();
  EXPECT_EQ(*pipeline_->stored(), 200);
}

TEST_F(ReplayTest, AReloadThatRestartsTheApiDuringAReplayFinishesAndTheProcessStillStops) {
  constexpr int kOrders = 2000;
  ASSERT_TRUE(pipeline_->start());
  dead_letter(kOrders, "reload");
  set_max_bytes(1048576);
  auto relax = sluice({"reload"});
  ASSERT_EQ(relax.code, 0) << relax.out << relax.err;

  respell_db_dsn();
  auto replay = replay_in_background();
  // Some batches stored, others still to come: then the reload.
  ASSERT_TRUE(pipeline_->wait_for([&] { return *pipeline_->stored() > 0; }, 120s, 1ms));
  pipeline_->process().signal(SIGHUP);
  ASSERT_TRUE(pipeline_->process().wait_stderr("reload #2 applied", 60s)) << "the reload did not finish within 60 s\n"
                                                                          << pipeline_->logs();
  ASSERT_TRUE(replay.wait(60s).has_value()) << "the replay got no answer";
  const long long stored = *pipeline_->stored();
  std::cerr << "the reload came after " << stored << " of " << kOrders << " replayed\n";
  EXPECT_LT(stored, kOrders) << "the replay finished before the reload: the test proves nothing";
  EXPECT_EQ(stored + letters(), kOrders);

  // Through the new API: the rest.
  auto rest = sluice({"dead-letters", "replay", "--reason", "too_large"});
  ASSERT_EQ(rest.code, 0) << rest.out << rest.err;
  EXPECT_EQ(letters(), 0);
  EXPECT_EQ(*pipeline_->stored(), kOrders);
  ASSERT_EQ(pipeline_->terminate(30s), 0) << pipeline_->logs();
}

}  // namespace
}  // namespace sluice::test
