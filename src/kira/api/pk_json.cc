#include "kira/api/pk_json.h"

#include <cmath>

#include "kira/api/internal/render.h"

namespace kira::api {

namespace {

using Json = nlohmann::json;
namespace u = units;

double Round(double v, int decimals) {
  const double s = std::pow(10.0, decimals);
  return std::round(v * s) / s;
}

Json OptMinutes(const std::optional<u::Duration>& d) {
  return d ? Json(Round(u::ToMinutes(*d), 2)) : Json(nullptr);
}

Json ModelSummary(const advisor::PkPrediction& p) {
  return Json{{"model", std::string(p.model.name)},
              {"peak_ng_per_ml", Round(u::ToNgPerMl(p.analysis.peak.concentration), 1)},
              {"peak_time_min", Round(u::ToMinutes(p.analysis.peak.time), 2)},
              {"rule_id", p.finding.rule_id},
              {"severity", std::string(domain::SeverityName(p.finding.severity))}};
}

}  // namespace

std::string PkPredictionToJson(const advisor::DoseResult& dose, const advisor::PkPrediction& p,
                               const std::vector<advisor::PkPrediction>& comparison, int indent) {
  Json j;
  j["protocol"] = dose.protocol_id;
  j["route"] = p.route;
  j["dose_mg"] = Round(u::ToMg(dose.dose), 2);
  j["actual_weight_kg"] = Round(u::ToKg(dose.actual_weight), 2);
  const pk::ModelParameters& m = p.model;
  j["model"] = Json{{"name", std::string(m.name)},
                    {"display_name", std::string(m.display_name)},
                    {"citation", std::string(m.citation)},
                    {"evidence", std::string(pk::EvidenceTag(m.evidence))},
                    {"compartments", m.compartments},
                    {"v1_l_per_kg", m.v1_l_per_kg},
                    {"k10_per_min", m.k10_per_min},
                    {"k12_per_min", m.k12_per_min},
                    {"k21_per_min", m.k21_per_min},
                    {"k13_per_min", m.k13_per_min},
                    {"k31_per_min", m.k31_per_min}};
  Json infusions = Json::array(), doses = Json::array();
  for (const pk::Infusion& i : p.regimen.infusions) {
    infusions.push_back(Json{{"start_min", u::ToMinutes(i.start)},
                             {"duration_min", u::ToMinutes(i.duration)},
                             {"rate_mg_per_h", Round(u::ToMgPerH(i.rate), 4)}});
  }
  for (const pk::Dose& d : p.regimen.doses) {
    doses.push_back(Json{{"time_min", u::ToMinutes(d.time)},
                         {"amount_mg", u::ToMg(d.amount)},
                         {"route", std::string(pk::RouteName(d.route))}});
  }
  j["regimen"] = Json{{"infusions", infusions}, {"doses", doses}};
  j["horizon_min"] = u::ToMinutes(p.horizon);
  j["peak"] = Json{{"ng_per_ml", Round(u::ToNgPerMl(p.analysis.peak.concentration), 2)},
                   {"time_min", Round(u::ToMinutes(p.analysis.peak.time), 3)}};
  if (p.analysis.crossings) {
    const pk::ThresholdCrossings& x = *p.analysis.crossings;
    j["anaesthetic_threshold"] = Json{{"ng_per_ml", u::ToNgPerMl(x.threshold)},
                                      {"time_above_min", Round(u::ToMinutes(x.time_above), 2)},
                                      {"first_above_min", OptMinutes(x.first_above)},
                                      {"last_above_min", OptMinutes(x.last_above)},
                                      {"citation", std::string(pk::kGeneralAnaesthesiaBand.citation)}};
  }
  if (p.above_awakening) {
    const pk::ThresholdCrossings& x = *p.above_awakening;
    j["awakening_level"] = Json{{"ng_per_ml", u::ToNgPerMl(x.threshold)},
                                {"time_above_min", Round(u::ToMinutes(x.time_above), 2)},
                                {"last_above_min", OptMinutes(x.last_above)},
                                {"evidence", std::string(pk::EvidenceTag(pk::kAwakeningEvidence))},
                                {"citation", std::string(pk::kAwakeningCitation)}};
  }
  j["at_discharge_ng_per_ml"] =
      p.at_discharge ? Json(Round(u::ToNgPerMl(*p.at_discharge), 2)) : Json(nullptr);
  j["concentration_at_horizon_ng_per_ml"] = Round(u::ToNgPerMl(p.analysis.at_end), 3);
  Json sessions = Json::array();
  for (const pk::SessionSummary& s : p.analysis.sessions) {
    sessions.push_back(Json{{"start_min", u::ToMinutes(s.start)},
                            {"peak_ng_per_ml", Round(u::ToNgPerMl(s.peak.concentration), 2)},
                            {"peak_time_min", Round(u::ToMinutes(s.peak.time), 3)},
                            {"before_next_ng_per_ml", Round(u::ToNgPerMl(s.before_next), 3)}});
  }
  j["sessions"] = sessions;
  j["intended_band"] = p.intended_band_text;
  j["band_position"] = std::string(pk::BandPositionName(p.check.position));
  j["finding"] = internal::FindingJson(p.finding);
  Json assumptions = Json::array();
  for (const pk::Assumption& a : p.analysis.assumptions) {
    assumptions.push_back(
        Json{{"what", a.what}, {"evidence", std::string(pk::EvidenceTag(a.evidence))}, {"source", a.source}});
  }
  j["assumptions"] = assumptions;
  Json cmp = Json::array();
  for (const advisor::PkPrediction& c : comparison) cmp.push_back(ModelSummary(c));
  j["model_comparison"] = cmp;
  j["dose_check"] = internal::DecisionJson(dose.decision);
  return j.dump(indent);
}

std::string TargetPlanToJson(const advisor::TargetPlan& t, u::NanogramsPerMillilitre target, int indent) {
  const pk::TargetControlPlan& p = t.plan;
  Json j;
  j["target_ng_per_ml"] = u::ToNgPerMl(target);
  j["model"] = std::string(t.model.name);
  j["model_evidence"] = std::string(pk::EvidenceTag(t.model.evidence));
  j["rate_cap"] = t.rate_cap_source;
  j["total_cap"] = t.total_cap_source.empty() ? Json(nullptr) : Json(t.total_cap_source);
  Json steps = Json::array();
  for (const pk::Infusion& i : p.schedule) {
    steps.push_back(Json{{"start_min", Round(u::ToMinutes(i.start), 4)},
                         {"duration_min", Round(u::ToMinutes(i.duration), 4)},
                         {"rate_mg_per_h", Round(u::ToMgPerH(i.rate), 4)}});
  }
  j["schedule"] = steps;
  j["time_to_target_min"] = OptMinutes(p.time_to_target);
  j["loading_dose_mg"] = Round(u::ToMg(p.loading_dose), 3);
  j["maintenance_rate_steady_state_mg_per_kg_per_h"] = Round(u::ToMgPerKgPerH(p.maintenance_rate_steady_state), 4);
  j["final_rate_mg_per_kg_per_h"] = Round(u::ToMgPerKgPerH(p.final_rate), 4);
  j["central_volume_bolus_mg"] = Round(u::ToMg(p.central_volume_bolus), 3);
  j["total_dose_mg"] = Round(u::ToMg(p.total_dose), 3);
  j["concentration_at_end_ng_per_ml"] = Round(u::ToNgPerMl(p.concentration_at_end), 2);
  j["rate_cap_binding"] = p.rate_cap_binding;
  j["rate_cap_prevents_holding"] = p.rate_cap_prevents_holding;
  j["target_lost"] = p.target_lost;
  j["total_cap_reached_at_min"] = OptMinutes(p.total_cap_reached_at);
  j["notes"] = p.notes;
  return j.dump(indent);
}

}  // namespace kira::api
