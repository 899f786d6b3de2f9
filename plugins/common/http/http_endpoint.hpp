// One Pistache listener as every Sluice front end opens it: the limits, TLS when configured,
// SIGPIPE blocked in the threads it starts, and enough open files for its clients.
#pragma once

#include <pistache/endpoint.h>
#include <signal.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "listen_address.hpp"

namespace spdlog {
class logger;
}

namespace sluice::http {

struct EndpointOptions {
  int threads = 1;
  const char* thread_name = "sluice-http";
  std::size_t max_request_bytes = 16384;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds keepalive_timeout{60000};
  std::string tls_cert;  // "" : plain HTTP
  std::string tls_key;
};

// An endpoint initialised with `options`, not yet serving; serve it with a ListenerHandover
// (listener_handover.hpp), which its SO_REUSEPORT on a fixed port is for. Throws on failure (a build of
// Pistache without TLS throws at useSSL).
std::unique_ptr<Pistache::Http::Endpoint> make_endpoint(const ListenAddress& address, const EndpointOptions& options);

// Every client holds one file descriptor, and Pistache has no connection limit: at the usual
// soft limit of 1024 open files (systemd's default for services), about a thousand slow or
// idle clients exhaust it, accept() fails with EMFILE and every new client waits in the
// kernel's backlog until one of them leaves. Raise the soft limit to the hard one, as nginx
// (worker_rlimit_nofile) and Go's runtime do; the hard limit stays the operator's choice.
void raise_open_files_limit(spdlog::logger& log);

// Blocks SIGPIPE in the calling thread while it lives, so the threads Pistache starts meanwhile
// (accept thread, event loops) inherit the blocked mask. Why: with TLS, Pistache writes with
// SSL_accept/SSL_write, which use write() without MSG_NOSIGNAL, and a client that hangs up
// mid-handshake or mid-response raised SIGPIPE and killed the whole process (seen in
// TlsServer.IdleAndImpatientClientsNeitherStopNorKillTheServer). A blocked SIGPIPE leaves write()
// failing with EPIPE, which Pistache handles; the process-wide disposition stays untouched.
class SigpipeBlocked {
 public:
  SigpipeBlocked();
  ~SigpipeBlocked();
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  sigset_t before_{};
};

}  // namespace sluice::http
