// Decodes COPY ... TO STDOUT (FORMAT binary) of a fixed number of columns as it streams in.
// Binary format needs no unescaping, and the chunks can split rows anywhere. Values come as
// their raw bytes (text as is, bigint as 8 big-endian bytes: see int64_at).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace sluice::pg {

class BinaryCopyReader {
 public:
  static constexpr std::size_t max_columns = 8;
  // `values` holds `columns` entries; a NULL reads as empty.
  using Visit = std::function<bool(const std::string_view* values)>;
  BinaryCopyReader(std::size_t columns, Visit visit) : columns_(columns), visit_(std::move(visit)) {}

  // A bigint column's value; 0 if it is not 8 bytes (NULL).
  static std::int64_t int64_at(std::string_view value);

  // Returns false when `visit` asked to stop. Throws std::runtime_error on malformed input.
  bool feed(std::string_view chunk);
  bool finished() const { return finished_; }
  std::size_t rows() const { return rows_; }

 private:
  bool parse();

  std::size_t columns_;
  Visit visit_;
  std::string pending_;
  bool header_done_ = false;
  bool finished_ = false;
  std::size_t rows_ = 0;
};

}  // namespace sluice::pg
