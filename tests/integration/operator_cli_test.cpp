// The operator commands (`sluice status`, `tap`, `reload`, `dead-letters`) as an operator
// meets them: a real `sluice run` (file source following a file -> order_validate ->
// memory_cache, the in-memory listable fake_dead_letters sink from tests/fixtures, the rest
// plugin's admin listener, tokens from the environment), and the CLI run as child processes
// against it; the assertions are on exit codes and what is printed. No PostgreSQL, no Kafka.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "support/process.hpp"
#include "support/text.hpp"

namespace sluice::test {
namespace {

const std::string kAdminToken = "adm1n-0123456789abcdef0123456789a";  // 32 characters
const std::string kReadToken = "read0-0123456789abcdef0123456789a";   // 32 characters

// The sample order (tests/fixtures/model.json) with its own order_uid, on one line.
std::string order(const std::string& uid) {
  static const nlohmann::json sample = nlohmann::json::parse(read_file(source_dir() / "tests/fixtures/model.json"));
  nlohmann::json o = sample;
  o["order_uid"] = uid;
  return o.dump();
}

// An order order_validate refuses as missing_field: it has no "locale".
std::string order_without_locale(const std::string& uid) {
  nlohmann::json o = nlohmann::json::parse(order(uid));
  o.erase("locale");
  return o.dump();
}

struct PipelineOptions {
  std::string max_bytes = "1048576";
  std::string rest_extra;  // more rest config lines (tls_cert, tls_key, ...)
};

class OperatorCli : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_dir(std::string("opcli_") + testing::UnitTest::GetInstance()->current_test_info()->name());
    write_file(dir_ / "in.ndjson", "");
    listen_port_ = free_port();
    admin_port_ = free_port();
    while (admin_port_ == listen_port_) admin_port_ = free_port();
    admin_url_ = "http://127.0.0.1:" + std::to_string(admin_port_);
  }
  void TearDown() override {
    stop_writer();
    if (run_ && run_->running()) {
      run_->signal(SIGTERM);
      EXPECT_EQ(run_->wait(20s), 0) << run_->err();
    }
  }

  // clang-format off
  std::string pipeline(const PipelineOptions& o = {}) const {
    return "name: opcli\n"
           "source:\n"
           "  plugin: file\n"
           "  config: { path: in.ndjson, position_file: in.pos, follow: true }\n"
           "transforms:\n"
           "  - id: validate\n"
           "    plugin: order_validate\n"
           "    config: { max_bytes: " + o.max_bytes + " }\n"  // line 8
           "sinks:\n"
           "  - { id: cache, plugin: memory_cache }\n"
           "dead_letter:\n"
           "  plugin: fake_dead_letters\n" +
           (dead_letter_password_.empty() ? "" : "  config: { password: \"" + dead_letter_password_ + "\" }\n") +
           "api:\n"
           "  - plugin: rest\n"
           "    config:\n"
           "      listen: \"127.0.0.1:" + std::to_string(listen_port_) + "\"\n"
           "      admin_listen: \"127.0.0.1:" + std::to_string(admin_port_) + "\"\n"
           "      static_dir: \"" + (source_dir() / "web").string() + "\"\n"
           "      lookup: [cache]\n"
           "      read_auth: open\n" + o.rest_extra;
  }
  // clang-format on

  // `sluice run` of pipeline(o), by pid; returns once the admin API answers `sluice status`.
  void start(const PipelineOptions& o = {}, const std::vector<std::string>& status_args = {}) {
    write_file(dir_ / "p.yaml", pipeline(o));
    run_.emplace(std::vector<std::string>{sluice_binary().string(), "--plugin-dir", fixture_plugin_dir().string(),
                                          "run", (dir_ / "p.yaml").string()},
                 Process::Options{.env = {{"SLUICE_API_TOKENS", "admin:" + kAdminToken + ",read:" + kReadToken}},
                                  .cwd = dir_,
                                  .stdin_text = ""});
    ASSERT_TRUE(run_->wait_stderr("is running", 30s)) << run_->err();
    std::vector<std::string> args{"status"};
    args.insert(args.end(), status_args.begin(), status_args.end());
    ASSERT_TRUE(wait_while_running(*run_, [&] { return cli(args).code == 0; }, 30s));
  }

  // The CLI as the operator runs it: the admin token in SLUICE_ADMIN_TOKEN (unless `env` says
  // otherwise), --admin-url after the command's words.
  RunResult cli(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                bool with_url = true) const {
    args.insert(args.begin(), sluice_binary().string());
    if (with_url) args.insert(args.end(), {"--admin-url", admin_url_});
    // Nothing from the environment of whoever runs the tests.
    std::map<std::string, std::string> full{
        {"SLUICE_ADMIN_TOKEN", kAdminToken}, {"SLUICE_ADMIN_TOKEN_FILE", ""}, {"SLUICE_ADMIN_URL", ""}};
    for (auto& [k, v] : env) full[k] = v;
    return run(std::move(args), 60s, {.env = std::move(full), .cwd = dir_, .stdin_text = ""});
  }

  void append(const std::vector<std::string>& lines) {
    std::ofstream out(dir_ / "in.ndjson", std::ios::app);
    for (const auto& l : lines) out << l << "\n";
  }

  // Appends `make(i)` lines, a few every few milliseconds, until stop_writer().
  void start_writer(std::function<std::string(int)> make) {
    stop_ = false;
    writer_ = std::thread([this, make = std::move(make)] {
      std::ofstream out(dir_ / "in.ndjson", std::ios::app);
      while (!stop_) {
        for (int k = 0; k < 3; ++k) out << make(written_++) << "\n";
        out.flush();
        std::this_thread::sleep_for(5ms);  // the pace of the stream, not synchronisation
      }
    });
  }
  void stop_writer() {
    stop_ = true;
    if (writer_.joinable()) writer_.join();
  }

  // Committed positions per stream/partition from `sluice status --json`.
  std::map<std::string, std::int64_t> positions() const {
    auto r = cli({"status", "--json"});
    EXPECT_EQ(r.code, 0) << r.err;
    std::map<std::string, std::int64_t> out;
    auto s = nlohmann::json::parse(r.out, nullptr, false);
    if (!s.is_object()) {
      ADD_FAILURE() << "status --json is not a JSON object: " << r.out;
      return out;
    }
    for (const auto& p : s["positions"]) {
      out[p["stream"].get<std::string>() + "/" + p["partition"].dump()] = p["committed"].get<std::int64_t>();
    }
    return out;
  }

  // `dead-letters list --json`, parsed.
  nlohmann::json letters() const {
    auto r = cli({"dead-letters", "list", "--json"});
    EXPECT_EQ(r.code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  std::filesystem::path dir_;
  std::string dead_letter_password_;  // fake_dead_letters' secret key, when not empty
  int listen_port_ = 0;
  int admin_port_ = 0;
  std::string admin_url_;
  std::optional<Process> run_;
  std::thread writer_;
  std::atomic<bool> stop_ = false;
  std::atomic<int> written_ = 0;
};

TEST_F(OperatorCli, StatusNamesStagesAndCommittedPositionsOnlyGrow) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto text = cli({"status"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("pipeline opcli (" + (dir_ / "p.yaml").string() + ")"), std::string::npos) << text.out;
  auto json = cli({"status", "--json"});
  ASSERT_EQ(json.code, 0) << json.err;
  auto s = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_TRUE(s.is_object()) << json.out;
  EXPECT_EQ(s["pipeline"], "opcli");
  std::map<std::string, std::string> stages;
  for (const auto& st : s["stages"]) {
    stages[st["id"].get<std::string>()] = st["plugin"].get<std::string>();
    // Every stage on a line of its own: "<role> <id>: <plugin> <version> from <file>".
    EXPECT_NE(text.out.find(st["role"].get<std::string>() + " " + st["id"].get<std::string>() + ": " +
                            st["plugin"].get<std::string>() + " "),
              std::string::npos)
        << st.dump() << "\n"
        << text.out;
  }
  EXPECT_EQ(stages["validate"], "order_validate");
  EXPECT_EQ(stages["cache"], "memory_cache");
  EXPECT_EQ(stages["fake_dead_letters"], "fake_dead_letters");
  EXPECT_EQ(stages["rest"], "rest");

  start_writer([](int i) { return order("grow-" + std::to_string(i)); });
  // Positions appear, then every later call sees each at least where the previous one saw it,
  // and the stream moves on.
  std::map<std::string, std::int64_t> first;
  ASSERT_TRUE(wait_until([&] { return !(first = positions()).empty(); }, 30s)) << run_->err();
  auto previous = first;
  bool moved = false;
  ASSERT_TRUE(wait_until(
      [&] {
        auto now = positions();
        for (const auto& [key, at] : previous) {
          EXPECT_TRUE(now.count(key)) << key << " disappeared";
          EXPECT_GE(now[key], at) << key << " went backwards";
          if (now[key] > first[key]) moved = true;
        }
        previous = now;
        return moved;
      },
      30s))
      << run_->err();
  stop_writer();
}

TEST_F(OperatorCli, TapEndsAtItsLimitAndNamesAMissingStage) {
  ASSERT_NO_FATAL_FAILURE(start());
  start_writer([](int i) { return order("tap-" + std::to_string(i)); });
  const auto started = std::chrono::steady_clock::now();
  auto tap = cli({"tap", "validate", "-n", "5", "--for", "30"});
  const auto took = std::chrono::steady_clock::now() - started;
  stop_writer();
  ASSERT_EQ(tap.code, 0) << tap.err;
  // Orders keep coming, so the tap ends at its 5th record, not at its 30 s: this is about
  // which of the two ends it, not about speed (20 s leaves a slow machine plenty of room).
  EXPECT_LT(took, 20s) << tap.out;
  auto lines = non_empty_lines_of(tap.out);
  ASSERT_EQ(lines.size(), 6u) << tap.out;
  for (std::size_t i = 0; i < 5; ++i) {
    auto line = nlohmann::json::parse(lines[i], nullptr, false);
    ASSERT_TRUE(line.is_object()) << lines[i];
    EXPECT_EQ(line["stage"], "validate") << lines[i];
    ASSERT_TRUE(line.contains("value_text")) << lines[i];
    auto value = nlohmann::json::parse(line["value_text"].get<std::string>(), nullptr, false);
    ASSERT_TRUE(value.is_object()) << lines[i];
    EXPECT_EQ(value["order_uid"].get<std::string>().rfind("tap-", 0), 0u) << lines[i];
    EXPECT_TRUE(value.contains("items")) << lines[i];
  }
  auto end = nlohmann::json::parse(lines[5], nullptr, false);
  EXPECT_EQ(end["end"], true) << lines[5];
  EXPECT_EQ(end["records"], 5) << lines[5];
  EXPECT_EQ(end["reason"], "limit") << lines[5];

  // The dead-letter tap point sees the refused ones, with why.
  written_ = 0;
  start_writer([](int i) { return order_without_locale("bad-" + std::to_string(i)); });
  auto dead = cli({"tap", "dead_letter", "-n", "2", "--for", "30"});
  stop_writer();
  ASSERT_EQ(dead.code, 0) << dead.err;
  lines = non_empty_lines_of(dead.out);
  ASSERT_EQ(lines.size(), 3u) << dead.out;
  for (std::size_t i = 0; i < 2; ++i) {
    auto line = nlohmann::json::parse(lines[i], nullptr, false);
    ASSERT_TRUE(line.is_object()) << lines[i];
    EXPECT_EQ(line["stage"], "dead_letter") << lines[i];
    EXPECT_EQ(line["rejection"]["reason"], "missing_field") << lines[i];
    EXPECT_EQ(line["rejection"]["stage"], "validate") << lines[i];
  }
  EXPECT_EQ(nlohmann::json::parse(lines[2], nullptr, false)["reason"], "limit") << lines[2];

  auto nowhere = cli({"tap", "nowhere", "-n", "1", "--for", "5"});
  EXPECT_EQ(nowhere.code, 1) << nowhere.err;
  EXPECT_NE(nowhere.err.find("404"), std::string::npos) << nowhere.err;
  EXPECT_NE(nowhere.err.find("nowhere"), std::string::npos) << nowhere.err;
  EXPECT_EQ(nowhere.out, "");
}

// Pistache times every request from the moment it was handed over, and answers 408 itself
// when no answer came within the header timeout; a tap answers only when it ends. With a
// header timeout of 1 s, a 3 s tap on a quiet pipeline must still end at its time, with its
// end line (it used to be cut with an empty 408 after header_timeout_ms, 10 s by default,
// so the default `sluice tap` of 30 s on a quiet pipeline always failed).
TEST_F(OperatorCli, ATapLongerThanTheHeaderTimeoutEndsAtItsTime) {
  ASSERT_NO_FATAL_FAILURE(start({.max_bytes = "1048576", .rest_extra = "      header_timeout_ms: 1000\n"}));
  auto tap = cli({"tap", "validate", "-n", "5", "--for", "3"});
  ASSERT_EQ(tap.code, 0) << tap.err;
  auto lines = non_empty_lines_of(tap.out);
  ASSERT_EQ(lines.size(), 1u) << tap.out;
  auto end = nlohmann::json::parse(lines[0], nullptr, false);
  EXPECT_EQ(end["end"], true) << lines[0];
  EXPECT_EQ(end["records"], 0) << lines[0];
  EXPECT_EQ(end["reason"], "timeout") << lines[0];
}

// The server collects a tap's answer up to 8 MiB and cuts it there, without an end line:
// the command says so instead of passing a short output off as the whole tap.
TEST_F(OperatorCli, ATapCutAtTheAnswerLimitSaysSo) {
  ASSERT_NO_FATAL_FAILURE(start());
  // About 4 KiB a tap line (values are cut to 4 KiB): 8 MiB is about 2,000 records.
  start_writer([](int i) {
    auto o = nlohmann::json::parse(order("big-" + std::to_string(i)));
    o["note"] = std::string(5000, 'x');  // an unknown field, accepted by default
    return o.dump();
  });
  auto tap = cli({"tap", "validate", "-n", "10000", "--rate", "1000", "--for", "60"});
  stop_writer();
  ASSERT_EQ(tap.code, 0) << tap.err;
  auto lines = non_empty_lines_of(tap.out);
  ASSERT_GT(lines.size(), 1000u);
  EXPECT_LT(lines.size(), 10000u);
  EXPECT_LE(tap.out.size(), 8u * 1024 * 1024);
  for (const auto& line : lines) {
    auto record = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(record.is_object() && record["stage"] == "validate") << line.substr(0, 200);
  }
  EXPECT_NE(tap.err.find("warning: the server cut the tap at its 8 MiB answer limit after " +
                         std::to_string(lines.size()) + " record(s)"),
            std::string::npos)
      << tap.err;
}

TEST_F(OperatorCli, AuthFailuresTellTheOperatorWhatToDo) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto none = cli({"status"}, {{"SLUICE_ADMIN_TOKEN", ""}});
  EXPECT_EQ(none.code, 2) << none.err;
  EXPECT_NE(none.err.find("SLUICE_ADMIN_TOKEN"), std::string::npos) << none.err;
  EXPECT_EQ(none.out, "");

  auto wrong = cli({"status"}, {{"SLUICE_ADMIN_TOKEN", "wrong-0123456789abcdef0123456789a"}});
  EXPECT_EQ(wrong.code, 1) << wrong.err;
  EXPECT_NE(wrong.err.find("401"), std::string::npos) << wrong.err;
  EXPECT_NE(wrong.err.find("hint: the admin token was not accepted"), std::string::npos) << wrong.err;

  auto read = cli({"status"}, {{"SLUICE_ADMIN_TOKEN", kReadToken}});
  EXPECT_EQ(read.code, 1) << read.err;
  EXPECT_NE(read.err.find("403"), std::string::npos) << read.err;
  EXPECT_NE(read.err.find("hint: this token has the read role; admin endpoints need an admin token"), std::string::npos)
      << read.err;

  // The tap is the admin's too: a read token sees no records.
  auto read_tap = cli({"tap", "validate", "-n", "1", "--for", "2"}, {{"SLUICE_ADMIN_TOKEN", kReadToken}});
  EXPECT_EQ(read_tap.code, 1) << read_tap.err;
  EXPECT_NE(read_tap.err.find("403"), std::string::npos) << read_tap.err;
  EXPECT_EQ(read_tap.out, "");

  // The token from a file (the plugin's tokens-file format works as is).
  write_file(dir_ / "tokens", "# operator\nread " + kReadToken + "\nadmin " + kAdminToken + "\n");
  auto from_file = cli({"status", "--token-file", (dir_ / "tokens").string()}, {{"SLUICE_ADMIN_TOKEN", ""}});
  EXPECT_EQ(from_file.code, 0) << from_file.err;

  // A port nobody listens on.
  const std::string nobody = "http://127.0.0.1:" + std::to_string(free_port());
  auto unreachable = cli({"status", "--admin-url", nobody}, {}, /*with_url=*/false);
  EXPECT_EQ(unreachable.code, 1) << unreachable.err;
  EXPECT_NE(unreachable.err.find("cannot reach the admin API at " + nobody + ": connection refused"), std::string::npos)
      << unreachable.err;
  EXPECT_NE(unreachable.err.find("see --admin-url"), std::string::npos) << unreachable.err;
}

TEST_F(OperatorCli, DeadLettersListShowReplayDiscard) {
  ASSERT_NO_FATAL_FAILURE(start());
  const std::string first_bad = order_without_locale("dl-0");
  append({order("ok-0"), first_bad, order_without_locale("dl-1"), order("ok-1"), order_without_locale("dl-2"),
          "this is not json"});
  nlohmann::json all;
  // `list` asks for the reasons, then the letters: two requests, so wait until both saw all four.
  auto reasons_total = [](const nlohmann::json& l) {
    std::int64_t n = 0;
    for (const auto& r : l["reasons"]) n += r["count"].get<std::int64_t>();
    return n;
  };
  ASSERT_TRUE(wait_until(
      [&] {
        all = letters();
        return all["letters"].size() >= 4 && reasons_total(all) >= 4;
      },
      30s))
      << run_->err();
  ASSERT_EQ(all["letters"].size(), 4u) << all.dump(2);
  std::map<std::string, std::int64_t> counts;
  for (const auto& r : all["reasons"]) counts[r["reason"].get<std::string>()] = r["count"].get<std::int64_t>();
  EXPECT_EQ(counts["missing_field"], 3) << all.dump(2);
  EXPECT_EQ(counts.size(), 2u) << all.dump(2);

  auto list = cli({"dead-letters", "list"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find("4 dead letter(s), by reason:"), std::string::npos) << list.out;
  EXPECT_TRUE(std::regex_search(list.out, std::regex("\\n +3  missing_field\\n"))) << list.out;
  for (const auto& l : all["letters"]) {
    EXPECT_TRUE(std::regex_search(
        list.out, std::regex("\\n" + l["id"].dump() + " +\\S+ +" + l["reason"].get<std::string>() + " ")))
        << l.dump() << "\n"
        << list.out;
  }

  // The first letter is dl-0 (letters come oldest first).
  const std::string id = all["letters"][0]["id"].dump();
  auto show = cli({"dead-letters", "show", id});
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_NE(show.out.find("reason      missing_field\n"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("attempts    1\n"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("payload:\n" + first_bad + "\n"), std::string::npos) << show.out;
  EXPECT_EQ(show.out.find("\nkey"), std::string::npos) << "a file source's letter has no key\n" << show.out;

  auto dry = cli({"dead-letters", "replay", "--id", id, "--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_EQ(dry.out.rfind("dry run: 1 matched, 1 would be replayed, ", 0), 0u) << dry.out;
  EXPECT_NE(cli({"dead-letters", "show", id}).out.find("attempts    1\n"), std::string::npos);
  EXPECT_EQ(letters()["letters"].size(), 4u);

  // Nothing was fixed: refused again, kept, one more attempt.
  auto again = cli({"dead-letters", "replay", "--id", id});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.out,
            "1 matched, 0 replayed and retired, 1 refused again (kept, attempts + 1), 0 skipped "
            "(payload truncated)\n");
  auto shown = cli({"dead-letters", "show", id});
  EXPECT_NE(shown.out.find("attempts    2\n"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("reason      missing_field\n"), std::string::npos) << shown.out;

  auto discard = cli({"dead-letters", "discard", "--id", id});
  ASSERT_EQ(discard.code, 0) << discard.err;
  EXPECT_EQ(discard.out, "1 letter(s) discarded\n");
  auto gone = cli({"dead-letters", "show", id});
  EXPECT_EQ(gone.code, 1) << gone.out;
  EXPECT_NE(gone.err.find("404"), std::string::npos) << gone.err;
  EXPECT_EQ(letters()["letters"].size(), 3u);

  auto no_selector = cli({"dead-letters", "replay"});
  EXPECT_EQ(no_selector.code, 2) << no_selector.out;
  EXPECT_NE(no_selector.err.find("--id"), std::string::npos) << no_selector.err;
  EXPECT_EQ(letters()["letters"].size(), 3u);
}

// A letter's bytes came from whoever wrote to the topic: an OSC 52 sequence (which makes many
// terminals write the clipboard) is shown escaped, never as ESC ... BEL; --raw gives the bytes.
TEST_F(OperatorCli, DeadLetterShowEscapesTerminalSequencesAndRawGivesTheBytes) {
  ASSERT_NO_FATAL_FAILURE(start());
  const std::string hostile = "not json \x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaAo=\x07 \x1b[2J\xc2\x9b tail";
  append({hostile});
  nlohmann::json all;
  ASSERT_TRUE(wait_until([&] { return (all = letters())["letters"].size() >= 1; }, 30s)) << run_->err();
  const std::string id = all["letters"][0]["id"].dump();
  for (const auto& args : std::vector<std::vector<std::string>>{{"dead-letters", "show", id}, {"dead-letters", "list"}}) {
    auto shown = cli(args);
    ASSERT_EQ(shown.code, 0) << shown.err;
    EXPECT_EQ(shown.out.find('\x1b'), std::string::npos) << args[1] << ": " << shown.out;
    EXPECT_EQ(shown.out.find('\x07'), std::string::npos) << args[1] << ": " << shown.out;
    EXPECT_EQ(shown.out.find("\xc2\x9b"), std::string::npos) << args[1] << ": " << shown.out;  // C1 CSI
  }
  auto show = cli({"dead-letters", "show", id});
  EXPECT_NE(show.out.find("payload:\nnot json \\x1B]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaAo=\\x07 \\x1B[2J"),
            std::string::npos)
      << show.out;
  auto raw = cli({"dead-letters", "show", id, "--raw"});
  ASSERT_EQ(raw.code, 0) << raw.err;
  EXPECT_EQ(raw.out, hostile);
}

TEST_F(OperatorCli, ReloadAppliesAnEditAndRejectsABrokenOneWithItsPlace) {
  ASSERT_NO_FATAL_FAILURE(start());
  write_file(dir_ / "p.yaml", pipeline({.max_bytes = "65536", .rest_extra = ""}));
  auto applied = cli({"reload"});
  EXPECT_EQ(applied.code, 0) << applied.err;
  EXPECT_NE(applied.out.find("reload #1: applied"), std::string::npos) << applied.out;

  // An unknown key on line 8 (order_validate's config).
  std::string broken = pipeline({.max_bytes = "65536, max_byts: 5", .rest_extra = ""});
  write_file(dir_ / "p.yaml", broken);
  auto rejected = cli({"reload"});
  EXPECT_EQ(rejected.code, 1) << rejected.err;
  EXPECT_NE(rejected.out.find("reload #2: rejected"), std::string::npos) << rejected.out;
  EXPECT_TRUE(std::regex_search(rejected.out,
                                std::regex(std::regex_replace((dir_ / "p.yaml").string(), std::regex("[.]"), "[.]") +
                                           ":8:[0-9]+: unknown key 'max_byts'")))
      << rejected.out;

  // Still running, on the applied file.
  auto status = cli({"status"});
  EXPECT_EQ(status.code, 0) << status.err;
  EXPECT_NE(status.out.find("last reload: #2 rejected"), std::string::npos) << status.out;
  append({order("after-reload")});
  ASSERT_TRUE(wait_until(
      [&] {
        auto p = positions();
        return !p.empty() && p.begin()->second >= 1;
      },
      30s));
  EXPECT_TRUE(run_->running());
}

// A rotated credential (fake_dead_letters' `password`, declared secret like postgres' `dsn`)
// shows in no log line, reload answer, status or metric, and the config hash on /metrics does
// not move with it (it would be an offline oracle for guesses); a plain edit moves it.
TEST_F(OperatorCli, ARotatedPasswordAppearsNowhereAndLeavesTheConfigHash) {
  const std::string fragment = "S3cr3t";
  const std::string old_password = "0ld-" + fragment + "-Pa55", new_password = "n3w-" + fragment + "-Pa55";
  dead_letter_password_ = old_password;
  ASSERT_NO_FATAL_FAILURE(start());
  auto metrics = [&] {
    auto r = run({find_on_path("curl"), "-sS", "-H", "Authorization: Bearer " + kReadToken,
                  "http://127.0.0.1:" + std::to_string(listen_port_) + "/metrics"});
    EXPECT_EQ(r.code, 0) << r.err;
    return r.out;
  };
  auto config_hash = [](const std::string& text) {
    std::smatch m;
    return std::regex_search(text, m, std::regex("sluice_config_info\\{hash=\"([0-9a-f]+)\"\\} 1")) ? m[1].str() : "";
  };
  const std::string hash_before = config_hash(metrics());
  ASSERT_FALSE(hash_before.empty());

  dead_letter_password_ = new_password;
  write_file(dir_ / "p.yaml", pipeline());
  auto rotated = cli({"reload"});
  EXPECT_EQ(rotated.code, 0) << rotated.err;
  EXPECT_NE(rotated.out.find("password changed"), std::string::npos) << rotated.out;
  auto status = cli({"status"});
  auto status_json = cli({"status", "--json"});
  EXPECT_NE(status.out.find("last reload: #1 applied"), std::string::npos) << status.out;
  const std::string metrics_after = metrics();
  EXPECT_EQ(config_hash(metrics_after), hash_before) << "a change of a secret alone must not move the hash";
  ASSERT_TRUE(wait_until([&] { return run_->err().find("reload #1 applied") != std::string::npos; }, 30s));
  for (const auto& [where, text] : std::map<std::string, std::string>{{"reload answer", rotated.out + rotated.err},
                                                                       {"sluice status", status.out + status.err},
                                                                       {"/admin/status", status_json.out},
                                                                       {"/metrics", metrics_after},
                                                                       {"log", run_->err()}}) {
    EXPECT_EQ(text.find(fragment), std::string::npos) << where << " shows the password:\n" << text;
  }

  write_file(dir_ / "p.yaml", pipeline({.max_bytes = "65536", .rest_extra = ""}));
  auto plain = cli({"reload"});
  EXPECT_NE(plain.out.find("validate.max_bytes 1048576 -> 65536"), std::string::npos) << plain.out;
  EXPECT_NE(config_hash(metrics()), hash_before) << "a plain edit moves the hash";
}

TEST_F(OperatorCli, TlsAdminListenerIsCheckedAgainstTheGivenCertificate) {
  const auto cert = dir_ / "cert.pem";
  const auto key = dir_ / "key.pem";
  auto made =
      run({find_on_path("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
           "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key.string(), "-out", cert.string()});
  ASSERT_EQ(made.code, 0) << made.err;
  admin_url_ = "https://127.0.0.1:" + std::to_string(admin_port_);
  ASSERT_NO_FATAL_FAILURE(
      start({.max_bytes = "1048576",
             .rest_extra = "      tls_cert: \"" + cert.string() + "\"\n      tls_key: \"" + key.string() + "\"\n"},
            {"--cacert", cert.string()}));
  auto ok = cli({"status", "--cacert", cert.string()});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.out.find("pipeline opcli"), std::string::npos) << ok.out;

  // Without it the self-signed certificate is not trusted.
  auto untrusted = cli({"status"});
  EXPECT_EQ(untrusted.code, 1) << untrusted.err;
  EXPECT_NE(untrusted.err.find("cannot reach the admin API at " + admin_url_), std::string::npos) << untrusted.err;
  EXPECT_NE(untrusted.err.find("TLS certificate was not accepted"), std::string::npos) << untrusted.err;
  EXPECT_NE(untrusted.err.find("--cacert"), std::string::npos) << untrusted.err;
  EXPECT_EQ(untrusted.out, "");
}

}  // namespace
}  // namespace sluice::test
