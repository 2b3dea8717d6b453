// Request bodies of `kira serve` that feed the Advisor part 2. The server
// holds the session's vitals and adverse events; the body adds what the
// registry does not store (pre-session checks, baseline, the screening's
// findings, discharge attestations). The assembled timeline goes through
// ParseSessionTimeline, so every value is validated exactly as from a file.
#ifndef KIRA_API_SERVER_ADVISOR_JSON_H_
#define KIRA_API_SERVER_ADVISOR_JSON_H_

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "kira/advisor/plan.h"
#include "kira/advisor/timeline.h"
#include "kira/base/statusor.h"
#include "kira/domain/records.h"

namespace kira::api {

// POST /api/v1/sessions/{id}/monitor and /discharge: {"precheck", "baseline",
// "screening_findings"?, "route"?, "discharge"?}. Events come from the records:
// "start" at started_at (t = 0), one "vitals" event per distinct instant, a
// "symptom" event for each adverse event whose type is one of
// `rescue_symptoms` and a "rescue" event when a rescue was given (agent = its
// first word, e.g. "midazolam 1 mg IV" -> "midazolam"), "end_dose" at
// stopped_at. Records before started_at are left out (pre-session).
//
// The stored clinical record comes first: when `facts` carries baseline
// vitals they are the timeline's baseline (a body "baseline" is then refused,
// naming the field), and when `screening` is given its findings are the
// screening the rescue advice reads (a body "screening_findings" is refused).
StatusOr<advisor::SessionTimeline> ParseSessionCheckRequest(std::string_view body, const domain::SessionRecord& session,
                                                           const std::string& indication,
                                                           const std::vector<domain::VitalSign>& vitals,
                                                           const std::vector<domain::AdverseEvent>& events,
                                                           const std::set<std::string>& rescue_symptoms,
                                                           const std::optional<domain::PatientFacts>& facts = std::nullopt,
                                                           const std::optional<domain::ScreeningRecord>& screening =
                                                               std::nullopt);

// POST /api/v1/patients/{id}/plan: {"start": "YYYY-MM-DD", "route"?,
// "maintenance_horizon"?, "history"? (plan history as in examples/history-*.json),
// "override_reason"?}.
struct PlanCall {
  advisor::PlanRequest request;
  std::optional<advisor::PlanHistory> history;  // absent: the server derives it from the registry
  std::string override_reason;
};
StatusOr<PlanCall> ParsePlanCallRequest(std::string_view body);

}  // namespace kira::api

#endif  // KIRA_API_SERVER_ADVISOR_JSON_H_
