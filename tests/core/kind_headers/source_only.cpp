// A source plugin that includes only its kind's header (see transform_only.cpp).
#include "sluice/source.hpp"

namespace {

class Nothing final : public sluice::Source {
 public:
  static constexpr const char* plugin_description = "hands out nothing";
  static constexpr sluice_config_key plugin_keys[] = {{"note", sluice_key_string, 0, nullptr, "unused", 0}};
  Nothing(const sluice::Config&, sluice::SourceHost& host) : host_(host) {}
  sluice::Status open() override { return sluice::Status::ok(); }
  sluice::Status poll(sluice::Batch&, const sluice::PollLimits&) override {
    host_.report_lag("s", 0, 0);
    return sluice::Status::ok();
  }
  sluice::Status idle(std::chrono::milliseconds) override { return sluice::Status::ok(); }
  sluice::Status commit(const std::vector<sluice::Position>&) override { return sluice::Status::ok(); }

 private:
  sluice::SourceHost& host_;
};

}  // namespace

SLUICE_PLUGIN(nothing, source, Nothing)
