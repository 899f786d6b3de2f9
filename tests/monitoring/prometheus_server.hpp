// A throwaway Prometheus (the Debian `prometheus` binary) for the monitoring test: a generated
// config scraping one target every second, the given rule files, storage in a scratch folder,
// the web API on a free port of 127.0.0.1. Stopped by its pid when the object goes away.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace sluice::test {

class PrometheusServer {
 public:
  struct Options {
    std::string name = "prometheus";  // scratch folder
    std::string job = "sluice";       // the job the alert rules name
    std::string target;               // host:port serving /metrics
    std::vector<std::filesystem::path> rule_files;
  };
  // Starts Prometheus and waits (up to 30 s) until /-/ready answers 200; throws
  // std::runtime_error with its log if it does not get there.
  explicit PrometheusServer(Options options);
  ~PrometheusServer();
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  int port() const { return port_; }
  // GET path (with query parameters, encoded here) on the API; the JSON answer, or a
  // {"status":"transport_error","error":...} object when nothing (or no JSON) came back.
  nlohmann::json get(const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& params = {}) const;
  // /api/v1/query?query=EXPR at the current time.
  nlohmann::json query(const std::string& expr) const { return get("/api/v1/query", {{"query", expr}}); }
  // SIGTERM, then SIGKILL after 10 s. Idempotent.
  void stop();
  std::string log() const;  // the last part of its stderr

 private:
  Options options_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace sluice::test
