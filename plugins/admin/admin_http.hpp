// The admin listener's Pistache handler: /admin/... (admin token), /healthz, /metrics when
// `metrics: true`, and the page folder (the operator page, same origin as the API).
//
// Admin requests block (database, replay, reload), so they never run on Pistache's event
// loop: the handler checks the token there, then hands an AdminRequest to the admin threads
// (a LookupExecutor of its own), which call AdminRoutes and send the answer. A tap, a replay
// and a reload wait for the pipeline: they get threads of their own (long_executor), so two of
// them never leave a status request without a thread.
//
// Timeouts (plugins/admin/README.md, "Timeouts and connections"): a connection must send its request head within the
// short header timeout (Pistache's, at most 5 s here), so a client stalling before it
// authenticated holds nothing for long. A request that passed the admin token is marked
// idle while an admin thread works on it, so the listener's long keep-alive timeout (11
// minutes: the longest tap) applies to it instead. Every answer that is not an authenticated
// admin answer closes its connection, so only authenticated clients hold idle connections.
//
// Streamed answers (AdminReply::stream) are buffered and sent as one response: in Pistache
// 0.0.5 ResponseStream::flush() calls Transport::flush() -> handleWriteQueue(true) on the
// calling thread, which reads the transport's peer map and writes to the socket (SSL_write
// with TLS) without a lock while the event loop may be doing the same. ResponseWriter::send()
// only pushes onto the transport's thread-safe write queue, so it is safe from any thread.
#pragma once

#include <pistache/http.h>

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "admin_routes.hpp"
#include "allowed_hosts.hpp"
#include "auth_gate.hpp"
#include "capped_slots.hpp"
#include "http_metrics.hpp"
#include "lookup_executor.hpp"
#include "open_connections.hpp"
#include "shared_http.hpp"
#include "static_files.hpp"

namespace sluice {
class Metrics;
}

namespace sluice::admin {

// What every clone of the handler shares.
struct AdminShared {
  std::shared_ptr<const AdminRoutes> routes;
  std::shared_ptr<AuthGate> gate;
  std::shared_ptr<LookupExecutor> executor;
  // The long-running requests (is_long_running), on threads of their own; null: `executor`.
  std::shared_ptr<LookupExecutor> long_executor;
  std::shared_ptr<const StaticFiles> files;
  std::shared_ptr<HttpMetrics> http_metrics;
  Metrics* metrics = nullptr;
  bool serves_metrics = false;      // metrics: true
  bool metrics_need_token = false;  // metrics_auth: token
  AllowedHosts allowed_hosts;       // Host header check (DNS rebinding)
  // One slot per open connection (max_connections): over the cap, closed at once.
  std::shared_ptr<const CappedSlots> connections;
  // The open connections, which a listener a reload replaced finishes before it closes.
  std::shared_ptr<OpenConnections> open_connections = std::make_shared<OpenConnections>();
  // Set by stop(): a streamed answer still running ends at its next chunk.
  std::shared_ptr<std::atomic<bool>> stopping = std::make_shared<std::atomic<bool>>(false);
};

// A streamed answer larger than this is cut off (the writer returns false): it is buffered.
inline constexpr std::size_t max_buffered_stream = 8 * 1024 * 1024;

class AdminHttpHandler : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(AdminHttpHandler)

  explicit AdminHttpHandler(std::shared_ptr<const AdminShared> shared) : shared_(std::move(shared)) {}

  void onRequest(const Pistache::Http::Request& request, Pistache::Http::ResponseWriter response) override;
  // Takes a connection slot, or closes the connection at once when none is left.
  void onConnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;

 private:
  std::shared_ptr<const AdminShared> shared_;
};

// The query as AdminRequest wants it: names and values percent-decoded, sorted by name.
// Pistache 0.0.5 keeps the query in an unordered map, so the URL order is already lost (and a
// repeated name kept one value); sorting at least makes the order stable. False on a
// malformed escape (400).
bool decode_query(std::vector<std::pair<std::string, std::string>> raw,
                  std::vector<std::pair<std::string, std::string>>& out);

}  // namespace sluice::admin
