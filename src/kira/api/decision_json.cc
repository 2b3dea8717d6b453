#include "kira/api/decision_json.h"

#include <cmath>

#include "kira/api/internal/render.h"

namespace kira::api {

using Json = nlohmann::json;

namespace internal {

Json MetaJson(const guideline::RuleMeta& m) {
  return Json{{"grade", m.grade.empty() ? Json(nullptr) : Json(m.grade)},
              {"certainty", m.certainty.empty() ? Json(nullptr) : Json(m.certainty)},
              {"evidence", std::string(domain::EvidenceName(m.evidence))},
              {"citation", m.citation},
              {"rationale", m.rationale},
              {"scope", m.scope.empty() ? Json(nullptr) : Json(m.scope)}};
}

Json FindingJson(const domain::Finding& f) {
  return Json{{"rule_id", f.rule_id},
              {"severity", std::string(domain::SeverityName(f.severity))},
              {"message", f.message.str()},
              {"grade", f.grade.empty() ? Json(nullptr) : Json(f.grade)},
              {"certainty", f.certainty.empty() ? Json(nullptr) : Json(f.certainty)},
              {"evidence", std::string(domain::EvidenceName(f.evidence))},
              {"citation", f.citation.str()},
              {"rationale", f.rationale.str()},
              {"scope", f.scope.empty() ? Json(nullptr) : Json(f.scope.str())}};
}

Json DecisionJson(const domain::Decision& d) {
  Json j;
  j["outcome"] = d.outcome;
  j["findings"] = Json::array();
  for (const auto& f : d.findings) j["findings"].push_back(FindingJson(f));
  j["inputs_used"] = Json::object();
  for (const auto& in : d.inputs_used) j["inputs_used"][in.name.str()] = in.value.str();
  j["guideline"] = Json{{"id", d.guideline.id}, {"version", d.guideline.version}};
  if (d.override_) {
    j["override"] = Json{{"who", d.override_->who}, {"when", d.override_->when},
                         {"reason", d.override_->reason}, {"rule_ids", d.override_->rule_ids}};
  } else {
    j["override"] = nullptr;
  }
  return j;
}

}  // namespace internal

namespace {
double Round(double v, int decimals) {
  double s = std::pow(10.0, decimals);
  return std::round(v * s) / s;
}
}  // namespace

std::string DecisionToJson(const domain::Decision& d, int indent) { return internal::DecisionJson(d).dump(indent); }

std::string ScreenResultToJson(const advisor::ScreenResult& r, int indent) {
  Json j = internal::DecisionJson(r.decision);
  Json avoid = Json::array();
  for (const auto& a : r.rescue.avoid) {
    avoid.push_back(Json{{"agent", a.agent}, {"rule_id", a.rule_id}, {"reason", a.reason.str()}});
  }
  j["rescue_plan"] = Json{{"preferred", r.rescue.preferred}, {"usable", r.rescue.usable}, {"avoid", avoid}};
  return j.dump(indent);
}

std::string DoseResultToJson(const advisor::DoseResult& r, int indent) {
  using namespace units;  // NOLINT: local, for the accessors
  Json j = internal::DecisionJson(r.decision);
  Json dose;
  dose["protocol"] = r.protocol_id;
  dose["actual_weight_kg"] = Round(ToKg(r.actual_weight), 2);
  dose["dosing_weight_kg"] = Round(ToKg(r.dosing_weight), 2);
  dose["weight_basis"] = r.weight_basis;
  dose["bmi"] = r.bmi ? Json(Round(*r.bmi, 1)) : Json(nullptr);
  dose["computed_dose_mg"] = Round(ToMg(r.computed_dose), 2);
  dose["dose_mg"] = Round(ToMg(r.dose), 2);
  dose["dose_mg_per_kg"] = Round(ToMgPerKg(r.dose_per_kg), 4);
  dose["rate_mg_per_h"] = r.rate_mg_per_h ? Json(Round(ToMgPerH(*r.rate_mg_per_h), 3)) : Json(nullptr);
  dose["rate_mg_per_kg_per_h"] = r.rate_mg_per_kg_per_h ? Json(Round(ToMgPerKgPerH(*r.rate_mg_per_kg_per_h), 4)) : Json(nullptr);
  dose["day_total_mg"] = Round(ToMg(r.day_total), 2);
  if (r.pump) {
    dose["pump"] = Json{{"concentration_mg_per_ml", ToMgPerMl(r.pump->concentration)},
                        {"volume_ml", Round(ToMl(r.pump->volume), 2)},
                        {"rate_ml_per_h", ToMlPerH(r.pump->rate)},
                        {"duration_min", Round(ToMinutes(r.pump->duration), 2)}};
  } else {
    dose["pump"] = nullptr;
  }
  dose["devices"] = r.devices ? Json(*r.devices) : Json(nullptr);
  Json implied = Json::array();
  for (const auto& i : r.at_plausible_weights)
    implied.push_back(Json{{"weight_kg", Round(ToKg(i.weight), 1)}, {"dose_mg_per_kg", Round(ToMgPerKg(i.dose_per_kg), 3)}});
  dose["at_plausible_weights"] = implied;
  j["dose"] = dose;
  return j.dump(indent);
}

}  // namespace kira::api
