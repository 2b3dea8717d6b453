// analytics::CohortReport as JSON (kira report --json). Field names carry
// units (`_days`, `mg_per_kg`); every rate is an object with numerator,
// denominator and, when the denominator is > 0, rate / ci_low / ci_high.
#ifndef KIRA_API_ANALYTICS_JSON_H_
#define KIRA_API_ANALYTICS_JSON_H_

#include <string>

#include "kira/analytics/cohort_report.h"

namespace kira::api {

// Pretty-printed (2-space indent). Absent fits are null with a
// "not_estimable" reason beside them.
//
// With a SmallCellRule (the research dashboard), every count the rule hides
// is null, a hidden rate has null numerator / rate / ci and
// "suppressed": true, means over a hidden n are null, a dose-response fit
// with a hidden event count is left out ("not_estimable": "suppressed ..."),
// dose bands with a hidden session count are dropped, and the Kaplan-Meier
// steps stop before the first time fewer than min_cell responders are at
// risk (per-step event and censoring counts are then null). The whole
// relapse curve is left out when there are fewer than min_cell responders.
std::string CohortReportToJson(const analytics::CohortReport& report, const analytics::SmallCellRule& cells = {});
// The same document as a JSON value's text without indentation (for
// embedding in a larger reply).
std::string CohortReportToCompactJson(const analytics::CohortReport& report, const analytics::SmallCellRule& cells);

}  // namespace kira::api

#endif  // KIRA_API_ANALYTICS_JSON_H_
