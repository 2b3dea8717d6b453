// Wire types of the research dashboard (GET /api/v1/research/...): the
// query parameters as a research::ResearchQuery, and the report as JSON.
#ifndef KIRA_API_RESEARCH_JSON_H_
#define KIRA_API_RESEARCH_JSON_H_

#include <map>
#include <set>
#include <string>

#include "kira/base/statusor.h"
#include "kira/research/research.h"

namespace kira::api {

// Parameters (all optional): clinics = mine | all, by = indication |
// protocol | route | clinic, instrument, indication, protocol, route, from
// and to (YYYY-MM-DD, UTC, inclusive). `also` names further parameters the
// route takes; any other parameter is an error. Errors: kInvalidArgument
// naming the parameter. clinic_id and min_cell are the caller's to set.
StatusOr<research::ResearchQuery> ParseResearchQuery(const std::map<std::string, std::string>& params,
                                                     const std::set<std::string>& also = {});

// The reply of GET /api/v1/research/report (openapi.json ResearchReport):
// filters, suppressed_below, report (CohortReportToJson with the rule),
// trials and figures.
std::string ResearchReportToJson(const research::ResearchReport& r);

}  // namespace kira::api

#endif  // KIRA_API_RESEARCH_JSON_H_
