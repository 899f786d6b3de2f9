// The reader and matcher of the README's transcripts (readme_commands_test runs them).
#include "docs/readme_transcripts.hpp"

#include <gtest/gtest.h>

namespace sluice::test {
namespace {

const char* kMarkdown = R"(# Title

## Quick start

    $ echo one
    one

    $ printf 'a\nb\n'
    a
    b

Prose between blocks.

    sluice run     # a block without `$ ` is not a transcript

```yaml
    $ inside a fence is YAML, not a command
```

### A subsection

    $ long \
      --option
    out

## Other

    $ not chosen
)";

TEST(ReadmeTranscripts, ReadsTheChosenSectionsCommandsAndOutputs) {
  auto steps = readme_transcripts(kMarkdown, {"Quick"});
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].command, "echo one");
  EXPECT_EQ(steps[0].line, 5);
  EXPECT_EQ(steps[0].section, "Quick start");
  EXPECT_EQ(steps[0].expected, (std::vector<std::string>{"one"}));
  EXPECT_EQ(steps[1].expected, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(steps[2].command, "long \\\n  --option");
  EXPECT_EQ(steps[2].expected, (std::vector<std::string>{"out"}));
}

TEST(ReadmeTranscripts, SectionsNotChosenAreLeftOut) {
  auto steps = readme_transcripts(kMarkdown, {"Other"});
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].command, "not chosen");
}

TEST(ReadmeTranscripts, AnEllipsisInALineStandsForAnyCharacters) {
  EXPECT_TRUE(transcript_line_matches("abc", "abc"));
  EXPECT_FALSE(transcript_line_matches("abc", "abcd"));
  EXPECT_TRUE(transcript_line_matches(R"({"a":1,...})", R"({"a":1,"b":2})"));
  EXPECT_TRUE(transcript_line_matches(R"({"a":1,...})", R"({"a":1,})"));
  EXPECT_FALSE(transcript_line_matches(R"({"a":1,...})", R"({"a":2,"b":2})"));
  EXPECT_TRUE(transcript_line_matches("id ... at ... ok", "id 42 at 10:00 ok"));
  EXPECT_FALSE(transcript_line_matches("id ... at ... ok", "id 42 ok"));
  // The pieces must not overlap: "ab...ba" is not "aba".
  EXPECT_FALSE(transcript_line_matches("ab...ba", "aba"));
}

TEST(ReadmeTranscripts, AnEllipsisLineStandsForAnyNumberOfLines) {
  std::string why;
  EXPECT_TRUE(transcript_output_matches({"first", "...", "last"}, {"first", "x", "y", "last"}, &why));
  EXPECT_TRUE(transcript_output_matches({"first", "...", "last"}, {"first", "last"}, &why));
  EXPECT_FALSE(transcript_output_matches({"first", "...", "last"}, {"first", "x"}, &why));
  EXPECT_FALSE(transcript_output_matches({"a", "b"}, {"a", "c"}, &why));
  EXPECT_EQ(why, "no output line matches expected line 2: b");
  EXPECT_FALSE(transcript_output_matches({"a"}, {"a", "more"}, &why));
  EXPECT_TRUE(transcript_output_matches({}, {}, &why));
}

}  // namespace
}  // namespace sluice::test
