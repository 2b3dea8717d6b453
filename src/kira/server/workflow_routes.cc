// The clinic-day routes: today's list and appointments, vital sets and
// corrections, the minimum-observation countdown, discharge records,
// patient edits/history/search, consent, esketamine REMS forms, the
// controlled-substance ledger and the public clinic directory. Thin like
// routes.cc: parse with api/workflow_json, call a registry use case (or the
// Advisor for the discharge decision), render.
#include <chrono>
#include <string>

#include "kira/advisor/discharge.h"
#include "kira/api/server_json.h"
#include "kira/api/workflow_json.h"
#include "kira/registry/ledger.h"
#include "kira/registry/unit_of_work.h"
#include "kira/registry/workflow.h"
#include "kira/server/auth.h"
#include "kira/server/internal/routes.h"

namespace kira::server::internal {

namespace {

Reply Out(std::string body, int status = 200) {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}
std::string NewId(std::string_view prefix) { return std::string(prefix) + RandomToken().substr(0, 20); }
std::string Query(const Call& c, const char* key) {
  auto it = c.query.find(key);
  return it == c.query.end() ? "" : it->second;
}
registry::Libraries Libs(const Services& s) { return registry::Libraries{s.library, s.advisor, s.instruments}; }
void AuditRead(Services& s, const Call& c, std::string_view entity, std::string_view id, std::string_view what) {
  s.audit->Record(AccessEvent{c.who->clinic_id, c.who->user_id, std::string(entity), std::string(id),
                              std::string(what)});
}
template <class F>
Status InUow(Services& s, const Call& c, F f) {
  return registry::RunInUnitOfWork(*s.store, *s.clock, c.who->user_id, f);
}
StatusOr<domain::Instant> InstantParam(const Call& c, const char* key, domain::Instant fallback) {
  const std::string v = Query(c, key);
  if (v.empty()) return fallback;
  domain::Instant t{};
  if (!domain::ParseInstant(v, &t)) {
    return InvalidArgumentError(std::string(key) + ": must be a date and time like 2026-11-26T00:00:00Z");
  }
  return t;
}

// ---- Today ----

StatusOr<Reply> Today(Services& s, const Call& c) {
  const auto now = s.clock->Now();
  const domain::Instant day = std::chrono::floor<std::chrono::days>(now);
  KIRA_ASSIGN_OR_RETURN(domain::Instant from, InstantParam(c, "from", day));
  KIRA_ASSIGN_OR_RETURN(domain::Instant to, InstantParam(c, "to", from + std::chrono::days(1)));
  if (to <= from || to - from > std::chrono::days(31)) {
    return InvalidArgumentError("to: must be after from and at most 31 days later");
  }
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_ASSIGN_OR_RETURN(auto rows, registry::DayList(*tx, Libs(s), c.who->clinic_id, from, to));
  AuditRead(s, c, "clinic", c.who->clinic_id, "GET /api/v1/today");
  return Out(api::DayListJson(rows));
}

StatusOr<Reply> BookAppointment(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(domain::Appointment a, api::ParseAppointmentRequest(c.body));
  a.clinic_id = c.who->clinic_id;
  a.id = NewId("ap-");
  a.created_by = c.who->user_id;
  a.updated_at = s.clock->Now();
  KIRA_RETURN_IF_ERROR(InUow(s, c, [&](registry::UnitOfWork& uow) { return registry::BookAppointment(uow, Libs(s), a); }));
  return Out(api::AppointmentJson(a), 201);
}

StatusOr<Reply> Reschedule(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(api::RescheduleRequest req, api::ParseRescheduleRequest(c.body));
  domain::Appointment a;
  KIRA_RETURN_IF_ERROR(InUow(s, c, [&](registry::UnitOfWork& uow) -> Status {
    KIRA_ASSIGN_OR_RETURN(a, registry::RescheduleAppointment(uow, c.who->clinic_id, c.params.at(0), req.when,
                                                             req.chair, req.reason));
    return Status::Ok();
  }));
  return Out(api::AppointmentJson(a));
}

StatusOr<Reply> AppointmentState(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(api::AppointmentStateRequest req, api::ParseAppointmentStateRequest(c.body));
  domain::Appointment a;
  KIRA_RETURN_IF_ERROR(InUow(s, c, [&](registry::UnitOfWork& uow) -> Status {
    KIRA_ASSIGN_OR_RETURN(a, registry::SetAppointmentState(uow, c.who->clinic_id, c.params.at(0), req.state,
                                                           req.reason));
    return Status::Ok();
  }));
  return Out(api::AppointmentJson(a));
}

// The Advisor decides discharge on the stored session; only "ready" is recorded.
StatusOr<Reply> RecordDischarge(Services& s, const Call& c) {
  if (!s.advisor) return FailedPreconditionError("the advisor library is not loaded in this server");
  const std::string appointment = Query(c, "appointment");
  if (appointment.empty()) return InvalidArgumentError("appointment: the appointment id is required");
  KIRA_ASSIGN_OR_RETURN(advisor::SessionTimeline tl, SessionTimelineOf(s, c));
  KIRA_ASSIGN_OR_RETURN(domain::Decision d, advisor::EvaluateDischarge(*s.advisor, tl));
  std::optional<domain::Appointment> recorded;
  if (d.outcome == "ready") {
    KIRA_RETURN_IF_ERROR(InUow(s, c, [&](registry::UnitOfWork& uow) -> Status {
      KIRA_ASSIGN_OR_RETURN(recorded, registry::RecordDischarge(uow, c.who->clinic_id, appointment, c.params.at(0), d,
                                                                c.who->user_id));
      return Status::Ok();
    }));
  }
  return Out(api::DischargeRecordJson(d, recorded));
}

// The minimum observation the clinic's settings give for this session and
// when it ends (the discharge check still decides; this feeds the countdown).
StatusOr<Reply> Observation(Services& s, const Call& c) {
  if (!s.advisor) return FailedPreconditionError("the advisor library is not loaded in this server");
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_ASSIGN_OR_RETURN(domain::SessionRecord ss, tx->GetSession(c.who->clinic_id, c.params.at(0)));
  const guideline::Protocol* proto = s.library->FindProtocol(ss.protocol_id);
  const advisor::MinimumObservation rule =
      advisor::MinimumObservationFor(s.advisor->monitoring, proto ? std::string_view(proto->route) : "iv");
  const advisor::NumericSetting& m = rule.setting;
  api::ObservationWindow w;
  w.session_id = ss.id;
  w.counts_from = rule.counts_from_start ? "first device" : "end of the dose";
  w.minimum_min = m.value;
  w.from = rule.counts_from_start ? std::optional<domain::Instant>(ss.started_at) : ss.stopped_at;
  if (w.from && m.value) {
    w.ends_at = *w.from + std::chrono::microseconds(static_cast<std::int64_t>(*m.value * 60e6));
  }
  w.source = m.source.citation.empty() ? m.source.rationale : m.source.citation;
  w.confirm_locally = m.source.evidence == domain::Evidence::kUnverified;
  AuditRead(s, c, "session", ss.id, "GET /api/v1/sessions/{id}/observation");
  return Out(api::ObservationJson(w));
}

// ---- Vitals ----

StatusOr<Reply> AddVitalSet(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(auto set, api::ParseVitalSetRequest(c.body));
  for (auto& v : set) {
    v.clinic_id = c.who->clinic_id;
    v.session_id = c.params.at(0);
    v.id = NewId("vs-");
  }
  KIRA_RETURN_IF_ERROR(InUow(s, c, [&](registry::UnitOfWork& uow) -> Status {
    KIRA_RETURN_IF_ERROR(uow.tx().GetSession(c.who->clinic_id, c.params.at(0)).status());
    return registry::AddVitalSet(uow, set);
  }));
  return Out(api::VitalSetJson(set), 201);
}

StatusOr<Reply> ListAmendments(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_RETURN_IF_ERROR(tx->GetSession(c.who->clinic_id, c.params.at(0)).status());
  KIRA_ASSIGN_OR_RETURN(auto list, tx->ListVitalAmendments(c.who->clinic_id, c.params.at(0)));
  AuditRead(s, c, "session", c.params.at(0), "GET /api/v1/sessions/{id}/vital-amendments");
  return Out(api::VitalAmendmentsJson(list));
}

StatusOr<Reply> VoidVital(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(api::VitalAmendRequest req, api::ParseVitalAmendRequest(c.body, false));
  domain::VitalAmendment a;
  KIRA_RETURN_IF_ERROR(InUow(s, c, [&](registry::UnitOfWork& uow) -> Status {
    KIRA_ASSIGN_OR_RETURN(a, registry::VoidVital(uow, c.who->clinic_id, c.params.at(0), c.params.at(1), req.reason,
                                                 c.who->user_id, NewId("va-")));
    return Status::Ok();
  }));
  return Out(api::VitalAmendmentJson(a, nullptr), 201);
}

StatusOr<Reply> CorrectVital(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(api::VitalAmendRequest req, api::ParseVitalAmendRequest(c.body, true));
  registry::CorrectVitalResult r;
  KIRA_RETURN_IF_ERROR(InUow(s, c, [&](registry::UnitOfWork& uow) -> Status {
    KIRA_ASSIGN_OR_RETURN(r, registry::CorrectVital(uow, c.who->clinic_id, c.params.at(0), c.params.at(1), *req.value,
                                                    req.at, req.reason, c.who->user_id, NewId("va-"), NewId("vs-")));
    return Status::Ok();
  }));
  return Out(api::VitalAmendmentJson(r.amendment, &r.replacement), 201);
}

// ---- Patients ----

StatusOr<Reply> SearchPatients(Services& s, const Call& c) {
  int limit = 25;
  if (const std::string l = Query(c, "limit"); !l.empty()) {
    char* end = nullptr;
    const long v = std::strtol(l.c_str(), &end, 10);
    if (*end != '\0' || v < 1 || v > 200) return InvalidArgumentError("limit: must be a whole number in 1..200");
    limit = static_cast<int>(v);
  }
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_ASSIGN_OR_RETURN(registry::PatientPage page,
                        registry::SearchPatients(*tx, c.who->clinic_id, Query(c, "q"), Query(c, "after"), limit));
  AuditRead(s, c, "clinic", c.who->clinic_id, "GET /api/v1/search/patients");
  return Out(api::PatientSearchJson(page));
}

StatusOr<Reply> EditPatient(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(api::PatientEditRequest req, api::ParsePatientEditRequest(c.body));
  req.patient.clinic_id = c.who->clinic_id;
  req.patient.id = c.params.at(0);
  if (!s.library->FindIndication(req.patient.indication)) {
    return InvalidArgumentError("indication: unknown indication '" + req.patient.indication + "'");
  }
  KIRA_RETURN_IF_ERROR(InUow(s, c, [&](registry::UnitOfWork& uow) {
    return registry::EditPatient(uow, req.patient, req.identity, req.reason);
  }));
  return Out(api::PatientEditedJson(req.patient.id));
}

StatusOr<Reply> PatientHistory(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_RETURN_IF_ERROR(tx->GetPatient(c.who->clinic_id, c.params.at(0)).status());
  KIRA_ASSIGN_OR_RETURN(auto changes, registry::PatientHistory(*tx, c.who->clinic_id, c.params.at(0)));
  AuditRead(s, c, "patient", c.params.at(0), "GET /api/v1/patients/{id}/history");
  return Out(api::PatientHistoryJson(changes));
}

StatusOr<Reply> ListConsents(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_RETURN_IF_ERROR(tx->GetPatient(c.who->clinic_id, c.params.at(0)).status());
  KIRA_ASSIGN_OR_RETURN(auto list, tx->ListConsents(c.who->clinic_id, c.params.at(0)));
  AuditRead(s, c, "patient", c.params.at(0), "GET /api/v1/patients/{id}/consents");
  return Out(api::ConsentsJson(list));
}

StatusOr<Reply> AddConsent(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(domain::ConsentRecord rec, api::ParseConsentRequest(c.body));
  rec.clinic_id = c.who->clinic_id;
  rec.patient_id = c.params.at(0);
  rec.id = NewId("cs-");
  rec.recorded_by = c.who->user_id;
  rec.recorded_at = s.clock->Now();
  KIRA_RETURN_IF_ERROR(InUow(s, c, [&](registry::UnitOfWork& uow) { return registry::RecordConsent(uow, Libs(s), rec); }));
  return Out(api::ConsentJson(rec), 201);
}

// ---- REMS ----

// The REMS form belongs to esketamine (intranasal) sessions only.
Status NeedEsketamine(const Services& s, const domain::SessionRecord& ss) {
  const guideline::Protocol* p = s.library->FindProtocol(ss.protocol_id);
  if (!p || p->route != "intranasal") {
    return FailedPreconditionError("session: the REMS Patient Monitoring Form is for esketamine nasal spray sessions");
  }
  return Status::Ok();
}

StatusOr<Reply> GetRems(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_ASSIGN_OR_RETURN(domain::SessionRecord ss, tx->GetSession(c.who->clinic_id, c.params.at(0)));
  KIRA_RETURN_IF_ERROR(NeedEsketamine(s, ss));
  StatusOr<domain::RemsForm> f = tx->GetRemsForm(c.who->clinic_id, "rems-" + ss.id);
  if (f.ok() || f.status().IsNotFound()) AuditRead(s, c, "session", ss.id, "GET /api/v1/sessions/{id}/rems");
  if (f.ok()) return Out(api::RemsFormJson(*f, true));
  if (!f.status().IsNotFound()) return f.status();
  domain::RemsForm blank;
  blank.id = "rems-" + ss.id;
  blank.session_id = ss.id;
  blank.patient_id = ss.patient_id;
  blank.session_at = ss.started_at;
  return Out(api::RemsFormJson(blank, false));
}

StatusOr<Reply> SaveRems(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(api::RemsSaveRequest req, api::ParseRemsSaveRequest(c.body));
  req.form.clinic_id = c.who->clinic_id;
  req.form.session_id = c.params.at(0);
  req.form.id = "rems-" + req.form.session_id;
  {
    KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
    KIRA_ASSIGN_OR_RETURN(domain::SessionRecord ss, tx->GetSession(c.who->clinic_id, req.form.session_id));
    KIRA_RETURN_IF_ERROR(NeedEsketamine(s, ss));
  }
  domain::RemsForm saved;
  KIRA_RETURN_IF_ERROR(InUow(s, c, [&](registry::UnitOfWork& uow) -> Status {
    KIRA_ASSIGN_OR_RETURN(saved, registry::SaveRemsForm(uow, req.form, req.sign, c.who->user_id));
    return Status::Ok();
  }));
  return Out(api::RemsFormJson(saved, true));
}

StatusOr<Reply> RemsDue(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_ASSIGN_OR_RETURN(auto due, registry::RemsFormsDue(*tx, Libs(s), c.who->clinic_id));
  AuditRead(s, c, "rems_list", c.who->clinic_id, "GET /api/v1/rems/due");
  return Out(api::RemsDueJson(due, s.clock->Now()));
}

StatusOr<Reply> RemsExport(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_ASSIGN_OR_RETURN(auto forms, tx->ListRemsForms(c.who->clinic_id));
  const std::string session = Query(c, "session");
  if (!session.empty()) std::erase_if(forms, [&](const domain::RemsForm& f) { return f.session_id != session; });
  AuditRead(s, c, "clinic", c.who->clinic_id, "GET /api/v1/rems/export.csv");
  Reply r = Out(registry::RemsCsv(forms));
  r.content_type = "text/csv; charset=utf-8";
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"rems-patient-monitoring-forms.csv\"");
  return r;
}

// ---- Ledger ----

StatusOr<Reply> GetLedger(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(registry::LedgerReconciliation rec, registry::ReconcileLedger(*s.store, c.who->clinic_id));
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_ASSIGN_OR_RETURN(auto entries, tx->ListLedger(c.who->clinic_id, Query(c, "lot")));
  AuditRead(s, c, "ledger", c.who->clinic_id, "GET /api/v1/ledger/entries");
  return Out(api::LedgerEntriesJson(entries, rec));
}

StatusOr<Reply> AddLedger(Services& s, const Call& c) {
  std::string witness_login;
  KIRA_ASSIGN_OR_RETURN(domain::LedgerEntry e, api::ParseLedgerRequest(c.body, &witness_login));
  e.clinic_id = c.who->clinic_id;
  e.id = NewId("lg-");
  e.at = s.clock->Now();
  e.actor = c.who->user_id;
  if (!witness_login.empty()) {
    // The witness is a user of this clinic, named by log-in; never the person recording.
    KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
    StatusOr<domain::Credential> w = tx->GetCredential(witness_login);
    if (!w.ok() || w->clinic_id != c.who->clinic_id) {
      return InvalidArgumentError("witness_login: no user '" + witness_login + "' in this clinic");
    }
    if (w->user_id == c.who->user_id) return InvalidArgumentError("witness_login: the witness must be someone else");
    e.witness = w->user_id;
  }
  if (!e.session_id.empty()) {
    KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
    KIRA_RETURN_IF_ERROR(tx->GetSession(c.who->clinic_id, e.session_id).status());
  }
  KIRA_RETURN_IF_ERROR(InUow(s, c, [&](registry::UnitOfWork& uow) { return registry::AddLedgerEntry(uow, e); }));
  return Out(api::LedgerEntryJson(e), 201);
}

// ---- Directory ----

StatusOr<Reply> PublicDirectory(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_ASSIGN_OR_RETURN(auto list, registry::PublicDirectory(*tx, Query(c, "region")));
  return Out(api::DirectoryJson(list));
}

StatusOr<Reply> MyListing(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(auto tx, s.store->BeginRead());
  KIRA_ASSIGN_OR_RETURN(auto all, tx->ListClinicListings());
  for (const auto& l : all) {
    if (l.clinic_id == c.who->clinic_id) return Out(api::ListingJson(l, true));
  }
  KIRA_ASSIGN_OR_RETURN(domain::Clinic clinic, tx->GetClinic(c.who->clinic_id));
  domain::ClinicListing blank;
  blank.clinic_id = clinic.id;
  blank.name = clinic.name;
  return Out(api::ListingJson(blank, true));
}

StatusOr<Reply> PutMyListing(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(domain::ClinicListing l, api::ParseListingRequest(c.body));
  l.clinic_id = c.who->clinic_id;
  l.updated_at = s.clock->Now();
  for (const auto& r : l.routes) {
    if (!s.library->FindRoute(r)) return InvalidArgumentError("routes: unknown route '" + r + "'");
  }
  KIRA_RETURN_IF_ERROR(InUow(s, c, [&](registry::UnitOfWork& uow) { return registry::PutListing(uow, l); }));
  return Out(api::ListingJson(l, true));
}

constexpr unsigned kDesk = kAdmin | kClinician | kNurse;
constexpr unsigned kCareTeam = kClinician | kNurse;
constexpr unsigned kStock = kPharmacist | kClinician | kNurse;

// clang-format off
constexpr Route kWorkflowRoutes[] = {
  {"GET",  "/api/v1/today",                                  kCare,               Today,            "Today's list: appointments with each patient's stage and what blocks them"},
  {"POST", "/api/v1/appointments",                           kDesk,               BookAppointment,  "Book an appointment from a saved plan (chair, time, protocol)"},
  {"POST", "/api/v1/appointments/{id}/reschedule",           kDesk,               Reschedule,       "Move an appointment; the reason is audited"},
  {"POST", "/api/v1/appointments/{id}/state",                kDesk,               AppointmentState, "Check in, cancel or mark a no-show"},
  {"POST", "/api/v1/sessions/{id}/discharge-record",         kCareTeam,           RecordDischarge,  "Discharge check by the Advisor; records the discharge when ready"},
  {"GET",  "/api/v1/sessions/{id}/observation",              kCare,               Observation,      "The minimum observation for this session and when it ends"},
  {"POST", "/api/v1/sessions/{id}/vital-set",                kCareTeam,           AddVitalSet,      "Record readings taken together (blood pressure as a pair)"},
  {"GET",  "/api/v1/sessions/{id}/vital-amendments",         kCare,               ListAmendments,   "Corrections and voids of the session's readings"},
  {"POST", "/api/v1/sessions/{id}/vitals/{vital}/void",      kCareTeam,           VoidVital,        "Void a reading with a reason (it stays on record)"},
  {"POST", "/api/v1/sessions/{id}/vitals/{vital}/correct",   kCareTeam,           CorrectVital,     "Correct a reading with a reason (a new reading replaces it)"},
  {"GET",  "/api/v1/search/patients",                        kCare,               SearchPatients,   "Search patients by name, MRN or id, one page at a time"},
  {"POST", "/api/v1/patients/{id}/edit",                     kAdmin | kClinician, EditPatient,      "Edit a patient's record with a reason (audited old and new)"},
  {"GET",  "/api/v1/patients/{id}/history",                  kCare,               PatientHistory,   "Audited history of the patient's record"},
  {"GET",  "/api/v1/patients/{id}/consents",                 kCare,               ListConsents,     "The patient's consent records"},
  {"POST", "/api/v1/patients/{id}/consents",                 kCareTeam,           AddConsent,       "Record consent (form version, date, witness)"},
  {"GET",  "/api/v1/sessions/{id}/rems",                     kCare,               GetRems,          "The esketamine REMS Patient Monitoring Form of a session"},
  {"POST", "/api/v1/sessions/{id}/rems",                     kCareTeam,           SaveRems,         "Save or sign the REMS form (signing needs every required field)"},
  {"GET",  "/api/v1/rems/due",                               kCare,               RemsDue,          "Unsigned REMS forms and when each is due"},
  {"GET",  "/api/v1/rems/export.csv",                        kCare,               RemsExport,       "REMS forms as CSV"},
  {"GET",  "/api/v1/ledger/entries",                         kStock | kAdmin,     GetLedger,        "Controlled-substance ledger: every entry, balance per lot, discrepancies"},
  {"POST", "/api/v1/ledger",                                 kStock,              AddLedger,        "Record vials received, drawn, administered, wasted (witnessed) or returned"},
  {"GET",  "/api/v1/directory",                              kPublic,             PublicDirectory,  "Public clinic directory (opt-in; no patient data)"},
  {"GET",  "/api/v1/directory/mine",                         kAdmin,              MyListing,        "This clinic's directory listing"},
  {"POST", "/api/v1/directory/mine",                         kAdmin,              PutMyListing,     "Publish or update this clinic's directory listing"},
};
// clang-format on

}  // namespace

std::span<const Route> WorkflowRoutes() { return kWorkflowRoutes; }

}  // namespace kira::server::internal
