#include "kira/base/utf8.h"

#include <gtest/gtest.h>

#include <string_view>

namespace kira {
namespace {

// Reference: the Unicode Standard, ch. 3, Table 3-7 (well-formed UTF-8 byte
// sequences).
TEST(DecodeUtf8At, WellFormedCharactersOfEachLength) {
  EXPECT_EQ(DecodeUtf8At("A", 0).code_point, U'A');
  const std::string_view two = "\xC3\xBC";           // U+00FC
  const std::string_view three = "\xE2\x80\xAE";     // U+202E
  const std::string_view four = "\xF0\x9F\x98\x80";  // U+1F600
  EXPECT_EQ(DecodeUtf8At(two, 0).code_point, 0xFCu);
  EXPECT_EQ(DecodeUtf8At(two, 0).length, 2u);
  EXPECT_EQ(DecodeUtf8At(three, 0).code_point, 0x202Eu);
  EXPECT_EQ(DecodeUtf8At(four, 0).code_point, 0x1F600u);
  EXPECT_EQ(DecodeUtf8At(four, 0).length, 4u);
  EXPECT_EQ(DecodeUtf8At("\xF4\x8F\xBF\xBF", 0).code_point, 0x10FFFFu);
}

TEST(DecodeUtf8At, IllFormedSequencesAreNamed) {
  EXPECT_EQ(DecodeUtf8At("\xFF", 0).error, Utf8Error::kBadLeadByte);
  EXPECT_EQ(DecodeUtf8At("\x80", 0).error, Utf8Error::kBadLeadByte);
  EXPECT_EQ(DecodeUtf8At("\xE2\x80", 0).error, Utf8Error::kTruncated);
  EXPECT_EQ(DecodeUtf8At("\xC3(", 0).error, Utf8Error::kBadContinuation);
  EXPECT_EQ(DecodeUtf8At("\xC0\xAF", 0).error, Utf8Error::kInvalidChar);          // overlong '/'
  EXPECT_EQ(DecodeUtf8At("\xED\xA0\x80", 0).error, Utf8Error::kInvalidChar);      // surrogate U+D800
  EXPECT_EQ(DecodeUtf8At("\xF4\x90\x80\x80", 0).error, Utf8Error::kInvalidChar);  // U+110000
  EXPECT_EQ(DecodeUtf8At("\xC3\xBC", 0).error, Utf8Error::kNone);
}

}  // namespace
}  // namespace kira
