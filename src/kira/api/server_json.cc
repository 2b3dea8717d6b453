#include "kira/api/server_json.h"

#include <cmath>
#include <numeric>

#include "kira/api/internal/json_reader.h"
#include "kira/api/patient_json.h"

namespace kira::api {

namespace {

using internal::FieldError;
using internal::Json;
using internal::ObjectReader;

// Bounds on free text from the network: long enough for any real value,
// short enough that a body cannot smuggle megabytes into a column.
constexpr std::size_t kMaxShortText = 200;
constexpr std::size_t kMaxLongText = 2000;

StatusOr<ObjectReader> Root(const Json& j) { return ObjectReader::Make(j, ""); }

StatusOr<std::string> Text(ObjectReader& r, const char* key, bool required,
                           std::size_t max_len = kMaxShortText) {
  KIRA_ASSIGN_OR_RETURN(std::string s, r.String(key, required));
  if (required && s.empty()) return FieldError(r.PathOf(key), "must not be empty");
  if (s.size() > max_len) {
    return FieldError(r.PathOf(key), "must be at most " + std::to_string(max_len) + " characters");
  }
  return s;
}

StatusOr<domain::Instant> InstantField(ObjectReader& r, const char* key) {
  KIRA_ASSIGN_OR_RETURN(std::string s, r.String(key, true));
  domain::Instant t{};
  if (!domain::ParseInstant(s, &t)) {
    return FieldError(r.PathOf(key), "must be an instant like 2026-11-26T09:30:00Z, got '" + s + "'");
  }
  return t;
}

StatusOr<double> Positive(ObjectReader& r, const char* key) {
  KIRA_ASSIGN_OR_RETURN(double d, r.Number(key));
  if (!(d > 0)) return FieldError(r.PathOf(key), "must be > 0");
  return d;
}

StatusOr<std::optional<double>> OptPositive(ObjectReader& r, const char* key) {
  KIRA_ASSIGN_OR_RETURN(std::optional<double> d, r.OptNumber(key));
  if (d && !(*d > 0)) return FieldError(r.PathOf(key), "must be > 0");
  return d;
}

std::string Iso(domain::Instant t) { return domain::FormatInstant(t); }

Json PatientObj(const domain::PatientRecord& p) {
  return Json{{"id", p.id}, {"sex", p.sex}, {"birth_year", p.birth_year}, {"indication", p.indication}};
}

Json SessionObj(const domain::SessionRecord& s) {
  Json j{{"id", s.id},
         {"patient_id", s.patient_id},
         {"protocol_id", s.protocol_id},
         {"state", domain::SessionStateName(s.state)},
         {"dosing_weight_kg", units::ToKg(s.dosing_weight)},
         {"planned_dose_mg", units::ToMg(s.planned_dose)},
         {"concentration_mg_per_ml", units::ToMgPerMl(s.concentration)},
         {"rate_ml_per_h", units::ToMlPerH(s.rate)},
         {"started_at", Iso(s.started_at)},
         {"recorded_by", s.recorded_by},
         {"decision_outcome", s.decision_outcome}};
  j["given_dose_mg"] = s.given_dose ? Json(units::ToMg(*s.given_dose)) : Json(nullptr);
  j["stopped_at"] = s.stopped_at ? Json(Iso(*s.stopped_at)) : Json(nullptr);
  return j;
}

Json VitalObj(const domain::VitalSign& v) {
  return Json{{"id", v.id},
              {"at", Iso(v.at)},
              {"kind", domain::VitalKindName(v.kind)},
              {"value", v.value},
              {"unit", domain::VitalKindUnit(v.kind)}};
}

Json AdverseEventObj(const domain::AdverseEvent& e) {
  return Json{{"id", e.id},
              {"at", Iso(e.at)},
              {"type", e.type},
              {"severity", domain::AeSeverityName(e.severity)},
              {"rescue_given", e.rescue_given}};
}

Json AssessmentObj(const domain::Assessment& a) {
  return Json{{"id", a.id},
              {"patient_id", a.patient_id},
              {"session_id", a.session_id},
              {"at", Iso(a.at)},
              {"instrument", a.instrument},
              {"item_scores", a.item_scores},
              {"total", a.total},
              {"scoring_version", a.scoring_version}};
}

}  // namespace

StatusOr<LoginRequest> ParseLoginRequest(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(text, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  LoginRequest out;
  KIRA_ASSIGN_OR_RETURN(out.login, Text(r, "login", true));
  KIRA_ASSIGN_OR_RETURN(out.password, Text(r, "password", true, 1024));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return out;
}

StatusOr<NewPatientRequest> ParseNewPatientRequest(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(text, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  NewPatientRequest out;
  KIRA_ASSIGN_OR_RETURN(out.record.id, Text(r, "id", false));
  KIRA_ASSIGN_OR_RETURN(out.record.sex, Text(r, "sex", true));
  if (out.record.sex != "female" && out.record.sex != "male" && out.record.sex != "other" &&
      out.record.sex != "unknown") {
    return FieldError("sex", "must be female, male, other or unknown, got '" + out.record.sex + "'");
  }
  KIRA_ASSIGN_OR_RETURN(double year, r.Number("birth_year", 1900, 2200));
  if (year != std::floor(year)) return FieldError("birth_year", "must be a whole number");
  out.record.birth_year = static_cast<int>(year);
  KIRA_ASSIGN_OR_RETURN(out.record.indication, Text(r, "indication", true));
  if (const Json* id = r.Get("identity")) {
    KIRA_ASSIGN_OR_RETURN(ObjectReader ir, ObjectReader::Make(*id, "identity"));
    domain::PatientIdentity pi;
    KIRA_ASSIGN_OR_RETURN(pi.given_name, Text(ir, "given_name", false));
    KIRA_ASSIGN_OR_RETURN(pi.family_name, Text(ir, "family_name", false));
    KIRA_ASSIGN_OR_RETURN(pi.birth_date, Text(ir, "birth_date", false));
    KIRA_ASSIGN_OR_RETURN(pi.mrn, Text(ir, "mrn", false));
    KIRA_ASSIGN_OR_RETURN(pi.zip, Text(ir, "zip", false));
    KIRA_ASSIGN_OR_RETURN(pi.phone, Text(ir, "phone", false));
    KIRA_ASSIGN_OR_RETURN(pi.email, Text(ir, "email", false));
    KIRA_RETURN_IF_ERROR(ir.NoUnknownKeys());
    out.identity = pi;
  }
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return out;
}

StatusOr<DoseCheckRequest> ParseDoseCheckRequest(std::string_view text, const guideline::Library& lib) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(text, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  DoseCheckRequest out;
  const Json* patient = r.Get("patient");
  if (!patient) return FieldError("patient", "is required (the patient document)");
  {
    StatusOr<domain::Patient> p = ParsePatient(patient->dump(), lib);
    if (!p.ok()) return InvalidArgumentError("patient." + std::string(p.status().message()));
    out.patient = std::move(*p);
  }
  KIRA_ASSIGN_OR_RETURN(out.dose.protocol_id, Text(r, "protocol_id", true));
  KIRA_ASSIGN_OR_RETURN(std::optional<double> conc, OptPositive(r, "concentration_mg_per_ml"));
  if (conc) out.dose.concentration = units::MgPerMl(*conc);
  KIRA_ASSIGN_OR_RETURN(std::optional<double> dose, OptPositive(r, "dose_mg"));
  if (dose) out.dose.ordered_dose = units::Mg(*dose);
  KIRA_ASSIGN_OR_RETURN(std::optional<double> minutes, OptPositive(r, "duration_min"));
  if (minutes) out.dose.ordered_duration = units::Minutes(*minutes);
  KIRA_ASSIGN_OR_RETURN(std::optional<double> today, r.OptNumber("given_today_mg", 0.0));
  if (today) out.dose.given_today = units::Mg(*today);
  KIRA_ASSIGN_OR_RETURN(out.override_reason, Text(r, "override_reason", false, kMaxLongText));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return out;
}

StatusOr<NewSessionRequest> ParseNewSessionRequest(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(text, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  NewSessionRequest out;
  domain::SessionRecord& s = out.session;
  KIRA_ASSIGN_OR_RETURN(s.protocol_id, Text(r, "protocol_id", true));
  KIRA_ASSIGN_OR_RETURN(std::string state, r.String("state", false, "completed"));
  if (!domain::ParseSessionState(state, &s.state)) {
    return FieldError("state", "must be planned, pre_checked, running, paused, observation, discharged or stopped, got '" + state + "'");
  }
  KIRA_ASSIGN_OR_RETURN(double w, Positive(r, "dosing_weight_kg"));
  s.dosing_weight = units::Kg(w);
  KIRA_ASSIGN_OR_RETURN(double planned, Positive(r, "planned_dose_mg"));
  s.planned_dose = units::Mg(planned);
  KIRA_ASSIGN_OR_RETURN(std::optional<double> given, r.OptNumber("given_dose_mg", 0.0));
  if (given) s.given_dose = units::Mg(*given);
  KIRA_ASSIGN_OR_RETURN(double conc, Positive(r, "concentration_mg_per_ml"));
  s.concentration = units::MgPerMl(conc);
  KIRA_ASSIGN_OR_RETURN(double rate, Positive(r, "rate_ml_per_h"));
  s.rate = units::MlPerH(rate);
  KIRA_ASSIGN_OR_RETURN(s.started_at, InstantField(r, "started_at"));
  if (r.Has("stopped_at")) {
    KIRA_ASSIGN_OR_RETURN(domain::Instant stop, InstantField(r, "stopped_at"));
    if (stop <= s.started_at) return FieldError("stopped_at", "must be after started_at");
    s.stopped_at = stop;
  } else {
    r.Get("stopped_at");  // an explicit null is allowed
  }
  KIRA_ASSIGN_OR_RETURN(out.override_reason, Text(r, "override_reason", false, kMaxLongText));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return out;
}

StatusOr<FinishSessionRequest> ParseFinishSessionRequest(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(text, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  FinishSessionRequest out;
  KIRA_ASSIGN_OR_RETURN(std::string state, r.String("state", false, "completed"));
  if (state == "discharged" || state == "completed") {  // "completed": older clients
    out.state = domain::SessionState::kDischarged;
  } else if (state == "stopped") {
    out.state = domain::SessionState::kStopped;
  } else {
    return FieldError("state", "must be discharged or stopped, got '" + state + "'");
  }
  KIRA_ASSIGN_OR_RETURN(double given, r.Number("given_dose_mg", 0.0));
  out.given_dose = units::Mg(given);
  KIRA_ASSIGN_OR_RETURN(out.stopped_at, InstantField(r, "stopped_at"));
  KIRA_ASSIGN_OR_RETURN(out.override_reason, Text(r, "override_reason", false, kMaxLongText));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return out;
}

StatusOr<domain::VitalSign> ParseVitalRequest(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(text, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  domain::VitalSign v;
  KIRA_ASSIGN_OR_RETURN(v.at, InstantField(r, "at"));
  KIRA_ASSIGN_OR_RETURN(std::string kind, r.String("kind", true));
  if (!domain::ParseVitalKind(kind, &v.kind)) {
    return FieldError("kind", "must be sbp, dbp, hr, spo2 or rr, got '" + kind + "'");
  }
  // Plausibility bounds of the measurement itself (not clinical thresholds):
  // anything outside is a typing error, whatever the patient's state.
  KIRA_ASSIGN_OR_RETURN(v.value, r.Number("value", 0.0, 400.0));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return v;
}

StatusOr<domain::AdverseEvent> ParseAdverseEventRequest(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(text, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  domain::AdverseEvent e;
  KIRA_ASSIGN_OR_RETURN(e.at, InstantField(r, "at"));
  KIRA_ASSIGN_OR_RETURN(e.type, Text(r, "type", true));
  KIRA_ASSIGN_OR_RETURN(std::string sev, r.String("severity", true));
  if (!domain::ParseAeSeverity(sev, &e.severity)) {
    return FieldError("severity", "must be mild, moderate, severe or life_threatening, got '" + sev + "'");
  }
  KIRA_ASSIGN_OR_RETURN(e.rescue_given, Text(r, "rescue_given", false));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return e;
}

StatusOr<domain::Assessment> ParseAssessmentRequest(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(text, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  domain::Assessment a;
  KIRA_ASSIGN_OR_RETURN(a.at, InstantField(r, "at"));
  KIRA_ASSIGN_OR_RETURN(a.instrument, Text(r, "instrument", true));
  KIRA_ASSIGN_OR_RETURN(a.session_id, Text(r, "session_id", false));
  KIRA_ASSIGN_OR_RETURN(std::vector<double> items, r.NumberList("item_scores"));
  if (items.empty()) return FieldError("item_scores", "is required (a non-empty list of whole numbers)");
  constexpr std::size_t kMaxItems = 100;
  if (items.size() > kMaxItems) return FieldError("item_scores", "has too many items");
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i] != std::floor(items[i]) || items[i] < 0 || items[i] > 1000) {
      return FieldError(internal::Index("item_scores", i), "must be a whole number >= 0");
    }
    a.item_scores.push_back(static_cast<int>(items[i]));
  }
  a.total = std::accumulate(a.item_scores.begin(), a.item_scores.end(), 0);
  a.scoring_version = "sum-1";
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return a;
}

StatusOr<NewUserRequest> ParseNewUserRequest(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(text, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  NewUserRequest out;
  KIRA_ASSIGN_OR_RETURN(out.user.id, Text(r, "id", true));
  KIRA_ASSIGN_OR_RETURN(out.user.display_name, Text(r, "display_name", true));
  KIRA_ASSIGN_OR_RETURN(std::string role, r.String("role", true));
  if (!domain::ParseRole(role, &out.user.role)) {
    return FieldError("role", "must be admin, clinician, nurse or researcher, got '" + role + "'");
  }
  KIRA_ASSIGN_OR_RETURN(out.login, Text(r, "login", true));
  KIRA_ASSIGN_OR_RETURN(out.password, Text(r, "password", true, 1024));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return out;
}

std::string PatientJson(const domain::PatientRecord& p, const std::optional<domain::PatientIdentity>& identity) {
  Json j = PatientObj(p);
  if (identity) {
    j["identity"] = Json{{"given_name", identity->given_name}, {"family_name", identity->family_name},
                         {"birth_date", identity->birth_date}, {"mrn", identity->mrn},
                         {"zip", identity->zip},               {"phone", identity->phone},
                         {"email", identity->email}};
  }
  return j.dump();
}

std::string PatientListJson(const std::vector<domain::PatientRecord>& patients, std::string_view next_after) {
  Json items = Json::array();
  for (const auto& p : patients) items.push_back(PatientObj(p));
  Json j{{"patients", items}};
  j["next_after"] = next_after.empty() ? Json(nullptr) : Json(std::string(next_after));
  return j.dump();
}

std::string SessionJson(const domain::SessionRecord& s) { return SessionObj(s).dump(); }

std::string SessionDetailJson(const domain::SessionRecord& s, const std::vector<domain::VitalSign>& vitals,
                              const std::vector<domain::AdverseEvent>& events,
                              const std::vector<domain::OverrideRecord>& overrides) {
  Json j = SessionObj(s);
  Json vs = Json::array();
  for (const auto& v : vitals) vs.push_back(VitalObj(v));
  Json es = Json::array();
  for (const auto& e : events) es.push_back(AdverseEventObj(e));
  Json os = Json::array();
  for (const auto& o : overrides) {
    os.push_back(Json{{"id", o.id}, {"who", o.who}, {"at", Iso(o.at)}, {"rule_ids", o.rule_ids},
                      {"reason", o.reason}});
  }
  j["vitals"] = vs;
  j["adverse_events"] = es;
  j["overrides"] = os;
  return j.dump();
}

std::string SessionListJson(const std::vector<domain::SessionRecord>& sessions) {
  Json items = Json::array();
  for (const auto& s : sessions) items.push_back(SessionObj(s));
  return Json{{"sessions", items}}.dump();
}

std::string VitalJson(const domain::VitalSign& v) { return VitalObj(v).dump(); }
std::string AdverseEventJson(const domain::AdverseEvent& e) { return AdverseEventObj(e).dump(); }
std::string AssessmentJson(const domain::Assessment& a) { return AssessmentObj(a).dump(); }

std::string AssessmentListJson(const std::vector<domain::Assessment>& assessments,
                               const std::optional<OutcomeReference>& reference) {
  Json items = Json::array();
  for (const auto& a : assessments) items.push_back(AssessmentObj(a));
  Json j{{"assessments", items}};
  j["reference"] = nullptr;
  if (reference) {
    j["reference"] = Json{{"instrument", reference->instrument},
                          {"baseline", reference->baseline},
                          {"response_at_or_below", reference->response_at_or_below},
                          {"remission_below", reference->remission_below},
                          {"source", reference->source}};
  }
  return j.dump();
}

std::string UserJson(const domain::User& u, std::string_view login) {
  return Json{{"id", u.id},
              {"clinic_id", u.clinic_id},
              {"display_name", u.display_name},
              {"role", domain::RoleName(u.role)},
              {"login", std::string(login)}}
      .dump();
}

std::string RecordSessionResultJson(bool stored, const domain::SessionRecord& s,
                                    const std::string& decision_json, const std::string& refusal) {
  Json j{{"stored", stored}, {"refusal", refusal}};
  j["session"] = stored ? SessionObj(s) : Json(nullptr);
  j["decision"] = Json::parse(decision_json, nullptr, false);
  return j.dump();
}

std::string FieldOfMessage(std::string_view message) {
  const std::size_t colon = message.find(": ");
  if (colon == std::string_view::npos || colon == 0) return "";
  const std::string_view head = message.substr(0, colon);
  for (char c : head) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == '[' || c == ']' || c == '-';
    if (!ok) return "";
  }
  return std::string(head);
}

std::string ErrorJson(std::string_view code, std::string_view message, std::string_view field,
                      std::string_view request_id) {
  Json e{{"code", std::string(code)}, {"message", std::string(message)}, {"request_id", std::string(request_id)}};
  if (!field.empty()) e["field"] = std::string(field);
  return Json{{"error", e}}.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string Escape(std::string_view s) {
  return Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace kira::api
