#include "operator/current_dead_letters.hpp"

#include <string>

namespace sluice {

void CurrentDeadLetters::set(DeadLetterStore* store) {
  std::lock_guard lock(mutex_);
  store_ = store;
}

bool CurrentDeadLetters::available() const {
  std::lock_guard lock(mutex_);
  return store_ != nullptr;
}

std::unique_lock<std::shared_mutex> CurrentDeadLetters::withdraw() {
  std::unique_lock use(use_);
  set(nullptr);
  return use;
}

template <typename Call>
Status CurrentDeadLetters::with_store(Call&& call) const {
  std::shared_lock use(use_);
  DeadLetterStore* store;
  {
    std::lock_guard lock(mutex_);
    store = store_;
  }
  if (!store) return Status::retry("the dead-letter sink is being replaced");
  try {
    return call(*store);
  } catch (const std::exception& e) {
    return Status::fatal(std::string("dead-letter store threw an exception: ") + e.what());
  }
}

Status CurrentDeadLetters::list(const DeadLetterQuery& query, bool with_payload, std::vector<DeadLetter>& out) {
  return with_store([&](DeadLetterStore& s) { return s.list(query, with_payload, out); });
}
Status CurrentDeadLetters::get(std::int64_t id, DeadLetter& out, bool& found) {
  return with_store([&](DeadLetterStore& s) { return s.get(id, out, found); });
}
Status CurrentDeadLetters::reasons(std::vector<ReasonCount>& out) {
  return with_store([&](DeadLetterStore& s) { return s.reasons(out); });
}
Status CurrentDeadLetters::discard(const DeadLetterQuery& query, std::int64_t& discarded) {
  return with_store([&](DeadLetterStore& s) { return s.discard(query, discarded); });
}
Status CurrentDeadLetters::retire(const std::vector<std::int64_t>& ids) {
  return with_store([&](DeadLetterStore& s) { return s.retire(ids); });
}
std::string CurrentDeadLetters::location() const {
  std::string out;
  with_store([&](DeadLetterStore& s) {
    out = s.location();
    return Status::ok();
  });
  return out;
}

}  // namespace sluice
