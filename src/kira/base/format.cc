#include "kira/base/format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace kira {

std::string FormatNumber(double v, int decimals, bool trim) {
  static constexpr double kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
  decimals = std::clamp(decimals, 0, 6);
  std::string s;
  if (!std::isfinite(v) || std::fabs(v) >= 1e12) {
    s = fmt::format("{:.{}f}", v, decimals);
  } else {
    // Fixed point through an integer (fmt's integer formatter is the fast
    // path; decision text renders a dozen numbers per decision). Ties round
    // away from zero.
    const auto scale = static_cast<std::uint64_t>(kPow10[decimals]);
    const auto scaled = static_cast<std::uint64_t>(std::llround(std::fabs(v) * kPow10[decimals]));
    const std::uint64_t whole = scaled / scale, frac = scaled % scale;
    if (v < 0 && scaled != 0) s += '-';
    s += fmt::format_int(whole).c_str();
    if (decimals > 0) {
      const fmt::format_int f(frac);
      s += '.';
      s.append(static_cast<std::size_t>(decimals) - f.size(), '0');
      s.append(f.data(), f.size());
    }
  }
  if (trim && decimals > 0 && s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

}  // namespace kira
