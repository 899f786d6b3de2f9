#include "rest_api.hpp"

#include <pistache/endpoint.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>

#include "http_handler.hpp"
#include "http_metrics.hpp"
#include "lookup_executor.hpp"
#include "order_lookup.hpp"
#include "rest_routes.hpp"
#include "static_files.hpp"

namespace sluice::rest {

using namespace Pistache;

namespace {

// Every client holds one file descriptor, and Pistache has no connection limit: at the usual
// soft limit of 1024 open files (systemd's default for services), about a thousand slow or
// idle clients exhaust it, accept() fails with EMFILE and every new client waits in the
// kernel's backlog until one of them leaves. Raise the soft limit to the hard one, as nginx
// (worker_rlimit_nofile) and Go's runtime do; the hard limit stays the operator's choice.
void raise_open_files_limit(Host& host) {
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

}  // namespace

RestApi::RestApi(const Config& config, Host& host) : settings_(parse_settings(config)), host_(host) {}

RestApi::~RestApi() { stop(); }

Status RestApi::start() {
  if (endpoint_) return Status::ok();
  raise_open_files_limit(host_);

  std::vector<NamedStore> chain;
  for (const auto& id : settings_.lookup) {
    Store* store = host_.store(id);
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
  auto routes = std::make_shared<const RestRoutes>(settings_, OrderLookup(std::move(chain)), std::move(files),
                                                   host_.metrics(), host_.health(), metrics_);
  executor_ = std::make_shared<LookupExecutor>(
      LookupExecutor::Options{settings_.lookup_threads, settings_.lookup_queue, settings_.lookup_timeout},
      &metrics_->lookup_queue_depth());
  try {
    auto endpoint = std::make_unique<Http::Endpoint>(Address(settings_.listen.host, Port(settings_.listen.port)));
    auto options = Http::Endpoint::options()
                       .threads(settings_.threads)
                       .threadsName("sluice-rest")
                       .flags(Tcp::Options::ReuseAddr | Tcp::Options::NoDelay)
                       .maxRequestSize(settings_.max_request_bytes)
                       .headerTimeout(settings_.header_timeout)
                       .bodyTimeout(settings_.header_timeout)
                       .keepaliveTimeout(settings_.keepalive_timeout);
    endpoint->init(options);
    endpoint->setHandler(Http::make_handler<HttpHandler>(std::move(routes), metrics_, executor_));
    endpoint->serveThreaded();
    endpoint_ = std::move(endpoint);
  } catch (const std::exception& e) {
    executor_->stop();
    executor_.reset();
    return Status::fatal("rest: cannot listen on " + settings_.listen.host + ":" +
                         std::to_string(settings_.listen.port) + ": " + e.what());
  }
  host_.log().info("REST listening on http://{}:{} with {} thread(s), {} lookup thread(s){}",
                   settings_.listen.host, port(), settings_.threads, settings_.lookup_threads, why.empty() ? " (page from " + files_root.string() + ")" : " (no page)");
  return Status::ok();
}

void RestApi::stop() {
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
}

std::uint16_t RestApi::port() const {
  return endpoint_ ? static_cast<std::uint16_t>(endpoint_->getPort()) : 0;
}

}  // namespace sluice::rest
