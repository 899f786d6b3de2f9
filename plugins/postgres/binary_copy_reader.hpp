// Decodes COPY ... TO STDOUT (FORMAT binary) of two text columns as it streams in. Binary
// format needs no unescaping, and the chunks can split rows anywhere.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace sluice::pg {

class BinaryCopyReader {
 public:
  using Visit = std::function<bool(std::string_view first, std::string_view second)>;
  explicit BinaryCopyReader(Visit visit) : visit_(std::move(visit)) {}

  // Returns false when `visit` asked to stop. Throws std::runtime_error on malformed input.
  bool feed(std::string_view chunk);
  bool finished() const { return finished_; }
  std::size_t rows() const { return rows_; }

 private:
  bool parse();

  Visit visit_;
  std::string pending_;
  bool header_done_ = false;
  bool finished_ = false;
  std::size_t rows_ = 0;
};

}  // namespace sluice::pg
