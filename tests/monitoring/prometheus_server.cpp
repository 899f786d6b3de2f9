#include "prometheus_server.hpp"

#include <httplib.h>
#include <signal.h>

#include <stdexcept>

namespace sluice::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

PrometheusServer::PrometheusServer(Options options) : options_(std::move(options)) {
  const fs::path dir = scratch_dir(options_.name);
  port_ = free_port();
  std::string config =
      "global:\n"
      "  scrape_interval: 1s\n"
      "  scrape_timeout: 1s\n"
      "  evaluation_interval: 1s\n"
      "rule_files:\n";
  for (const auto& file : options_.rule_files) config += "  - " + nlohmann::json(file.string()).dump() + "\n";
  config +=
      "scrape_configs:\n"
      "  - job_name: " +
      options_.job +
      "\n"
      "    metrics_path: /metrics\n"
      "    static_configs:\n"
      "      - targets: [" +
      nlohmann::json(options_.target).dump() + "]\n";
  write_file(dir / "prometheus.yml", config);
  process_ = std::make_unique<Process>(
      std::vector<std::string>{find_on_path("prometheus"), "--config.file=" + (dir / "prometheus.yml").string(),
                               "--storage.tsdb.path=" + (dir / "data").string(), "--storage.tsdb.retention.time=1h",
                               "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=warn"});
  auto ready = wait_while_running(
      *process_,
      [&] {
        httplib::Client client("127.0.0.1", port_);
        client.set_connection_timeout(1);
        auto answer = client.Get("/-/ready");
        return answer && answer->status == 200;
      },
      30s, 100ms);
  if (!ready) {
    std::string why = std::string(ready.message()) + "\n" + log();
    stop();
    throw std::runtime_error("prometheus did not become ready on port " + std::to_string(port_) + ": " + why);
  }
}

PrometheusServer::~PrometheusServer() { stop(); }

nlohmann::json PrometheusServer::get(const std::string& path,
                                     const std::vector<std::pair<std::string, std::string>>& params) const {
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(2);
  client.set_read_timeout(10);
  httplib::Params query;
  for (const auto& [k, v] : params) query.emplace(k, v);
  auto answer = client.Get(path, query, httplib::Headers{});
  if (!answer) return {{"status", "transport_error"}, {"error", httplib::to_string(answer.error())}};
  auto body = nlohmann::json::parse(answer->body, nullptr, false);
  if (body.is_discarded()) {
    return {{"status", "transport_error"}, {"error", "HTTP " + std::to_string(answer->status) + ": " + answer->body}};
  }
  return body;
}

void PrometheusServer::stop() {
  if (!process_ || !process_->running()) return;
  process_->signal(SIGTERM);
  if (!process_->wait(10s)) process_->kill();
}

std::string PrometheusServer::log() const {
  if (!process_) return {};
  std::string text = process_->err();
  return text.size() <= 4000 ? text : "..." + text.substr(text.size() - 4000);
}

}  // namespace sluice::test
