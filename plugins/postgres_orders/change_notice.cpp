#include "change_notice.hpp"

#include <charconv>
#include <cstdint>

namespace sluice::pg {
namespace {

constexpr std::string_view header_tag = "sluice-change 1 ";

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '~' || c == '-';
}

void append_encoded(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (unreserved(c)) {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::optional<std::string> decoded(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int high = hex_value(text[i + 1]), low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else if (unreserved(static_cast<unsigned char>(text[i]))) {
      out += text[i];
    } else {
      return std::nullopt;
    }
  }
  return out;
}

template <class Int>
bool parse_int(std::string_view text, Int& value) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

// Splits "a b rest" into `count` - 1 words and the rest (the rest may not contain spaces
// either: keys and streams are encoded).
bool split(std::string_view line, std::string_view* parts, std::size_t count) {
  for (std::size_t i = 0; i + 1 < count; ++i) {
    auto space = line.find(' ');
    if (space == std::string_view::npos) return false;
    parts[i] = line.substr(0, space);
    line.remove_prefix(space + 1);
  }
  if (line.find(' ') != std::string_view::npos) return false;
  parts[count - 1] = line;
  return true;
}

class ChunkBuilder {
 public:
  ChunkBuilder(std::int64_t committed_at_us, std::size_t max_bytes)
      : header_(std::string(header_tag) + std::to_string(committed_at_us) + '\n'), max_(max_bytes) {}

  // Adds one line, starting a new chunk when it does not fit; a line too long for any chunk
  // becomes a gap marker.
  void add(const std::string& line) {
    if (header_.size() + line.size() > max_) {
      add(std::string("gap\n"));
      return;
    }
    if (!current_.empty() && current_.size() + line.size() > max_) flush();
    if (current_.empty()) current_ = header_;
    current_ += line;
  }
  std::vector<std::string> finish() {
    flush();
    return std::move(chunks_);
  }

 private:
  void flush() {
    if (!current_.empty()) chunks_.push_back(std::move(current_));
    current_.clear();
  }
  std::string header_;
  std::size_t max_;
  std::string current_;
  std::vector<std::string> chunks_;
};

}  // namespace

std::vector<std::string> encode_change(const CommittedChange& change, std::size_t max_bytes) {
  ChunkBuilder chunks(change.committed_at_us, max_bytes);
  std::string line;
  for (const ChangedKey& key : change.keys) {
    line = "k " + std::to_string(key.version) + ' ';
    append_encoded(line, key.key);
    line += '\n';
    chunks.add(line);
  }
  // Positions last: they are what a read-your-writes token waits for, so they must not
  // arrive before the keys committed with them.
  for (const Position& position : change.positions) {
    line = "p " + std::to_string(position.partition) + ' ' + std::to_string(position.offset) + ' ';
    append_encoded(line, position.stream);
    line += '\n';
    chunks.add(line);
  }
  return chunks.finish();
}

std::optional<DecodedNotice> decode_change(std::string_view payload) {
  if (payload.substr(0, header_tag.size()) != header_tag) return std::nullopt;
  payload.remove_prefix(header_tag.size());
  DecodedNotice notice;
  auto end_of_line = payload.find('\n');
  if (end_of_line == std::string_view::npos) return std::nullopt;
  if (!parse_int(payload.substr(0, end_of_line), notice.change.committed_at_us)) return std::nullopt;
  payload.remove_prefix(end_of_line + 1);
  while (!payload.empty()) {
    end_of_line = payload.find('\n');
    if (end_of_line == std::string_view::npos) return std::nullopt;  // cut short
    std::string_view line = payload.substr(0, end_of_line);
    payload.remove_prefix(end_of_line + 1);
    std::string_view parts[4];
    if (line == "gap") {
      notice.gap = true;
    } else if (line.starts_with("k ") && split(line, parts, 3)) {
      ChangedKey key;
      auto text = decoded(parts[2]);
      if (!parse_int(parts[1], key.version) || !text) return std::nullopt;
      key.key = std::move(*text);
      notice.change.keys.push_back(std::move(key));
    } else if (line.starts_with("p ") && split(line, parts, 4)) {
      Position position;
      auto text = decoded(parts[3]);
      if (!parse_int(parts[1], position.partition) || !parse_int(parts[2], position.offset) || !text) {
        return std::nullopt;
      }
      position.stream = std::move(*text);
      notice.change.positions.push_back(std::move(position));
    } else {
      return std::nullopt;
    }
  }
  return notice;
}

}  // namespace sluice::pg
