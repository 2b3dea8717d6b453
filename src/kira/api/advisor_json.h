// JSON adapter for guidelines/advisor.json, session timelines, plan histories
// and the advisor's results. No JSON type appears in this header; every parse
// error is kInvalidArgument naming the JSON path of the bad field.
#ifndef KIRA_API_ADVISOR_JSON_H_
#define KIRA_API_ADVISOR_JSON_H_

#include <chrono>
#include <string>
#include <string_view>

#include "kira/advisor/library.h"
#include "kira/advisor/monitor.h"
#include "kira/advisor/plan.h"
#include "kira/advisor/timeline.h"
#include "kira/base/statusor.h"
#include "kira/domain/decision.h"

namespace kira::api {

// guidelines/advisor.json. Besides types, checks: the annual cap lies within
// [allowed_min, allowed_max] (the guideline's 6-12), every template has an
// induction, gaps are >= 1 day, maintenance min <= default <= max.
StatusOr<advisor::AdvisorLibrary> ParseAdvisorLibrary(std::string_view text);

// A session timeline (see examples/session-*.json). Events must be in time
// order; vitals are range-checked (e.g. "events[3].sbp_mmhg: must be <= 350,
// got 400"); the screening findings may be rule-id strings or objects with a
// "rule_id".
StatusOr<advisor::SessionTimeline> ParseSessionTimeline(std::string_view text);

// A plan history (see examples/history-*.json): {"instrument", "baseline_score",
// "sessions": [{"date": "YYYY-MM-DD", "phase", "score", "completed",
// "baseline_score"}]} in date order.
StatusOr<advisor::PlanHistory> ParsePlanHistory(std::string_view text);

// "YYYY-MM-DD" -> civil date; `field` names the field in the error.
StatusOr<std::chrono::sys_days> ParseIsoDate(std::string_view text, std::string_view field);

// Decisions render with kira/api/decision_json.h DecisionToJson.
std::string MonitorResultToJson(const advisor::MonitorResult& r);
std::string PlanResultToJson(const advisor::PlanResult& r);

}  // namespace kira::api

#endif  // KIRA_API_ADVISOR_JSON_H_
