#include "kira/api/advisor_json.h"

#include <nlohmann/json.hpp>

#include <set>
#include <string>

#include "kira/api/internal/json_reader.h"
#include "kira/api/internal/render.h"

namespace kira::api {
namespace {

using advisor::NumericSetting;
using advisor::SettingSource;
using internal::Index;
using internal::Join;
using internal::ObjectReader;
using nlohmann::json;

// Sanity bounds for parsing, not clinical limits: values outside them cannot
// be physiological measurements and are rejected as malformed input.
constexpr double kMaxMinutes = 7.0 * 24 * 60;
constexpr double kMaxSettingValue = 100000;

Status ReadSource(ObjectReader& obj, const char* key, SettingSource* out) {
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, obj.Object(key));
  KIRA_ASSIGN_OR_RETURN(out->evidence, r.Evidence("evidence"));
  KIRA_ASSIGN_OR_RETURN(out->citation, r.String("citation"));
  KIRA_ASSIGN_OR_RETURN(out->rationale, r.String("note", false, out->rationale));
  KIRA_ASSIGN_OR_RETURN(out->grade, r.String("grade", false, out->grade));
  KIRA_ASSIGN_OR_RETURN(out->certainty, r.String("certainty", false, out->certainty));
  return Status::Ok();
}

// {"id", "value" (number or null), "unit", "source"}.
Status ReadSetting(ObjectReader& obj, const char* key, NumericSetting* out) {
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, obj.Object(key));
  KIRA_ASSIGN_OR_RETURN(out->id, r.String("id"));
  if (!r.Present("value")) return InvalidArgumentError(r.PathOf("value") + ": is required (a number, or null for not configured)");
  KIRA_ASSIGN_OR_RETURN(out->value, r.OptNumber("value", 0, kMaxSettingValue));
  KIRA_ASSIGN_OR_RETURN(out->unit, r.String("unit", false, out->unit));
  KIRA_RETURN_IF_ERROR(ReadSource(r, "source", &out->source));
  if (out->value && out->source.evidence == domain::Evidence::kUnverified && out->source.rationale.empty()) {
    return InvalidArgumentError(Join(r.PathOf("source"), "note") +
                                ": a U setting with a value must document its default");
  }
  return Status::Ok();
}

Status ParseTemplate(const json& j, const std::string& p, advisor::PlanTemplate* t) {
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, p));
  KIRA_ASSIGN_OR_RETURN(t->id, r.String("id"));
  KIRA_ASSIGN_OR_RETURN(t->indications, r.StringList("indications", true));
  if (t->indications.empty()) return InvalidArgumentError(Join(p, "indications") + ": must not be empty");
  KIRA_ASSIGN_OR_RETURN(t->protocol, r.String("protocol"));
  KIRA_ASSIGN_OR_RETURN(t->route, r.String("route"));
  KIRA_ASSIGN_OR_RETURN(t->response_instruments, r.StringList("response_instruments", true));
  if (t->response_instruments.empty())
    return InvalidArgumentError(Join(p, "response_instruments") + ": must name at least one instrument");
  KIRA_ASSIGN_OR_RETURN(const json* phases, r.List("induction"));
  if (phases->empty()) return InvalidArgumentError(Join(p, "induction") + ": must not be empty");
  for (size_t i = 0; i < phases->size(); ++i) {
    const std::string pp = Index(Join(p, "induction"), i);
    KIRA_ASSIGN_OR_RETURN(ObjectReader rp, ObjectReader::Make((*phases)[i], pp));
    advisor::PlanPhase ph;
    KIRA_ASSIGN_OR_RETURN(ph.name, rp.String("name"));
    KIRA_ASSIGN_OR_RETURN(ph.sessions, rp.Int("sessions", 1, 100));
    KIRA_ASSIGN_OR_RETURN(const json* gaps, rp.List("gaps_days"));
    if (gaps->empty()) return InvalidArgumentError(Join(pp, "gaps_days") + ": must not be empty");
    for (size_t g = 0; g < gaps->size(); ++g) {
      StatusOr<int> v = ObjectReader::IntValue((*gaps)[g], Index(Join(pp, "gaps_days"), g), 1, 366);
      if (!v.ok()) {
        return InvalidArgumentError(Index(Join(pp, "gaps_days"), g) + ": must be a whole number of days 1..366");
      }
      ph.gaps_days.push_back(*v);
    }
    KIRA_RETURN_IF_ERROR(ReadSource(rp, "source", &ph.source));
    t->induction.push_back(std::move(ph));
  }
  KIRA_RETURN_IF_ERROR(ReadSetting(r, "min_interval_days", &t->min_interval_days));
  KIRA_RETURN_IF_ERROR(ReadSetting(r, "maintenance_min_days", &t->maintenance_min_days));
  KIRA_RETURN_IF_ERROR(ReadSetting(r, "maintenance_max_days", &t->maintenance_max_days));
  KIRA_RETURN_IF_ERROR(ReadSetting(r, "maintenance_default_days", &t->maintenance_default_days));
  KIRA_RETURN_IF_ERROR(ReadSetting(r, "evaluate_after_sessions", &t->evaluate_after_sessions));
  if (!t->min_interval_days.value || *t->min_interval_days.value < 1) {
    return InvalidArgumentError(Join(Join(p, "min_interval_days"), "value") + ": must be >= 1 day");
  }
  const auto& mn = t->maintenance_min_days.value;
  const auto& df = t->maintenance_default_days.value;
  const auto& mx = t->maintenance_max_days.value;
  if (df && (!mn || !mx || *df < *mn || *df > *mx)) {
    return InvalidArgumentError(Join(Join(p, "maintenance_default_days"), "value") +
                                ": must lie within maintenance_min_days..maintenance_max_days");
  }
  if (t->evaluate_after_sessions.value && *t->evaluate_after_sessions.value < 1) {
    return InvalidArgumentError(Join(Join(p, "evaluate_after_sessions"), "value") + ": must be >= 1");
  }
  return Status::Ok();
}

Status ReadAction(ObjectReader& r, advisor::Action* out) {
  KIRA_ASSIGN_OR_RETURN(std::string action, r.String("action"));
  if (action == "slow") {
    *out = advisor::Action::kSlow;
  } else if (action == "pause") {
    *out = advisor::Action::kPause;
  } else if (action == "stop") {
    *out = advisor::Action::kStop;
  } else {
    return InvalidArgumentError(r.PathOf("action") + ": '" + action + "' is not one of slow, pause, stop");
  }
  return Status::Ok();
}

Status ReadMeasureOp(ObjectReader& r, advisor::Measure* measure, advisor::Comparison* op, bool* rise) {
  KIRA_ASSIGN_OR_RETURN(std::string m, r.String("measure"));
  if (!advisor::ParseMeasure(m, measure)) return InvalidArgumentError(r.PathOf("measure") + ": unknown '" + m + "'");
  if (rise) {
    KIRA_ASSIGN_OR_RETURN(*rise, r.Bool("rise_from_baseline", false, false));
  }
  KIRA_ASSIGN_OR_RETURN(std::string o, r.String("op"));
  if (!advisor::ParseComparison(o, op)) return InvalidArgumentError(r.PathOf("op") + ": '" + o + "' is not one of >=, <=, >, <");
  return Status::Ok();
}

Status ParseMonitoring(ObjectReader& r, advisor::MonitoringSettings* m) {
  const std::string& p = r.path();
  KIRA_RETURN_IF_ERROR(ReadSource(r, "bp_schedule_source", &m->bp_schedule_source));
  KIRA_RETURN_IF_ERROR(ReadSetting(r, "bp_check_at_min", &m->bp_check_at_min));
  KIRA_RETURN_IF_ERROR(ReadSetting(r, "bp_check_window_min", &m->bp_check_window_min));
  KIRA_RETURN_IF_ERROR(ReadSetting(r, "bp_interval_during_min", &m->bp_interval_during_min));
  KIRA_RETURN_IF_ERROR(ReadSetting(r, "min_observation_iv_min", &m->min_observation_iv_min));
  KIRA_RETURN_IF_ERROR(ReadSetting(r, "min_observation_esketamine_min", &m->min_observation_esketamine_min));
  KIRA_RETURN_IF_ERROR(ReadSource(r, "resuscitation_source", &m->resuscitation_source));
  KIRA_RETURN_IF_ERROR(ReadSource(r, "pulse_oximetry_source", &m->pulse_oximetry_source));
  KIRA_RETURN_IF_ERROR(ReadSource(r, "rems_source", &m->rems_source));
  std::set<std::string> ids;
  KIRA_ASSIGN_OR_RETURN(const json* starts, r.List("start_rules"));
  for (size_t i = 0; i < starts->size(); ++i) {
    const std::string pp = Index(Join(p, "start_rules"), i);
    KIRA_ASSIGN_OR_RETURN(ObjectReader rs, ObjectReader::Make((*starts)[i], pp));
    advisor::StartRule sr;
    KIRA_ASSIGN_OR_RETURN(sr.rule_id, rs.String("rule_id"));
    KIRA_RETURN_IF_ERROR(ReadMeasureOp(rs, &sr.measure, &sr.op, nullptr));
    KIRA_ASSIGN_OR_RETURN(sr.value, rs.OptNumber("value", 0, kMaxSettingValue));
    KIRA_ASSIGN_OR_RETURN(sr.severity, rs.Severity("severity"));
    KIRA_RETURN_IF_ERROR(ReadSource(rs, "source", &sr.source));
    if (!ids.insert(sr.rule_id).second) return InvalidArgumentError(Join(pp, "rule_id") + ": duplicate");
    m->start_rules.push_back(std::move(sr));
  }
  KIRA_ASSIGN_OR_RETURN(const json* th, r.List("thresholds"));
  for (size_t i = 0; i < th->size(); ++i) {
    const std::string pp = Index(Join(p, "thresholds"), i);
    KIRA_ASSIGN_OR_RETURN(ObjectReader rt, ObjectReader::Make((*th)[i], pp));
    advisor::ThresholdRule tr;
    KIRA_ASSIGN_OR_RETURN(tr.rule_id, rt.String("rule_id"));
    KIRA_RETURN_IF_ERROR(ReadMeasureOp(rt, &tr.measure, &tr.op, &tr.rise_from_baseline));
    if (!rt.Present("value")) return InvalidArgumentError(Join(pp, "value") + ": is required (a number, or null for not configured)");
    KIRA_ASSIGN_OR_RETURN(tr.value, rt.OptNumber("value", 0, kMaxSettingValue));
    KIRA_RETURN_IF_ERROR(ReadAction(rt, &tr.action));
    KIRA_RETURN_IF_ERROR(ReadSource(rt, "source", &tr.source));
    if (!ids.insert(tr.rule_id).second) return InvalidArgumentError(Join(pp, "rule_id") + ": duplicate");
    m->thresholds.push_back(std::move(tr));
  }
  return Status::Ok();
}

Status ParseRescue(ObjectReader& r, advisor::RescueSettings* rs) {
  const std::string& p = r.path();
  KIRA_ASSIGN_OR_RETURN(rs->symptoms, r.StringList("symptoms", true));
  KIRA_RETURN_IF_ERROR(ReadSource(r, "choice_source", &rs->choice_source));
  KIRA_RETURN_IF_ERROR(ReadSource(r, "preference_source", &rs->preference_source));
  KIRA_RETURN_IF_ERROR(ReadSource(r, "antipsychotic_source", &rs->antipsychotic_source));
  KIRA_ASSIGN_OR_RETURN(rs->antipsychotics, r.StringList("antipsychotics", true));
  KIRA_ASSIGN_OR_RETURN(const json* agents, r.List("agents"));
  if (agents->empty()) return InvalidArgumentError(Join(p, "agents") + ": must not be empty");
  for (size_t i = 0; i < agents->size(); ++i) {
    const std::string pp = Index(Join(p, "agents"), i);
    KIRA_ASSIGN_OR_RETURN(ObjectReader ra, ObjectReader::Make((*agents)[i], pp));
    advisor::RescueAgent a;
    KIRA_ASSIGN_OR_RETURN(a.id, ra.String("id"));
    KIRA_ASSIGN_OR_RETURN(a.drug_class, ra.String("class"));
    KIRA_ASSIGN_OR_RETURN(a.route, ra.String("route"));
    KIRA_RETURN_IF_ERROR(ReadSetting(ra, "dose_mg", &a.dose_mg));
    KIRA_ASSIGN_OR_RETURN(a.excluded_by, ra.StringList("excluded_by", true));
    if (a.drug_class == "antipsychotic") {
      return InvalidArgumentError(Join(pp, "class") + ": antipsychotics are not rescue agents (Cohen 2018 [R1-seed])");
    }
    rs->agents.push_back(std::move(a));
  }
  return Status::Ok();
}

Status ParseDischarge(ObjectReader& r, advisor::DischargeSettings* ds) {
  const std::string& p = r.path();
  KIRA_RETURN_IF_ERROR(ReadSource(r, "bp_before_discharge_source", &ds->bp_before_discharge_source));
  KIRA_RETURN_IF_ERROR(ReadSetting(r, "sbp_near_baseline_mmhg", &ds->sbp_near_baseline_mmhg));
  KIRA_RETURN_IF_ERROR(ReadSetting(r, "dbp_near_baseline_mmhg", &ds->dbp_near_baseline_mmhg));
  KIRA_RETURN_IF_ERROR(ReadSetting(r, "rems_form_due_days", &ds->rems_form_due_days));
  KIRA_ASSIGN_OR_RETURN(const json* items, r.List("attestations"));
  for (size_t i = 0; i < items->size(); ++i) {
    const std::string pp = Index(Join(p, "attestations"), i);
    KIRA_ASSIGN_OR_RETURN(ObjectReader ri, ObjectReader::Make((*items)[i], pp));
    advisor::DischargeItem it;
    KIRA_ASSIGN_OR_RETURN(it.id, ri.String("id"));
    KIRA_ASSIGN_OR_RETURN(it.description, ri.String("description"));
    KIRA_ASSIGN_OR_RETURN(it.severity_if_missing, ri.Severity("severity"));
    KIRA_ASSIGN_OR_RETURN(it.routes, ri.StringList("routes", false));
    KIRA_RETURN_IF_ERROR(ReadSource(ri, "source", &it.source));
    ds->attestations.push_back(std::move(it));
  }
  return Status::Ok();
}

Status ReadVitals(ObjectReader& r, advisor::Vitals* v) {
  // Plausibility bounds reject typing errors (e.g. 1200 for 120); they are
  // not clinical thresholds.
  KIRA_ASSIGN_OR_RETURN(v->sbp_mmhg, r.OptNumber("sbp_mmhg", 20, 350));
  KIRA_ASSIGN_OR_RETURN(v->dbp_mmhg, r.OptNumber("dbp_mmhg", 10, 250));
  KIRA_ASSIGN_OR_RETURN(v->hr_bpm, r.OptNumber("hr_bpm", 10, 300));
  KIRA_ASSIGN_OR_RETURN(v->spo2_pct, r.OptNumber("spo2_pct", 0, 100));
  KIRA_ASSIGN_OR_RETURN(v->rr_per_min, r.OptNumber("rr_per_min", 0, 80));
  KIRA_ASSIGN_OR_RETURN(v->moaa_s, r.OptNumber("moaa_s", 0, 5));
  KIRA_ASSIGN_OR_RETURN(v->cadss_total, r.OptNumber("cadss_total", 0, 1000));
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
  KIRA_ASSIGN_OR_RETURN(json root, internal::ParseJson(text, "advisor"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(root, ""));
  advisor::AdvisorLibrary lib;
  KIRA_ASSIGN_OR_RETURN(lib.id, r.String("id"));
  KIRA_ASSIGN_OR_RETURN(lib.version, r.String("version"));
  KIRA_ASSIGN_OR_RETURN(lib.effective_date, r.String("effective_date"));
  KIRA_RETURN_IF_ERROR(ParseIsoDate(lib.effective_date, "effective_date").status());

  KIRA_ASSIGN_OR_RETURN(ObjectReader cap, r.Object("annual_cap"));
  advisor::AnnualCap& ac = lib.annual_cap;
  KIRA_RETURN_IF_ERROR(ReadSetting(cap, "cap", &ac.cap));
  KIRA_ASSIGN_OR_RETURN(ac.allowed_min, cap.Number("allowed_min", 1, 365));
  KIRA_ASSIGN_OR_RETURN(ac.allowed_max, cap.Number("allowed_max", ac.allowed_min, 365));
  if (!ac.cap.value || *ac.cap.value < ac.allowed_min || *ac.cap.value > ac.allowed_max) {
    return InvalidArgumentError("annual_cap.cap.value: must be a number of sessions within allowed_min..allowed_max (" +
                                std::to_string(static_cast<int>(ac.allowed_min)) + ".." +
                                std::to_string(static_cast<int>(ac.allowed_max)) + ")");
  }
  KIRA_RETURN_IF_ERROR(ReadSetting(cap, "window_days", &ac.window_days));
  if (!ac.window_days.value || *ac.window_days.value < 1) {
    return InvalidArgumentError("annual_cap.window_days.value: must be >= 1");
  }
  KIRA_ASSIGN_OR_RETURN(ac.counting_unit, cap.String("counting_unit"));
  if (ac.counting_unit != "session" && ac.counting_unit != "series") {
    return InvalidArgumentError("annual_cap.counting_unit: '" + ac.counting_unit + "' is not one of session, series");
  }
  KIRA_RETURN_IF_ERROR(ReadSource(cap, "counting_unit_source", &ac.counting_unit_source));

  KIRA_ASSIGN_OR_RETURN(const json* templates, r.List("templates"));
  std::set<std::string> ids;
  for (size_t i = 0; i < templates->size(); ++i) {
    advisor::PlanTemplate t;
    const std::string p = Index("templates", i);
    KIRA_RETURN_IF_ERROR(ParseTemplate((*templates)[i], p, &t));
    if (!ids.insert(t.id).second) return InvalidArgumentError(Join(p, "id") + ": duplicate '" + t.id + "'");
    lib.templates.push_back(std::move(t));
  }
  KIRA_ASSIGN_OR_RETURN(ObjectReader mon, r.Object("monitoring"));
  KIRA_RETURN_IF_ERROR(ParseMonitoring(mon, &lib.monitoring));
  KIRA_ASSIGN_OR_RETURN(ObjectReader rescue, r.Object("rescue"));
  KIRA_RETURN_IF_ERROR(ParseRescue(rescue, &lib.rescue));
  KIRA_ASSIGN_OR_RETURN(ObjectReader dis, r.Object("discharge"));
  KIRA_RETURN_IF_ERROR(ParseDischarge(dis, &lib.discharge));
  return lib;
}

StatusOr<advisor::SessionTimeline> ParseSessionTimeline(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(json root, internal::ParseJson(text, "session"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(root, ""));
  advisor::SessionTimeline tl;
  KIRA_ASSIGN_OR_RETURN(tl.session_id, r.String("session_id"));
  KIRA_ASSIGN_OR_RETURN(tl.patient_id, r.String("patient_id", false, tl.patient_id));
  KIRA_ASSIGN_OR_RETURN(tl.indication, r.String("indication", false, tl.indication));
  KIRA_ASSIGN_OR_RETURN(tl.route, r.String("route"));
  if (tl.route != "iv" && tl.route != "intranasal") {
    return InvalidArgumentError("route: '" + tl.route + "' is not one of iv, intranasal (esketamine)");
  }
  KIRA_ASSIGN_OR_RETURN(ObjectReader pc, r.Object("precheck"));
  advisor::PreCheck& pre = tl.precheck;
  KIRA_ASSIGN_OR_RETURN(pre.resuscitation_staff_present, pc.Bool("resuscitation_staff_present", true));
  KIRA_ASSIGN_OR_RETURN(pre.resuscitation_equipment_present, pc.Bool("resuscitation_equipment_present", true));
  KIRA_ASSIGN_OR_RETURN(pre.pulse_oximeter_present, pc.Bool("pulse_oximeter_present", true));
  KIRA_ASSIGN_OR_RETURN(pre.rescue_plan, pc.String("rescue_plan", false, pre.rescue_plan));
  KIRA_ASSIGN_OR_RETURN(std::optional<bool> certified, pc.OptBool("rems_setting_certified"));
  if (certified) pre.rems_setting_certified = certified;
  KIRA_ASSIGN_OR_RETURN(std::optional<bool> enrolled, pc.OptBool("rems_patient_enrolled"));
  if (enrolled) pre.rems_patient_enrolled = enrolled;
  KIRA_ASSIGN_OR_RETURN(ObjectReader base, r.Object("baseline"));
  KIRA_RETURN_IF_ERROR(ReadVitals(base, &tl.baseline));

  if (const json* list = r.Get("screening_findings")) {
    if (!list->is_array()) {
      return InvalidArgumentError(std::string("screening_findings: must be a list, got ") + list->type_name());
    }
    tl.screening_recorded = true;
    for (size_t i = 0; i < list->size(); ++i) {
      const json& f = (*list)[i];
      domain::Finding finding;
      if (f.is_string()) {
        finding.rule_id = f.get<std::string>();
      } else if (f.is_object()) {
        KIRA_ASSIGN_OR_RETURN(ObjectReader rf, ObjectReader::Make(f, Index("screening_findings", i)));
        KIRA_ASSIGN_OR_RETURN(finding.rule_id, rf.String("rule_id"));
        KIRA_ASSIGN_OR_RETURN(std::string message, rf.String("message", false));
        KIRA_ASSIGN_OR_RETURN(std::string citation, rf.String("citation", false));
        finding.message = std::move(message);
        finding.citation = std::move(citation);
        if (f.contains("evidence")) {
          KIRA_ASSIGN_OR_RETURN(finding.evidence, rf.Evidence("evidence"));
        }
      } else {
        return InvalidArgumentError(Index("screening_findings", i) + ": must be a rule id or an object, got " +
                                    f.type_name());
      }
      tl.screening.findings.push_back(std::move(finding));
    }
  }

  KIRA_ASSIGN_OR_RETURN(const json* events, r.List("events"));
  double prev = -kMaxMinutes;
  for (size_t i = 0; i < events->size(); ++i) {
    const std::string p = Index("events", i);
    KIRA_ASSIGN_OR_RETURN(ObjectReader re, ObjectReader::Make((*events)[i], p));
    advisor::TimelineEvent e;
    KIRA_ASSIGN_OR_RETURN(e.t_min, re.Number("t_min", -kMaxMinutes, kMaxMinutes));
    if (e.t_min < prev) return InvalidArgumentError(Join(p, "t_min") + ": earlier than the event before");
    prev = e.t_min;
    KIRA_ASSIGN_OR_RETURN(std::string type, re.String("type"));
    if (!advisor::ParseEventType(type, &e.type)) {
      return InvalidArgumentError(Join(p, "type") + ": '" + type +
                                  "' is not one of start, vitals, symptom, rescue, pause, resume, end_dose, stop");
    }
    if (e.type == advisor::EventType::kVitals) KIRA_RETURN_IF_ERROR(ReadVitals(re, &e.vitals));
    if (e.type == advisor::EventType::kSymptom) {
      KIRA_ASSIGN_OR_RETURN(e.symptom, re.String("symptom"));
    }
    if (e.type == advisor::EventType::kRescue) {
      KIRA_ASSIGN_OR_RETURN(e.agent, re.String("agent"));
      KIRA_ASSIGN_OR_RETURN(e.symptom, re.String("symptom", false, e.symptom));
    }
    tl.events.push_back(std::move(e));
  }
  KIRA_ASSIGN_OR_RETURN(std::optional<ObjectReader> dis, r.OptObject("discharge"));
  if (dis) {
    advisor::DischargeRecord rec;
    KIRA_ASSIGN_OR_RETURN(rec.t_min, dis->Number("t_min", -kMaxMinutes, kMaxMinutes));
    if (rec.t_min < prev) return InvalidArgumentError("discharge.t_min: earlier than the last event");
    KIRA_ASSIGN_OR_RETURN(rec.by, dis->String("by", false, rec.by));
    KIRA_ASSIGN_OR_RETURN(std::optional<ObjectReader> at, dis->OptObject("attestations"));
    if (at) {
      for (auto kv = at->json().begin(); kv != at->json().end(); ++kv) {
        KIRA_ASSIGN_OR_RETURN(rec.attestations[kv.key()], at->Bool(kv.key().c_str(), true));
      }
    }
    tl.discharge = std::move(rec);
  }
  return tl;
}

StatusOr<advisor::PlanHistory> ParsePlanHistory(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(json root, internal::ParseJson(text, "history"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(root, "history"));
  advisor::PlanHistory h;
  KIRA_ASSIGN_OR_RETURN(h.instrument, r.String("instrument"));
  KIRA_ASSIGN_OR_RETURN(h.baseline_score, r.OptNumber("baseline_score", 0, 1000));
  KIRA_ASSIGN_OR_RETURN(const json* sessions, r.List("sessions"));
  for (size_t i = 0; i < sessions->size(); ++i) {
    const std::string p = Index("history.sessions", i);
    KIRA_ASSIGN_OR_RETURN(ObjectReader rs, ObjectReader::Make((*sessions)[i], p));
    advisor::HistorySession s;
    KIRA_ASSIGN_OR_RETURN(std::string date, rs.String("date"));
    KIRA_ASSIGN_OR_RETURN(s.date, ParseIsoDate(date, Join(p, "date")));
    KIRA_ASSIGN_OR_RETURN(s.phase, rs.String("phase", false, s.phase));
    if (s.phase != "induction" && s.phase != "maintenance") {
      return InvalidArgumentError(Join(p, "phase") + ": '" + s.phase + "' is not one of induction, maintenance");
    }
    KIRA_ASSIGN_OR_RETURN(s.completed, rs.Bool("completed", false, true));
    KIRA_ASSIGN_OR_RETURN(s.score, rs.OptNumber("score", 0, 1000));
    KIRA_ASSIGN_OR_RETURN(s.baseline_score, rs.OptNumber("baseline_score", 0, 1000));
    if (!h.sessions.empty() && s.date < h.sessions.back().date) {
      return InvalidArgumentError(Join(p, "date") + ": earlier than the session before");
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
