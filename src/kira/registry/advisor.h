// The adapter from the registry's DoseCheck to the Advisor's dose rules
// (rules/dose.h): builds the patient facts and the dose request from the
// stored records, so that every recorded session is checked against the
// guideline library's limits, including the cumulative daily limit computed
// from the sessions already stored for that UTC day.
//
// The patient is the stored clinical record (current facts version), the
// session is judged by advisor::CheckRecordedSession on what was given, and
// with the advisor library's annual cap, advisor::CheckAnnualCap counts the
// patient's other stored sessions in every rolling window containing the
// session's date (before and after it, so the answer does not depend on the
// order of entry). Nothing here re-implements a rule.
#ifndef KIRA_REGISTRY_ADVISOR_H_
#define KIRA_REGISTRY_ADVISOR_H_

#include "kira/advisor/library.h"
#include "kira/guideline/library.h"
#include "kira/registry/record_session.h"

namespace kira::registry {

// REQUIRES: `library` (and `annual_cap` when given) outlive the returned function.
DoseCheck AdvisorDoseCheck(const guideline::Library& library, const advisor::AnnualCap* annual_cap = nullptr);

}  // namespace kira::registry

#endif  // KIRA_REGISTRY_ADVISOR_H_
