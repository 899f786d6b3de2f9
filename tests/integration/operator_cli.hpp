// The operator commands' harness: a real `sluice run` (file source following a file ->
// order_validate -> memory_cache, the in-memory listable fake_dead_letters sink from
// tests/fixtures, the rest API and the top-level `admin:` API, tokens from the environment), and the CLI
// run as child processes against it; the assertions are on exit codes and what is printed. No
// PostgreSQL, no Kafka. Tests: operator_cli_test.cpp (status, tap, auth, TLS) and
// operator_cli_letters_test.cpp (dead letters, reload, secrets).
#pragma once
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
  std::string rest_extra;   // more rest config lines (tls_cert, tls_key, ...)
  std::string admin_extra;  // more lines of the top-level admin: (tls_cert, tls_key, ...)
};

// How pipeline() writes the admin API.
enum class AdminForm {
  top_level,  // the top-level admin: key, beside the rest API
  // The pipeline files of before the admin plugin: the admin API's keys in rest's config
  // (admin_listen ...), no top-level admin: (README, "Operating Sluice").
  legacy_rest_keys,
  // No rest API at all, and a stdout sink instead of the validated cache: the admin API alone.
  without_rest,
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
    const std::string admin_listen = "\"127.0.0.1:" + std::to_string(admin_port_) + "\"";
    const std::string web = "\"" + (source_dir() / "web").string() + "\"";
    const bool without_rest = admin_form_ == AdminForm::without_rest;
    const bool legacy = admin_form_ == AdminForm::legacy_rest_keys;
    std::string text = "name: opcli\n"
           "source:\n"
           "  plugin: file\n"
           "  config: { path: in.ndjson, position_file: in.pos, follow: true, key_field: order_uid }\n";
    if (without_rest) {
      text += "sinks:\n"
              "  - { id: out, plugin: stdout }\n";
    } else {
      text += "transforms:\n"
              "  - id: validate\n"
              "    plugin: order_validate\n"
              "    config: { max_bytes: " + o.max_bytes + " }\n"  // line 8
              "sinks:\n"
              "  - { id: cache, plugin: memory_cache }\n";
    }
    text += "dead_letter:\n"
           "  plugin: fake_dead_letters\n" +
           (dead_letter_password_.empty() ? "" : "  config: { password: \"" + dead_letter_password_ + "\" }\n");
    if (!without_rest) {
      text += "api:\n"
             "  - plugin: rest\n"
             "    config:\n"
             "      listen: \"127.0.0.1:" + std::to_string(listen_port_) + "\"\n" +
             (legacy ? "      admin_listen: " + admin_listen + "\n" : std::string()) +
             "      static_dir: " + web + "\n"
             "      lookup: [cache]\n"
             "      read_auth: open\n" + o.rest_extra;
    }
    if (!legacy) {
      text += "admin:\n"
              "  listen: " + admin_listen + "\n"
              "  static_dir: " + web + "\n" + o.admin_extra;
    }
    return text;
  }
  // clang-format on

  AdminForm admin_form_ = AdminForm::top_level;

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
    ASSERT_TRUE(wait_while_running(
        *run_, [&] { return cli(args).code == 0; }, 30s));
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

}  // namespace
}  // namespace sluice::test
