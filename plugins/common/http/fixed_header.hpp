// A response header whose name and value are string literals, written verbatim.
//
// Pistache writes only typed headers (raw ones are for requests), and its MediaType turns
// "text/plain; version=0.0.4" into something else when it re-serialises parameters. This
// header writes exactly what it was given, and since it never changes, one instance per value
// is shared by every response: adding it costs a reference count, not an allocation.
#pragma once

#include <pistache/http_header.h>

#include <memory>
#include <ostream>

namespace sluice::http {

class FixedHeader final : public Pistache::Http::Header::Header {
 public:
  FixedHeader(const char* name, const char* value) : name_(name), value_(value) {}

  const char* name() const override { return name_; }
  void write(std::ostream& stream) const override { stream << value_; }
#ifdef SAFE_HEADER_CAST
  // Never equal to a typed header's hash: header_cast<ContentType> on this object must fail
  // rather than reinterpret it as a class it is not.
  uint64_t hash() const override { return 0; }
#endif

 private:
  const char* name_;
  const char* value_;
};

// The shared instance for a (name, value) pair of string literals; per thread, so no lock.
const std::shared_ptr<Pistache::Http::Header::Header>& fixed_header(const char* name, const char* value);

}  // namespace sluice::http
