// Plausibility of the recorded patient facts: the first step of every
// screening and every dose check (and so of every recorded session), so no
// path can dose on a value that cannot be true.
//
// Checks, each bound a clinic setting in guidelines/kira.json
// ("plausibility.*", "weight.*"; U: no published bound, confirm locally):
//   weight.implausible            hard_stop  adult weight outside
//                                            [adult_weight_min_kg, adult_weight_max_kg],
//                                            or BMI outside [bmi_implausible_low, _high]
//   weight.implausible_confirmed  caution    the same, but the weight was measured on a
//                                            scale and the clinician re-entered the same
//                                            value with their name (Patient::weight.
//                                            implausible_confirmed_*): a typo cannot pass
//                                            by a ticked box
//   height.implausible            hard_stop  adult height outside [adult_height_min_cm, _max_cm]
//   weight.height_missing         hard_stop  weight-based dose for an adult without a height
//                                            (the weight cannot be checked against BMI)
//   weight.unit.pounds_as_kg[_possible] soft_stop/caution  a kg value that reads as a
//                                            normal BMI in pounds
//   weight.change_since_last_visit soft_stop change from the previous visit's weight above
//                                            weight_change_pct (re-weigh; the reason is recorded)
//   patient.birth_after_session   hard_stop  birth date after the session date
//   vitals.implausible            hard_stop  a baseline vital outside its physiological range
// Sex is not used: no sourced sex-specific bound exists (the ideal-body-weight
// formula uses it for dosing weight, dose.cc). Pure: no clock, no I/O.
#ifndef KIRA_ADVISOR_PLAUSIBILITY_H_
#define KIRA_ADVISOR_PLAUSIBILITY_H_

#include <optional>
#include <string_view>
#include <vector>

#include "kira/domain/decision.h"
#include "kira/domain/patient.h"
#include "kira/guideline/library.h"

namespace kira::advisor {

struct PlausibilityContext {
  // A dose computed per kilogram: an adult's height becomes required.
  bool weight_based_dose = false;
  // ISO date "YYYY-MM-DD" of the session, or "" when not known (screening).
  std::string_view session_date;
};

// Appends one finding per implausible fact to `out`.
void CheckPlausibility(const guideline::Library& lib, const domain::Patient& patient, const PlausibilityContext& ctx,
                       std::optional<double> bmi, std::vector<domain::Finding>* out);

// True when the patient counts as an adult for the plausibility bounds.
bool IsAdult(const guideline::Library& lib, const domain::Patient& patient);

}  // namespace kira::advisor

#endif  // KIRA_ADVISOR_PLAUSIBILITY_H_
