#include "operator/operator_side.hpp"

#include "operator/operator_admin.hpp"

namespace sluice {

OperatorSide::OperatorSide(OperatorInputs inputs, std::chrono::milliseconds replay_deadline)
    : inputs_(std::move(inputs)) {
  taps_.count_open_in(inputs_.metrics.gauge("sluice_taps_open", "Live taps open (GET /admin/tap, sluice tap)"));
  admin_ = std::make_unique<OperatorAdmin>(*this, replay_deadline);
}

OperatorSide::~OperatorSide() = default;

Admin& OperatorSide::admin() { return *admin_; }

void OperatorSide::publish_plan(PlanView view) {
  auto points = tap_points_of(view);
  auto json = to_json(view);
  std::lock_guard lock(mutex_);
  plan_ = std::move(json);
  tap_points_ = std::move(points);
}

void OperatorSide::set_dead_letter_store(DeadLetterStore* store) { dead_letters_.set(store); }

void OperatorSide::set_reload_trigger(std::function<void()> trigger) {
  std::lock_guard lock(mutex_);
  reload_trigger_ = std::move(trigger);
}

nlohmann::json OperatorSide::plan_json() const {
  std::lock_guard lock(mutex_);
  return plan_;
}

std::vector<std::string> OperatorSide::tap_points() const {
  std::lock_guard lock(mutex_);
  return tap_points_;
}

std::function<void()> OperatorSide::reload_trigger() const {
  std::lock_guard lock(mutex_);
  return reload_trigger_;
}

}  // namespace sluice
