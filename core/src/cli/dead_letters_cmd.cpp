// sluice dead-letters list | show ID | replay | discard: the dead letters of a running
// pipeline, through its admin API (/admin/dead-letters). Replay sends the raw records through
// the pipeline's current transforms and sinks; what every sink stores is retired, what is
// refused again stays with one more attempt and the new reason.
#include <iomanip>
#include <iostream>
#include <limits>

#include "admin_client.hpp"
#include "commands.hpp"
#include "sluice/log_text.hpp"

namespace sluice::cli {

namespace {

std::string text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// What a letter holds came from whoever wrote to the topic: its bytes reach the operator's
// terminal only through sluice::printable (escape sequences such as OSC 52, which writes the
// clipboard, shown as \x1B...), in full. Only `show --raw` prints them as stored.
std::string shown(const nlohmann::json& v) { return printable(text(v), std::numeric_limits<std::size_t>::max()); }

// The payload's bytes exactly as stored: raw_text, else raw_hex decoded.
std::string payload_bytes(const nlohmann::json& l) {
  if (l.contains("raw_text")) return text(l["raw_text"]);
  const std::string h = l.contains("raw_hex") ? text(l["raw_hex"]) : "";
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
  return out;
}

// The selection flags replay and discard share.
struct Selection {
  std::vector<std::int64_t> ids;
  std::string reason, stage, since;
  bool all = false;
  bool dry_run = false;
  std::size_t limit = 0;

  void add_to(CLI::App* cmd) {
    cmd->add_option("--id", ids, "Letter id (repeatable)");
    cmd->add_option("--reason", reason, "Every letter with this reason");
    cmd->add_option("--stage", stage, "Every letter refused by this stage");
    cmd->add_option("--since", since, "Last seen at or after: RFC 3339, Unix ms, or an age like 15m, 2h, 7d");
    cmd->add_flag("--all", all, "Every letter");
    cmd->add_flag("--dry-run", dry_run, "Only say what would be done");
    cmd->add_option("--limit", limit, "At most this many letters (0: no limit)");
  }
  nlohmann::json body() const {
    nlohmann::json out{{"dry_run", dry_run}, {"limit", limit}};
    if (!ids.empty()) out["ids"] = ids;
    if (!reason.empty()) out["reason"] = reason;
    if (!stage.empty()) out["stage"] = stage;
    if (!since.empty()) out["since"] = since;
    if (all) out["all"] = true;
    return out;
  }
  bool empty() const { return ids.empty() && reason.empty() && stage.empty() && since.empty() && !all; }
};

void print_reasons(const nlohmann::json& reasons) {
  std::cout << reasons["total"] << " dead letter(s)";
  if (!reasons["reasons"].empty()) std::cout << ", by reason:";
  std::cout << "\n";
  for (const auto& r : reasons["reasons"]) {
    std::cout << "  " << std::setw(8) << text(r["count"]) << "  " << shown(r["reason"]) << "\n";
  }
}

void print_letters(const nlohmann::json& letters) {
  std::cout << std::left << std::setw(8) << "ID" << std::setw(26) << "LAST SEEN" << std::setw(22) << "REASON"
            << std::setw(22) << "POINTER" << std::setw(16) << "STAGE" << std::setw(22) << "POSITION" << std::setw(9)
            << "ATTEMPTS"
            << "BYTES\n";
  for (const auto& l : letters) {
    std::cout << std::setw(8) << text(l["id"]) << std::setw(26) << shown(l["last_seen"]) << std::setw(22)
              << shown(l["reason"]) << std::setw(22) << (text(l["pointer"]).empty() ? "/" : shown(l["pointer"]))
              << std::setw(16) << shown(l["stage"]) << std::setw(22)
              << shown(l["stream"]) + "/" + text(l["partition"]) + "@" + text(l["offset"]) << std::setw(9)
              << text(l["attempts"]) << text(l["raw_bytes"]) << "\n";
  }
  std::cout << std::right;
}

void print_letter(const nlohmann::json& l, bool hex) {
  for (const char* field : {"id", "reason", "pointer", "detail", "stage", "attempts", "first_seen", "last_seen",
                            "raw_bytes", "raw_sha256"}) {
    std::cout << std::left << std::setw(12) << field << shown(l[field]) << "\n";
  }
  std::cout << std::setw(12) << "position" << shown(l["stream"]) << "/" << text(l["partition"]) << "@"
            << text(l["offset"]) << "\n";
  // A record without a key (a file source's) has none to show; the page hides it too.
  if (l.contains("key_text") && !text(l["key_text"]).empty()) {
    std::cout << std::setw(12) << "key" << shown(l["key_text"]) << "\n";
  }
  if (l.contains("key_hex")) std::cout << std::setw(12) << "key (hex)" << shown(l["key_hex"]) << "\n";
  std::cout << std::right;
  if (l.value("truncated", false)) {
    std::cout << "payload: only the first " << l["kept_bytes"] << " of " << l["raw_bytes"]
              << " bytes were kept (it cannot be replayed)\n";
  }
  if (l.contains("raw_text") && !hex) {
    std::cout << "payload:\n" << shown(l["raw_text"]) << "\n";
  } else {
    const std::string h = l.contains("raw_hex") ? text(l["raw_hex"]) : "";
    std::cout << "payload (hex):\n";
    if (h.empty() && l.contains("raw_text")) {
      for (unsigned char c : text(l["raw_text"])) std::cout << std::hex << std::setw(2) << std::setfill('0') << int(c);
      std::cout << std::dec << std::setfill(' ') << "\n";
    } else {
      for (std::size_t i = 0; i < h.size(); i += 64) std::cout << "  " << printable(h.substr(i, 64)) << "\n";
    }
  }
}

}  // namespace

Command add_dead_letters_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand("dead-letters",
                                 "Inspect, replay and discard the dead letters of a running "
                                 "pipeline (admin API)");
  cmd->require_subcommand(1);
  auto target = std::make_shared<AdminTarget>();
  add_admin_options(cmd, *target);
  // Subcommand options parsed into shared state; the chosen action runs below.
  auto action = std::make_shared<std::function<int(AdminClient&)>>();

  auto* list = cmd->add_subcommand("list", "The reasons with their counts, then the letters (oldest first)");
  struct ListArgs {
    std::string reason, stage, since, key;
    std::size_t limit = 50;
    bool json = false;
  };
  auto la = std::make_shared<ListArgs>();
  list->add_option("--reason", la->reason, "Only this reason");
  list->add_option("--stage", la->stage, "Only letters refused by this stage");
  list->add_option("--since", la->since, "Last seen at or after: RFC 3339, Unix ms, or an age like 15m, 2h, 7d");
  list->add_option("--key", la->key,
                   "Only letters whose record key is exactly this (an order id: orders are keyed "
                   "by order_uid); 1 to 256 bytes");
  list->add_option("--limit", la->limit, "At most this many letters")->capture_default_str();
  list->add_flag("--json", la->json, "One JSON object: reasons and letters");
  list->callback([=] {
    *action = [la](AdminClient& client) -> int {
      auto reasons = client.get("/admin/dead-letters/reasons");
      if (reasons.status != 200) return report_failure(client, reasons);
      nlohmann::json letters = nlohmann::json::array();
      std::string after = "0";
      while (letters.size() < la->limit) {
        std::string path = "/admin/dead-letters?after=" + after +
                           "&limit=" + std::to_string(std::min<std::size_t>(1000, la->limit - letters.size()));
        if (!la->reason.empty()) path += "&reason=" + url_escape(la->reason);
        if (!la->stage.empty()) path += "&stage=" + url_escape(la->stage);
        if (!la->since.empty()) path += "&since=" + url_escape(la->since);
        if (!la->key.empty()) path += "&key=" + url_escape(la->key);
        auto page = client.get(path);
        if (page.status != 200) return report_failure(client, page);
        auto body = page.json();
        for (auto& l : body["letters"]) letters.push_back(std::move(l));
        if (body["next_after"].is_null()) break;
        after = body["next_after"].dump();
      }
      if (la->json) {
        std::cout << nlohmann::json{{"reasons", reasons.json()["reasons"]}, {"letters", letters}}.dump(2) << "\n";
      } else {
        print_reasons(reasons.json());
        if (!letters.empty()) print_letters(letters);
        if (letters.empty() && !la->key.empty()) {
          std::cout << "no dead letters for key " << printable(la->key, std::numeric_limits<std::size_t>::max())
                    << "\n";
        }
      }
      return exit_ok;
    };
  });

  auto* show = cmd->add_subcommand("show",
                                   "One letter in full: reason, pointer, detail, source position, "
                                   "attempts, first and last seen, and its raw bytes");
  auto id = std::make_shared<std::int64_t>(0);
  auto hex = std::make_shared<bool>(false);
  auto raw = std::make_shared<bool>(false);
  show->add_option("id", *id, "Letter id")->required();
  show->add_flag("--hex", *hex, "Print the payload in hex even when it is text");
  show->add_flag("--raw", *raw,
                 "Print only the payload's bytes, exactly as stored (escape sequences included: redirect it "
                 "to a file, not to a terminal)")
      ->excludes("--hex");
  show->callback([=] {
    *action = [id, hex, raw](AdminClient& client) -> int {
      auto answer = client.get("/admin/dead-letters/" + std::to_string(*id));
      if (answer.status != 200) return report_failure(client, answer);
      if (*raw) {
        std::cout << payload_bytes(answer.json()) << std::flush;
        return exit_ok;
      }
      print_letter(answer.json(), *hex);
      return exit_ok;
    };
  });

  auto replay_sel = std::make_shared<Selection>();
  auto* replay = cmd->add_subcommand("replay",
                                     "Send letters through the pipeline's current transforms and sinks; "
                                     "those stored are retired, those refused again stay");
  replay_sel->add_to(replay);
  replay->callback([=] {
    *action = [replay_sel](AdminClient& client) -> int {
      if (replay_sel->empty()) {
        std::cerr << "error: say which letters: --id, --reason, --stage, --since or --all\n";
        return exit_usage;
      }
      auto answer = client.post("/admin/dead-letters/replay", replay_sel->body());
      auto r = answer.json();
      if (!r.is_object() || !r.contains("matched")) return report_failure(client, answer);
      const bool dry = replay_sel->dry_run;
      std::cout << (dry ? "dry run: " : "") << r["matched"] << " matched, " << r[dry ? "would_replay" : "replayed"]
                << (dry ? " would be replayed, " : " replayed and retired, ") << r["failed"]
                << " refused again (kept, attempts + 1), " << r["skipped"] << " skipped (payload truncated)\n";
      if (r.contains("error")) {
        std::cerr << "error: the replay stopped early: " << text(r["error"]) << "; run it again for the rest\n";
        return exit_failure;
      }
      return exit_ok;
    };
  });

  auto discard_sel = std::make_shared<Selection>();
  auto* discard = cmd->add_subcommand("discard", "Delete letters for good");
  discard_sel->add_to(discard);
  discard->callback([=] {
    *action = [discard_sel](AdminClient& client) -> int {
      if (discard_sel->empty()) {
        std::cerr << "error: say which letters: --id, --reason, --stage, --since or --all\n";
        return exit_usage;
      }
      auto answer = client.post("/admin/dead-letters/discard", discard_sel->body());
      if (answer.status != 200) return report_failure(client, answer);
      auto r = answer.json();
      if (discard_sel->dry_run) {
        std::cout << "dry run: " << r["would_discard"] << " letter(s) would be discarded\n";
      } else {
        std::cout << r["discarded"] << " letter(s) discarded\n";
      }
      return exit_ok;
    };
  });

  return {cmd, [target, action]() -> int {
            AdminClient client(*target);
            return (*action)(client);
          }};
}

}  // namespace sluice::cli
