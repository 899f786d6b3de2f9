// Small text helpers the tests share: counting log phrases and splitting output into lines.
#pragma once

#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

namespace sluice::test {

// How many times `needle` occurs in `text`, not overlapping (a log phrase said N times).
inline std::size_t occurrences(const std::string& text, const std::string& needle) {
  if (needle.empty()) return 0;
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

// The lines of `text` without their '\n'; a last line without one counts too.
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The same, leaving out empty lines (a command's output with blank separators).
inline std::vector<std::string> non_empty_lines_of(const std::string& text) {
  std::vector<std::string> lines;
  for (auto& line : lines_of(text)) {
    if (!line.empty()) lines.push_back(std::move(line));
  }
  return lines;
}

// The last `count` lines of `text` (all of it when shorter), for failure messages.
inline std::string tail_lines(const std::string& text, std::size_t count) {
  std::size_t at = text.size();
  if (at > 0 && text[at - 1] == '\n') --at;
  for (std::size_t seen = 0; at > 0; --at) {
    if (text[at - 1] == '\n' && ++seen == count) break;
  }
  return text.substr(at);
}

// The last line of `text` without its line ending ("" for empty text): what a command printed
// last, e.g. the position `sluice publish` reports for the message it delivered.
inline std::string last_line(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r')) trimmed.pop_back();
  auto at = trimmed.rfind('\n');
  return at == std::string::npos ? trimmed : trimmed.substr(at + 1);
}

}  // namespace sluice::test
