// The adapter from the registry's DoseCheck to the Advisor's dose rules
// (rules/dose.h): builds the patient facts and the dose request from the
// stored records, so that every recorded session is checked against the
// guideline library's limits, including the cumulative daily limit computed
// from the sessions already stored for that UTC day.
//
// With the advisor library's annual cap (advisor/library.h, part 2), it also
// counts the patient's stored sessions with a given dose in the rolling
// window ending on the session's date: one more than the cap is a soft stop
// "plan.cap.annual" (an exceptional-circumstance override reason lets it
// through, and RecordSession stores it as an OverrideRecord). Every stored session
// counts (counting unit "session"); a clinic configured to count "series"
// is counted per session here, which can only be stricter.
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
