// sluice tap STAGE: the records passing a stage of a running pipeline, one JSON object a line
// (NDJSON), once --limit records passed or --for seconds (admin API, /admin/tap; the server
// answers when the tap ends, see the README's Operating Sluice).
#include <algorithm>
#include <iostream>
#include <string>

#include "admin_client.hpp"
#include "commands.hpp"

namespace sluice::cli {
namespace {

std::string waiting_line(const std::string& stage, int seconds, int limit) {
  return "tapping '" + stage + "' for up to " + std::to_string(seconds) + " s or " + std::to_string(limit) +
         (limit == 1 ? " record" : " records") + "; records print when the tap ends (Ctrl-C to stop)\n";
}

}  // namespace

Command add_tap_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand("tap",
                                 "Print the records passing a stage of a running pipeline as NDJSON once "
                                 "--limit passed or --for ended (stages: source, a transform or sink id, "
                                 "dead_letter; see `sluice status`)");
  auto target = std::make_shared<AdminTarget>();
  auto stage = std::make_shared<std::string>();
  auto limit = std::make_shared<int>(100);
  auto seconds = std::make_shared<int>(30);
  auto rate = std::make_shared<int>(200);
  cmd->add_option("stage", *stage, "Stage to watch")->required();
  cmd->add_option("-n,--limit", *limit, "Records to show (at most 10000)")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--for", *seconds, "Seconds to watch at most (at most 600)")
      ->capture_default_str()
      ->check(CLI::Range(1, 600));
  cmd->add_option("--rate", *rate, "Records per second shown at most; more are counted as dropped")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  auto quiet = std::make_shared<bool>(false);
  cmd->add_flag("-q,--quiet", *quiet, "Print no 'tapping ...' line on stderr at the start");
  add_admin_options(cmd, *target);
  return {cmd, [=]() -> int {
            AdminTarget with_time = *target;
            with_time.timeout_s = std::max(with_time.timeout_s, *seconds + 10);
            AdminClient client(with_time);  // throws on a setup error (no token): no line before it
            // The server answers once the tap ended: without this line a quiet stage is
            // 30 s of nothing (README, Operating Sluice, Tap). stdout stays pure NDJSON.
            if (!*quiet) std::cerr << waiting_line(*stage, *seconds, *limit) << std::flush;
            const std::string path = "/admin/tap?stage=" + url_escape(*stage) + "&limit=" + std::to_string(*limit) +
                                     "&timeout_ms=" + std::to_string(*seconds * 1000) +
                                     "&rate=" + std::to_string(*rate);
            std::size_t lines = 0;
            auto answer = client.stream(path, [&lines](std::string_view chunk) {
              lines += static_cast<std::size_t>(std::count(chunk.begin(), chunk.end(), '\n'));
              std::cout.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
              std::cout.flush();
              return static_cast<bool>(std::cout);
            });
            if (answer.status != 200) return report_failure(client, answer);
            // Cut answers have no end line: say so, or a short output looks like the whole tap.
            if (answer.truncated) {
              std::cerr << "warning: the server cut the tap at its 8 MiB answer limit after " << lines
                        << " record(s), before --limit or --for ended it; ask for fewer records (-n) or a lower "
                           "--rate\n";
            }
            return exit_ok;
          }};
}

}  // namespace sluice::cli
