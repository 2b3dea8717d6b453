// Number rendering for decision text: the one formatter (kira/base/format.h,
// through fmt) under the name advisor code uses, and the deferred forms the
// hot paths put into a decision (rendered only when a caller shows it).
// Internal to advisor/.
#ifndef KIRA_ADVISOR_INTERNAL_FORMAT_H_
#define KIRA_ADVISOR_INTERNAL_FORMAT_H_

#include <string>
#include <string_view>

#include "kira/base/format.h"
#include "kira/domain/text.h"

namespace kira::advisor::internal {

inline std::string Fixed(double v, int decimals, bool trim = true) { return FormatNumber(v, decimals, trim); }

// "<v with decimals>" + suffix, rendered when read. `suffix` must outlive the
// decision (a literal or library text).
inline domain::Text NumberText(double v, int decimals, std::string_view suffix = {}) {
  domain::TextArgs a;
  a.n[0] = v;
  a.n[1] = decimals;
  a.s[0] = suffix;
  return domain::Text::Deferred(
      [](const domain::TextArgs& x, std::string& out) {
        out += FormatNumber(x.n[0], static_cast<int>(x.n[1]));
        out += x.s[0];
      },
      a);
}

// s[0] + s[1] + s[2], rendered when read. Each part must outlive the decision.
inline domain::Text JoinText(std::string_view a, std::string_view b, std::string_view c = {}) {
  domain::TextArgs x;
  x.s = {a, b, c};
  return domain::Text::Deferred(
      [](const domain::TextArgs& t, std::string& out) {
        out += t.s[0];
        out += t.s[1];
        out += t.s[2];
      },
      x);
}

}  // namespace kira::advisor::internal

#endif  // KIRA_ADVISOR_INTERNAL_FORMAT_H_
