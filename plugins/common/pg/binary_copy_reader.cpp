#include "binary_copy_reader.hpp"

#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace sluice::pg {
namespace {

constexpr char signature[] = "PGCOPY\n\377\r\n";  // 11 bytes with the trailing NUL
constexpr std::size_t signature_size = 11;

std::uint32_t read_u32(const char* at) {
  std::uint32_t value;
  std::memcpy(&value, at, 4);
  return __builtin_bswap32(value);  // network byte order
}

std::uint16_t read_u16(const char* at) {
  std::uint16_t value;
  std::memcpy(&value, at, 2);
  return __builtin_bswap16(value);
}

}  // namespace

std::int64_t BinaryCopyReader::int64_at(std::string_view value) {
  if (value.size() != 8) return 0;
  std::uint64_t raw;
  std::memcpy(&raw, value.data(), 8);
  return static_cast<std::int64_t>(__builtin_bswap64(raw));
}

bool BinaryCopyReader::feed(std::string_view chunk) {
  pending_.append(chunk);
  return parse();
}

bool BinaryCopyReader::parse() {
  std::size_t at = 0;
  const char* data = pending_.data();
  std::size_t size = pending_.size();
  bool keep_going = true;
  if (!header_done_) {
    if (size < signature_size + 8) return true;
    if (std::memcmp(data, signature, signature_size) != 0) {
      throw std::runtime_error("COPY stream does not start with the binary signature");
    }
    std::uint32_t extension = read_u32(data + signature_size + 4);
    if (size < signature_size + 8 + extension) return true;
    at = signature_size + 8 + extension;
    header_done_ = true;
  }
  while (keep_going && !finished_ && size - at >= 2) {
    auto fields = static_cast<std::int16_t>(read_u16(data + at));
    if (fields == -1) {
      finished_ = true;
      at += 2;
      break;
    }
    if (fields < 0 || static_cast<std::size_t>(fields) != columns_ || columns_ > max_columns) {
      throw std::runtime_error("COPY row has " + std::to_string(fields) + " fields, expected " +
                               std::to_string(columns_));
    }
    std::size_t cursor = at + 2;
    std::string_view values[max_columns];
    bool complete = true;
    for (std::size_t column = 0; column < columns_; ++column) {
      std::string_view& value = values[column];
      if (size - cursor < 4) {
        complete = false;
        break;
      }
      auto length = static_cast<std::int32_t>(read_u32(data + cursor));
      cursor += 4;
      if (length < 0) length = 0;  // NULL: read as empty
      if (size - cursor < static_cast<std::size_t>(length)) {
        complete = false;
        break;
      }
      value = std::string_view(data + cursor, static_cast<std::size_t>(length));
      cursor += static_cast<std::size_t>(length);
    }
    if (!complete) break;
    ++rows_;
    keep_going = visit_(values);
    at = cursor;
  }
  pending_.erase(0, at);
  return keep_going;
}

}  // namespace sluice::pg
