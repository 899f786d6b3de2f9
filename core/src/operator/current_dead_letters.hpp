// The dead-letter store as the admin API sees it: every call goes to the store of the
// dead-letter sink running now, holding it against a reload that would destroy it meanwhile
// (README.md, "Live reload"). The source thread sets the store after start and every reload,
// and withdraws it before the reload destroys the sink it belongs to.
#pragma once

#include <mutex>
#include <shared_mutex>

#include "sluice/dead_letters.hpp"

namespace sluice {

class CurrentDeadLetters final : public DeadLetterStore {
 public:
  // The running dead-letter sink's store; nullptr: there is none, or it cannot list.
  void set(DeadLetterStore* store);
  // False while there is no store to call.
  bool available() const;
  // Clears the store once no call is using it; until the lock returned goes, no call starts
  // using one (a call meanwhile answers "retry": the sink is being replaced).
  [[nodiscard]] std::unique_lock<std::shared_mutex> withdraw();

  Status list(const DeadLetterQuery& query, bool with_payload, std::vector<DeadLetter>& out) override;
  Status get(std::int64_t id, DeadLetter& out, bool& found) override;
  Status reasons(std::vector<ReasonCount>& out) override;
  Status discard(const DeadLetterQuery& query, std::int64_t& discarded) override;
  Status retire(const std::vector<std::int64_t>& ids) override;
  std::string location() const override;

 private:
  template <typename Call>
  Status with_store(Call&& call) const;

  mutable std::mutex mutex_;  // guards store_
  DeadLetterStore* store_ = nullptr;
  // Held shared by a call using store_, exclusively by withdraw()'s caller.
  mutable std::shared_mutex use_;
};

}  // namespace sluice
