#include "rest_api.hpp"

#include <pistache/endpoint.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "auth_gate.hpp"
#include "http_endpoint.hpp"
#include "http_handler.hpp"
#include "http_listener.hpp"
#include "http_metrics.hpp"
#include "lookup_executor.hpp"
#include "open_connections.hpp"
#include "order_lookup.hpp"
#include "private_file.hpp"
#include "rest_routes.hpp"
#include "static_files.hpp"
#include "token_sources.hpp"

namespace sluice::rest {

using namespace Pistache;

namespace {

// A replaced listener's connections: finished once idle this long, closed after the limit.

const char* scheme(const RestSettings& settings) { return settings.tls() ? "https" : "http"; }

// The options of a listener of this plugin: the shared limits, TLS when configured.
EndpointOptions endpoint_options(const RestSettings& settings, int threads, const char* thread_name) {
  return {threads,
          thread_name,
          settings.max_request_bytes,
          settings.header_timeout,
          settings.keepalive_timeout,
          settings.tls_cert,
          settings.tls_key};
}

}  // namespace

RestApi::RestApi(const Config& config, ApiHost& host) : settings_(parse_settings(config)), host_(host) {}

RestApi::~RestApi() { stop(); }

Status RestApi::start() {
  if (listener_) return Status::ok();
  raise_open_files_limit(host_.log());

  std::vector<NamedStore> chain;
  for (const auto& id : settings_.lookup) {
    StoreReader* store = host_.store_reader(id);
    if (!store) return Status::fatal("rest: lookup names \"" + id + "\", which is not a store sink");
    chain.push_back({id, store});
  }
  if (chain.empty()) host_.log().warn("no lookup stores configured: GET /order/<id> will answer 503");

  StaticFiles files;
  std::string why;
  if (!files.open(host_.data_path(settings_.static_dir), &why)) {
    // The API is still useful without the page, so this is a warning, not a failure.
    host_.log().warn("{}; the web page will not be served", why);
  }

  const std::filesystem::path files_root = files.root();
  if (!metrics_) metrics_ = std::make_shared<HttpMetrics>(host_.metrics());

  std::string key_error;
  if (settings_.tls() && !check_private_file(settings_.tls_key, "tls_key", key_error)) {
    return Status::fatal("rest: " + key_error);
  }
  TokenSet tokens;
  std::string token_error;
  if (!load_tokens(settings_.token_sources(), host_.log(), tokens, token_error)) return Status::fatal(token_error);
  if (settings_.read_needs_token() && tokens.empty()) {
    const std::string env = settings_.tokens_env.empty() ? std::string("tokens_env") : settings_.tokens_env;
    return Status::fatal("rest: read_auth is token (the default) but no token is configured: set " + env +
                         "=read:<token of 16+ characters> or a tokens_file, or write read_auth: open to "
                         "let anyone who knows an order id read it (README, \"Authentication\")");
  }
  if (!settings_.read_needs_token() && !is_loopback(settings_.listen)) {
    host_.log().warn(
        "read_auth is open on {}: anyone who can reach it and knows an order id reads the "
        "customer's name, address and payment; set read_auth: token (README, \"Authentication\")",
        format_listen_address(settings_.listen));
  }
  // Its own failure buckets: failed guesses here (from behind a NAT, say) never lock the
  // operator out of the admin API, which has a gate of its own.
  const AuthLimiter::Options limits{settings_.auth_failures_burst, settings_.auth_failures_refill};
  auto gate =
      std::make_shared<AuthGate>(std::move(tokens), limits, host_.metrics(), TrustedProxies(settings_.trusted_proxies));
  gate_ = gate;
  // The operator page is the admin API's (plugins/admin): never handed out here.
  files.hide("admin.");
  // Read-your-writes positions beyond the end of the source's stream are refused at once.
  StreamEnd stream_end = [&host = host_](const Position& p, std::chrono::milliseconds timeout) {
    return host.source_end_offset(p.stream, p.partition, timeout);
  };
  auto routes = std::make_shared<const RestRoutes>(settings_, OrderLookup(std::move(chain)), std::move(files),
                                                   host_.metrics(), host_.health(), metrics_, std::move(stream_end));
  executor_ = std::make_shared<LookupExecutor>(
      LookupExecutor::Options{settings_.lookup_threads, settings_.lookup_queue, settings_.lookup_timeout},
      &metrics_->lookup_queue_depth());
  auto connections = std::make_shared<OpenConnections>();
  try {
    listener_ = std::make_unique<HttpListener>(
        settings_.listen, host_.log().name(), endpoint_options(settings_, settings_.threads, "sluice-rest"),
        Http::make_handler<HttpHandler>(std::move(routes), metrics_, executor_, gate, connections), connections);
  } catch (const std::exception& e) {
    executor_->stop();
    executor_.reset();
    gate_.reset();
    return Status::fatal("rest: cannot listen on " + settings_.listen.host + ":" +
                         std::to_string(settings_.listen.port) + ": " + e.what());
  }
  host_.log().info("REST listening on {}://{}:{} with {} thread(s), {} lookup thread(s){}, read_auth {}",
                   scheme(settings_), settings_.listen.host, port(), settings_.threads, settings_.lookup_threads,
                   why.empty() ? " (page from " + files_root.string() + ")" : " (no page)", settings_.read_auth);
  return Status::ok();
}

void RestApi::stop() {
  if (!listener_) return;
  // A reload's new listener serves the address now: the requests on their way here first,
  // queued lookups included (at most 5 s).
  listener_->finish_if_replaced();
  // Then the lookups: queued ones (left only by a stop that is not a reload's) are answered
  // 503, running ones finish and send while the endpoint still exists. Requests arriving
  // meanwhile are refused by the stopped executor.
  executor_->stop();
  listener_->close(host_.log(), "rest");
  listener_.reset();
  executor_.reset();
  gate_.reset();
}

Status RestApi::refresh() {
  if (!listener_ || !gate_) return Status::ok();
  TokenSet tokens;
  std::string error;
  if (!load_tokens(settings_.token_sources(), host_.log(), tokens, error))
    return Status::fatal(error + "; the previous tokens stay");
  if (settings_.read_needs_token() && tokens.empty()) {
    return Status::fatal("rest: read_auth is token but no token is left; the previous tokens stay");
  }
  const std::size_t count = tokens.size();
  gate_->replace_tokens(std::move(tokens));
  host_.log().info("tokens read again: {} token(s)", count);
  return Status::ok();
}

std::uint16_t RestApi::port() const { return listener_ ? listener_->port() : 0; }

}  // namespace sluice::rest
