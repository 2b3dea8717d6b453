#include "kira/domain/patient.h"

namespace kira::domain {

std::string_view SexName(Sex s) {
  switch (s) {
    case Sex::kFemale: return "female";
    case Sex::kMale: return "male";
    case Sex::kOther: return "other";
    case Sex::kUnknown: return "unknown";
  }
  return "unknown";
}

std::string_view WeightMethodName(WeightMethod m) {
  switch (m) {
    case WeightMethod::kMeasured: return "measured";
    case WeightMethod::kStated: return "stated";
    case WeightMethod::kEstimated: return "estimated";
  }
  return "measured";
}

bool Patient::HasCondition(std::string_view condition_id) const {
  auto it = history.find(condition_id);
  return it != history.end() && it->second;
}

}  // namespace kira::domain
