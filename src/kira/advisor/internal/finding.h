// A Finding from an advisor setting's provenance (shared by plan, monitor,
// rescue and discharge). Internal to advisor/.
#ifndef KIRA_ADVISOR_INTERNAL_FINDING_H_
#define KIRA_ADVISOR_INTERNAL_FINDING_H_

#include <string>
#include <utility>

#include "kira/advisor/library.h"
#include "kira/domain/decision.h"

namespace kira::advisor::internal {

// The one finding builder (domain/decision.h), under the name advisor code uses.
inline domain::Finding FindingFromSource(std::string rule_id, domain::Severity sev, std::string message,
                                         const SettingSource& src) {
  return domain::MakeFinding(std::move(rule_id), sev, std::move(message), src);
}

}  // namespace kira::advisor::internal

#endif  // KIRA_ADVISOR_INTERNAL_FINDING_H_
