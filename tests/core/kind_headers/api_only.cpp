// An API plugin that includes only its kind's header (see transform_only.cpp).
#include "sluice/api.hpp"

namespace {

class Silent final : public sluice::Api {
 public:
  static constexpr const char* plugin_description = "serves nothing";
  static constexpr sluice_config_key plugin_keys[] = {{"note", sluice_key_string, 0, nullptr, "unused", 0}};
  Silent(const sluice::Config&, sluice::ApiHost&) {}
  sluice::Status start() override { return sluice::Status::ok(); }
  void stop() override {}
};

}  // namespace

SLUICE_PLUGIN(silent, api, Silent)
