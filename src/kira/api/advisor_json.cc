#include "kira/api/advisor_json.h"

#include <nlohmann/json.hpp>

#include <set>
#include <string>

#include "kira/api/internal/advisor_json_reader.h"
#include "kira/api/internal/render.h"

namespace kira::api {
namespace {

using advisor::NumericSetting;
using advisor::SettingSource;
using internal::Child;
using internal::Index;
using nlohmann::json;

// Sanity bounds for parsing, not clinical limits: values outside them cannot
// be physiological measurements and are rejected as malformed input.
constexpr double kMaxMinutes = 7.0 * 24 * 60;
constexpr double kMaxSettingValue = 100000;

Status RequireMember(const json& obj, std::string_view key, const std::string& path, const json** out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return InvalidArgumentError(Child(path, key) + ": missing");
  if (!it->is_object()) return InvalidArgumentError(Child(path, key) + ": expected an object");
  *out = &*it;
  return Status::Ok();
}

Status ReadSource(const json& obj, std::string_view key, const std::string& path, SettingSource* out) {
  const json* j = nullptr;
  KIRA_RETURN_IF_ERROR(RequireMember(obj, key, path, &j));
  const std::string p = Child(path, key);
  KIRA_RETURN_IF_ERROR(internal::ReadEvidence(*j, "evidence", p, &out->evidence));
  KIRA_RETURN_IF_ERROR(internal::ReadString(*j, "citation", p, &out->citation));
  KIRA_RETURN_IF_ERROR(internal::ReadOptString(*j, "note", p, &out->rationale));
  KIRA_RETURN_IF_ERROR(internal::ReadOptString(*j, "grade", p, &out->grade));
  KIRA_RETURN_IF_ERROR(internal::ReadOptString(*j, "certainty", p, &out->certainty));
  return Status::Ok();
}

// {"id", "value" (number or null), "unit", "source"}.
Status ReadSetting(const json& obj, std::string_view key, const std::string& path, NumericSetting* out) {
  const json* j = nullptr;
  KIRA_RETURN_IF_ERROR(RequireMember(obj, key, path, &j));
  const std::string p = Child(path, key);
  KIRA_RETURN_IF_ERROR(internal::ReadString(*j, "id", p, &out->id));
  if (j->find("value") == j->end()) return InvalidArgumentError(Child(p, "value") + ": missing (use null for not configured)");
  KIRA_RETURN_IF_ERROR(internal::ReadOptDouble(*j, "value", p, 0, kMaxSettingValue, &out->value));
  KIRA_RETURN_IF_ERROR(internal::ReadOptString(*j, "unit", p, &out->unit));
  KIRA_RETURN_IF_ERROR(ReadSource(*j, "source", p, &out->source));
  if (out->value && out->source.evidence == domain::Evidence::kUnverified && out->source.rationale.empty()) {
    return InvalidArgumentError(Child(Child(p, "source"), "note") +
                                ": a U setting with a value must document its default");
  }
  return Status::Ok();
}

Status ReadStringList(const json& obj, std::string_view key, const std::string& path, std::vector<std::string>* out,
                      bool required) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return required ? InvalidArgumentError(Child(path, key) + ": missing") : Status::Ok();
  }
  if (!it->is_array()) return InvalidArgumentError(Child(path, key) + ": expected an array of strings");
  for (size_t i = 0; i < it->size(); ++i) {
    if (!(*it)[i].is_string()) return InvalidArgumentError(Index(Child(path, key), i) + ": expected a string");
    out->push_back((*it)[i].get<std::string>());
  }
  return Status::Ok();
}

Status ParseTemplate(const json& j, const std::string& p, advisor::PlanTemplate* t) {
  KIRA_RETURN_IF_ERROR(internal::RequireObject(j, p));
  KIRA_RETURN_IF_ERROR(internal::ReadString(j, "id", p, &t->id));
  KIRA_RETURN_IF_ERROR(ReadStringList(j, "indications", p, &t->indications, true));
  if (t->indications.empty()) return InvalidArgumentError(Child(p, "indications") + ": must not be empty");
  KIRA_RETURN_IF_ERROR(internal::ReadString(j, "protocol", p, &t->protocol));
  KIRA_RETURN_IF_ERROR(internal::ReadString(j, "route", p, &t->route));
  KIRA_RETURN_IF_ERROR(ReadStringList(j, "response_instruments", p, &t->response_instruments, true));
  if (t->response_instruments.empty())
    return InvalidArgumentError(Child(p, "response_instruments") + ": must name at least one instrument");
  const json* phases = nullptr;
  KIRA_RETURN_IF_ERROR(internal::RequireArray(j, "induction", p, &phases));
  if (phases->empty()) return InvalidArgumentError(Child(p, "induction") + ": must not be empty");
  for (size_t i = 0; i < phases->size(); ++i) {
    const std::string pp = Index(Child(p, "induction"), i);
    const json& jp = (*phases)[i];
    KIRA_RETURN_IF_ERROR(internal::RequireObject(jp, pp));
    advisor::PlanPhase ph;
    KIRA_RETURN_IF_ERROR(internal::ReadString(jp, "name", pp, &ph.name));
    KIRA_RETURN_IF_ERROR(internal::ReadInt(jp, "sessions", pp, 1, 100, &ph.sessions));
    const json* gaps = nullptr;
    KIRA_RETURN_IF_ERROR(internal::RequireArray(jp, "gaps_days", pp, &gaps));
    if (gaps->empty()) return InvalidArgumentError(Child(pp, "gaps_days") + ": must not be empty");
    for (size_t g = 0; g < gaps->size(); ++g) {
      json wrapper = {{"gap", (*gaps)[g]}};
      int v = 0;
      Status st = internal::ReadInt(wrapper, "gap", Index(Child(pp, "gaps_days"), g), 1, 366, &v);
      if (!st.ok()) {
        return InvalidArgumentError(Index(Child(pp, "gaps_days"), g) + ": expected an integer number of days 1..366");
      }
      ph.gaps_days.push_back(v);
    }
    KIRA_RETURN_IF_ERROR(ReadSource(jp, "source", pp, &ph.source));
    t->induction.push_back(std::move(ph));
  }
  KIRA_RETURN_IF_ERROR(ReadSetting(j, "min_interval_days", p, &t->min_interval_days));
  KIRA_RETURN_IF_ERROR(ReadSetting(j, "maintenance_min_days", p, &t->maintenance_min_days));
  KIRA_RETURN_IF_ERROR(ReadSetting(j, "maintenance_max_days", p, &t->maintenance_max_days));
  KIRA_RETURN_IF_ERROR(ReadSetting(j, "maintenance_default_days", p, &t->maintenance_default_days));
  KIRA_RETURN_IF_ERROR(ReadSetting(j, "evaluate_after_sessions", p, &t->evaluate_after_sessions));
  if (!t->min_interval_days.value || *t->min_interval_days.value < 1) {
    return InvalidArgumentError(Child(Child(p, "min_interval_days"), "value") + ": must be >= 1 day");
  }
  const auto& mn = t->maintenance_min_days.value;
  const auto& df = t->maintenance_default_days.value;
  const auto& mx = t->maintenance_max_days.value;
  if (df && (!mn || !mx || *df < *mn || *df > *mx)) {
    return InvalidArgumentError(Child(Child(p, "maintenance_default_days"), "value") +
                                ": must lie within maintenance_min_days..maintenance_max_days");
  }
  if (t->evaluate_after_sessions.value && *t->evaluate_after_sessions.value < 1) {
    return InvalidArgumentError(Child(Child(p, "evaluate_after_sessions"), "value") + ": must be >= 1");
  }
  return Status::Ok();
}

Status ParseMonitoring(const json& j, const std::string& p, advisor::MonitoringSettings* m) {
  KIRA_RETURN_IF_ERROR(ReadSource(j, "bp_schedule_source", p, &m->bp_schedule_source));
  KIRA_RETURN_IF_ERROR(ReadSetting(j, "bp_check_at_min", p, &m->bp_check_at_min));
  KIRA_RETURN_IF_ERROR(ReadSetting(j, "bp_check_window_min", p, &m->bp_check_window_min));
  KIRA_RETURN_IF_ERROR(ReadSetting(j, "bp_interval_during_min", p, &m->bp_interval_during_min));
  KIRA_RETURN_IF_ERROR(ReadSetting(j, "min_observation_iv_min", p, &m->min_observation_iv_min));
  KIRA_RETURN_IF_ERROR(ReadSetting(j, "min_observation_esketamine_min", p, &m->min_observation_esketamine_min));
  KIRA_RETURN_IF_ERROR(ReadSource(j, "resuscitation_source", p, &m->resuscitation_source));
  KIRA_RETURN_IF_ERROR(ReadSource(j, "pulse_oximetry_source", p, &m->pulse_oximetry_source));
  KIRA_RETURN_IF_ERROR(ReadSource(j, "rems_source", p, &m->rems_source));
  std::set<std::string> ids;
  const json* starts = nullptr;
  KIRA_RETURN_IF_ERROR(internal::RequireArray(j, "start_rules", p, &starts));
  for (size_t i = 0; i < starts->size(); ++i) {
    const std::string pp = Index(Child(p, "start_rules"), i);
    const json& js = (*starts)[i];
    KIRA_RETURN_IF_ERROR(internal::RequireObject(js, pp));
    advisor::StartRule r;
    std::string measure, op;
    KIRA_RETURN_IF_ERROR(internal::ReadString(js, "rule_id", pp, &r.rule_id));
    KIRA_RETURN_IF_ERROR(internal::ReadString(js, "measure", pp, &measure));
    if (!advisor::ParseMeasure(measure, &r.measure)) return InvalidArgumentError(Child(pp, "measure") + ": unknown '" + measure + "'");
    KIRA_RETURN_IF_ERROR(internal::ReadString(js, "op", pp, &op));
    if (!advisor::ParseComparison(op, &r.op)) return InvalidArgumentError(Child(pp, "op") + ": '" + op + "' is not one of >=, <=, >, <");
    KIRA_RETURN_IF_ERROR(internal::ReadOptDouble(js, "value", pp, 0, kMaxSettingValue, &r.value));
    KIRA_RETURN_IF_ERROR(internal::ReadSeverity(js, "severity", pp, &r.severity));
    KIRA_RETURN_IF_ERROR(ReadSource(js, "source", pp, &r.source));
    if (!ids.insert(r.rule_id).second) return InvalidArgumentError(Child(pp, "rule_id") + ": duplicate");
    m->start_rules.push_back(std::move(r));
  }
  const json* th = nullptr;
  KIRA_RETURN_IF_ERROR(internal::RequireArray(j, "thresholds", p, &th));
  for (size_t i = 0; i < th->size(); ++i) {
    const std::string pp = Index(Child(p, "thresholds"), i);
    const json& jt = (*th)[i];
    KIRA_RETURN_IF_ERROR(internal::RequireObject(jt, pp));
    advisor::ThresholdRule r;
    std::string measure, op, action;
    KIRA_RETURN_IF_ERROR(internal::ReadString(jt, "rule_id", pp, &r.rule_id));
    KIRA_RETURN_IF_ERROR(internal::ReadString(jt, "measure", pp, &measure));
    if (!advisor::ParseMeasure(measure, &r.measure)) return InvalidArgumentError(Child(pp, "measure") + ": unknown '" + measure + "'");
    std::optional<bool> rise;
    KIRA_RETURN_IF_ERROR(internal::ReadOptBool(jt, "rise_from_baseline", pp, &rise));
    r.rise_from_baseline = rise.value_or(false);
    KIRA_RETURN_IF_ERROR(internal::ReadString(jt, "op", pp, &op));
    if (!advisor::ParseComparison(op, &r.op)) return InvalidArgumentError(Child(pp, "op") + ": '" + op + "' is not one of >=, <=, >, <");
    if (jt.find("value") == jt.end()) return InvalidArgumentError(Child(pp, "value") + ": missing (use null for not configured)");
    KIRA_RETURN_IF_ERROR(internal::ReadOptDouble(jt, "value", pp, 0, kMaxSettingValue, &r.value));
    KIRA_RETURN_IF_ERROR(internal::ReadString(jt, "action", pp, &action));
    if (action == "slow") {
      r.action = advisor::Action::kSlow;
    } else if (action == "pause") {
      r.action = advisor::Action::kPause;
    } else if (action == "stop") {
      r.action = advisor::Action::kStop;
    } else {
      return InvalidArgumentError(Child(pp, "action") + ": '" + action + "' is not one of slow, pause, stop");
    }
    KIRA_RETURN_IF_ERROR(ReadSource(jt, "source", pp, &r.source));
    if (!ids.insert(r.rule_id).second) return InvalidArgumentError(Child(pp, "rule_id") + ": duplicate");
    m->thresholds.push_back(std::move(r));
  }
  return Status::Ok();
}

Status ParseRescue(const json& j, const std::string& p, advisor::RescueSettings* r) {
  KIRA_RETURN_IF_ERROR(ReadStringList(j, "symptoms", p, &r->symptoms, true));
  KIRA_RETURN_IF_ERROR(ReadSource(j, "choice_source", p, &r->choice_source));
  KIRA_RETURN_IF_ERROR(ReadSource(j, "preference_source", p, &r->preference_source));
  KIRA_RETURN_IF_ERROR(ReadSource(j, "antipsychotic_source", p, &r->antipsychotic_source));
  KIRA_RETURN_IF_ERROR(ReadStringList(j, "antipsychotics", p, &r->antipsychotics, true));
  const json* agents = nullptr;
  KIRA_RETURN_IF_ERROR(internal::RequireArray(j, "agents", p, &agents));
  if (agents->empty()) return InvalidArgumentError(Child(p, "agents") + ": must not be empty");
  for (size_t i = 0; i < agents->size(); ++i) {
    const std::string pp = Index(Child(p, "agents"), i);
    const json& ja = (*agents)[i];
    KIRA_RETURN_IF_ERROR(internal::RequireObject(ja, pp));
    advisor::RescueAgent a;
    KIRA_RETURN_IF_ERROR(internal::ReadString(ja, "id", pp, &a.id));
    KIRA_RETURN_IF_ERROR(internal::ReadString(ja, "class", pp, &a.drug_class));
    KIRA_RETURN_IF_ERROR(internal::ReadString(ja, "route", pp, &a.route));
    KIRA_RETURN_IF_ERROR(ReadSetting(ja, "dose_mg", pp, &a.dose_mg));
    KIRA_RETURN_IF_ERROR(ReadStringList(ja, "excluded_by", pp, &a.excluded_by, true));
    if (a.drug_class == "antipsychotic") {
      return InvalidArgumentError(Child(pp, "class") + ": antipsychotics are not rescue agents (Cohen 2018 [R1-seed])");
    }
    r->agents.push_back(std::move(a));
  }
  return Status::Ok();
}

Status ParseDischarge(const json& j, const std::string& p, advisor::DischargeSettings* ds) {
  KIRA_RETURN_IF_ERROR(ReadSource(j, "bp_before_discharge_source", p, &ds->bp_before_discharge_source));
  KIRA_RETURN_IF_ERROR(ReadSetting(j, "sbp_near_baseline_mmhg", p, &ds->sbp_near_baseline_mmhg));
  KIRA_RETURN_IF_ERROR(ReadSetting(j, "dbp_near_baseline_mmhg", p, &ds->dbp_near_baseline_mmhg));
  KIRA_RETURN_IF_ERROR(ReadSetting(j, "rems_form_due_days", p, &ds->rems_form_due_days));
  const json* items = nullptr;
  KIRA_RETURN_IF_ERROR(internal::RequireArray(j, "attestations", p, &items));
  for (size_t i = 0; i < items->size(); ++i) {
    const std::string pp = Index(Child(p, "attestations"), i);
    const json& ji = (*items)[i];
    KIRA_RETURN_IF_ERROR(internal::RequireObject(ji, pp));
    advisor::DischargeItem it;
    KIRA_RETURN_IF_ERROR(internal::ReadString(ji, "id", pp, &it.id));
    KIRA_RETURN_IF_ERROR(internal::ReadString(ji, "description", pp, &it.description));
    KIRA_RETURN_IF_ERROR(internal::ReadSeverity(ji, "severity", pp, &it.severity_if_missing));
    KIRA_RETURN_IF_ERROR(ReadStringList(ji, "routes", pp, &it.routes, false));
    KIRA_RETURN_IF_ERROR(ReadSource(ji, "source", pp, &it.source));
    ds->attestations.push_back(std::move(it));
  }
  return Status::Ok();
}

Status ReadVitals(const json& j, const std::string& p, advisor::Vitals* v) {
  // Plausibility bounds reject typing errors (e.g. 1200 for 120); they are
  // not clinical thresholds.
  KIRA_RETURN_IF_ERROR(internal::ReadOptDouble(j, "sbp_mmhg", p, 20, 350, &v->sbp_mmhg));
  KIRA_RETURN_IF_ERROR(internal::ReadOptDouble(j, "dbp_mmhg", p, 10, 250, &v->dbp_mmhg));
  KIRA_RETURN_IF_ERROR(internal::ReadOptDouble(j, "hr_bpm", p, 10, 300, &v->hr_bpm));
  KIRA_RETURN_IF_ERROR(internal::ReadOptDouble(j, "spo2_pct", p, 0, 100, &v->spo2_pct));
  KIRA_RETURN_IF_ERROR(internal::ReadOptDouble(j, "rr_per_min", p, 0, 80, &v->rr_per_min));
  KIRA_RETURN_IF_ERROR(internal::ReadOptDouble(j, "moaa_s", p, 0, 5, &v->moaa_s));
  KIRA_RETURN_IF_ERROR(internal::ReadOptDouble(j, "cadss_total", p, 0, 1000, &v->cadss_total));
  return Status::Ok();
}

}  // namespace

StatusOr<std::chrono::sys_days> ParseIsoDate(std::string_view s, std::string_view field) {
  auto bad = [&] { return InvalidArgumentError(std::string(field) + ": '" + std::string(s) + "' is not a YYYY-MM-DD date"); };
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return bad();
  int parts[3] = {0, 0, 0};
  const size_t starts[3] = {0, 5, 8};
  const size_t lens[3] = {4, 2, 2};
  for (int k = 0; k < 3; ++k) {
    for (size_t i = 0; i < lens[k]; ++i) {
      const char c = s[starts[k] + i];
      if (c < '0' || c > '9') return bad();
      parts[k] = parts[k] * 10 + (c - '0');
    }
  }
  const std::chrono::year_month_day ymd{std::chrono::year{parts[0]}, std::chrono::month{static_cast<unsigned>(parts[1])},
                                        std::chrono::day{static_cast<unsigned>(parts[2])}};
  if (!ymd.ok() || parts[0] < 1900) return bad();
  return std::chrono::sys_days{ymd};
}

StatusOr<advisor::AdvisorLibrary> ParseAdvisorLibrary(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(json root, internal::ParseJsonText(text, "advisor"));
  KIRA_RETURN_IF_ERROR(internal::RequireObject(root, ""));
  advisor::AdvisorLibrary lib;
  KIRA_RETURN_IF_ERROR(internal::ReadString(root, "id", "", &lib.id));
  KIRA_RETURN_IF_ERROR(internal::ReadString(root, "version", "", &lib.version));
  KIRA_RETURN_IF_ERROR(internal::ReadString(root, "effective_date", "", &lib.effective_date));
  KIRA_RETURN_IF_ERROR(ParseIsoDate(lib.effective_date, "effective_date").status());

  const json* cap = nullptr;
  KIRA_RETURN_IF_ERROR(RequireMember(root, "annual_cap", "", &cap));
  advisor::AnnualCap& ac = lib.annual_cap;
  KIRA_RETURN_IF_ERROR(ReadSetting(*cap, "cap", "annual_cap", &ac.cap));
  KIRA_RETURN_IF_ERROR(internal::ReadDouble(*cap, "allowed_min", "annual_cap", 1, 365, &ac.allowed_min));
  KIRA_RETURN_IF_ERROR(internal::ReadDouble(*cap, "allowed_max", "annual_cap", ac.allowed_min, 365, &ac.allowed_max));
  if (!ac.cap.value || *ac.cap.value < ac.allowed_min || *ac.cap.value > ac.allowed_max) {
    return InvalidArgumentError("annual_cap.cap.value: must be a number of sessions within allowed_min..allowed_max (" +
                                std::to_string(static_cast<int>(ac.allowed_min)) + ".." +
                                std::to_string(static_cast<int>(ac.allowed_max)) + ")");
  }
  KIRA_RETURN_IF_ERROR(ReadSetting(*cap, "window_days", "annual_cap", &ac.window_days));
  if (!ac.window_days.value || *ac.window_days.value < 1) {
    return InvalidArgumentError("annual_cap.window_days.value: must be >= 1");
  }
  KIRA_RETURN_IF_ERROR(internal::ReadString(*cap, "counting_unit", "annual_cap", &ac.counting_unit));
  if (ac.counting_unit != "session" && ac.counting_unit != "series") {
    return InvalidArgumentError("annual_cap.counting_unit: '" + ac.counting_unit + "' is not one of session, series");
  }
  KIRA_RETURN_IF_ERROR(ReadSource(*cap, "counting_unit_source", "annual_cap", &ac.counting_unit_source));

  const json* templates = nullptr;
  KIRA_RETURN_IF_ERROR(internal::RequireArray(root, "templates", "", &templates));
  std::set<std::string> ids;
  for (size_t i = 0; i < templates->size(); ++i) {
    advisor::PlanTemplate t;
    const std::string p = Index("templates", i);
    KIRA_RETURN_IF_ERROR(ParseTemplate((*templates)[i], p, &t));
    if (!ids.insert(t.id).second) return InvalidArgumentError(Child(p, "id") + ": duplicate '" + t.id + "'");
    lib.templates.push_back(std::move(t));
  }
  const json* mon = nullptr;
  KIRA_RETURN_IF_ERROR(RequireMember(root, "monitoring", "", &mon));
  KIRA_RETURN_IF_ERROR(ParseMonitoring(*mon, "monitoring", &lib.monitoring));
  const json* rescue = nullptr;
  KIRA_RETURN_IF_ERROR(RequireMember(root, "rescue", "", &rescue));
  KIRA_RETURN_IF_ERROR(ParseRescue(*rescue, "rescue", &lib.rescue));
  const json* dis = nullptr;
  KIRA_RETURN_IF_ERROR(RequireMember(root, "discharge", "", &dis));
  KIRA_RETURN_IF_ERROR(ParseDischarge(*dis, "discharge", &lib.discharge));
  return lib;
}

StatusOr<advisor::SessionTimeline> ParseSessionTimeline(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(json root, internal::ParseJsonText(text, "session"));
  KIRA_RETURN_IF_ERROR(internal::RequireObject(root, ""));
  advisor::SessionTimeline tl;
  KIRA_RETURN_IF_ERROR(internal::ReadString(root, "session_id", "", &tl.session_id));
  KIRA_RETURN_IF_ERROR(internal::ReadOptString(root, "patient_id", "", &tl.patient_id));
  KIRA_RETURN_IF_ERROR(internal::ReadOptString(root, "indication", "", &tl.indication));
  KIRA_RETURN_IF_ERROR(internal::ReadString(root, "route", "", &tl.route));
  if (tl.route != "iv" && tl.route != "intranasal") {
    return InvalidArgumentError("route: '" + tl.route + "' is not one of iv, intranasal (esketamine)");
  }
  const json* pc = nullptr;
  KIRA_RETURN_IF_ERROR(RequireMember(root, "precheck", "", &pc));
  KIRA_RETURN_IF_ERROR(internal::ReadBool(*pc, "resuscitation_staff_present", "precheck", &tl.precheck.resuscitation_staff_present));
  KIRA_RETURN_IF_ERROR(internal::ReadBool(*pc, "resuscitation_equipment_present", "precheck", &tl.precheck.resuscitation_equipment_present));
  KIRA_RETURN_IF_ERROR(internal::ReadBool(*pc, "pulse_oximeter_present", "precheck", &tl.precheck.pulse_oximeter_present));
  KIRA_RETURN_IF_ERROR(internal::ReadOptString(*pc, "rescue_plan", "precheck", &tl.precheck.rescue_plan));
  KIRA_RETURN_IF_ERROR(internal::ReadOptBool(*pc, "rems_setting_certified", "precheck", &tl.precheck.rems_setting_certified));
  KIRA_RETURN_IF_ERROR(internal::ReadOptBool(*pc, "rems_patient_enrolled", "precheck", &tl.precheck.rems_patient_enrolled));
  const json* base = nullptr;
  KIRA_RETURN_IF_ERROR(RequireMember(root, "baseline", "", &base));
  KIRA_RETURN_IF_ERROR(ReadVitals(*base, "baseline", &tl.baseline));

  if (auto it = root.find("screening_findings"); it != root.end() && !it->is_null()) {
    if (!it->is_array()) return InvalidArgumentError("screening_findings: expected an array");
    tl.screening_recorded = true;
    for (size_t i = 0; i < it->size(); ++i) {
      const json& f = (*it)[i];
      domain::Finding finding;
      if (f.is_string()) {
        finding.rule_id = f.get<std::string>();
      } else if (f.is_object()) {
        const std::string p = Index("screening_findings", i);
        KIRA_RETURN_IF_ERROR(internal::ReadString(f, "rule_id", p, &finding.rule_id));
        std::string message, citation;
        KIRA_RETURN_IF_ERROR(internal::ReadOptString(f, "message", p, &message));
        KIRA_RETURN_IF_ERROR(internal::ReadOptString(f, "citation", p, &citation));
        finding.message = std::move(message);
        finding.citation = std::move(citation);
        if (f.contains("evidence")) KIRA_RETURN_IF_ERROR(internal::ReadEvidence(f, "evidence", p, &finding.evidence));
      } else {
        return InvalidArgumentError(Index("screening_findings", i) + ": expected a rule id or an object");
      }
      tl.screening.findings.push_back(std::move(finding));
    }
  }

  const json* events = nullptr;
  KIRA_RETURN_IF_ERROR(internal::RequireArray(root, "events", "", &events));
  double prev = -kMaxMinutes;
  for (size_t i = 0; i < events->size(); ++i) {
    const std::string p = Index("events", i);
    const json& je = (*events)[i];
    KIRA_RETURN_IF_ERROR(internal::RequireObject(je, p));
    advisor::TimelineEvent e;
    KIRA_RETURN_IF_ERROR(internal::ReadDouble(je, "t_min", p, -kMaxMinutes, kMaxMinutes, &e.t_min));
    if (e.t_min < prev) return InvalidArgumentError(Child(p, "t_min") + ": earlier than the event before");
    prev = e.t_min;
    std::string type;
    KIRA_RETURN_IF_ERROR(internal::ReadString(je, "type", p, &type));
    if (!advisor::ParseEventType(type, &e.type)) {
      return InvalidArgumentError(Child(p, "type") + ": '" + type +
                                  "' is not one of start, vitals, symptom, rescue, pause, resume, end_dose, stop");
    }
    if (e.type == advisor::EventType::kVitals) KIRA_RETURN_IF_ERROR(ReadVitals(je, p, &e.vitals));
    if (e.type == advisor::EventType::kSymptom) KIRA_RETURN_IF_ERROR(internal::ReadString(je, "symptom", p, &e.symptom));
    if (e.type == advisor::EventType::kRescue) {
      KIRA_RETURN_IF_ERROR(internal::ReadString(je, "agent", p, &e.agent));
      KIRA_RETURN_IF_ERROR(internal::ReadOptString(je, "symptom", p, &e.symptom));
    }
    tl.events.push_back(std::move(e));
  }
  if (auto it = root.find("discharge"); it != root.end() && !it->is_null()) {
    if (!it->is_object()) return InvalidArgumentError("discharge: expected an object");
    advisor::DischargeRecord rec;
    KIRA_RETURN_IF_ERROR(internal::ReadDouble(*it, "t_min", "discharge", -kMaxMinutes, kMaxMinutes, &rec.t_min));
    if (rec.t_min < prev) return InvalidArgumentError("discharge.t_min: earlier than the last event");
    KIRA_RETURN_IF_ERROR(internal::ReadOptString(*it, "by", "discharge", &rec.by));
    if (auto at = it->find("attestations"); at != it->end() && !at->is_null()) {
      if (!at->is_object()) return InvalidArgumentError("discharge.attestations: expected an object of booleans");
      for (auto kv = at->begin(); kv != at->end(); ++kv) {
        if (!kv.value().is_boolean()) {
          return InvalidArgumentError("discharge.attestations." + kv.key() + ": expected true or false");
        }
        rec.attestations[kv.key()] = kv.value().get<bool>();
      }
    }
    tl.discharge = std::move(rec);
  }
  return tl;
}

StatusOr<advisor::PlanHistory> ParsePlanHistory(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(json root, internal::ParseJsonText(text, "history"));
  KIRA_RETURN_IF_ERROR(internal::RequireObject(root, ""));
  advisor::PlanHistory h;
  KIRA_RETURN_IF_ERROR(internal::ReadString(root, "instrument", "history", &h.instrument));
  KIRA_RETURN_IF_ERROR(internal::ReadOptDouble(root, "baseline_score", "history", 0, 1000, &h.baseline_score));
  const json* sessions = nullptr;
  KIRA_RETURN_IF_ERROR(internal::RequireArray(root, "sessions", "history", &sessions));
  for (size_t i = 0; i < sessions->size(); ++i) {
    const std::string p = Index("history.sessions", i);
    const json& js = (*sessions)[i];
    KIRA_RETURN_IF_ERROR(internal::RequireObject(js, p));
    advisor::HistorySession s;
    std::string date;
    KIRA_RETURN_IF_ERROR(internal::ReadString(js, "date", p, &date));
    KIRA_ASSIGN_OR_RETURN(s.date, ParseIsoDate(date, Child(p, "date")));
    KIRA_RETURN_IF_ERROR(internal::ReadOptString(js, "phase", p, &s.phase));
    if (s.phase != "induction" && s.phase != "maintenance") {
      return InvalidArgumentError(Child(p, "phase") + ": '" + s.phase + "' is not one of induction, maintenance");
    }
    std::optional<bool> completed;
    KIRA_RETURN_IF_ERROR(internal::ReadOptBool(js, "completed", p, &completed));
    s.completed = completed.value_or(true);
    KIRA_RETURN_IF_ERROR(internal::ReadOptDouble(js, "score", p, 0, 1000, &s.score));
    KIRA_RETURN_IF_ERROR(internal::ReadOptDouble(js, "baseline_score", p, 0, 1000, &s.baseline_score));
    if (!h.sessions.empty() && s.date < h.sessions.back().date) {
      return InvalidArgumentError(Child(p, "date") + ": earlier than the session before");
    }
    h.sessions.push_back(std::move(s));
  }
  return h;
}

std::string MonitorResultToJson(const advisor::MonitorResult& r) {
  json j;
  j["gate"] = internal::DecisionJson(r.gate);
  j["decision"] = internal::DecisionJson(r.decision);
  j["final_state"] = std::string(advisor::SessionStateName(r.final_state));
  json obs = json::array();
  for (const advisor::ObservationAction& o : r.observations) {
    json jo = {{"t_min", o.t_min}, {"action", std::string(advisor::ActionName(o.action))}};
    if (o.rule) {
      jo["rule_id"] = o.rule->rule_id;
      jo["value"] = o.value;
      jo["threshold"] = *o.rule->value;
      jo["evidence"] = std::string(domain::EvidenceName(o.rule->source.evidence));
      jo["citation"] = o.rule->source.citation;
    }
    obs.push_back(std::move(jo));
  }
  j["observations"] = std::move(obs);
  json rescues = json::array();
  for (const domain::Decision& d : r.rescues) rescues.push_back(internal::DecisionJson(d));
  j["rescues"] = std::move(rescues);
  return j.dump(2);
}

std::string PlanResultToJson(const advisor::PlanResult& r) {
  json j;
  j["template"] = r.template_id;
  j["next_step"] = r.decision.outcome;
  j["annual_cap"] = {{"cap", r.cap}, {"used_in_window_today", r.used_in_window}};
  json sched = json::array();
  for (const advisor::ScheduledSession& s : r.schedule) {
    sched.push_back({{"date", advisor::FormatDate(s.date)},
                     {"phase", s.phase},
                     {"number", s.number},
                     {"counted_in_window", s.counted_in_window},
                     {"exceeds_cap", s.exceeds_cap}});
  }
  j["schedule"] = std::move(sched);
  j["decision"] = internal::DecisionJson(r.decision);
  return j.dump(2);
}

}  // namespace kira::api
