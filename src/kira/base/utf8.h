// Strict UTF-8 decoding, one character at a time: the one decoder behind
// every check that text is UTF-8 (identifiers, imported files).
#ifndef KIRA_BASE_UTF8_H_
#define KIRA_BASE_UTF8_H_

#include <cstddef>
#include <string_view>

namespace kira {

enum class Utf8Error {
  kNone,
  kBadLeadByte,      // a byte that cannot start a character
  kTruncated,        // the text ends inside a character
  kBadContinuation,  // a byte inside a character is not 10xxxxxx
  kInvalidChar,      // an overlong form, a surrogate, or above U+10FFFF
};

struct Utf8Char {
  char32_t code_point = 0;
  std::size_t length = 0;  // bytes; 0 on error
  Utf8Error error = Utf8Error::kNone;
};

// The character that starts at byte `i` of `text`. REQUIRES: i < text.size().
inline Utf8Char DecodeUtf8At(std::string_view text, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) return {b0, 1, Utf8Error::kNone};
  std::size_t len = 0;
  char32_t cp = 0, min = 0;
  if ((b0 & 0xE0u) == 0xC0u) {
    len = 2, cp = b0 & 0x1Fu, min = 0x80;
  } else if ((b0 & 0xF0u) == 0xE0u) {
    len = 3, cp = b0 & 0x0Fu, min = 0x800;
  } else if ((b0 & 0xF8u) == 0xF0u) {
    len = 4, cp = b0 & 0x07u, min = 0x10000;
  } else {
    return {0, 0, Utf8Error::kBadLeadByte};
  }
  if (i + len > text.size()) return {0, 0, Utf8Error::kTruncated};
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xC0u) != 0x80u) return {0, 0, Utf8Error::kBadContinuation};
    cp = (cp << 6) | (b & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {0, 0, Utf8Error::kInvalidChar};
  return {cp, len, Utf8Error::kNone};
}

}  // namespace kira

#endif  // KIRA_BASE_UTF8_H_
