// JSON renderings of the guideline library for `kira guideline list|show`.
#include <nlohmann/json.hpp>

#include "kira/api/guideline_json.h"
#include "kira/api/internal/render.h"

namespace kira::api {

using Json = nlohmann::json;
using internal::MetaJson;

namespace {

template <class Q>
Json RangeJson(const guideline::Range<Q>& r) {
  if (r.empty()) return nullptr;
  auto v = [](const std::optional<Q>& q) { return q ? Json(q->canonical()) : Json(nullptr); };
  Json j{{"soft_min", v(r.soft_min)}, {"soft_max", v(r.soft_max)}, {"hard_min", v(r.hard_min)}, {"hard_max", v(r.hard_max)}};
  j.update(MetaJson(r.meta));
  return j;
}

Json LimitsJson(const guideline::LimitSet& l) {
  Json j = Json::object();
  auto put = [&](const char* k, Json v) { if (!v.is_null()) j[k] = std::move(v); };
  put("mg_per_kg", RangeJson(l.mg_per_kg));
  put("total_mg", RangeJson(l.total_mg));
  put("mg_per_kg_per_h", RangeJson(l.mg_per_kg_per_h));
  put("mg_per_h", RangeJson(l.mg_per_h));
  put("duration_min", RangeJson(l.duration));
  return j;
}

const char* ModeName(guideline::DoseMode m) {
  switch (m) {
    case guideline::DoseMode::kMgPerKg: return "mg_per_kg";
    case guideline::DoseMode::kMgPerKgPerH: return "mg_per_kg_per_h";
    case guideline::DoseMode::kMgPerH: return "mg_per_h";
    case guideline::DoseMode::kFixedMg: return "fixed_mg";
  }
  return "";
}

Json ProtocolJson(const guideline::Protocol& p) {
  Json j{{"type", "protocol"}, {"id", p.id}, {"name", p.name}, {"indications", p.indications}, {"route", p.route},
         {"care_area", p.care_area}, {"mode", ModeName(p.mode)}, {"dose", p.dose_value},
         {"duration_min", p.duration ? Json(units::ToMinutes(*p.duration)) : Json(nullptr)},
         {"sessions_in_series", p.sessions_in_series}, {"schedule", p.schedule},
         {"standard_concentrations_mg_per_ml", p.standard_concentrations_mg_per_ml},
         {"session_limits", LimitsJson(p.session)}, {"day_limits", LimitsJson(p.day)}};
  if (!p.allowed_fixed_mg.empty()) j["allowed_fixed_mg"] = p.allowed_fixed_mg;
  if (p.mg_per_device) j["mg_per_device"] = *p.mg_per_device;
  if (p.intended_band_low_ng_per_ml)
    j["intended_band_ng_per_ml"] = {*p.intended_band_low_ng_per_ml, *p.intended_band_high_ng_per_ml};
  j.update(MetaJson(p.meta));
  return j;
}

Json ConditionJson(const guideline::Condition& c) {
  using K = guideline::Condition::Kind;
  auto kids = [&] {
    Json a = Json::array();
    for (const auto& ch : c.children) a.push_back(ConditionJson(ch));
    return a;
  };
  switch (c.kind) {
    case K::kFact: return Json{{"fact", c.fact}};
    case K::kAll: return Json{{"all", kids()}};
    case K::kAny: return Json{{"any", kids()}};
    case K::kNot: return Json{{"not", kids()}};
    case K::kCompare: {
      static const char* kOps[] = {"<", "<=", ">", ">=", "=="};
      Json j{{"fact", c.fact}, {"op", kOps[static_cast<int>(c.op)]}};
      if (c.value) j["value"] = *c.value;
      else j["setting"] = c.setting;
      return j;
    }
  }
  return nullptr;
}

Json RuleJson(const guideline::ScreeningRule& r) {
  Json j{{"type", "rule"}, {"id", r.id}, {"kind", r.kind}, {"severity", std::string(domain::SeverityName(r.severity))},
         {"when", ConditionJson(r.when)}, {"routes", r.routes}, {"indications", r.indications}, {"message", r.message}};
  j.update(MetaJson(r.meta));
  return j;
}

Json SettingJson(const guideline::Setting& s) {
  Json j{{"type", "setting"}, {"id", s.id}, {"description", s.description}, {"unit", s.unit}};
  if (s.number) j["value"] = *s.number;
  else j["value"] = s.text;
  if (!s.choices.empty()) j["choices"] = s.choices;
  if (s.min) j["min"] = *s.min;
  if (s.max) j["max"] = *s.max;
  j.update(MetaJson(s.meta));
  return j;
}

Json IndicationJson(const guideline::Indication& i) {
  Json j{{"type", "indication"}, {"id", i.id}, {"name", i.name}, {"kind", i.kind},
         {"evidence_strength", i.evidence_strength}, {"evidence_summary", i.evidence_summary}};
  j.update(MetaJson(i.meta));
  return j;
}

}  // namespace

std::string GuidelineSummaryJson(const guideline::Library& lib) {
  Json j{{"id", lib.id}, {"version", lib.version}, {"effective_date", lib.effective_date},
         {"overlay", lib.overlay.empty() ? Json(nullptr) : Json(lib.overlay)}};
  for (const auto& i : lib.indications) j["indications"].push_back(IndicationJson(i));
  for (const auto& r : lib.routes) {
    Json rj{{"id", r.id}, {"name", r.name}, {"supervised_only", r.supervised_only}};
    rj.update(MetaJson(r.meta));
    j["routes"].push_back(rj);
  }
  for (const auto& p : lib.protocols) j["protocols"].push_back(ProtocolJson(p));
  for (const auto& r : lib.rules) j["rules"].push_back(RuleJson(r));
  for (const auto& [id, s] : lib.settings) j["settings"].push_back(SettingJson(s));
  for (const auto& c : lib.conditions) j["conditions"].push_back(Json{{"id", c.id}, {"label", c.label}});
  return j.dump(2);
}

StatusOr<std::string> GuidelineItemJson(const guideline::Library& lib, const std::string& id) {
  if (const auto* p = lib.FindProtocol(id)) return ProtocolJson(*p).dump(2);
  for (const auto& r : lib.rules)
    if (r.id == id) return RuleJson(r).dump(2);
  if (const auto* i = lib.FindIndication(id)) return IndicationJson(*i).dump(2);
  if (const auto* s = lib.FindSetting(id)) return SettingJson(*s).dump(2);
  return NotFoundError("id: no protocol, rule, indication or setting named '" + id + "'");
}

}  // namespace kira::api
