#include "http_endpoint.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>

namespace sluice::http {

using namespace Pistache;

std::unique_ptr<Http::Endpoint> make_endpoint(const ListenAddress& address, const EndpointOptions& options) {
  auto endpoint = std::make_unique<Http::Endpoint>(Address(address.host, Port(address.port)));
  // SO_REUSEPORT on a fixed port: a reload's replacement binds it while this one still serves
  // (listener_handover.hpp). Port 0 gets a new port every time and needs none.
  auto flags = Tcp::Options::ReuseAddr | Tcp::Options::NoDelay;
  if (address.port != 0) flags = flags | Tcp::Options::ReusePort;
  auto pistache = Http::Endpoint::options()
                      .threads(options.threads)
                      .threadsName(options.thread_name)
                      .flags(flags)
                      .maxRequestSize(options.max_request_bytes)
                      .headerTimeout(options.header_timeout)
                      .bodyTimeout(options.header_timeout)
                      .keepaliveTimeout(options.keepalive_timeout);
  endpoint->init(pistache);
  // Debian's libpistache is built with PISTACHE_USE_SSL (it links libssl); a build without
  // it throws here, which start() reports.
  if (!options.tls_cert.empty()) endpoint->useSSL(options.tls_cert, options.tls_key);
  return endpoint;
}

void raise_open_files_limit(spdlog::logger& log) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = std::min<rlim_t>(limit.rlim_max, rlim_t{1} << 20);
  if (limit.rlim_cur >= wanted) return;
  const rlim_t before = limit.rlim_cur;
  limit.rlim_cur = wanted;
  if (::setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    log.info("open files limit raised from {} to {} (one per HTTP client)", before, wanted);
  }
}

SigpipeBlocked::SigpipeBlocked() {
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe, &before_);
}

SigpipeBlocked::~SigpipeBlocked() { ::pthread_sigmask(SIG_SETMASK, &before_, nullptr); }

}  // namespace sluice::http
