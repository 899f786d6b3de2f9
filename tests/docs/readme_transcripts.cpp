#include "docs/readme_transcripts.hpp"

#include <sstream>

namespace sluice::test {
namespace {

constexpr const char* kEllipsis = "...";

bool starts_with_any(const std::string& title, const std::vector<std::string>& prefixes) {
  for (const auto& prefix : prefixes) {
    if (title.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// The README's code blocks are indented four spaces (fenced ones are YAML or shell files,
// never transcripts).
bool is_code_line(const std::string& line) { return line.rfind("    ", 0) == 0; }

// Reads the lines of the chosen sections into steps.
class TranscriptReader {
 public:
  explicit TranscriptReader(std::vector<std::string> sections) : sections_(std::move(sections)) {}

  void read(const std::string& line, int number) {
    if (line.rfind("```", 0) == 0) {
      end_step();
      fenced_ = !fenced_;
      return;
    }
    if (fenced_) return;
    if (line.rfind("## ", 0) == 0) {
      end_step();
      section_ = line.substr(3);
      in_section_ = starts_with_any(section_, sections_);
      return;
    }
    if (!in_section_) return;
    if (!line.empty() && !is_code_line(line)) {
      end_step();  // prose ends a block
      return;
    }
    if (line.empty()) {
      if (open_) current_.expected.emplace_back();
      return;
    }
    code_line(line.substr(4), number);
  }

  std::vector<TranscriptStep> finish() {
    end_step();
    return std::move(steps_);
  }

 private:
  void code_line(const std::string& text, int number) {
    if (continued_) {
      current_.command += "\n" + text;
      continued_ = !text.empty() && text.back() == '\\';
      return;
    }
    if (text.rfind("$ ", 0) == 0) {
      end_step();
      open_ = true;
      current_ = TranscriptStep{section_, number, text.substr(2), {}};
      continued_ = !text.empty() && text.back() == '\\';
      return;
    }
    if (open_) current_.expected.push_back(text);
  }

  void end_step() {
    if (!open_) return;
    while (!current_.expected.empty() && current_.expected.back().empty()) current_.expected.pop_back();
    steps_.push_back(std::move(current_));
    current_ = {};
    open_ = false;
    continued_ = false;
  }

  std::vector<std::string> sections_;
  std::vector<TranscriptStep> steps_;
  TranscriptStep current_;
  std::string section_;
  bool in_section_ = false;
  bool fenced_ = false;
  bool open_ = false;
  bool continued_ = false;
};

// Matches expected[e..] against actual[a..]; a line of only `...` takes any number of lines.
bool match_from(const std::vector<std::string>& expected, std::size_t e, const std::vector<std::string>& actual,
                std::size_t a, std::size_t* deepest) {
  if (e > *deepest) *deepest = e;
  if (e == expected.size()) return a == actual.size();
  if (expected[e] == kEllipsis) {
    for (std::size_t skip = a; skip <= actual.size(); ++skip) {
      if (match_from(expected, e + 1, actual, skip, deepest)) return true;
    }
    return false;
  }
  if (a == actual.size() || !transcript_line_matches(expected[e], actual[a])) return false;
  return match_from(expected, e + 1, actual, a + 1, deepest);
}

}  // namespace

std::vector<TranscriptStep> readme_transcripts(const std::string& markdown, const std::vector<std::string>& sections) {
  TranscriptReader reader(sections);
  std::istringstream in(markdown);
  int number = 0;
  for (std::string line; std::getline(in, line);) reader.read(line, ++number);
  return reader.finish();
}

bool transcript_line_matches(const std::string& expected, const std::string& actual) {
  std::vector<std::string> pieces;
  std::size_t from = 0;
  for (auto at = expected.find(kEllipsis); at != std::string::npos; at = expected.find(kEllipsis, from)) {
    pieces.push_back(expected.substr(from, at - from));
    from = at + 3;
  }
  pieces.push_back(expected.substr(from));
  if (pieces.size() == 1) return expected == actual;
  const std::string& first = pieces.front();
  const std::string& last = pieces.back();
  if (actual.size() < first.size() + last.size()) return false;
  if (actual.compare(0, first.size(), first) != 0) return false;
  if (actual.compare(actual.size() - last.size(), last.size(), last) != 0) return false;
  std::size_t at = first.size();
  const std::size_t end = actual.size() - last.size();
  for (std::size_t i = 1; i + 1 < pieces.size(); ++i) {
    auto found = actual.find(pieces[i], at);
    if (found == std::string::npos || found + pieces[i].size() > end) return false;
    at = found + pieces[i].size();
  }
  return true;
}

bool transcript_output_matches(const std::vector<std::string>& expected, const std::vector<std::string>& actual,
                               std::string* why) {
  std::size_t deepest = 0;
  if (match_from(expected, 0, actual, 0, &deepest)) return true;
  if (why != nullptr) {
    *why = deepest < expected.size()
               ? "no output line matches expected line " + std::to_string(deepest + 1) + ": " + expected[deepest]
               : "the output has more lines than expected";
  }
  return false;
}

}  // namespace sluice::test
