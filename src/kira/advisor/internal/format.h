// Number rendering for decision text: the one formatter (kira/base/format.h,
// through fmt) under the name advisor code uses. Internal to advisor/.
#ifndef KIRA_ADVISOR_INTERNAL_FORMAT_H_
#define KIRA_ADVISOR_INTERNAL_FORMAT_H_

#include <string>

#include "kira/base/format.h"

namespace kira::advisor::internal {

inline std::string Fixed(double v, int decimals, bool trim = true) { return FormatNumber(v, decimals, trim); }

}  // namespace kira::advisor::internal

#endif  // KIRA_ADVISOR_INTERNAL_FORMAT_H_
