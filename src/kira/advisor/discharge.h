// The discharge checklist (clinical-reference.md 2, 3): minimum observation
// time, a blood pressure before discharge, vitals back near baseline,
// dissociation resolved, oriented, a responsible adult and a ride home, told
// not to drive until the next day, next visit booked. Discharge criteria are
// not in the reference (U) except esketamine's (V [R10, R11]); each item is a
// clinic setting in guidelines/advisor.json.
#ifndef KIRA_ADVISOR_DISCHARGE_H_
#define KIRA_ADVISOR_DISCHARGE_H_

#include <string_view>

#include "kira/advisor/library.h"
#include "kira/advisor/timeline.h"
#include "kira/base/statusor.h"
#include "kira/domain/decision.h"

namespace kira::advisor {

// outcome "ready" or "not_ready"; each missing item is a finding:
//   discharge.min_observation     esketamine: hard_stop before 120 min from the
//                                 first device (V [R10]); IV: soft_stop before
//                                 the clinic setting after the end of infusion (U)
//   discharge.bp_before_discharge soft_stop without a BP after the dose ended (V [R10])
//   discharge.vitals_near_baseline soft_stop; computed from the tolerance
//                                 settings when set, else the clinician's attestation (U)
//   discharge.<attestation id>    each unattested checklist item
//   discharge.session_state       soft_stop when the dose never ended
//   discharge.rems_form_due       info, esketamine: Patient Monitoring Form within 7 days (V [R11])
// Errors: kInvalidArgument "discharge: missing" when the timeline has no
// discharge record.
StatusOr<domain::Decision> EvaluateDischarge(const AdvisorLibrary& lib, const SessionTimeline& timeline);

// The one rule for which minimum observation applies to a route and what it
// counts from: esketamine nasal spray from the first device (the start,
// V [R10]); an infusion from the end of the dose. The discharge check, the
// pre-session gate and the chair-side countdown all read it.
struct MinimumObservation {
  const NumericSetting& setting;
  bool counts_from_start;  // else from the end of the dose
};
MinimumObservation MinimumObservationFor(const MonitoringSettings& monitoring, std::string_view route);

}  // namespace kira::advisor

#endif  // KIRA_ADVISOR_DISCHARGE_H_
