#include "http_listener.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace sluice::http {
namespace {

// The quiet time covers a request whose connection was accepted just before the new listener
// took the address over; idle keep-alive connections left after it are closed, as any server may.
constexpr std::chrono::milliseconds drain_quiet{300};
constexpr std::chrono::milliseconds drain_limit{5000};

}  // namespace

HttpListener::HttpListener(const ListenAddress& address, const std::string& owner, const EndpointOptions& options,
                           std::shared_ptr<Pistache::Http::Handler> handler,
                           std::shared_ptr<OpenConnections> connections)
    : handover_(std::make_unique<ListenerHandover>(address, owner)), connections_(std::move(connections)) {
  SigpipeBlocked quiet;  // for the threads Pistache starts here
  auto endpoint = make_endpoint(address, options);
  endpoint->setHandler(std::move(handler));
  handover_->serve(*endpoint);
  endpoint_ = std::move(endpoint);
}

HttpListener::~HttpListener() { close(*spdlog::default_logger(), "http"); }

void HttpListener::finish_if_replaced() {
  if (!endpoint_ || !handover_->taken_over()) return;
  connections_->start_draining();
  connections_->drain(drain_quiet, drain_limit);
}

void HttpListener::close(spdlog::logger& log, const char* api) {
  if (endpoint_) {
    try {
      endpoint_->shutdown();
    } catch (const std::exception& e) {
      log.warn("{}: shutdown: {}", api, e.what());
    }
    endpoint_.reset();  // its destructor joins the accept thread
  }
  handover_.reset();  // after the socket closed: a reload's replacement holds the port until then
}

std::uint16_t HttpListener::port() const { return endpoint_ ? static_cast<std::uint16_t>(endpoint_->getPort()) : 0; }

}  // namespace sluice::http
