#include "http_reply.hpp"

#include <charconv>
#include <memory>

#include "auth_gate.hpp"
#include "fixed_header.hpp"
#include "owned_header.hpp"

namespace sluice::rest {

using namespace Pistache;

namespace {

// X-Sluice-Version carries a number that changes with every answer. One object per thread is
// reused while no response still holds it (Pistache serialises headers inside send(), so
// the count drops back to one as soon as the previous response is gone).
class VersionHeader final : public Http::Header::Header {
 public:
  const char* name() const override { return "X-Sluice-Version"; }
  void write(std::ostream& stream) const override { stream.write(text_, length_); }
#ifdef SAFE_HEADER_CAST
  uint64_t hash() const override { return 0; }
#endif
  void set(std::int64_t version) {
    auto [end, ec] = std::to_chars(text_, text_ + sizeof text_, version);
    length_ = ec == std::errc() ? end - text_ : 0;
  }

 private:
  char text_[24]{};
  std::ptrdiff_t length_ = 0;
};

std::shared_ptr<Http::Header::Header> version_header(std::int64_t version) {
  thread_local std::shared_ptr<VersionHeader> reusable;
  if (!reusable || reusable.use_count() != 1) reusable = std::make_shared<VersionHeader>();
  reusable->set(version);
  return reusable;
}

}  // namespace

SourceHeaders::SourceHeaders(const OrderLookup& lookup) {
  ids_.reserve(lookup.chain().size());  // no reallocation: headers point into the strings
  for (const auto& entry : lookup.chain()) ids_.push_back(entry.id);
  for (const auto& id : ids_) headers_.push_back(std::make_shared<FixedHeader>("X-Sluice-Source", id.c_str()));
}

const std::shared_ptr<Http::Header::Header>* SourceHeaders::get(std::size_t source) const {
  return source < headers_.size() ? &headers_[source] : nullptr;
}

Async::Promise<ssize_t> send_reply(const Reply& reply, Http::ResponseWriter& response, const SourceHeaders& sources,
                                   HttpMetrics& metrics, std::chrono::steady_clock::time_point started) {
  auto& headers = response.headers();
  headers.add(fixed_header("Content-Type", reply.content_type));
  if (reply.method_not_allowed) headers.add(fixed_header("Allow", "GET"));
  // Every answer: a browser never guesses a type (an order's JSON is never run as a script).
  headers.add(fixed_header("X-Content-Type-Options", "nosniff"));
  if (reply.static_file) {
    // The page changes with the build and has no version in its URLs: always revalidate.
    headers.add(fixed_header("Cache-Control", "no-cache"));
    headers.add(fixed_header("Content-Security-Policy", page_csp));
  }
  if (const auto* source = sources.get(reply.source)) headers.add(*source);
  if (reply.version > 0) headers.add(version_header(reply.version));
  if (reply.stale) headers.add(fixed_header("X-Sluice-Stale", "true"));
  if (reply.auth_challenge) headers.add(fixed_header("WWW-Authenticate", bearer_challenge));
  if (reply.retry_after > 0) headers.add(owned_header("Retry-After", std::to_string(reply.retry_after)));
  // Counted before the answer leaves: a client that has read it and asks /metrics next (from a
  // listener thread while this one is a lookup thread) always finds it counted.
  metrics.record(reply.route, reply.status, std::chrono::steady_clock::now() - started);
  return response.send(static_cast<Http::Code>(reply.status), reply.body);
}

}  // namespace sluice::rest
