// The connections a listener has open, so that a listener a reload replaces can finish them
// before it closes (README.md, "Live reload", An API is replaced make before break): once the
// new listener took the new connections over, the old one waits until its clients are done,
// instead of cutting requests that were already on their way.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>

namespace sluice::http {

class OpenConnections {
  struct Counts;

 public:
  OpenConnections();

  // Held by a connection (as its peer's data) while it is open: given back when Pistache drops
  // the peer, whichever way the connection ends.
  std::shared_ptr<void> opened();

  // A request arrived on one of them.
  void request_arrived();

  // A request answered by another thread (queued for a lookup or admin thread), from then
  // until its answer was sent or refused (the job that answers it holds this): a drain waits
  // for each, queued or running, so that stopping the listener's threads never refuses a
  // request the listener had accepted. Answers sent from the event loop need none: a request
  // being handled there counts as activity (request_arrived) for the drain's quiet time.
  class InFlight {
   public:
    InFlight() = default;
    InFlight(InFlight&&) noexcept = default;
    InFlight& operator=(InFlight&& other) noexcept;
    ~InFlight() { finish(); }
    // As OpenConnections::draining, for the job that answers later.
    bool draining() const { return counts_ && counts_->draining.load(); }

   private:
    friend class OpenConnections;
    explicit InFlight(std::shared_ptr<Counts> counts) : counts_(std::move(counts)) {}
    void finish();
    std::shared_ptr<Counts> counts_;
  };
  InFlight answer_later();

  std::size_t open() const;
  std::size_t in_flight() const;
  // From now on every answer says `Connection: close` (close_if_draining), so keep-alive
  // clients reconnect, to the new listener, instead of holding on to this one.
  void start_draining() { counts_->draining.store(true); }
  bool draining() const { return counts_->draining.load(); }

  // Returns once no request is in flight and either no connection is open or nothing happened
  // on any for `quiet` (no connection opened, no request arrived or was answered: what is left
  // are idle keep-alive connections, which a client must expect to be closed), or once `limit`
  // passed.
  void drain(std::chrono::milliseconds quiet, std::chrono::milliseconds limit) const;

 private:
  struct Counts {
    std::atomic<std::size_t> open{0};
    std::atomic<std::size_t> in_flight{0};
    std::atomic<std::int64_t> last_activity_ns{0};  // steady clock
    std::atomic<bool> draining{false};
  };
  std::shared_ptr<Counts> counts_;
};

}  // namespace sluice::http
