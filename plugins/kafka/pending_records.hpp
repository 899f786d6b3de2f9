// Records the kafka source consumed but has not handed out yet, counted in records and in
// bytes: read-ahead is bounded by both, so a backlog of large messages cannot fill memory.
#pragma once

#include <cstddef>
#include <deque>
#include <utility>

#include "sluice/record.hpp"

namespace sluice::kafka {

class PendingRecords {
 public:
  std::size_t size() const { return records_.size(); }
  bool empty() const { return records_.empty(); }
  std::size_t bytes() const { return bytes_; }
  Record& front() { return records_.front(); }

  void push_back(Record&& record) {
    bytes_ += weight(record);
    records_.push_back(std::move(record));
  }
  // Moves the first record out.
  Record take_front() {
    Record record = std::move(records_.front());
    records_.pop_front();
    bytes_ -= weight(record);
    return record;
  }
  template <class Predicate>
  void erase_if(Predicate drop) {
    std::erase_if(records_, [&](const Record& r) {
      if (!drop(r)) return false;
      bytes_ -= weight(r);
      return true;
    });
  }
  void clear() {
    records_.clear();
    bytes_ = 0;
  }

 private:
  static std::size_t weight(const Record& r) { return r.key.size() + r.value.size(); }

  std::deque<Record> records_;
  std::size_t bytes_ = 0;
};

}  // namespace sluice::kafka
