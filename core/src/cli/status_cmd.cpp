// sluice status [--json] and sluice reload: the running pipeline as its admin API reports it,
// and a reload of its file (what SIGHUP does, for an operator who has no shell on its host).
#include <iostream>

#include "admin_client.hpp"
#include "commands.hpp"

namespace sluice::cli {

namespace {

std::string text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

void print_status(const nlohmann::json& s) {
  std::cout << "pipeline " << text(s["pipeline"]) << " (" << text(s["file"]) << ")\n"
            << "  config hash " << text(s["config_hash"]) << "\n"
            << "  " << (s.value("ready", false) ? "ready" : "NOT READY");
  if (!s["not_ready"].empty()) {
    std::cout << ": ";
    for (std::size_t i = 0; i < s["not_ready"].size(); ++i) std::cout << (i ? ", " : "") << text(s["not_ready"][i]);
  }
  if (s.value("stopping", false)) std::cout << " (stopping)";
  std::cout << "\n  records: " << s["records"]["consumed"] << " consumed, " << s["records"]["stored"] << " stored\n";
  std::cout << "stages:\n";
  for (const auto& st : s["stages"]) {
    std::cout << "  " << text(st["role"]) << " " << text(st["id"]) << ": " << text(st["plugin"]) << " "
              << text(st["version"]) << " from " << text(st["file"]);
    if (st.value("generation", 1) > 1) std::cout << " (reloaded file #" << st["generation"] << ")";
    std::cout << "\n";
  }
  std::cout << "positions (committed next offset, lag):\n";
  if (s["positions"].empty()) std::cout << "  none committed yet\n";
  for (const auto& p : s["positions"]) {
    std::cout << "  " << text(p["stream"]) << "/" << p["partition"] << "  " << p["committed"] << "  "
              << (p["lag"].is_null() ? "-" : p["lag"].dump()) << "\n";
  }
  const auto& r = s["last_reload"];
  if (r.is_null()) {
    std::cout << "last reload: none\n";
  } else {
    std::cout << "last reload: #" << r["number"] << " " << text(r["result"]) << "\n";
    for (const auto& m : r["messages"]) std::cout << "  " << text(m) << "\n";
  }
}

}  // namespace

Command add_status_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand("status",
                                 "Show a running pipeline: stages and their plugin builds, committed "
                                 "positions and lag, readiness, the last reload (admin API)");
  auto target = std::make_shared<AdminTarget>();
  auto json = std::make_shared<bool>(false);
  add_admin_options(cmd, *target);
  cmd->add_flag("--json", *json, "Print the admin API's JSON as it is");
  return {cmd, [target, json]() -> int {
            AdminClient client(*target);
            auto answer = client.get("/admin/status");
            if (answer.status != 200) return report_failure(client, answer);
            auto status = answer.json();
            if (*json) {
              std::cout << status.dump(2) << "\n";
            } else {
              print_status(status);
            }
            return exit_ok;
          }};
}

Command add_reload_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand("reload",
                                 "Make a running pipeline read its file again and switch to it at a "
                                 "batch boundary, as SIGHUP does; prints the outcome (admin API)");
  auto target = std::make_shared<AdminTarget>();
  add_admin_options(cmd, *target);
  return {cmd, [target]() -> int {
            AdminClient client(*target);
            auto answer = client.post("/admin/reload", nlohmann::json::object());
            auto body = answer.json();
            if (!body.is_object() || !body.contains("result")) return report_failure(client, answer);
            std::cout << "reload #" << body["number"] << ": " << text(body["result"]) << "\n";
            for (const auto& m : body["messages"]) std::cout << "  " << text(m) << "\n";
            return answer.status == 200 ? exit_ok : exit_failure;
          }};
}

}  // namespace sluice::cli
