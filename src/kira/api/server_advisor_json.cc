#include "kira/api/server_advisor_json.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>

#include "kira/api/advisor_json.h"
#include "kira/api/internal/json_reader.h"

namespace kira::api {

namespace {

using internal::FieldError;
using internal::Json;
using internal::ObjectReader;

double MinutesFrom(domain::Instant start, domain::Instant t) {
  return std::chrono::duration<double, std::ratio<60>>(t - start).count();
}

const char* VitalKey(domain::VitalKind k) {
  switch (k) {
    case domain::VitalKind::kSystolicBp: return "sbp_mmhg";
    case domain::VitalKind::kDiastolicBp: return "dbp_mmhg";
    case domain::VitalKind::kHeartRate: return "hr_bpm";
    case domain::VitalKind::kSpO2: return "spo2_pct";
    case domain::VitalKind::kRespRate: return "rr_per_min";
  }
  return "hr_bpm";
}

std::string FirstWordLower(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!out.empty()) break;
      continue;
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

StatusOr<advisor::SessionTimeline> ParseSessionCheckRequest(std::string_view body, const domain::SessionRecord& session,
                                                           const std::string& indication,
                                                           const std::vector<domain::VitalSign>& vitals,
                                                           const std::vector<domain::AdverseEvent>& events,
                                                           const std::set<std::string>& rescue_symptoms,
                                                           const std::optional<domain::PatientFacts>& facts,
                                                           const std::optional<domain::ScreeningRecord>& screening) {
  KIRA_ASSIGN_OR_RETURN(Json in, internal::ParseJson(body, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(in, ""));
  Json tl = Json::object();
  for (const char* key : {"precheck", "baseline", "screening_findings", "discharge"}) {
    if (const Json* v = r.Get(key)) tl[key] = *v;
  }
  KIRA_ASSIGN_OR_RETURN(std::string route, r.String("route", false, "iv"));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  if (!tl.contains("precheck")) return FieldError("precheck", "is required (the pre-session checks)");
  const bool stored_baseline = facts && (facts->baseline_sbp_mmhg || facts->baseline_dbp_mmhg ||
                                         facts->baseline_hr_bpm || facts->baseline_spo2_pct ||
                                         facts->baseline_rr_per_min);
  if (stored_baseline) {
    if (tl.contains("baseline")) {
      return FieldError("baseline", "the patient's own baseline vitals are stored with the clinical facts (version " +
                                        std::to_string(facts->version) + "); change them there, not here");
    }
    Json b = Json::object();
    auto put = [&b](const char* key, const std::optional<double>& v) {
      if (v) b[key] = *v;
    };
    put("sbp_mmhg", facts->baseline_sbp_mmhg);
    put("dbp_mmhg", facts->baseline_dbp_mmhg);
    put("hr_bpm", facts->baseline_hr_bpm);
    put("spo2_pct", facts->baseline_spo2_pct);
    put("rr_per_min", facts->baseline_rr_per_min);
    tl["baseline"] = b;
  }
  if (!tl.contains("baseline")) {
    return FieldError("baseline", "is required: record the patient's baseline vitals with the clinical facts");
  }
  if (screening) {
    if (tl.contains("screening_findings")) {
      return FieldError("screening_findings", "the screening is stored with the patient's clinical facts (version " +
                                                  std::to_string(screening->facts_version) + ")");
    }
    Json ids = Json::array();
    for (const auto& f : screening->findings) ids.push_back(f.rule_id);
    tl["screening_findings"] = ids;
  }
  tl["session_id"] = session.id;
  tl["patient_id"] = session.patient_id;
  tl["indication"] = indication;
  tl["route"] = route;

  struct Ev {
    double t;
    int order;  // start first, then vitals, symptom, rescue, end
    Json j;
  };
  std::vector<Ev> evs;
  evs.push_back({0.0, 0, Json{{"t_min", 0}, {"type", "start"}}});
  std::map<std::int64_t, Json> by_instant;
  for (const auto& v : vitals) {
    if (v.at < session.started_at) continue;
    Json& e = by_instant[domain::ToUnixMicros(v.at)];
    if (e.is_null()) e = Json{{"t_min", MinutesFrom(session.started_at, v.at)}, {"type", "vitals"}};
    e[VitalKey(v.kind)] = v.value;
  }
  for (auto& [us, e] : by_instant) evs.push_back({e["t_min"].get<double>(), 1, e});
  for (const auto& a : events) {
    if (a.at < session.started_at || !rescue_symptoms.count(a.type)) continue;
    const double t = MinutesFrom(session.started_at, a.at);
    evs.push_back({t, 2, Json{{"t_min", t}, {"type", "symptom"}, {"symptom", a.type}}});
    if (!a.rescue_given.empty()) {
      evs.push_back({t, 3, Json{{"t_min", t}, {"type", "rescue"}, {"agent", FirstWordLower(a.rescue_given)},
                                {"symptom", a.type}}});
    }
  }
  if (session.stopped_at && *session.stopped_at > session.started_at) {
    const double t = MinutesFrom(session.started_at, *session.stopped_at);
    evs.push_back({t, 4, Json{{"t_min", t}, {"type", "end_dose"}}});
  }
  std::stable_sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) {
    return a.t != b.t ? a.t < b.t : a.order < b.order;
  });
  Json list = Json::array();
  for (auto& e : evs) list.push_back(std::move(e.j));
  tl["events"] = std::move(list);
  return ParseSessionTimeline(tl.dump());
}

StatusOr<PlanCall> ParsePlanCallRequest(std::string_view body) {
  KIRA_ASSIGN_OR_RETURN(Json in, internal::ParseJson(body, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(in, ""));
  PlanCall out;
  KIRA_ASSIGN_OR_RETURN(std::string start, r.String("start", true));
  KIRA_ASSIGN_OR_RETURN(out.request.start, ParseIsoDate(start, "start"));
  KIRA_ASSIGN_OR_RETURN(out.request.route, r.String("route", false, ""));
  KIRA_ASSIGN_OR_RETURN(std::optional<double> horizon, r.OptNumber("maintenance_horizon", 0, 52));
  if (horizon) {
    if (*horizon != std::floor(*horizon)) return FieldError("maintenance_horizon", "must be a whole number");
    out.request.maintenance_horizon = static_cast<int>(*horizon);
  }
  if (const Json* h = r.Get("history")) {
    StatusOr<advisor::PlanHistory> ph = ParsePlanHistory(h->dump());
    if (!ph.ok()) return InvalidArgumentError("history." + std::string(ph.status().message()));
    out.history = std::move(*ph);
  }
  KIRA_ASSIGN_OR_RETURN(out.override_reason, r.String("override_reason", false, ""));
  if (out.override_reason.size() > 2000) return FieldError("override_reason", "must be at most 2000 characters");
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return out;
}

}  // namespace kira::api
