#include "admin_api.hpp"

#include <pistache/endpoint.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "admin_http.hpp"
#include "auth_gate.hpp"
#include "http_endpoint.hpp"
#include "http_listener.hpp"
#include "http_metrics.hpp"
#include "lookup_executor.hpp"
#include "private_file.hpp"
#include "static_files.hpp"
#include "token_sources.hpp"

namespace sluice::admin {

using namespace Pistache;

namespace {

// Pistache 0.0.5 times a busy connection with the header timeout from the moment its request
// is handed over, and an idle one with the keep-alive timeout. Admin answers are late by
// design (a tap answers when it ends, up to 10 minutes; a reload waits up to 60 s), so an
// authenticated request is marked idle (admin_http.hpp) and the keep-alive timeout allows the
// longest tap; the header timeout, all an unauthenticated client gets, is short.
constexpr std::chrono::minutes longest_admin_answer{11};

EndpointOptions endpoint_options(const AdminSettings& settings) {
  return {1,
          "sluice-admin",
          settings.max_request_bytes,
          settings.header_timeout,
          longest_admin_answer,
          settings.tls_cert,
          settings.tls_key};
}

}  // namespace

AdminApi::AdminApi(const Config& config, ApiHost& host) : settings_(parse_admin_settings(config)), host_(host) {}

AdminApi::~AdminApi() { stop(); }

Status AdminApi::start() {
  if (listener_) return Status::ok();
  std::string key_error;
  if (settings_.tls() && !check_private_file(settings_.tls_key, "tls_key", key_error)) {
    return Status::fatal("admin: " + key_error);
  }
  TokenSet tokens;
  std::string token_error;
  if (!load_tokens(settings_.token_sources(), host_.log(), tokens, token_error)) return Status::fatal(token_error);
  if (!tokens.has_admin()) {
    host_.log().info("no admin token configured: the admin API is off (README, \"Authentication\")");
    return Status::ok();
  }
  raise_open_files_limit(host_.log());
  StaticFiles files;
  std::string why;
  if (!files.open(host_.data_path(settings_.static_dir), &why)) {
    host_.log().warn("{}; the operator page will not be served", why);
  }
  auto shared = std::make_shared<AdminShared>();
  shared->routes = std::make_shared<const AdminRoutes>(host_.admin(), host_.log());
  gate_ = std::make_shared<AuthGate>(
      std::move(tokens), AuthLimiter::Options{settings_.auth_failures_burst, settings_.auth_failures_refill},
      host_.metrics(), TrustedProxies(settings_.trusted_proxies));
  shared->gate = gate_;
  // Admin requests wait for the database, a replay or a reload: a longer queue wait than
  // order lookups, and a short queue (operators, not traffic).
  executor_ = std::make_shared<LookupExecutor>(LookupExecutor::Options{settings_.threads, 64, std::chrono::seconds(30)},
                                               nullptr);
  shared->executor = executor_;
  // Taps, replays and reloads: as many threads again, and a queue as short as the operators.
  long_executor_ = std::make_shared<LookupExecutor>(
      LookupExecutor::Options{settings_.threads, 8, std::chrono::seconds(30)}, nullptr);
  shared->long_executor = long_executor_;
  shared->files = std::make_shared<const StaticFiles>(std::move(files));
  shared->http_metrics = std::make_shared<HttpMetrics>(host_.metrics());
  shared->metrics = &host_.metrics();
  shared->serves_metrics = settings_.metrics;
  shared->metrics_need_token = settings_.metrics_need_token();
  shared->allowed_hosts = AllowedHosts(settings_.allowed_hosts);
  shared->connections = std::make_shared<const CappedSlots>(
      static_cast<std::size_t>(settings_.max_connections),
      &host_.metrics().gauge("sluice_admin_connections", "Connections open on the admin listener"));
  stopping_ = shared->stopping;
  auto connections = shared->open_connections;
  try {
    listener_ =
        std::make_unique<HttpListener>(settings_.listen, host_.log().name(), endpoint_options(settings_),
                                       Http::make_handler<AdminHttpHandler>(std::move(shared)), std::move(connections));
  } catch (const std::exception& e) {
    stop();
    return Status::fatal("admin: cannot listen on " + format_listen_address(settings_.listen) + ": " + e.what());
  }
  host_.log().info("admin API listening on {}://{}:{} with {} admin thread(s){}", settings_.tls() ? "https" : "http",
                   settings_.listen.host, port(), settings_.threads, why.empty() ? "" : " (no operator page)");
  return Status::ok();
}

void AdminApi::stop() {
  // A reload's new listener took the address over: the requests on their way here first.
  if (listener_) listener_->finish_if_replaced();
  if (stopping_) stopping_->store(true);
  // Running admin requests finish and send first, while the endpoint still exists.
  if (executor_) executor_->stop();
  if (long_executor_) long_executor_->stop();
  if (listener_) listener_->close(host_.log(), "admin");
  listener_.reset();
  executor_.reset();
  long_executor_.reset();
  gate_.reset();
}

Status AdminApi::refresh() {
  TokenSet tokens;
  std::string error;
  if (!load_tokens(settings_.token_sources(), host_.log(), tokens, error)) {
    return Status::fatal(error + "; the previous tokens stay");
  }
  if (!gate_) {
    if (tokens.has_admin()) host_.log().warn("an admin token was added: the admin API opens at its next start");
    return Status::ok();
  }
  if (!tokens.has_admin()) host_.log().warn("no admin token left: every /admin request is refused until one is added");
  const std::size_t count = tokens.size();
  gate_->replace_tokens(std::move(tokens));
  host_.log().info("admin: tokens read again: {} token(s)", count);
  return Status::ok();
}

std::uint16_t AdminApi::port() const { return listener_ ? listener_->port() : 0; }

}  // namespace sluice::admin
