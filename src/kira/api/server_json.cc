#include "kira/api/server_json.h"

#include <cctype>
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
         {"started_at", Iso(s.started_at)},
         {"recorded_by", s.recorded_by},
         {"decision_outcome", s.decision_outcome},
         {"facts_version", s.facts_version},
         {"screening_outcome", s.screening_outcome}};
  j["given_dose_mg"] = s.given_dose ? Json(units::ToMg(*s.given_dose)) : Json(nullptr);
  // Infusions only; null for a route that is not infused (nasal spray).
  j["concentration_mg_per_ml"] = s.concentration ? Json(units::ToMgPerMl(*s.concentration)) : Json(nullptr);
  j["rate_ml_per_h"] = s.rate ? Json(units::ToMlPerH(*s.rate)) : Json(nullptr);
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
  if (const Json* patient = r.Get("patient")) {
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
  // Optional: the patient's stored weight when absent.
  KIRA_ASSIGN_OR_RETURN(std::optional<double> w, OptPositive(r, "dosing_weight_kg"));
  if (w) s.dosing_weight = units::Kg(*w);
  KIRA_ASSIGN_OR_RETURN(double planned, Positive(r, "planned_dose_mg"));
  s.planned_dose = units::Mg(planned);
  KIRA_ASSIGN_OR_RETURN(std::optional<double> given, r.OptNumber("given_dose_mg", 0.0));
  if (given) s.given_dose = units::Mg(*given);
  // Infusions: the concentration and pump rate that ran; a device route
  // (nasal spray): the devices used. The Advisor decides what the route needs.
  KIRA_ASSIGN_OR_RETURN(std::optional<double> conc, OptPositive(r, "concentration_mg_per_ml"));
  if (conc) s.concentration = units::MgPerMl(*conc);
  KIRA_ASSIGN_OR_RETURN(std::optional<double> rate, OptPositive(r, "rate_ml_per_h"));
  if (rate) s.rate = units::MlPerH(*rate);
  KIRA_ASSIGN_OR_RETURN(std::optional<double> devices, r.OptNumber("devices", 1, 100));
  if (devices) {
    if (*devices != std::floor(*devices)) return FieldError(r.PathOf("devices"), "must be a whole number");
    out.devices = static_cast<int>(*devices);
  }
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

namespace {

// Appends `s` as a JSON string literal exactly as Json::dump() renders it
// (the same escapes, lowercase \u00xx for other control characters). A
// string with any non-ASCII byte goes through Json itself, so invalid UTF-8
// fails the same way.
void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      out += Json(std::string(s)).dump();
      return;
    }
  }
  out += '"';
  std::size_t plain = 0;  // start of the run of characters copied as they are
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) continue;
    out.append(s.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[(c >> 4) & 0xf];
        out += kHex[c & 0xf];
    }
  }
  out.append(s.data() + plain, s.size() - plain);
  out += '"';
}

// One JSON object written straight into a string. Members must come in
// byte order of their keys, as Json (a std::map) renders them.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ObjectWriter& Str(std::string_view key, std::string_view value) {
    Key(key);
    AppendJsonString(out_, value);
    return *this;
  }
  ObjectWriter& Int(std::string_view key, std::int64_t value) {
    Key(key);
    out_ += std::to_string(value);
    return *this;
  }
  // The value is written next by the caller (a nested object).
  ObjectWriter& Key(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    AppendJsonString(out_, key);
    out_ += ':';
    return *this;
  }
  void End() { out_ += '}'; }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace

// The one reply every audited patient read renders: written directly (same
// bytes as the Json object PatientObj() builds plus "identity"; the test
// PatientJsonMatchesTheJsonObject checks that), as building and dumping a
// map-backed Json cost a fifth of such a request.
std::string PatientJson(const domain::PatientRecord& p, const std::optional<domain::PatientIdentity>& identity) {
  std::string out;
  out.reserve(96 + (identity ? 160 : 0) + p.id.size());
  ObjectWriter w(out);
  w.Int("birth_year", p.birth_year).Str("id", p.id);
  if (identity) {
    w.Key("identity");
    ObjectWriter(out)
        .Str("birth_date", identity->birth_date)
        .Str("email", identity->email)
        .Str("family_name", identity->family_name)
        .Str("given_name", identity->given_name)
        .Str("mrn", identity->mrn)
        .Str("phone", identity->phone)
        .Str("zip", identity->zip)
        .End();
  }
  w.Str("indication", p.indication).Str("sex", p.sex).End();
  return out;
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
std::string VitalSetJson(const std::vector<domain::VitalSign>& set) {
  Json arr = Json::array();
  for (const auto& v : set) arr.push_back(VitalObj(v));
  return Json{{"vitals", arr}}.dump();
}
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

StatusOr<domain::PatientFacts> ParseFactsRequest(std::string_view text, const guideline::Library& lib) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(text, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  domain::PatientFacts f;
  auto date = [](ObjectReader& o, const char* key) -> StatusOr<std::string> {
    KIRA_ASSIGN_OR_RETURN(std::string d, o.String(key, false));
    domain::Instant t{};
    if (!d.empty() && (d.size() != 10 || !domain::ParseInstant(d, &t))) {
      return FieldError(o.PathOf(key), "must be a date like 2026-11-30, got '" + d + "'");
    }
    return d;
  };
  if (const Json* w = r.Get("weight")) {
    KIRA_ASSIGN_OR_RETURN(ObjectReader wr, ObjectReader::Make(*w, "weight"));
    KIRA_ASSIGN_OR_RETURN(double v, wr.Number("value"));
    if (!(v > 0)) return FieldError("weight.value", "must be > 0");
    KIRA_ASSIGN_OR_RETURN(std::string unit, wr.String("unit", false, "kg"));
    if (unit == "lb") {
      v = units::ToKg(units::Pounds(v));
    } else if (unit != "kg") {
      return FieldError("weight.unit", "must be kg or lb, got '" + unit + "'");
    }
    f.weight_kg = v;
    KIRA_ASSIGN_OR_RETURN(f.weight_method, wr.String("method", false, "measured"));
    if (f.weight_method != "measured" && f.weight_method != "stated" && f.weight_method != "estimated") {
      return FieldError("weight.method", "must be measured, stated or estimated, got '" + f.weight_method + "'");
    }
    KIRA_ASSIGN_OR_RETURN(f.weight_date, date(wr, "date"));
    // An implausible weight confirmed as measured: the value typed again and who confirms it.
    if (const Json* c = wr.Get("confirm_implausible")) {
      KIRA_ASSIGN_OR_RETURN(ObjectReader cr, ObjectReader::Make(*c, "weight.confirm_implausible"));
      KIRA_ASSIGN_OR_RETURN(double again, cr.Number("value"));
      if (unit == "lb") again = units::ToKg(units::Pounds(again));
      if (std::fabs(again - v) > 1e-9) {
        return FieldError("weight.confirm_implausible.value", "must repeat the weight exactly as entered");
      }
      if (f.weight_method != "measured") {
        return FieldError("weight.confirm_implausible", "only a weight measured on a scale can be confirmed");
      }
      KIRA_ASSIGN_OR_RETURN(f.weight_confirmed_by, Text(cr, "by", true));
      KIRA_RETURN_IF_ERROR(cr.NoUnknownKeys());
    }
    KIRA_RETURN_IF_ERROR(wr.NoUnknownKeys());
  }
  if (const Json* h = r.Get("height")) {
    KIRA_ASSIGN_OR_RETURN(ObjectReader hr, ObjectReader::Make(*h, "height"));
    KIRA_ASSIGN_OR_RETURN(double v, hr.Number("value"));
    if (!(v > 0)) return FieldError("height.value", "must be > 0");
    KIRA_ASSIGN_OR_RETURN(std::string unit, hr.String("unit", false, "cm"));
    if (unit == "in") {
      v = units::ToCm(units::Inches(v));
    } else if (unit != "cm") {
      return FieldError("height.unit", "must be cm or in, got '" + unit + "'");
    }
    f.height_cm = v;
    KIRA_RETURN_IF_ERROR(hr.NoUnknownKeys());
  }
  if (const Json* pg = r.Get("pregnancy")) {
    KIRA_ASSIGN_OR_RETURN(ObjectReader pr, ObjectReader::Make(*pg, "pregnancy"));
    KIRA_ASSIGN_OR_RETURN(std::string st, pr.String("status", true));
    if (!domain::ParsePregnancyStatus(st, &f.pregnancy)) {
      return FieldError("pregnancy.status", "must be unknown, not_pregnant or pregnant, got '" + st + "'");
    }
    KIRA_ASSIGN_OR_RETURN(f.pregnancy_date, date(pr, "date"));
    KIRA_RETURN_IF_ERROR(pr.NoUnknownKeys());
  }
  if (const Json* h = r.Get("history")) {
    if (!h->is_object()) return FieldError("history", "must be an object of condition id -> true/false");
    for (const auto& [id, present] : h->items()) {
      if (!present.is_boolean()) return FieldError("history." + id, "must be true or false");
      if (!lib.HasConditionTerm(id)) return FieldError("history." + id, "not a condition the guideline knows");
      if (present.get<bool>()) f.conditions.push_back(id);
    }
  }
  KIRA_ASSIGN_OR_RETURN(std::vector<std::string> meds, r.StringList("medications", false));
  for (std::size_t i = 0; i < meds.size(); ++i) {
    std::string m = meds[i];
    for (char& ch : m) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (m.empty() || m.size() > kMaxShortText || m.find('\n') != std::string::npos) {
      return FieldError(internal::Index("medications", i), "must be a medication name on one line");
    }
    f.medications.push_back(std::move(m));
  }
  KIRA_ASSIGN_OR_RETURN(std::optional<double> trials, r.OptNumber("failed_antidepressant_trials", 0.0, 50.0));
  if (trials) {
    if (*trials != std::floor(*trials)) return FieldError("failed_antidepressant_trials", "must be a whole number");
    f.failed_antidepressant_trials = static_cast<int>(*trials);
  }
  if (const Json* b = r.Get("baseline_vitals")) {
    KIRA_ASSIGN_OR_RETURN(ObjectReader br, ObjectReader::Make(*b, "baseline_vitals"));
    KIRA_ASSIGN_OR_RETURN(f.baseline_sbp_mmhg, OptPositive(br, "sbp_mmhg"));
    KIRA_ASSIGN_OR_RETURN(f.baseline_dbp_mmhg, OptPositive(br, "dbp_mmhg"));
    KIRA_ASSIGN_OR_RETURN(f.baseline_hr_bpm, OptPositive(br, "hr_bpm"));
    KIRA_ASSIGN_OR_RETURN(f.baseline_spo2_pct, OptPositive(br, "spo2_pct"));
    if (f.baseline_spo2_pct && *f.baseline_spo2_pct > 100) return FieldError("baseline_vitals.spo2_pct", "must be <= 100");
    KIRA_ASSIGN_OR_RETURN(f.baseline_rr_per_min, OptPositive(br, "rr_per_min"));
    KIRA_RETURN_IF_ERROR(br.NoUnknownKeys());
  }
  KIRA_ASSIGN_OR_RETURN(f.reason, Text(r, "reason", false, kMaxLongText));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return f;
}

domain::PatientFacts FactsFromPatientDocument(const domain::Patient& p) {
  domain::PatientFacts f;
  if (units::ToKg(p.weight.value) > 0) f.weight_kg = units::ToKg(p.weight.value);
  f.weight_method = std::string(domain::WeightMethodName(p.weight.method));
  if (p.weight.measured_at.size() >= 10) f.weight_date = p.weight.measured_at.substr(0, 10);
  if (p.height) f.height_cm = units::ToCm(*p.height);
  if (p.weight.implausible_confirmed_value && f.weight_kg) f.weight_confirmed_by = p.weight.implausible_confirmed_by;
  f.pregnancy = p.pregnant ? domain::PregnancyStatus::kPregnant : domain::PregnancyStatus::kUnknown;
  for (const auto& [id, present] : p.history) {
    if (present) f.conditions.push_back(id);
  }
  for (const auto& m : p.medications) f.medications.push_back(m.name);
  f.failed_antidepressant_trials = p.failed_antidepressant_trials;
  if (p.baseline_vitals) {
    f.baseline_sbp_mmhg = p.baseline_vitals->sbp_mmhg;
    f.baseline_dbp_mmhg = p.baseline_vitals->dbp_mmhg;
    f.baseline_hr_bpm = p.baseline_vitals->hr_bpm;
    f.baseline_spo2_pct = p.baseline_vitals->spo2_pct;
    f.baseline_rr_per_min = p.baseline_vitals->rr_per_min;
  }
  return f;
}

namespace {

Json OptJ(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

Json FactsObj(const domain::PatientFacts& f) {
  Json j{{"patient_id", f.patient_id}, {"version", f.version}, {"recorded_at", Iso(f.recorded_at)},
         {"recorded_by", f.recorded_by}, {"reason", f.reason}};
  j["weight"] = f.weight_kg ? Json{{"value", *f.weight_kg}, {"unit", "kg"}, {"method", f.weight_method},
                                   {"date", f.weight_date}}
                            : Json(nullptr);
  if (f.weight_kg && !f.weight_confirmed_by.empty()) {
    j["weight"]["confirm_implausible"] = Json{{"value", *f.weight_kg}, {"by", f.weight_confirmed_by}};
  }
  j["height"] = f.height_cm ? Json{{"value", *f.height_cm}, {"unit", "cm"}} : Json(nullptr);
  j["pregnancy"] = Json{{"status", domain::PregnancyStatusName(f.pregnancy)}, {"date", f.pregnancy_date}};
  Json history = Json::object();
  for (const auto& c : f.conditions) history[c] = true;
  j["history"] = history;
  j["medications"] = f.medications;
  j["failed_antidepressant_trials"] =
      f.failed_antidepressant_trials ? Json(*f.failed_antidepressant_trials) : Json(nullptr);
  j["baseline_vitals"] = Json{{"sbp_mmhg", OptJ(f.baseline_sbp_mmhg)}, {"dbp_mmhg", OptJ(f.baseline_dbp_mmhg)},
                              {"hr_bpm", OptJ(f.baseline_hr_bpm)},     {"spo2_pct", OptJ(f.baseline_spo2_pct)},
                              {"rr_per_min", OptJ(f.baseline_rr_per_min)}};
  return j;
}

Json ScreeningObj(const domain::ScreeningRecord& s) {
  Json findings = Json::array();
  for (const auto& f : s.findings) findings.push_back(Json{{"rule_id", f.rule_id}, {"severity", f.severity}});
  return Json{{"facts_version", s.facts_version}, {"route", s.route},
              {"screened_at", Iso(s.screened_at)}, {"outcome", s.outcome},
              {"findings", findings}, {"rescue_plan", Json{{"preferred", s.rescue_preferred}, {"avoid", s.rescue_avoid}}},
              {"guideline", s.guideline_version}};
}

Json AlertObj(const domain::AlertRecord& a) {
  Json j{{"id", a.id},           {"patient_id", a.patient_id}, {"assessment_id", a.assessment_id},
         {"rule_id", a.rule_id}, {"message", a.message},       {"raised_at", Iso(a.raised_at)},
         {"raised_by", a.raised_by}, {"open", a.open()},       {"acknowledged_by", a.acknowledged_by},
         {"ack_reason", a.ack_reason}};
  j["acknowledged_at"] = a.acknowledged_at ? Json(Iso(*a.acknowledged_at)) : Json(nullptr);
  j["escalated_at"] = a.escalated_at ? Json(Iso(*a.escalated_at)) : Json(nullptr);
  j["escalated_by"] = a.escalated_by;
  j["escalated_to"] = a.escalated_to;
  return j;
}

}  // namespace

std::string FactsJson(const domain::PatientFacts& f) { return FactsObj(f).dump(); }

std::string FactsRecordJson(const std::optional<domain::PatientFacts>& f, int versions,
                            const std::optional<domain::ScreeningRecord>& screening) {
  Json j{{"versions", versions}};
  j["facts"] = f ? FactsObj(*f) : Json(nullptr);
  j["screening"] = screening ? ScreeningObj(*screening) : Json(nullptr);
  return j.dump();
}

std::string ScreeningRecordJson(const domain::ScreeningRecord& s) { return ScreeningObj(s).dump(); }

std::string AlertListJson(const std::vector<domain::AlertRecord>& alerts) {
  Json items = Json::array();
  for (const auto& a : alerts) items.push_back(AlertObj(a));
  return Json{{"alerts", items}}.dump();
}

std::string AlertJson(const domain::AlertRecord& a) { return AlertObj(a).dump(); }

StatusOr<std::string> ParseAlertAckRequest(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(text, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  KIRA_ASSIGN_OR_RETURN(std::string reason, Text(r, "reason", true, kMaxLongText));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return reason;
}

StatusOr<std::string> ParseAlertEscalateRequest(std::string_view text) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(text, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  KIRA_ASSIGN_OR_RETURN(std::string told, Text(r, "told", true));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return told;
}

std::string AssessmentJson(const domain::Assessment& a, const std::vector<domain::AlertRecord>& alerts) {
  Json j = AssessmentObj(a);
  Json items = Json::array();
  for (const auto& x : alerts) items.push_back(AlertObj(x));
  j["alerts"] = items;
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
