// JSON renderings of Advisor results: the decision record of design.md.
#ifndef KIRA_API_DECISION_JSON_H_
#define KIRA_API_DECISION_JSON_H_

#include <string>

#include "kira/domain/decision.h"
#include "kira/advisor/dose.h"
#include "kira/advisor/screen.h"

namespace kira::api {

std::string DecisionToJson(const domain::Decision& d, int indent = 2);
std::string ScreenResultToJson(const advisor::ScreenResult& r, int indent = 2);
std::string DoseResultToJson(const advisor::DoseResult& r, int indent = 2);

}  // namespace kira::api

#endif  // KIRA_API_DECISION_JSON_H_
