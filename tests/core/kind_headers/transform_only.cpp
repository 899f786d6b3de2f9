// A complete transform plugin that includes only its kind's header: it must compile (the
// macro instantiates with the host and interface that header declares) without pulling in
// the opt-in headers (kind_headers_test.sh checks the include list).
#include "sluice/transform.hpp"

namespace {

class Passthrough final : public sluice::Transform {
 public:
  static constexpr const char* plugin_description = "passes every record through";
  static constexpr sluice_config_key plugin_keys[] = {{"note", sluice_key_string, 0, nullptr, "unused", 0}};
  Passthrough(const sluice::Config&, sluice::Host& host) { host.metrics(); }
  sluice::Status apply(sluice::Batch&, sluice::Outcome&) override { return sluice::Status::ok(); }
};

}  // namespace

SLUICE_PLUGIN(passthrough, transform, Passthrough)
