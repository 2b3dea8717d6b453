// The adapter from the registry's DoseCheck to the Advisor's dose rules
// (rules/dose.h): builds the patient facts and the dose request from the
// stored records, so that every recorded session is checked against the
// guideline library's limits, including the cumulative daily limit computed
// from the sessions already stored for that UTC day.
#ifndef KIRA_REGISTRY_ADVISOR_H_
#define KIRA_REGISTRY_ADVISOR_H_

#include "kira/guideline/library.h"
#include "kira/registry/record_session.h"

namespace kira::registry {

// REQUIRES: `library` outlives the returned function.
DoseCheck AdvisorDoseCheck(const guideline::Library& library);

}  // namespace kira::registry

#endif  // KIRA_REGISTRY_ADVISOR_H_
