// A response header whose name and value are decided at run time (Retry-After, the admin
// routes' extra headers): unlike FixedHeader it owns its strings, so it may outlive them.
#pragma once

#include <pistache/http_header.h>

#include <memory>
#include <ostream>
#include <string>

namespace sluice::http {

class OwnedHeader final : public Pistache::Http::Header::Header {
 public:
  OwnedHeader(std::string name, std::string value) : name_(std::move(name)), value_(std::move(value)) {}

  const char* name() const override { return name_.c_str(); }
  void write(std::ostream& stream) const override { stream << value_; }
#ifdef SAFE_HEADER_CAST
  uint64_t hash() const override { return 0; }  // never mistaken for a typed header
#endif

 private:
  std::string name_;
  std::string value_;
};

inline std::shared_ptr<Pistache::Http::Header::Header> owned_header(std::string name, std::string value) {
  return std::make_shared<OwnedHeader>(std::move(name), std::move(value));
}

}  // namespace sluice::http
