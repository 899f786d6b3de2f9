// The README's terminal transcripts: indented code blocks whose lines start with `$ ` are
// commands, and the lines after each, up to the next `$ ` line or the block's end, are what
// the command prints (stdout and stderr, as a terminal shows them). README.md, "Tests",
// "The README's commands", says how to write one and how volatile parts are masked.
#pragma once

#include <string>
#include <vector>

namespace sluice::test {

struct TranscriptStep {
  std::string section;                // the `## ` heading it appears under
  int line = 0;                       // of the `$ ` line, 1-based
  std::string command;                // without `$ `; `\` continuation lines joined with a newline
  std::vector<std::string> expected;  // output lines, trailing blank lines dropped
};

// Every transcript step of the `## ` sections whose titles start with one of `sections`
// (their `###` subsections included), in file order.
std::vector<TranscriptStep> readme_transcripts(const std::string& markdown, const std::vector<std::string>& sections);

// Whether `actual` (lines) matches `expected`: each expected line equals its actual line,
// where `...` inside a line stands for any characters (none included) and a line that is
// only `...` for any number of lines. On a mismatch, `why` says which line differs.
bool transcript_output_matches(const std::vector<std::string>& expected, const std::vector<std::string>& actual,
                               std::string* why);

// One expected line against one actual line (`...` as above).
bool transcript_line_matches(const std::string& expected, const std::string& actual);

}  // namespace sluice::test
