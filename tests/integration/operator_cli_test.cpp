// The operator commands as an operator meets them: `sluice status`, `tap`, auth failures and
// the TLS admin listener against a real `sluice run` (operator_cli.hpp).
#include "operator_cli.hpp"

namespace sluice::test {
namespace {

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

// The tap answers only when it ends, so on a quiet stage the command would print nothing for
// its whole --for: it says on stderr that it is waiting, and stdout stays NDJSON. -q drops the
// line.
TEST_F(OperatorCli, TapSaysOnStderrThatItWaits) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto tap = cli({"tap", "validate", "-n", "3", "--for", "1"});
  ASSERT_EQ(tap.code, 0) << tap.err;
  EXPECT_EQ(tap.err,
            "tapping 'validate' for up to 1 s or 3 records; records print when the tap ends (Ctrl-C to stop)\n");
  auto lines = non_empty_lines_of(tap.out);
  ASSERT_EQ(lines.size(), 1u) << tap.out;
  auto end = nlohmann::json::parse(lines[0], nullptr, false);
  ASSERT_TRUE(end.is_object()) << tap.out;
  EXPECT_EQ(end["end"], true) << lines[0];
  EXPECT_EQ(end["reason"], "timeout") << lines[0];

  auto quiet = cli({"tap", "validate", "-n", "1", "--for", "1", "-q"});
  ASSERT_EQ(quiet.code, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
  ASSERT_EQ(non_empty_lines_of(quiet.out).size(), 1u) << quiet.out;
  EXPECT_TRUE(nlohmann::json::parse(quiet.out, nullptr, false).is_object()) << quiet.out;
}

// Pistache times every request from the moment it was handed over, and answers 408 itself
// when no answer came within the header timeout; a tap answers only when it ends. With a
// header timeout of 1 s, a 3 s tap on a quiet pipeline must still end at its time, with its
// end line (it used to be cut with an empty 408 after header_timeout_ms, 10 s by default,
// so the default `sluice tap` of 30 s on a quiet pipeline always failed).
TEST_F(OperatorCli, ATapLongerThanTheHeaderTimeoutEndsAtItsTime) {
  ASSERT_NO_FATAL_FAILURE(
      start({.max_bytes = "1048576", .rest_extra = "", .admin_extra = "  header_timeout_ms: 1000\n"}));
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

TEST_F(OperatorCli, TlsAdminListenerIsCheckedAgainstTheGivenCertificate) {
  const auto cert = dir_ / "cert.pem";
  const auto key = dir_ / "key.pem";
  auto made = run({find_on_path("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                   "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key.string(),
                   "-out", cert.string()});
  ASSERT_EQ(made.code, 0) << made.err;
  admin_url_ = "https://127.0.0.1:" + std::to_string(admin_port_);
  ASSERT_NO_FATAL_FAILURE(
      start({.max_bytes = "1048576",
             .rest_extra = "      tls_cert: \"" + cert.string() + "\"\n      tls_key: \"" + key.string() + "\"\n",
             .admin_extra = "  tls_cert: \"" + cert.string() + "\"\n  tls_key: \"" + key.string() + "\"\n"},
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
