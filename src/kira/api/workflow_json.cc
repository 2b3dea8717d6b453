#include "kira/api/workflow_json.h"

#include <cmath>

#include "kira/api/internal/json_reader.h"
#include "kira/api/internal/render.h"

namespace kira::api {

namespace {

using internal::FieldError;
using internal::Json;
using internal::ObjectReader;

constexpr std::size_t kShort = 200;
constexpr std::size_t kLong = 2000;

StatusOr<ObjectReader> Root(const Json& j) { return ObjectReader::Make(j, ""); }

StatusOr<std::string> Str(ObjectReader& r, const char* key, bool required, std::size_t max_len = kShort) {
  KIRA_ASSIGN_OR_RETURN(std::string s, r.String(key, required));
  if (required && s.find_first_not_of(" \t") == std::string::npos) return FieldError(r.PathOf(key), "is required");
  if (s.size() > max_len) return FieldError(r.PathOf(key), "must be at most " + std::to_string(max_len) + " characters");
  return s;
}

StatusOr<domain::Instant> When(ObjectReader& r, const char* key) {
  KIRA_ASSIGN_OR_RETURN(std::string s, r.String(key, true));
  domain::Instant t{};
  if (!domain::ParseInstant(s, &t)) {
    return FieldError(r.PathOf(key), "must be a date and time like 2026-11-26T09:30:00Z, got '" + s + "'");
  }
  return t;
}

StatusOr<std::optional<domain::Instant>> OptWhen(ObjectReader& r, const char* key) {
  if (!r.Has(key)) {
    (void)r.Get(key);
    return std::optional<domain::Instant>();
  }
  KIRA_ASSIGN_OR_RETURN(domain::Instant t, When(r, key));
  return std::optional<domain::Instant>(t);
}

std::string Iso(domain::Instant t) { return domain::FormatInstant(t); }
Json OptIso(const std::optional<domain::Instant>& t) { return t ? Json(Iso(*t)) : Json(nullptr); }
Json OptNum(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

Json IdentityObj(const domain::PatientIdentity& i) {
  return Json{{"given_name", i.given_name}, {"family_name", i.family_name}, {"birth_date", i.birth_date},
              {"mrn", i.mrn}, {"phone", i.phone}, {"email", i.email}, {"zip", i.zip}};
}
Json PatientObj(const domain::PatientRecord& p, const std::optional<domain::PatientIdentity>& id) {
  Json j{{"id", p.id}, {"sex", p.sex}, {"birth_year", p.birth_year}, {"indication", p.indication}};
  if (id) j["identity"] = IdentityObj(*id);
  return j;
}
Json VitalObj(const domain::VitalSign& v) {
  return Json{{"id", v.id}, {"session_id", v.session_id}, {"at", Iso(v.at)},
              {"kind", std::string(domain::VitalKindName(v.kind))}, {"value", v.value}};
}

}  // namespace

// ---- Vitals ----

StatusOr<std::vector<domain::VitalSign>> ParseVitalSetRequest(std::string_view body) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(body, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  KIRA_ASSIGN_OR_RETURN(domain::Instant at, When(r, "at"));
  std::vector<domain::VitalSign> out;
  // Plausibility of the measurement itself (typing errors), not clinical thresholds.
  const struct {
    const char* key;
    domain::VitalKind kind;
    double hi;
  } kFields[] = {{"sbp", domain::VitalKind::kSystolicBp, 300},
                 {"dbp", domain::VitalKind::kDiastolicBp, 250},
                 {"hr", domain::VitalKind::kHeartRate, 300},
                 {"spo2", domain::VitalKind::kSpO2, 100},
                 {"rr", domain::VitalKind::kRespRate, 80}};
  for (const auto& f : kFields) {
    KIRA_ASSIGN_OR_RETURN(std::optional<double> v, r.OptNumber(f.key, 0.0, f.hi));
    if (!v) continue;
    domain::VitalSign s;
    s.at = at;
    s.kind = f.kind;
    s.value = *v;
    out.push_back(s);
  }
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return out;
}

StatusOr<VitalAmendRequest> ParseVitalAmendRequest(std::string_view body, bool correct) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(body, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  VitalAmendRequest out;
  KIRA_ASSIGN_OR_RETURN(out.reason, Str(r, "reason", true, kLong));
  if (correct) {
    KIRA_ASSIGN_OR_RETURN(double v, r.Number("value", 0.0, 300.0));
    out.value = v;
    KIRA_ASSIGN_OR_RETURN(out.at, OptWhen(r, "at"));
  }
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return out;
}

namespace {
Json VitalAmendmentObj(const domain::VitalAmendment& a, const domain::VitalSign* replacement) {
  Json j{{"id", a.id},         {"session_id", a.session_id}, {"vital_id", a.vital_id},
         {"kind", std::string(domain::VitalAmendmentKindName(a.kind))}, {"replacement_id", a.replacement_id},
         {"reason", a.reason}, {"by", a.actor},                 {"at", Iso(a.at)}};
  if (replacement) j["replacement"] = VitalObj(*replacement);
  return j;
}
}  // namespace

std::string VitalAmendmentJson(const domain::VitalAmendment& a, const domain::VitalSign* replacement) {
  return VitalAmendmentObj(a, replacement).dump();
}

std::string VitalAmendmentsJson(const std::vector<domain::VitalAmendment>& amendments) {
  Json arr = Json::array();
  for (const auto& a : amendments) arr.push_back(VitalAmendmentObj(a, nullptr));
  return Json{{"amendments", arr}}.dump();
}

std::string ObservationJson(const ObservationWindow& w) {
  return Json{{"session_id", w.session_id},
              {"counts_from", w.counts_from},
              {"minimum_min", OptNum(w.minimum_min)},
              {"from", OptIso(w.from)},
              {"ends_at", OptIso(w.ends_at)},
              {"source", w.source},
              {"confirm_locally", w.confirm_locally}}
      .dump();
}

// ---- Patients ----

StatusOr<PatientEditRequest> ParsePatientEditRequest(std::string_view body) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(body, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  PatientEditRequest out;
  KIRA_ASSIGN_OR_RETURN(out.patient.sex, Str(r, "sex", true));
  KIRA_ASSIGN_OR_RETURN(double by, r.Number("birth_year", 1900, 2100));
  if (by != std::floor(by)) return FieldError("birth_year", "must be a whole year");
  out.patient.birth_year = static_cast<int>(by);
  KIRA_ASSIGN_OR_RETURN(out.patient.indication, Str(r, "indication", true));
  KIRA_ASSIGN_OR_RETURN(out.reason, Str(r, "reason", true, kLong));
  if (const Json* id = r.Get("identity")) {
    KIRA_ASSIGN_OR_RETURN(ObjectReader ir, ObjectReader::Make(*id, "identity"));
    domain::PatientIdentity pi;
    KIRA_ASSIGN_OR_RETURN(pi.given_name, Str(ir, "given_name", false));
    KIRA_ASSIGN_OR_RETURN(pi.family_name, Str(ir, "family_name", false));
    KIRA_ASSIGN_OR_RETURN(pi.birth_date, Str(ir, "birth_date", false));
    KIRA_ASSIGN_OR_RETURN(pi.mrn, Str(ir, "mrn", false));
    KIRA_ASSIGN_OR_RETURN(pi.zip, Str(ir, "zip", false));
    KIRA_ASSIGN_OR_RETURN(pi.phone, Str(ir, "phone", false));
    KIRA_ASSIGN_OR_RETURN(pi.email, Str(ir, "email", false));
    KIRA_RETURN_IF_ERROR(ir.NoUnknownKeys());
    out.identity = pi;
  }
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return out;
}

std::string PatientEditedJson(std::string_view patient_id) {
  return Json{{"edited", true}, {"patient_id", std::string(patient_id)}}.dump();
}

std::string PatientHistoryJson(const std::vector<registry::PatientChange>& changes) {
  Json arr = Json::array();
  for (const auto& c : changes) {
    arr.push_back(Json{{"at", Iso(c.at)}, {"by", c.actor}, {"action", c.action}, {"what", c.entity},
                       {"before", c.before}, {"after", c.after}});
  }
  return Json{{"changes", arr}}.dump();
}

std::string PatientSearchJson(const registry::PatientPage& page) {
  Json arr = Json::array();
  for (const auto& m : page.patients) arr.push_back(PatientObj(m.patient, m.identity));
  return Json{{"patients", arr}, {"next_after", page.next_after}}.dump();
}

// ---- Consent ----

StatusOr<domain::ConsentRecord> ParseConsentRequest(std::string_view body) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(body, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  domain::ConsentRecord c;
  KIRA_ASSIGN_OR_RETURN(c.protocol_id, Str(r, "protocol_id", true));
  KIRA_ASSIGN_OR_RETURN(c.form_version, Str(r, "form_version", true));
  KIRA_ASSIGN_OR_RETURN(c.signed_on, Str(r, "signed_on", true));
  KIRA_ASSIGN_OR_RETURN(c.witness, Str(r, "witness", true));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return c;
}

namespace {
Json ConsentObj(const domain::ConsentRecord& c) {
  return Json{{"id", c.id},           {"patient_id", c.patient_id}, {"protocol_id", c.protocol_id},
              {"form_version", c.form_version}, {"signed_on", c.signed_on}, {"witness", c.witness},
              {"recorded_by", c.recorded_by},   {"recorded_at", Iso(c.recorded_at)}};
}
}  // namespace

std::string ConsentJson(const domain::ConsentRecord& c) { return ConsentObj(c).dump(); }

std::string ConsentsJson(const std::vector<domain::ConsentRecord>& consents) {
  Json arr = Json::array();
  for (const auto& c : consents) arr.push_back(ConsentObj(c));
  return Json{{"consents", arr}}.dump();
}

// ---- Appointments ----

StatusOr<domain::Appointment> ParseAppointmentRequest(std::string_view body) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(body, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  domain::Appointment a;
  KIRA_ASSIGN_OR_RETURN(a.patient_id, Str(r, "patient_id", true));
  KIRA_ASSIGN_OR_RETURN(a.protocol_id, Str(r, "protocol_id", true));
  KIRA_ASSIGN_OR_RETURN(a.chair, Str(r, "chair", true));
  KIRA_ASSIGN_OR_RETURN(a.scheduled_at, When(r, "scheduled_at"));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return a;
}

StatusOr<RescheduleRequest> ParseRescheduleRequest(std::string_view body) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(body, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  RescheduleRequest out;
  KIRA_ASSIGN_OR_RETURN(out.when, When(r, "scheduled_at"));
  KIRA_ASSIGN_OR_RETURN(out.chair, Str(r, "chair", false));
  KIRA_ASSIGN_OR_RETURN(out.reason, Str(r, "reason", true, kLong));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return out;
}

StatusOr<AppointmentStateRequest> ParseAppointmentStateRequest(std::string_view body) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(body, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  AppointmentStateRequest out;
  KIRA_ASSIGN_OR_RETURN(std::string st, Str(r, "state", true));
  if (!domain::ParseAppointmentState(st, &out.state) || out.state == domain::AppointmentState::kDischarged) {
    return FieldError("state", "must be booked, checked_in, cancelled or no_show, got '" + st + "'");
  }
  KIRA_ASSIGN_OR_RETURN(out.reason, Str(r, "reason", false, kLong));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return out;
}

namespace {
Json AppointmentObj(const domain::Appointment& a) {
  return Json{{"id", a.id},
              {"patient_id", a.patient_id},
              {"protocol_id", a.protocol_id},
              {"chair", a.chair},
              {"scheduled_at", Iso(a.scheduled_at)},
              {"state", std::string(domain::AppointmentStateName(a.state))},
              {"session_id", a.session_id},
              {"discharged_at", OptIso(a.discharged_at)},
              {"discharged_by", a.discharged_by}};
}
}  // namespace

std::string AppointmentJson(const domain::Appointment& a) { return AppointmentObj(a).dump(); }

std::string DischargeRecordJson(const domain::Decision& decision, const std::optional<domain::Appointment>& recorded) {
  return Json{{"recorded", recorded.has_value()},
              {"decision", internal::DecisionJson(decision)},
              {"appointment", recorded ? AppointmentObj(*recorded) : Json(nullptr)}}
      .dump();
}

std::string DayListJson(const std::vector<registry::DayRow>& rows) {
  Json arr = Json::array();
  for (const auto& r : rows) {
    Json j{{"appointment", AppointmentObj(r.appointment)},
           {"patient", PatientObj(r.patient, r.identity)},
           {"stage", std::string(registry::DayStageName(r.stage))},
           {"screening_outcome", r.screening_outcome},
           {"blockers", r.blockers}};
    if (r.session) {
      j["session"] = Json{{"id", r.session->id},
                          {"state", std::string(domain::SessionStateName(r.session->state))},
                          {"started_at", Iso(r.session->started_at)},
                          {"protocol_id", r.session->protocol_id}};
    } else {
      j["session"] = nullptr;
    }
    arr.push_back(std::move(j));
  }
  return Json{{"appointments", arr}}.dump();
}

// ---- REMS ----

StatusOr<RemsSaveRequest> ParseRemsSaveRequest(std::string_view body) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(body, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  RemsSaveRequest out;
  domain::RemsForm& f = out.form;
  KIRA_ASSIGN_OR_RETURN(f.lot, Str(r, "lot", false));
  KIRA_ASSIGN_OR_RETURN(f.concomitant_classes, r.StringList("concomitant_classes", false));
  for (std::size_t i = 0; i < f.concomitant_classes.size(); ++i) {
    if (f.concomitant_classes[i].empty() || f.concomitant_classes[i].size() > kShort) {
      return FieldError("concomitant_classes[" + std::to_string(i) + "]", "must be 1 to 200 characters");
    }
  }
  KIRA_ASSIGN_OR_RETURN(f.bp_pre_sbp, r.OptNumber("bp_pre_sbp", 20, 300));
  KIRA_ASSIGN_OR_RETURN(f.bp_pre_dbp, r.OptNumber("bp_pre_dbp", 20, 300));
  KIRA_ASSIGN_OR_RETURN(f.bp_40_sbp, r.OptNumber("bp_40_sbp", 20, 300));
  KIRA_ASSIGN_OR_RETURN(f.bp_40_dbp, r.OptNumber("bp_40_dbp", 20, 300));
  KIRA_ASSIGN_OR_RETURN(f.bp_end_sbp, r.OptNumber("bp_end_sbp", 20, 300));
  KIRA_ASSIGN_OR_RETURN(f.bp_end_dbp, r.OptNumber("bp_end_dbp", 20, 300));
  KIRA_ASSIGN_OR_RETURN(std::optional<double> mins, r.OptNumber("monitoring_minutes", 0, 1440));
  if (mins) {
    if (*mins != std::floor(*mins)) return FieldError("monitoring_minutes", "must be whole minutes");
    f.monitoring_minutes = static_cast<int>(*mins);
  }
  for (auto [key, dst] : {std::pair{"sedation", &f.sedation}, std::pair{"dissociation", &f.dissociation},
                          std::pair{"respiratory_depression", &f.respiratory_depression}}) {
    KIRA_ASSIGN_OR_RETURN(*dst, Str(r, key, false));
    if (!dst->empty() && *dst != "yes" && *dst != "no") return FieldError(key, "must be yes or no");
  }
  KIRA_ASSIGN_OR_RETURN(f.notes, Str(r, "notes", false, kLong));
  KIRA_ASSIGN_OR_RETURN(out.sign, r.Bool("sign", false, false));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return out;
}

namespace {
Json RemsObj(const domain::RemsForm& f, bool started) {
  return Json{{"id", f.id},
              {"session_id", f.session_id},
              {"patient_id", f.patient_id},
              {"session_at", Iso(f.session_at)},
              {"started", started},
              {"lot", f.lot},
              {"concomitant_classes", f.concomitant_classes},
              {"bp_pre_sbp", OptNum(f.bp_pre_sbp)},
              {"bp_pre_dbp", OptNum(f.bp_pre_dbp)},
              {"bp_40_sbp", OptNum(f.bp_40_sbp)},
              {"bp_40_dbp", OptNum(f.bp_40_dbp)},
              {"bp_end_sbp", OptNum(f.bp_end_sbp)},
              {"bp_end_dbp", OptNum(f.bp_end_dbp)},
              {"monitoring_minutes", f.monitoring_minutes ? Json(*f.monitoring_minutes) : Json(nullptr)},
              {"sedation", f.sedation},
              {"dissociation", f.dissociation},
              {"respiratory_depression", f.respiratory_depression},
              {"notes", f.notes},
              {"signed_by", f.signed_by},
              {"signed_at", OptIso(f.signed_at)},
              {"missing", registry::RemsMissingFields(f)}};
}
}  // namespace

std::string RemsFormJson(const domain::RemsForm& f, bool started) { return RemsObj(f, started).dump(); }

std::string RemsDueJson(const std::vector<registry::RemsDue>& due, domain::Instant now) {
  Json arr = Json::array();
  for (const auto& d : due) {
    Json j = RemsObj(d.form, d.started);
    j["due"] = Iso(d.due);
    j["overdue"] = d.due < now;
    j["due_within_7_days"] = d.due - now <= std::chrono::days(7);
    arr.push_back(std::move(j));
  }
  return Json{{"forms", arr}}.dump();
}

// ---- Ledger ----

StatusOr<domain::LedgerEntry> ParseLedgerRequest(std::string_view body, std::string* witness_login) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(body, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  domain::LedgerEntry e;
  KIRA_ASSIGN_OR_RETURN(std::string kind, Str(r, "kind", true));
  if (!domain::ParseLedgerKind(kind, &e.kind)) {
    return FieldError("kind", "must be received, drawn, administered, wasted or returned, got '" + kind + "'");
  }
  KIRA_ASSIGN_OR_RETURN(e.lot, Str(r, "lot", true));
  KIRA_ASSIGN_OR_RETURN(double mg, r.Number("amount_mg", 0.0, 100000.0));
  if (!(mg > 0)) return FieldError("amount_mg", "must be > 0");
  e.amount = units::Mg(mg);
  // Every vial in the ledger has a strength (storage refuses one without).
  KIRA_ASSIGN_OR_RETURN(double conc, r.Number("concentration_mg_per_ml", 0.0, 1000.0));
  if (!(conc > 0)) return FieldError("concentration_mg_per_ml", "must be > 0");
  e.concentration = units::MgPerMl(conc);
  KIRA_ASSIGN_OR_RETURN(e.expiry, Str(r, "expiry", false));
  if (e.kind == domain::LedgerKind::kReceived && e.expiry.empty()) {
    return FieldError("expiry", "is required when vials are received");
  }
  if (!e.expiry.empty() && (e.expiry.size() != 10 || e.expiry[4] != '-' || e.expiry[7] != '-')) {
    return FieldError("expiry", "must be a date YYYY-MM-DD");
  }
  KIRA_ASSIGN_OR_RETURN(e.session_id, Str(r, "session_id", false));
  KIRA_ASSIGN_OR_RETURN(*witness_login, Str(r, "witness_login", false));
  if (e.kind == domain::LedgerKind::kWasted && witness_login->empty()) {
    return FieldError("witness_login", "waste needs a witness");
  }
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return e;
}

namespace {
Json LedgerObj(const domain::LedgerEntry& e) {
  return Json{{"id", e.id},
              {"lot", e.lot},
              {"kind", std::string(domain::LedgerKindName(e.kind))},
              {"at", Iso(e.at)},
              {"amount_mg", units::ToMg(e.amount)},
              {"concentration_mg_per_ml", units::ToMgPerMl(e.concentration)},
              {"expiry", e.expiry},
              {"session_id", e.session_id},
              {"by", e.actor},
              {"witness", e.witness}};
}
}  // namespace

std::string LedgerEntryJson(const domain::LedgerEntry& e) { return LedgerObj(e).dump(); }

std::string LedgerEntriesJson(const std::vector<domain::LedgerEntry>& entries, const registry::LedgerReconciliation& rec) {
  Json es = Json::array();
  for (const auto& e : entries) es.push_back(LedgerObj(e));
  Json lots = Json::array();
  for (const auto& l : rec.lots) {
    lots.push_back(Json{{"lot", l.lot},
                        {"received_mg", units::ToMg(l.received)},
                        {"drawn_mg", units::ToMg(l.drawn)},
                        {"administered_mg", units::ToMg(l.administered)},
                        {"wasted_mg", units::ToMg(l.wasted)},
                        {"returned_mg", units::ToMg(l.returned)},
                        {"balance_mg", units::ToMg(l.balance)}});
  }
  Json ds = Json::array();
  for (const auto& d : rec.discrepancies) {
    ds.push_back(Json{{"kind", std::string(registry::DiscrepancyKindName(d.kind))},
                      {"lot", d.lot},
                      {"session_id", d.session_id},
                      {"message", d.message}});
  }
  return Json{{"entries", es}, {"lots", lots}, {"discrepancies", ds}}.dump();
}

// ---- Directory ----

StatusOr<domain::ClinicListing> ParseListingRequest(std::string_view body) {
  KIRA_ASSIGN_OR_RETURN(Json j, internal::ParseJson(body, "body"));
  KIRA_ASSIGN_OR_RETURN(ObjectReader r, Root(j));
  domain::ClinicListing l;
  KIRA_ASSIGN_OR_RETURN(l.name, Str(r, "name", true));
  KIRA_ASSIGN_OR_RETURN(l.city, Str(r, "city", false));
  KIRA_ASSIGN_OR_RETURN(l.region, Str(r, "region", true));
  KIRA_ASSIGN_OR_RETURN(l.routes, r.StringList("routes", false));
  KIRA_ASSIGN_OR_RETURN(l.contact, Str(r, "contact", true));
  KIRA_ASSIGN_OR_RETURN(l.published, r.Bool("published", true));
  KIRA_RETURN_IF_ERROR(r.NoUnknownKeys());
  return l;
}

namespace {
Json ListingObj(const domain::ClinicListing& l, bool with_state) {
  Json j{{"clinic_id", l.clinic_id}, {"name", l.name},   {"city", l.city},
         {"region", l.region},       {"routes", l.routes}, {"contact", l.contact}};
  if (with_state) j["published"] = l.published;
  return j;
}
}  // namespace

std::string ListingJson(const domain::ClinicListing& l, bool with_state) { return ListingObj(l, with_state).dump(); }

std::string DirectoryJson(const std::vector<domain::ClinicListing>& listings) {
  Json arr = Json::array();
  for (const auto& l : listings) arr.push_back(ListingObj(l, false));
  return Json{{"clinics", arr}}.dump();
}

}  // namespace kira::api
