// What each /admin URL answers (the operators' side, README.md, "Operating Sluice"): status,
// reload, dead letters (list, show, replay, discard) and the live tap, over the runtime's Admin.
// Like RestRoutes it knows nothing of Pistache; unlike it, it blocks (database, replay, reload), so
// the HTTP layer calls it on an admin thread, never on the event loop, and only after the request's
// admin token was checked.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/admin.hpp"

namespace spdlog {
class logger;
}

namespace sluice::admin {

struct AdminRequest {
  std::string method;                                      // "GET", "POST", "DELETE", ...
  std::string path;                                        // without the query, starts with "/admin/"
  std::vector<std::pair<std::string, std::string>> query;  // percent-decoded, in URL order
  std::string body;
};

// Sends one chunk of a streamed answer; false once the client is gone (stop writing). An
// empty chunk writes nothing: it only asks whether the client is still there.
using ChunkWriter = std::function<bool(std::string_view chunk)>;

struct AdminReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones, e.g. Allow
  // Set for a streamed answer (the tap, NDJSON): the HTTP layer sends the status and headers,
  // then calls it once on the same admin thread, and ends the stream when it returns. `body`
  // is ignored then.
  std::function<void(const ChunkWriter&)> stream;
};

// The requests that wait for the pipeline (a tap until it ends, a replay while sinks retry, a
// reload while it drains): the HTTP layer runs them on threads of their own, so they never
// take the threads that status, listing and discarding need.
bool is_long_running(const AdminRequest& request);

class AdminRoutes {
 public:
  // `admin` may be null (a host without one): every route answers 503 then.
  AdminRoutes(Admin* admin, spdlog::logger& log);

  void handle(const AdminRequest& request, AdminReply& reply) const;

 private:
  void status(AdminReply& reply) const;
  void reload(AdminReply& reply) const;
  // The store, or nullptr with a 404 in `reply`.
  DeadLetterStore* letters(AdminReply& reply) const;
  void list_letters(const AdminRequest& request, AdminReply& reply) const;
  void reasons(AdminReply& reply) const;
  void one_letter(const AdminRequest& request, AdminReply& reply) const;  // GET, DELETE
  void replay(const AdminRequest& request, AdminReply& reply) const;
  void discard(const AdminRequest& request, AdminReply& reply) const;
  void tap(const AdminRequest& request, AdminReply& reply) const;

  Admin* admin_;
  spdlog::logger& log_;
};

}  // namespace sluice::admin
