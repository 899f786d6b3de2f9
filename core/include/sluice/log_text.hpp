// Text that comes from records (JSON keys end up in pointers, values in details, database
// messages quote them) is chosen by whoever produced the record. Logged as is, a newline forges
// a log line, an escape sequence drives the reader's terminal, and a megabyte key floods the
// log. Header-only so plugins can use it: they may only use what core exports.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sluice {

namespace detail {

// Length of the well-formed UTF-8 sequence at `at` (2 to 4), or 0 if there is none there.
inline std::size_t utf8_sequence(std::string_view text, std::size_t at) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // beyond U+10FFFF
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  if (byte(at + 1) < low || byte(at + 1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(at + i) < 0x80 || byte(at + i) > 0xBF) return 0;
  }
  return length;
}

inline void append_hex_escape(std::string& out, unsigned char c) {
  static constexpr char digits[] = "0123456789ABCDEF";
  out += "\\x";
  out += digits[c >> 4];
  out += digits[c & 0xF];
}

}  // namespace detail

// `text` made safe for one log line: \n \r \t written as such; other control characters,
// DEL, C1 controls (U+0080-U+009F, which some terminals obey) and bytes that are not UTF-8
// as \xNN. At most `max` bytes of `text` are shown (never half a character), then
// "...(N more bytes)". Backslashes are kept: the result is for people, not to be parsed.
inline std::string printable(std::string_view text, std::size_t max = 256) {
  std::string out;
  out.reserve(text.size() < max ? text.size() : max);
  std::size_t at = 0;
  while (at < text.size()) {
    const auto c = static_cast<unsigned char>(text[at]);
    std::size_t length = c < 0x80 ? 1 : detail::utf8_sequence(text, at);
    if (at + (length == 0 ? 1 : length) > max) break;
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (length <= 1) {  // other C0 controls, DEL, a byte that starts no UTF-8 character
      detail::append_hex_escape(out, c);
    } else if (c == 0xC2 && static_cast<unsigned char>(text[at + 1]) < 0xA0) {  // C1 control
      detail::append_hex_escape(out, c);
      detail::append_hex_escape(out, static_cast<unsigned char>(text[at + 1]));
    } else {
      out.append(text.substr(at, length));
    }
    at += length == 0 ? 1 : length;
  }
  if (at < text.size()) out += "...(" + std::to_string(text.size() - at) + " more bytes)";
  return out;
}

}  // namespace sluice
