// Fast fixed-point number rendering for decision messages (the dosing hot
// path renders ~10 numbers per decision; std::to_chars with a precision costs
// ~500 instructions each, this ~60). Internal to rules/.
#ifndef KIRA_ADVISOR_INTERNAL_FORMAT_H_
#define KIRA_ADVISOR_INTERNAL_FORMAT_H_

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

namespace kira::advisor::internal {

// `v` with `decimals` (0-6) places, trailing zeros trimmed when `trim`
// ("0.50" -> "0.5", "35.00" -> "35"). Falls back to to_chars for |v| >= 1e12
// and non-finite values.
inline std::string Fixed(double v, int decimals, bool trim = true) {
  static constexpr double kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
  if (decimals < 0) decimals = 0;
  if (decimals > 6) decimals = 6;
  if (!std::isfinite(v) || std::fabs(v) >= 1e12) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
    return ec == std::errc() ? std::string(buf, end) : std::string("?");
  }
  bool negative = v < 0;
  uint64_t scaled = static_cast<uint64_t>(std::llround(std::fabs(v) * kPow10[decimals]));
  char buf[40];
  char* p = buf + sizeof buf;
  int frac = decimals;
  if (trim) {
    while (frac > 0 && scaled % 10 == 0) {
      scaled /= 10;
      --frac;
    }
  }
  for (int i = 0; i < frac; ++i) {
    *--p = static_cast<char>('0' + scaled % 10);
    scaled /= 10;
  }
  if (frac > 0) *--p = '.';
  do {
    *--p = static_cast<char>('0' + scaled % 10);
    scaled /= 10;
  } while (scaled > 0);
  if (negative && !(p[0] == '0' && p + 1 == buf + sizeof buf)) *--p = '-';
  return std::string(p, buf + sizeof buf);
}

}  // namespace kira::advisor::internal

#endif  // KIRA_ADVISOR_INTERNAL_FORMAT_H_
