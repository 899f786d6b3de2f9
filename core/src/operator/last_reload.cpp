#include "operator/last_reload.hpp"

namespace sluice {

void LastReload::record(int n, const std::string& result, std::vector<std::string> messages) {
  {
    std::lock_guard lock(mutex_);
    last_ = {result, n, std::move(messages)};
    at_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                 .count();
  }
  recorded_.notify_all();
}

std::optional<ReloadReport> LastReload::wait_past(int before, std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  if (!recorded_.wait_for(lock, wait, [&] { return last_.number > before; })) return std::nullopt;
  return last_;
}

nlohmann::json LastReload::to_json() const {
  std::lock_guard lock(mutex_);
  if (last_.number == 0) return nullptr;
  return {{"number", last_.number}, {"result", last_.result}, {"at_ms", at_ms_}, {"messages", last_.messages}};
}

}  // namespace sluice
