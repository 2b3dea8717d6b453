// A Finding from an advisor setting's provenance (shared by plan, monitor,
// rescue and discharge). Internal to advisor/.
#ifndef KIRA_ADVISOR_INTERNAL_FINDING_H_
#define KIRA_ADVISOR_INTERNAL_FINDING_H_

#include <string>
#include <utility>

#include "kira/advisor/library.h"
#include "kira/domain/decision.h"

namespace kira::advisor::internal {

inline domain::Finding FindingFromSource(std::string rule_id, domain::Severity sev, std::string message,
                                         const SettingSource& src) {
  domain::Finding f;
  f.rule_id = std::move(rule_id);
  f.severity = sev;
  f.message = std::move(message);
  f.grade = src.grade;
  f.certainty = src.certainty;
  f.evidence = src.evidence;
  f.citation = src.citation;
  f.rationale = src.note;
  return f;
}

}  // namespace kira::advisor::internal

#endif  // KIRA_ADVISOR_INTERNAL_FINDING_H_
