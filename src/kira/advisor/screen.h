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

// What a dose check on the same facts and route carries over from a
// screening (dose.h, CheckDose with a screening): the hard stops of the
// screening rules and the outcome of the rules alone (plausibility is judged
// again by the dose check, in its own context). Filled by Screen; a
// ScreenResult read back from storage or JSON has none (lib == nullptr), and
// the dose check then screens again.
struct ScreeningCarryOver {
  const guideline::Library* lib = nullptr;    // the library screened with
  const domain::Patient* patient = nullptr;  // the facts screened
  // A cheap guard against a patient object changed or reused since: a few
  // facts as they were when screened.
  double age_years = 0.0;
  double weight = 0.0;
  bool pregnant = false;
  std::size_t n_diagnoses = 0, n_history = 0, n_medications = 0;
  bool Matches(const guideline::Library& l, const domain::Patient& p, std::string_view r) const {
    return lib == &l && patient == &p && route == r && age_years == p.age_years &&
           weight == p.weight.value.canonical() && pregnant == p.pregnant && n_diagnoses == p.diagnoses.size() &&
           n_history == p.history.size() && n_medications == p.medications.size();
  }
  std::string route;
  std::string_view rules_outcome;                            // kEligible... (frozen strings)
  std::vector<const guideline::ScreeningRule*> hard_stops;  // in library order
};

struct ScreenResult {
  domain::Decision decision;
  RescuePlan rescue;
  ScreeningCarryOver carry_over;
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
