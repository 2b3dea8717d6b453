// Eligibility screening: (library, patient, route) -> Decision.
//
// Every rule in the library whose scope (routes, indications) matches and
// whose condition holds becomes a finding carrying its grade, certainty,
// evidence tag and citation. The outcome is
//   "not_eligible"            any hard_stop (absolute contraindication)
//   "eligible_with_cautions"  any soft_stop or caution
//   "eligible"                otherwise (info findings only)
// Screening also names the rescue plan (benzodiazepine or clonidine, never an
// antipsychotic) from the rescue findings. Pure: no clock, no I/O.
#ifndef KIRA_ADVISOR_SCREEN_H_
#define KIRA_ADVISOR_SCREEN_H_

#include <string>
#include <string_view>
#include <vector>

#include "kira/domain/decision.h"
#include "kira/domain/patient.h"
#include "kira/guideline/library.h"

namespace kira::advisor {

struct RescueAvoid {
  std::string agent;    // "midazolam", "benzodiazepines", "antipsychotics"
  std::string rule_id;  // the finding behind it
  std::string reason;
};

struct RescuePlan {
  std::string preferred;            // "low-dose benzodiazepine (midazolam or lorazepam) or clonidine" | "clonidine"
  std::vector<RescueAvoid> avoid;   // always includes antipsychotics
};

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
ScreenResult Screen(const guideline::Library& lib, const domain::Patient& patient, std::string_view route);

// The same evaluation as Screen, materialising only findings of at least
// `min_severity` (the dosing check needs only the hard stops), and returning
// the screening outcome of the full evaluation. Cheaper than Screen.
std::string_view ScreenOutcome(const guideline::Library& lib, const domain::Patient& patient, std::string_view route,
                               domain::Severity min_severity, std::vector<domain::Finding>* out);

// Makes a finding from a rule's provenance.
domain::Finding MakeFinding(std::string rule_id, domain::Severity severity, std::string message,
                            const guideline::RuleMeta& meta);

}  // namespace kira::advisor

#endif  // KIRA_ADVISOR_SCREEN_H_
