// Eligibility screening: (library, patient, route) -> Decision.
//
// Every rule in the library whose scope (routes, indications) matches and
// whose condition holds becomes a finding carrying its grade, certainty,
// evidence tag and citation. The outcome is
//   "not_eligible"            any hard_stop (absolute contraindication)
//   "eligible_with_cautions"  any soft_stop or caution
//   "eligible"                otherwise (info findings only)
// Plausibility of the facts (plausibility.h) runs first. Screening also names
// the rescue plan (benzodiazepine or clonidine, never an antipsychotic) by
// calling the one rescue rule (rescue.h PlanRescue) on its own findings.
// Pure: no clock, no I/O.
#ifndef KIRA_ADVISOR_SCREEN_H_
#define KIRA_ADVISOR_SCREEN_H_

#include <string>
#include <string_view>
#include <vector>

#include "kira/domain/decision.h"
#include "kira/domain/patient.h"
#include "kira/guideline/library.h"
#include "kira/advisor/library.h"
#include "kira/advisor/rescue.h"

namespace kira::advisor {

struct ScreenResult {
  domain::Decision decision;
  RescuePlan rescue;
};

// Outcome vocabulary (frozen strings).
inline constexpr std::string_view kEligible = "eligible";
inline constexpr std::string_view kEligibleWithCautions = "eligible_with_cautions";
inline constexpr std::string_view kNotEligible = "not_eligible";

// REQUIRES: lib validated by the loader; patient validated by the parser
// (diagnoses and route known to lib).
ScreenResult Screen(const guideline::Library& lib, const AdvisorLibrary& advisor, const domain::Patient& patient,
                    std::string_view route);

// The same evaluation as Screen, materialising only findings of at least
// `min_severity` (the dosing check needs only the hard stops), and returning
// the screening outcome of the full evaluation. Cheaper than Screen.
std::string_view ScreenOutcome(const guideline::Library& lib, const domain::Patient& patient, std::string_view route,
                               domain::Severity min_severity, std::vector<domain::Finding>* out);

// The one finding builder, domain::MakeFinding.
using domain::MakeFinding;

}  // namespace kira::advisor

#endif  // KIRA_ADVISOR_SCREEN_H_
