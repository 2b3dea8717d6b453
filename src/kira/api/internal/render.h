// nlohmann::json renderings of domain values (internal to kira/api).
#ifndef KIRA_API_INTERNAL_RENDER_H_
#define KIRA_API_INTERNAL_RENDER_H_

#include <nlohmann/json.hpp>

#include "kira/domain/decision.h"
#include "kira/guideline/library.h"

namespace kira::api::internal {

nlohmann::json MetaJson(const guideline::RuleMeta& m);
nlohmann::json FindingJson(const domain::Finding& f);
nlohmann::json DecisionJson(const domain::Decision& d);

}  // namespace kira::api::internal

#endif  // KIRA_API_INTERNAL_RENDER_H_
