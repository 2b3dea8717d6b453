// JSON rendering of a pharmacokinetic prediction (`kira pk --json`).
#ifndef KIRA_API_PK_JSON_H_
#define KIRA_API_PK_JSON_H_

#include <string>
#include <vector>

#include "kira/advisor/dose.h"
#include "kira/advisor/pk_check.h"

namespace kira::api {

// `prediction` is the selected model's; `comparison` holds the same dose under
// every model (may be empty). Numbers carry their unit in the key.
std::string PkPredictionToJson(const advisor::DoseResult& dose, const advisor::PkPrediction& prediction,
                               const std::vector<advisor::PkPrediction>& comparison, int indent = 2);

// `kira pk --target-ng-per-ml --json`: the schedule, caps and notes.
std::string TargetPlanToJson(const advisor::TargetPlan& plan, units::NanogramsPerMillilitre target, int indent = 2);

}  // namespace kira::api

#endif  // KIRA_API_PK_JSON_H_
