// A sink plugin that includes only its kind's header (see transform_only.cpp).
#include "sluice/sink.hpp"

namespace {

class Discard final : public sluice::Sink {
 public:
  static constexpr const char* plugin_description = "keeps nothing";
  static constexpr sluice_config_key plugin_keys[] = {{"note", sluice_key_string, 0, nullptr, "unused", 0}};
  Discard(const sluice::Config&, sluice::SinkHost&) {}
  sluice::Status open() override { return sluice::Status::ok(); }
  sluice::Status write(sluice::Batch&, sluice::Outcome&) override { return sluice::Status::ok(); }
};

}  // namespace

SLUICE_PLUGIN(discard, sink, Discard)
