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
std::string CohortReportToJson(const analytics::CohortReport& report);

}  // namespace kira::api

#endif  // KIRA_API_ANALYTICS_JSON_H_
