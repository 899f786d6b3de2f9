// `sluice dead-letters` (list, show, replay, discard), `sluice reload`, and secrets that a
// reload rotates, against a real `sluice run` (operator_cli.hpp).
#include "operator_cli.hpp"

namespace sluice::test {
namespace {

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

  // --key: the letters of one order id (the file source keys records by order_uid), and a
  // clear "0 letters" for an id that has none.
  auto by_key = cli({"dead-letters", "list", "--key", "dl-1", "--json"});
  ASSERT_EQ(by_key.code, 0) << by_key.err;
  auto keyed = nlohmann::json::parse(by_key.out)["letters"];
  ASSERT_EQ(keyed.size(), 1u) << by_key.out;
  EXPECT_EQ(keyed[0]["id"], all["letters"][1]["id"]);
  auto unknown_key = cli({"dead-letters", "list", "--key", "x'%00\"", "--json"});
  ASSERT_EQ(unknown_key.code, 0) << unknown_key.err;
  EXPECT_TRUE(nlohmann::json::parse(unknown_key.out)["letters"].empty()) << unknown_key.out;
  auto unknown_text = cli({"dead-letters", "list", "--key", "no-such-order"});
  ASSERT_EQ(unknown_text.code, 0) << unknown_text.err;
  EXPECT_NE(unknown_text.out.find("no dead letters for key no-such-order\n"), std::string::npos) << unknown_text.out;
  auto too_long = cli({"dead-letters", "list", "--key", std::string(257, 'k')});
  EXPECT_NE(too_long.code, 0);
  EXPECT_NE(too_long.err.find("invalid key: expected 1 to 256 bytes"), std::string::npos) << too_long.err;

  // The first letter is dl-0 (letters come oldest first).
  const std::string id = all["letters"][0]["id"].dump();
  auto show = cli({"dead-letters", "show", id});
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_NE(show.out.find("reason      missing_field\n"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("attempts    1\n"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("payload:\n" + first_bad + "\n"), std::string::npos) << show.out;
  // key_field: order_uid keys the file source's records; a line that is not JSON has no key.
  EXPECT_TRUE(std::regex_search(show.out, std::regex("\nkey +dl-0\n"))) << show.out;
  auto not_json = cli({"dead-letters", "show", all["letters"][3]["id"].dump()});
  ASSERT_EQ(not_json.code, 0) << not_json.err;
  EXPECT_EQ(not_json.out.find("\nkey"), std::string::npos) << "a line that is not JSON has no key\n" << not_json.out;

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
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"dead-letters", "show", id}, {"dead-letters", "list"}}) {
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
  write_file(dir_ / "p.yaml", pipeline({.max_bytes = "65536", .rest_extra = "", .admin_extra = ""}));
  auto applied = cli({"reload"});
  EXPECT_EQ(applied.code, 0) << applied.err;
  EXPECT_NE(applied.out.find("reload #1: applied"), std::string::npos) << applied.out;

  // An unknown key on line 8 (order_validate's config).
  std::string broken = pipeline({.max_bytes = "65536, max_byts: 5", .rest_extra = "", .admin_extra = ""});
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

  write_file(dir_ / "p.yaml", pipeline({.max_bytes = "65536", .rest_extra = "", .admin_extra = ""}));
  auto plain = cli({"reload"});
  EXPECT_NE(plain.out.find("validate.max_bytes 1048576 -> 65536"), std::string::npos) << plain.out;
  EXPECT_NE(config_hash(metrics()), hash_before) << "a plain edit moves the hash";
}

}  // namespace
}  // namespace sluice::test
