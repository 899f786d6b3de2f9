// printable(): record-derived text stays on one log line, cannot drive a terminal, and is
// capped without cutting a character in half.
#include "sluice/log_text.hpp"

#include <gtest/gtest.h>

namespace sluice {
namespace {

using namespace std::string_literals;

TEST(LogText, PlainTextAndUtf8PassUnchanged) {
  EXPECT_EQ(printable("/items/0/price"), "/items/0/price");
  EXPECT_EQ(printable("C:\\orders\\ naïve — 東京 😀"), "C:\\orders\\ naïve — 東京 😀");
  EXPECT_EQ(printable(""), "");
}

TEST(LogText, ControlCharactersAreEscaped) {
  EXPECT_EQ(printable("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(printable("/x\n2026-11-24T08:14:05.800 info  [db] forged"),
            "/x\\n2026-11-24T08:14:05.800 info  [db] forged");
  EXPECT_EQ(printable("\x1b[2J\x7f\x01"s + '\0' + "z"), "\\x1B[2J\\x7F\\x01\\x00z");
}

TEST(LogText, C1ControlsAndBytesThatAreNotUtf8AreEscaped) {
  EXPECT_EQ(printable("\xc2\x9b"
                      "31m"),
            "\\xC2\\x9B31m");                    // U+009B, a CSI for some terminals
  EXPECT_EQ(printable("\xc2\xa0"), "\xc2\xa0");  // U+00A0 is text
  EXPECT_EQ(printable("a\x9b"
                      "b\xff"),
            "a\\x9Bb\\xFF");
  EXPECT_EQ(printable("\xc0\xaf"), "\\xC0\\xAF");           // overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xED\\xA0\\x80");  // a UTF-16 surrogate
  EXPECT_EQ(printable("\xe6\x9d"), "\\xE6\\x9D");           // cut short
}

TEST(LogText, LongTextIsCappedOnACharacterBoundary) {
  EXPECT_EQ(printable(std::string(1000, 'k'), 10), "kkkkkkkkkk...(990 more bytes)");
  EXPECT_EQ(printable(std::string(10, 'k'), 10), "kkkkkkkkkk");
  // Four bytes fit, the fifth starts a three-byte character: it is left out whole.
  EXPECT_EQ(printable("abcd東京", 5), "abcd...(6 more bytes)");
  // The cap counts input bytes, so escapes cannot make a capped line unbounded either way.
  EXPECT_EQ(printable("\n\n\n\n", 2), "\\n\\n...(2 more bytes)");
  EXPECT_EQ(printable(std::string(300, 'k')).size(), 256 + std::string("...(44 more bytes)").size());
}

}  // namespace
}  // namespace sluice
