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
  if (!recorded_.wait_for(lock, wait, [&] { return last_.number > before || answer_now_; })) return std::nullopt;
  if (last_.number > before) return last_;
  return ReloadReport{"released", before + 1, {*answer_now_}};
}

void LastReload::answer_waiters_now(std::string why) {
  {
    std::lock_guard lock(mutex_);
    answer_now_ = std::move(why);
  }
  recorded_.notify_all();
}

void LastReload::let_waiters_wait() {
  std::lock_guard lock(mutex_);
  answer_now_.reset();
}

nlohmann::json LastReload::to_json() const {
  std::lock_guard lock(mutex_);
  if (last_.number == 0) return nullptr;
  return {{"number", last_.number}, {"result", last_.result}, {"at_ms", at_ms_}, {"messages", last_.messages}};
}

}  // namespace sluice
