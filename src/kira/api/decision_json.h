// JSON renderings of Advisor results: the decision record of design.md.
#ifndef KIRA_API_DECISION_JSON_H_
#define KIRA_API_DECISION_JSON_H_

#include <string>

#include "kira/domain/decision.h"
#include "kira/rules/dose.h"
#include "kira/rules/screen.h"

namespace kira::api {

std::string DecisionToJson(const domain::Decision& d, int indent = 2);
std::string ScreenResultToJson(const rules::ScreenResult& r, int indent = 2);
std::string DoseResultToJson(const rules::DoseResult& r, int indent = 2);

}  // namespace kira::api

#endif  // KIRA_API_DECISION_JSON_H_
