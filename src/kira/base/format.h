// The one number formatter for text a person reads (decision messages,
// inputs_used, CLI output): fixed-point through fmt, trailing zeros trimmed.
#ifndef KIRA_BASE_FORMAT_H_
#define KIRA_BASE_FORMAT_H_

#include <string>

namespace kira {

// `v` with `decimals` (0-6) places, rounded to nearest (ties away from zero);
// trailing zeros and a bare point trimmed when `trim`
// ("0.50" -> "0.5", "35.00" -> "35"); "-0" is "0". NaN and infinities render
// as "nan", "inf", "-inf".
std::string FormatNumber(double v, int decimals = 2, bool trim = true);

}  // namespace kira

#endif  // KIRA_BASE_FORMAT_H_
