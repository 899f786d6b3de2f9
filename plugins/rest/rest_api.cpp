#include "rest_api.hpp"

#include <pistache/endpoint.h>
#include <spdlog/spdlog.h>
#include <pthread.h>
#include <sys/resource.h>

#include <csignal>

#include <algorithm>

#include "admin_http.hpp"
#include "auth_gate.hpp"
#include "http_handler.hpp"
#include "http_metrics.hpp"
#include "lookup_executor.hpp"
#include "order_lookup.hpp"
#include "private_file.hpp"
#include "rest_routes.hpp"
#include "static_files.hpp"
#include "token_sources.hpp"

namespace sluice::rest {

using namespace Pistache;

namespace {

// Every client holds one file descriptor, and Pistache has no connection limit: at the usual
// soft limit of 1024 open files (systemd's default for services), about a thousand slow or
// idle clients exhaust it, accept() fails with EMFILE and every new client waits in the
// kernel's backlog until one of them leaves. Raise the soft limit to the hard one, as nginx
// (worker_rlimit_nofile) and Go's runtime do; the hard limit stays the operator's choice.
void raise_open_files_limit(ApiHost& host) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = std::min<rlim_t>(limit.rlim_max, rlim_t{1} << 20);
  if (limit.rlim_cur >= wanted) return;
  const rlim_t before = limit.rlim_cur;
  limit.rlim_cur = wanted;
  if (::setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    host.log().info("open files limit raised from {} to {} (one per HTTP client)", before, wanted);
  }
}

const char* scheme(const RestSettings& settings) { return settings.tls() ? "https" : "http"; }

// One Pistache endpoint with the shared limits, TLS when configured. Throws on failure.
std::unique_ptr<Http::Endpoint> make_endpoint(const RestSettings& settings, const ListenAddress& address,
                                              int threads, const char* thread_name) {
  auto endpoint = std::make_unique<Http::Endpoint>(Address(address.host, Port(address.port)));
  auto options = Http::Endpoint::options()
                     .threads(threads)
                     .threadsName(thread_name)
                     .flags(Tcp::Options::ReuseAddr | Tcp::Options::NoDelay)
                     .maxRequestSize(settings.max_request_bytes)
                     .headerTimeout(settings.header_timeout)
                     .bodyTimeout(settings.header_timeout)
                     .keepaliveTimeout(settings.keepalive_timeout);
  endpoint->init(options);
  // Debian's libpistache is built with PISTACHE_USE_SSL (it links libssl); a build without
  // it throws here, which start() reports.
  if (settings.tls()) endpoint->useSSL(settings.tls_cert, settings.tls_key);
  return endpoint;
}

// Blocks SIGPIPE in the calling thread while it lives, so the threads Pistache starts meanwhile
// (accept thread, event loops) inherit the blocked mask. Why: with TLS, Pistache writes with
// SSL_accept/SSL_write, which use write() without MSG_NOSIGNAL, and a client that hangs up
// mid-handshake or mid-response raised SIGPIPE and killed the whole process (seen in
// TlsServer.IdleAndImpatientClientsNeitherStopNorKillTheServer). A blocked SIGPIPE leaves write()
// failing with EPIPE, which Pistache handles; the process-wide disposition stays untouched.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe, &before_);
  }
  ~SigpipeBlocked() { ::pthread_sigmask(SIG_SETMASK, &before_, nullptr); }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  sigset_t before_{};
};

}  // namespace

RestApi::RestApi(const Config& config, ApiHost& host) : settings_(parse_settings(config)), host_(host) {}

RestApi::~RestApi() { stop(); }

Status RestApi::start() {
  if (endpoint_) return Status::ok();
  raise_open_files_limit(host_);

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
    return Status::fatal(key_error);
  }
  TokenSet tokens;
  std::string token_error;
  if (!load_tokens(settings_, host_.log(), tokens, token_error)) return Status::fatal(token_error);
  if (settings_.read_needs_token() && tokens.empty()) {
    const std::string env = settings_.tokens_env.empty() ? std::string("tokens_env") : settings_.tokens_env;
    return Status::fatal("rest: read_auth is token (the default) but no token is configured: set " + env +
                         "=read:<token of 16+ characters> or a tokens_file, or write read_auth: open to "
                         "let anyone who knows an order id read it (README, \"Authentication\")");
  }
  if (!settings_.read_needs_token() && !is_loopback(settings_.listen)) {
    host_.log().warn("read_auth is open on {}: anyone who can reach it and knows an order id reads the "
                     "customer's name, address and payment; set read_auth: token (README, \"Authentication\")",
                     format_listen_address(settings_.listen));
  }
  const bool admin_api = tokens.has_admin();
  // A gate per listener: each has its own failure buckets, so failed guesses on the public
  // port (from behind a NAT, say) never lock the operator out of the admin port.
  const AuthLimiter::Options limits{settings_.auth_failures_burst, settings_.auth_failures_refill};
  const TrustedProxies trusted(settings_.trusted_proxies);
  auto admin_gate = std::make_shared<AuthGate>(tokens, limits, host_.metrics(), trusted);
  auto gate = std::make_shared<AuthGate>(std::move(tokens), limits, host_.metrics(), trusted);
  gate_ = gate;
  StaticFiles admin_files = files;
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
  try {
    SigpipeBlocked quiet;  // for the threads Pistache starts here
    auto endpoint = make_endpoint(settings_, settings_.listen, settings_.threads, "sluice-rest");
    endpoint->setHandler(Http::make_handler<HttpHandler>(std::move(routes), metrics_, executor_, gate));
    endpoint->serveThreaded();
    endpoint_ = std::move(endpoint);
  } catch (const std::exception& e) {
    executor_->stop();
    executor_.reset();
    return Status::fatal("rest: cannot listen on " + settings_.listen.host + ":" +
                         std::to_string(settings_.listen.port) + ": " + e.what());
  }
  host_.log().info("REST listening on {}://{}:{} with {} thread(s), {} lookup thread(s){}, read_auth {}",
                   scheme(settings_), settings_.listen.host, port(), settings_.threads, settings_.lookup_threads,
                   why.empty() ? " (page from " + files_root.string() + ")" : " (no page)", settings_.read_auth);
  if (!admin_api) {
    host_.log().info("no admin token configured: the admin API is off");
    return Status::ok();
  }
  admin_gate_ = admin_gate;
  Status admin = start_admin(admin_gate, std::move(admin_files));
  if (!admin.is_ok()) stop();
  return admin;
}

Status RestApi::start_admin(const std::shared_ptr<AuthGate>& gate, StaticFiles files) {
  auto shared = std::make_shared<AdminShared>();
  shared->routes = std::make_shared<const AdminRoutes>(host_.admin(), host_.log());
  shared->gate = gate;
  // Admin requests wait for the database, a replay or a reload: a longer queue wait than
  // lookups, and a short queue (operators, not traffic).
  admin_executor_ = std::make_shared<LookupExecutor>(
      LookupExecutor::Options{settings_.admin_threads, 64, std::chrono::seconds(30)}, nullptr);
  shared->executor = admin_executor_;
  // Taps, replays and reloads: as many threads again, and a queue as short as the operators.
  admin_long_executor_ = std::make_shared<LookupExecutor>(
      LookupExecutor::Options{settings_.admin_threads, 8, std::chrono::seconds(30)}, nullptr);
  shared->long_executor = admin_long_executor_;
  shared->files = std::make_shared<const StaticFiles>(std::move(files));
  shared->http_metrics = metrics_;
  shared->metrics = &host_.metrics();
  shared->serves_metrics = settings_.metrics_on_admin();
  shared->metrics_need_token = settings_.read_needs_token();
  shared->allowed_hosts = AllowedHosts(settings_.allowed_hosts);
  shared->connections = std::make_shared<const CappedSlots>(
      static_cast<std::size_t>(settings_.admin_max_connections),
      &host_.metrics().gauge("sluice_admin_connections", "Connections open on the admin listener"));
  admin_stopping_ = shared->stopping;
  try {
    SigpipeBlocked quiet;
    // Pistache 0.0.5 times a busy connection with the header timeout from the moment its
    // request is handed over, and an idle one with the keep-alive timeout. Admin answers are
    // late by design (a tap answers when it ends, up to 10 minutes; a reload waits up to 60 s),
    // so an authenticated request is marked idle (admin_http.hpp) and the keep-alive timeout
    // allows the longest tap; the header timeout, all an unauthenticated client gets, is short.
    RestSettings admin_settings = settings_;
    admin_settings.header_timeout =
        std::min<std::chrono::milliseconds>(settings_.header_timeout, std::chrono::seconds(5));
    admin_settings.keepalive_timeout =
        std::max<std::chrono::milliseconds>(settings_.keepalive_timeout, std::chrono::minutes(11));
    auto endpoint = make_endpoint(admin_settings, settings_.admin_listen, 1, "sluice-admin");
    endpoint->setHandler(Http::make_handler<AdminHttpHandler>(std::move(shared)));
    endpoint->serveThreaded();
    admin_endpoint_ = std::move(endpoint);
  } catch (const std::exception& e) {
    return Status::fatal("rest: cannot listen on admin_listen " + format_listen_address(settings_.admin_listen) +
                         ": " + e.what());
  }
  host_.log().info("admin API listening on {}://{}:{} with {} admin thread(s)", scheme(settings_),
                   settings_.admin_listen.host, admin_port(), settings_.admin_threads);
  return Status::ok();
}

void RestApi::stop() {
  if (admin_endpoint_) {
    admin_stopping_->store(true);
    admin_executor_->stop();  // running admin requests finish and send first
    admin_long_executor_->stop();
    try {
      admin_endpoint_->shutdown();
    } catch (const std::exception& e) {
      host_.log().warn("rest: admin shutdown: {}", e.what());
    }
    admin_endpoint_.reset();
  }
  if (admin_executor_) admin_executor_->stop();
  if (admin_long_executor_) admin_long_executor_->stop();
  admin_executor_.reset();
  admin_long_executor_.reset();
  if (!endpoint_) return;
  // First the lookups: queued ones are answered 503, running ones finish and send while the
  // endpoint still exists. Requests arriving meanwhile are refused by the stopped executor.
  executor_->stop();
  try {
    endpoint_->shutdown();
  } catch (const std::exception& e) {
    host_.log().warn("rest: shutdown: {}", e.what());
  }
  // The destructor joins the accept thread; shutdown() already joined the workers.
  endpoint_.reset();
  executor_.reset();
  gate_.reset();
  admin_gate_.reset();
}

Status RestApi::refresh() {
  if (!endpoint_ || !gate_) return Status::ok();
  TokenSet tokens;
  std::string error;
  if (!load_tokens(settings_, host_.log(), tokens, error)) return Status::fatal(error + "; the previous tokens stay");
  if (settings_.read_needs_token() && tokens.empty()) {
    return Status::fatal("rest: read_auth is token but no token is left; the previous tokens stay");
  }
  if (admin_gate_ && !tokens.has_admin()) {
    host_.log().warn("no admin token left: every /admin request is refused until one is added");
  } else if (!admin_gate_ && tokens.has_admin()) {
    host_.log().warn("an admin token was added: the admin listener opens at the next start of this API");
  }
  const std::size_t count = tokens.size();
  if (admin_gate_) admin_gate_->replace_tokens(tokens);
  gate_->replace_tokens(std::move(tokens));
  host_.log().info("tokens read again: {} token(s)", count);
  return Status::ok();
}

std::uint16_t RestApi::port() const {
  return endpoint_ ? static_cast<std::uint16_t>(endpoint_->getPort()) : 0;
}

std::uint16_t RestApi::admin_port() const {
  return admin_endpoint_ ? static_cast<std::uint16_t>(admin_endpoint_->getPort()) : 0;
}

}  // namespace sluice::rest
