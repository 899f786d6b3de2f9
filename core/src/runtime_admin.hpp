// The runtime's Admin (sluice/admin.hpp): what the admin API of an API plugin serves. Status
// and tap points come from the view the source thread publishes (Runtime::publish_status);
// a reload runs the CLI's trigger and waits for its recorded outcome; a replay goes through
// the running stage pipeline as batches of its own (runtime_replay.cpp).
#pragma once

#include "sluice/admin.hpp"
#include "sluice/metrics.hpp"

namespace sluice {

class Runtime;

// The dead-letter store as the admin API sees it: every call goes to the store of the sink
// running now, holding it against a reload that would destroy it meanwhile.
class CurrentDeadLetters final : public DeadLetterStore {
 public:
  explicit CurrentDeadLetters(Runtime& runtime) : runtime_(runtime) {}
  Status list(const DeadLetterQuery& query, bool with_payload, std::vector<DeadLetter>& out) override;
  Status get(std::int64_t id, DeadLetter& out, bool& found) override;
  Status reasons(std::vector<ReasonCount>& out) override;
  Status discard(const DeadLetterQuery& query, std::int64_t& discarded) override;
  Status retire(const std::vector<std::int64_t>& ids) override;
  std::string location() const override;

 private:
  template <typename Call>
  Status with_store(Call&& call) const;
  Runtime& runtime_;
};

class RuntimeAdmin final : public Admin {
 public:
  // A replay request ends within `replay_deadline` (runtime_replay.cpp).
  explicit RuntimeAdmin(Runtime& runtime, std::chrono::milliseconds replay_deadline = std::chrono::seconds(90));

  nlohmann::json status() override;
  ReloadReport reload(std::chrono::milliseconds wait) override;
  DeadLetterStore* dead_letters() override;
  Status replay(const ReplayOptions& options, ReplayReport& report) override;
  std::vector<std::string> tap_points() override;
  std::unique_ptr<Tap> tap(const std::string& stage, const TapLimits& limits, std::string& error) override;

 private:
  // replay() without the counting: pages of letters through the pipeline.
  Status replay_pages(const ReplayOptions& options, ReplayReport& report);

  Runtime& runtime_;
  const std::chrono::milliseconds replay_deadline_;
  CurrentDeadLetters dead_letters_;
  // sluice_replay_records_total{outcome} (not for dry runs) and
  // sluice_dead_letters_retired_total: what replays did, for dashboards and alerts.
  Counter& replayed_;
  Counter& replay_failed_;
  Counter& replay_skipped_;
  Counter& retired_;
};

}  // namespace sluice
