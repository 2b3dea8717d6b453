// A Finding from an advisor setting's provenance (shared by plan, monitor,
// rescue and discharge), and the severity order of a decision's findings.
// Internal to advisor/.
#ifndef KIRA_ADVISOR_INTERNAL_FINDING_H_
#define KIRA_ADVISOR_INTERNAL_FINDING_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "kira/advisor/library.h"
#include "kira/domain/decision.h"

namespace kira::advisor::internal {

// The one finding builder (domain/decision.h), under the name advisor code uses.
inline domain::Finding FindingFromSource(std::string rule_id, domain::Severity sev, domain::Text message,
                                         const SettingSource& src) {
  return domain::MakeFinding(std::move(rule_id), sev, std::move(message), src);
}

// Most severe first, stable within a severity so the library's order is kept
// (what std::stable_sort gives, without its temporary buffer: a decision has
// a handful of findings).
inline void SortBySeverity(std::vector<domain::Finding>& fs) {
  for (std::size_t i = 1; i < fs.size(); ++i) {
    if (!(fs[i].severity > fs[i - 1].severity)) continue;
    domain::Finding moving = std::move(fs[i]);
    std::size_t j = i;
    while (j > 0 && moving.severity > fs[j - 1].severity) {
      fs[j] = std::move(fs[j - 1]);
      --j;
    }
    fs[j] = std::move(moving);
  }
}

}  // namespace kira::advisor::internal

#endif  // KIRA_ADVISOR_INTERNAL_FINDING_H_
