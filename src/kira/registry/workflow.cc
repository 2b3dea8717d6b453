#include "kira/registry/workflow.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "kira/registry/canonical.h"
#include "kira/registry/clinical.h"
#include "kira/registry/clock.h"

namespace kira::registry {

namespace {

// An instant to the second, "2026-03-01T09:00:00Z" (what a person reads; no microseconds).
std::string Seconds(domain::Instant t) {
  const std::string s = domain::FormatInstant(t);
  return s.size() > 19 ? s.substr(0, 19) + "Z" : s;
}

// key=value lines, the audit log's canonical style, for the records of this file.
class Text {
 public:
  Text& F(std::string_view k, std::string_view v) {
    out_.append(k);
    out_ += '=';
    for (char c : v) {
      if (c == '\\') out_ += "\\\\";
      else if (c == '\n') out_ += "\\n";
      else out_ += c;
    }
    out_ += '\n';
    return *this;
  }
  Text& N(std::string_view k, const std::optional<double>& v) {
    return F(k, v ? std::string_view(Num(*v)) : std::string_view(""));
  }
  Text& T(std::string_view k, domain::Instant t) { return F(k, Seconds(t)); }
  std::string str() { return std::move(out_); }

 private:
  static std::string Num(double v) {
    std::string s = std::to_string(v);
    while (s.size() > 1 && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }
  std::string out_;
};

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::string Canon(const domain::VitalAmendment& a) {
  return Text()
      .F("session_id", a.session_id)
      .F("vital_id", a.vital_id)
      .F("kind", domain::VitalAmendmentKindName(a.kind))
      .F("replacement_id", a.replacement_id)
      .F("reason", a.reason)
      .T("at", a.at)
      .str();
}
std::string Canon(const domain::Appointment& a) {
  return Text()
      .F("patient_id", a.patient_id)
      .F("protocol_id", a.protocol_id)
      .F("chair", a.chair)
      .T("scheduled_at", a.scheduled_at)
      .F("state", domain::AppointmentStateName(a.state))
      .F("discharged_by", a.discharged_by)
      .str();
}
std::string Canon(const domain::ConsentRecord& c) {
  return Text()
      .F("patient_id", c.patient_id)
      .F("protocol_id", c.protocol_id)
      .F("form_version", c.form_version)
      .F("signed_on", c.signed_on)
      .F("witness", c.witness)
      .str();
}
std::string Canon(const domain::RemsForm& f) {
  return Text()
      .F("session_id", f.session_id)
      .F("lot", f.lot)
      .F("concomitant_classes", Join(f.concomitant_classes))
      .N("bp_pre_sbp", f.bp_pre_sbp)
      .N("bp_pre_dbp", f.bp_pre_dbp)
      .N("bp_40_sbp", f.bp_40_sbp)
      .N("bp_40_dbp", f.bp_40_dbp)
      .N("bp_end_sbp", f.bp_end_sbp)
      .N("bp_end_dbp", f.bp_end_dbp)
      .N("monitoring_minutes", f.monitoring_minutes ? std::optional<double>(*f.monitoring_minutes) : std::nullopt)
      .F("sedation", f.sedation)
      .F("dissociation", f.dissociation)
      .F("respiratory_depression", f.respiratory_depression)
      .F("notes", f.notes)
      .F("signed_by", f.signed_by)
      .str();
}
std::string Canon(const domain::ClinicListing& l) {
  return Text()
      .F("name", l.name)
      .F("city", l.city)
      .F("region", l.region)
      .F("routes", Join(l.routes))
      .F("contact", l.contact)
      .F("published", l.published ? "yes" : "no")
      .str();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ValidCivilDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  const int y = std::stoi(std::string(s.substr(0, 4)));
  const unsigned m = static_cast<unsigned>(std::stoi(std::string(s.substr(5, 2))));
  const unsigned d = static_cast<unsigned>(std::stoi(std::string(s.substr(8, 2))));
  return std::chrono::year_month_day(std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)).ok();
}

// Finds the reading in this session; NotFound otherwise.
StatusOr<domain::VitalSign> SessionVital(storage::Transaction& tx, std::string_view clinic,
                                         std::string_view session, std::string_view vital_id) {
  KIRA_ASSIGN_OR_RETURN(auto all, tx.ListVitals(clinic, session));
  for (auto& v : all) {
    if (v.id == vital_id) return v;
  }
  return NotFoundError("vital '" + std::string(vital_id) + "' in session '" + std::string(session) + "'");
}

Status NotAmended(storage::Transaction& tx, std::string_view clinic, std::string_view session,
                  std::string_view vital_id) {
  KIRA_ASSIGN_OR_RETURN(auto amendments, tx.ListVitalAmendments(clinic, session));
  for (const auto& a : amendments) {
    if (a.vital_id == vital_id) {
      return FailedPreconditionError("vital '" + std::string(vital_id) + "' was already " +
                                     (a.kind == domain::VitalAmendmentKind::kVoid ? "voided" : "corrected"));
    }
  }
  return Status::Ok();
}

}  // namespace

// ---- Vitals ----

StatusOr<std::vector<domain::VitalSign>> EffectiveVitals(storage::Transaction& tx, std::string_view clinic_id,
                                                         std::string_view session_id) {
  KIRA_ASSIGN_OR_RETURN(auto all, tx.ListVitals(clinic_id, session_id));
  KIRA_ASSIGN_OR_RETURN(auto amendments, tx.ListVitalAmendments(clinic_id, session_id));
  std::set<std::string> gone;
  for (const auto& a : amendments) gone.insert(a.vital_id);
  std::erase_if(all, [&](const domain::VitalSign& v) { return gone.count(v.id) > 0; });
  return all;
}

Status AddVitalSet(UnitOfWork& uow, const std::vector<domain::VitalSign>& set) {
  if (set.empty()) return InvalidArgumentError("vitals: at least one reading is required");
  const domain::VitalSign* sbp = nullptr;
  const domain::VitalSign* dbp = nullptr;
  std::set<domain::VitalKind> kinds;
  for (const auto& v : set) {
    if (!kinds.insert(v.kind).second) {
      return InvalidArgumentError(std::string(domain::VitalKindName(v.kind)) + ": given twice");
    }
    if (v.at != set.front().at) return InvalidArgumentError("at: the readings of one set share one time");
    if (v.kind == domain::VitalKind::kSystolicBp) sbp = &v;
    if (v.kind == domain::VitalKind::kDiastolicBp) dbp = &v;
  }
  if ((sbp == nullptr) != (dbp == nullptr)) {
    return InvalidArgumentError(std::string(sbp ? "dbp" : "sbp") +
                                ": blood pressure is a pair; give both systolic and diastolic");
  }
  if (sbp && sbp->value <= dbp->value) {
    return InvalidArgumentError("sbp: systolic must be above diastolic (check the two were not swapped)");
  }
  for (const auto& v : set) KIRA_RETURN_IF_ERROR(AddVital(uow, v));
  return Status::Ok();
}

StatusOr<domain::VitalAmendment> VoidVital(UnitOfWork& uow, std::string_view clinic_id,
                                           std::string_view session_id, std::string_view vital_id,
                                           std::string reason, std::string actor, std::string amendment_id) {
  if (reason.find_first_not_of(" \t") == std::string::npos) return InvalidArgumentError("reason: required");
  KIRA_RETURN_IF_ERROR(SessionVital(uow.tx(), clinic_id, session_id, vital_id).status());
  KIRA_RETURN_IF_ERROR(NotAmended(uow.tx(), clinic_id, session_id, vital_id));
  domain::VitalAmendment a{std::string(clinic_id), std::move(amendment_id), std::string(session_id),
                           std::string(vital_id), domain::VitalAmendmentKind::kVoid, "", std::move(reason),
                           std::move(actor), uow.now()};
  KIRA_RETURN_IF_ERROR(uow.tx().InsertVitalAmendment(a));
  KIRA_RETURN_IF_ERROR(uow.Audit(clinic_id, "void", "vital", vital_id, "", Canon(a)));
  return a;
}

StatusOr<CorrectVitalResult> CorrectVital(UnitOfWork& uow, std::string_view clinic_id, std::string_view session_id,
                                          std::string_view vital_id, double value,
                                          std::optional<domain::Instant> at, std::string reason, std::string actor,
                                          std::string amendment_id, std::string replacement_id) {
  if (reason.find_first_not_of(" \t") == std::string::npos) return InvalidArgumentError("reason: required");
  KIRA_ASSIGN_OR_RETURN(domain::VitalSign old, SessionVital(uow.tx(), clinic_id, session_id, vital_id));
  KIRA_RETURN_IF_ERROR(NotAmended(uow.tx(), clinic_id, session_id, vital_id));
  domain::VitalSign repl = old;
  repl.id = std::move(replacement_id);
  repl.value = value;
  if (at) repl.at = *at;
  KIRA_RETURN_IF_ERROR(AddVital(uow, repl));
  domain::VitalAmendment a{std::string(clinic_id), std::move(amendment_id), std::string(session_id),
                           std::string(vital_id), domain::VitalAmendmentKind::kCorrect, repl.id, std::move(reason),
                           std::move(actor), uow.now()};
  KIRA_RETURN_IF_ERROR(uow.tx().InsertVitalAmendment(a));
  KIRA_RETURN_IF_ERROR(uow.Audit(clinic_id, "correct", "vital", vital_id, Canonical(old), Canon(a)));
  return CorrectVitalResult{a, repl};
}

// ---- Patients ----

Status EditPatient(UnitOfWork& uow, const domain::PatientRecord& patient,
                   const std::optional<domain::PatientIdentity>& identity, std::string_view reason) {
  if (reason.find_first_not_of(" \t") == std::string::npos) return InvalidArgumentError("reason: required");
  KIRA_ASSIGN_OR_RETURN(domain::PatientRecord before, uow.tx().GetPatient(patient.clinic_id, patient.id));
  const std::string why = "reason=" + std::string(reason) + "\n";
  if (Canonical(before) != Canonical(patient)) {
    KIRA_RETURN_IF_ERROR(BirthYearNotInFuture(patient.birth_year, uow.now()));
    KIRA_RETURN_IF_ERROR(uow.tx().UpdatePatient(patient));
    KIRA_RETURN_IF_ERROR(
        uow.Audit(patient.clinic_id, "update", "patient", patient.id, Canonical(before), Canonical(patient) + why));
  }
  if (!identity) return Status::Ok();
  domain::PatientIdentity id = *identity;
  id.clinic_id = patient.clinic_id;
  id.patient_id = patient.id;
  StatusOr<domain::PatientIdentity> old = uow.tx().GetPatientIdentity(patient.clinic_id, patient.id);
  if (!old.ok() && !old.status().IsNotFound()) return old.status();
  const std::string before_text = old.ok() ? Canonical(*old) : "";
  if (before_text == Canonical(id)) return Status::Ok();
  KIRA_RETURN_IF_ERROR(uow.tx().PutPatientIdentity(id));
  // Identifiers stay out of the append-only audit log (as at enrolment):
  // the row names the fields that changed, who, when and why.
  std::string changed;
  const domain::PatientIdentity blank{};
  const domain::PatientIdentity& o = old.ok() ? *old : blank;
  for (auto [name, a, b] : {std::tuple{"given_name", &o.given_name, &id.given_name},
                            std::tuple{"family_name", &o.family_name, &id.family_name},
                            std::tuple{"birth_date", &o.birth_date, &id.birth_date},
                            std::tuple{"mrn", &o.mrn, &id.mrn}, std::tuple{"zip", &o.zip, &id.zip},
                            std::tuple{"phone", &o.phone, &id.phone}, std::tuple{"email", &o.email, &id.email}}) {
    if (*a != *b) changed += (changed.empty() ? "" : ",") + std::string(name);
  }
  return uow.Audit(patient.clinic_id, old.ok() ? "update" : "insert", "patient_identity", patient.id, before_text,
                   Canonical(id) + "changed=" + changed + "\n" + why);
}

StatusOr<std::vector<PatientChange>> PatientHistory(storage::Transaction& tx, std::string_view clinic_id,
                                                    std::string_view patient_id) {
  static const std::set<std::string, std::less<>> kEntities = {"patient", "patient_identity", "patient_facts",
                                                                "consent"};
  std::vector<PatientChange> out;
  std::int64_t after = 0;
  for (;;) {
    KIRA_ASSIGN_OR_RETURN(auto batch, tx.ListAudit(clinic_id, after, 1000));
    for (const auto& e : batch) {
      const bool mine = e.entity_id == patient_id ||
                        (e.entity == "consent" && e.after.find("patient_id=" + std::string(patient_id) + "\n") !=
                                                      std::string::npos);
      if (mine && kEntities.count(e.entity)) {
        out.push_back(PatientChange{e.at, e.actor, e.action, e.entity, e.before, e.after});
      }
    }
    if (batch.size() < 1000) break;
    after = batch.back().seq;
  }
  return out;
}

StatusOr<PatientPage> SearchPatients(storage::Transaction& tx, std::string_view clinic_id, std::string_view query,
                                     std::string_view after_id, int limit) {
  const std::string q = Lower(query);
  PatientPage out;
  storage::Page page{std::string(after_id), 500};
  for (;;) {
    KIRA_ASSIGN_OR_RETURN(auto batch, tx.ListPatients(clinic_id, page));
    for (auto& p : batch) {
      std::optional<domain::PatientIdentity> identity;
      StatusOr<domain::PatientIdentity> pi = tx.GetPatientIdentity(clinic_id, p.id);
      if (pi.ok()) identity = std::move(*pi);
      else if (!pi.status().IsNotFound()) return pi.status();
      bool match = q.empty() || Lower(p.id).find(q) != std::string::npos;
      if (!match && identity) {
        const std::string full = Lower(identity->given_name + " " + identity->family_name);
        const std::string rev = Lower(identity->family_name + " " + identity->given_name);
        match = full.find(q) != std::string::npos || rev.find(q) != std::string::npos ||
                Lower(identity->mrn) == q || (!identity->mrn.empty() && Lower(identity->mrn).find(q) == 0);
      }
      if (!match) continue;
      if (static_cast<int>(out.patients.size()) == limit) {
        out.next_after = out.patients.back().patient.id;
        return out;
      }
      out.patients.push_back(PatientMatch{std::move(p), std::move(identity)});
    }
    if (static_cast<int>(batch.size()) < page.limit) break;
    page.after_id = batch.back().id;
  }
  return out;
}

// ---- Consent ----

Status RecordConsent(UnitOfWork& uow, const Libraries& libs, const domain::ConsentRecord& c) {
  if (c.form_version.empty()) return InvalidArgumentError("form_version: required");
  if (!ValidCivilDate(c.signed_on)) return InvalidArgumentError("signed_on: must be a date YYYY-MM-DD");
  if (c.signed_on > domain::FormatInstant(uow.now()).substr(0, 10)) {
    return InvalidArgumentError("signed_on: is in the future");
  }
  if (c.witness.find_first_not_of(" \t") == std::string::npos) return InvalidArgumentError("witness: required");
  if (!libs.guideline || !libs.guideline->FindProtocol(c.protocol_id)) {
    return InvalidArgumentError("protocol_id: unknown protocol '" + c.protocol_id + "'");
  }
  KIRA_RETURN_IF_ERROR(uow.tx().GetPatient(c.clinic_id, c.patient_id).status());
  KIRA_RETURN_IF_ERROR(uow.tx().InsertConsent(c));
  return uow.Audit(c.clinic_id, "insert", "consent", c.id, "", Canon(c));
}

// ---- Appointments ----

Status BookAppointment(UnitOfWork& uow, const Libraries& libs, const domain::Appointment& a) {
  if (!libs.guideline || !libs.guideline->FindProtocol(a.protocol_id)) {
    return InvalidArgumentError("protocol_id: unknown protocol '" + a.protocol_id + "'");
  }
  if (a.chair.find_first_not_of(" \t") == std::string::npos) return InvalidArgumentError("chair: required");
  KIRA_RETURN_IF_ERROR(uow.tx().GetPatient(a.clinic_id, a.patient_id).status());
  KIRA_RETURN_IF_ERROR(uow.tx().InsertAppointment(a));
  return uow.Audit(a.clinic_id, "insert", "appointment", a.id, "", Canon(a));
}

StatusOr<domain::Appointment> RescheduleAppointment(UnitOfWork& uow, std::string_view clinic_id,
                                                    std::string_view id, domain::Instant when, std::string chair,
                                                    std::string_view reason) {
  if (reason.find_first_not_of(" \t") == std::string::npos) {
    return InvalidArgumentError("reason: a reschedule needs a reason");
  }
  KIRA_ASSIGN_OR_RETURN(domain::Appointment a, uow.tx().GetAppointment(clinic_id, id));
  if (a.state == domain::AppointmentState::kDischarged || a.state == domain::AppointmentState::kCancelled) {
    return FailedPreconditionError("appointment '" + a.id + "' is " +
                                   std::string(domain::AppointmentStateName(a.state)));
  }
  const std::string before = Canon(a);
  a.scheduled_at = when;
  if (chair.find_first_not_of(" \t") != std::string::npos) a.chair = std::move(chair);
  a.updated_at = uow.now();
  KIRA_RETURN_IF_ERROR(uow.tx().UpdateAppointment(a));
  KIRA_RETURN_IF_ERROR(
      uow.Audit(clinic_id, "reschedule", "appointment", a.id, before, Canon(a) + "reason=" + std::string(reason) + "\n"));
  return a;
}

StatusOr<domain::Appointment> SetAppointmentState(UnitOfWork& uow, std::string_view clinic_id, std::string_view id,
                                                  domain::AppointmentState state, std::string_view reason) {
  using S = domain::AppointmentState;
  if (state == S::kDischarged) return InvalidArgumentError("state: discharge is recorded by the discharge check");
  if ((state == S::kCancelled || state == S::kNoShow) && reason.find_first_not_of(" \t") == std::string::npos) {
    return InvalidArgumentError("reason: required to cancel or mark a no-show");
  }
  KIRA_ASSIGN_OR_RETURN(domain::Appointment a, uow.tx().GetAppointment(clinic_id, id));
  if (a.state == S::kDischarged) return FailedPreconditionError("appointment '" + a.id + "' is discharged");
  const std::string before = Canon(a);
  a.state = state;
  a.updated_at = uow.now();
  KIRA_RETURN_IF_ERROR(uow.tx().UpdateAppointment(a));
  KIRA_RETURN_IF_ERROR(uow.Audit(clinic_id, "update", "appointment", a.id, before,
                                 Canon(a) + (reason.empty() ? "" : "reason=" + std::string(reason) + "\n")));
  return a;
}

StatusOr<domain::Appointment> RecordDischarge(UnitOfWork& uow, std::string_view clinic_id, std::string_view id,
                                              std::string_view session_id, const domain::Decision& decision,
                                              std::string by) {
  if (decision.outcome != "ready") {
    return FailedPreconditionError("discharge: the discharge check says '" + decision.outcome +
                                   "'; resolve its findings first");
  }
  KIRA_ASSIGN_OR_RETURN(domain::Appointment a, uow.tx().GetAppointment(clinic_id, id));
  KIRA_ASSIGN_OR_RETURN(domain::SessionRecord s, uow.tx().GetSession(clinic_id, session_id));
  if (s.patient_id != a.patient_id) {
    return InvalidArgumentError("session_id: the session is not this appointment's patient's");
  }
  const std::string before = Canon(a);
  a.state = domain::AppointmentState::kDischarged;
  a.session_id = s.id;
  a.discharged_at = uow.now();
  a.discharged_by = std::move(by);
  a.updated_at = uow.now();
  KIRA_RETURN_IF_ERROR(uow.tx().UpdateAppointment(a));
  KIRA_RETURN_IF_ERROR(uow.Audit(clinic_id, "discharge", "appointment", a.id, before, Canon(a)));
  return a;
}

std::string_view DayStageName(DayStage s) {
  switch (s) {
    case DayStage::kBooked: return "booked";
    case DayStage::kCheckedIn: return "checked_in";
    case DayStage::kScreeningValid: return "screening_valid";
    case DayStage::kDosing: return "dosing";
    case DayStage::kMonitoring: return "monitoring";
    case DayStage::kDischarged: return "discharged";
    case DayStage::kCancelled: return "cancelled";
  }
  return "booked";
}

StatusOr<std::vector<DayRow>> DayList(storage::Transaction& tx, const Libraries& libs, std::string_view clinic_id,
                                      domain::Instant from, domain::Instant to) {
  KIRA_ASSIGN_OR_RETURN(auto appts, tx.ListAppointments(clinic_id, from, to));
  std::vector<DayRow> out;
  for (auto& a : appts) {
    DayRow row;
    KIRA_ASSIGN_OR_RETURN(row.patient, tx.GetPatient(clinic_id, a.patient_id));
    StatusOr<domain::PatientIdentity> pi = tx.GetPatientIdentity(clinic_id, a.patient_id);
    if (pi.ok()) row.identity = std::move(*pi);
    else if (!pi.status().IsNotFound()) return pi.status();
    const guideline::Protocol* proto = libs.guideline ? libs.guideline->FindProtocol(a.protocol_id) : nullptr;
    const std::string route = proto ? proto->route : "iv";
    // The session given at this appointment: linked, else the patient's session on that day.
    KIRA_ASSIGN_OR_RETURN(auto sessions, tx.ListPatientSessions(clinic_id, a.patient_id));
    const auto day = std::chrono::floor<std::chrono::days>(a.scheduled_at);
    for (const auto& s : sessions) {
      if ((!a.session_id.empty() && s.id == a.session_id) ||
          (a.session_id.empty() && std::chrono::floor<std::chrono::days>(s.started_at) == day)) {
        row.session = s;
      }
    }
    KIRA_ASSIGN_OR_RETURN(auto screening, CurrentScreening(tx, libs, clinic_id, a.patient_id, route));
    if (screening) row.screening_outcome = screening->outcome;
    const bool screened_ok = screening && screening->outcome != "not_eligible";
    KIRA_ASSIGN_OR_RETURN(auto alerts, tx.ListAlerts(clinic_id, a.patient_id, true));
    KIRA_ASSIGN_OR_RETURN(auto consents, tx.ListConsents(clinic_id, a.patient_id));

    using S = domain::AppointmentState;
    if (a.state == S::kCancelled || a.state == S::kNoShow) {
      row.stage = DayStage::kCancelled;
    } else if (a.state == S::kDischarged) {
      row.stage = DayStage::kDischarged;
    } else if (row.session) {
      const std::string st(domain::SessionStateName(row.session->state));
      row.stage = (st == "planned" || st == "pre_checked" || st == "running" || st == "paused") ? DayStage::kDosing
                                                                                              : DayStage::kMonitoring;
    } else if (a.state == S::kBooked) {
      row.stage = DayStage::kBooked;
    } else {
      row.stage = screened_ok ? DayStage::kScreeningValid : DayStage::kCheckedIn;
    }
    if (row.stage != DayStage::kDischarged && row.stage != DayStage::kCancelled) {
      if (a.state == S::kBooked) row.blockers.push_back("not checked in");
      if (!screening) {
        row.blockers.push_back("no clinical facts recorded: record weight, height and history, then screen");
      } else if (screening->outcome == "not_eligible") {
        row.blockers.push_back("screening: not eligible — see the screening findings");
      }
      for (const auto& al : alerts) {
        row.blockers.push_back("open suicidality alert (" + al.message + "): a clinician must acknowledge it");
      }
      bool consented = false;
      for (const auto& c : consents) consented = consented || c.protocol_id == a.protocol_id;
      if (!consented) row.blockers.push_back("no consent recorded for this protocol");
    }
    row.appointment = std::move(a);
    out.push_back(std::move(row));
  }
  return out;
}

// ---- REMS ----

std::vector<std::string> RemsMissingFields(const domain::RemsForm& f) {
  std::vector<std::string> m;
  if (f.lot.empty()) m.push_back("lot number");
  if (f.concomitant_classes.empty()) m.push_back("concomitant medication classes (or 'none')");
  if (!f.bp_pre_sbp || !f.bp_pre_dbp) m.push_back("blood pressure before the dose");
  if (!f.bp_40_sbp || !f.bp_40_dbp) m.push_back("blood pressure about 40 minutes after the dose");
  if (!f.bp_end_sbp || !f.bp_end_dbp) m.push_back("blood pressure before the end of monitoring");
  if (!f.monitoring_minutes) m.push_back("monitoring duration");
  if (f.sedation.empty()) m.push_back("sedation (yes/no)");
  if (f.dissociation.empty()) m.push_back("dissociation (yes/no)");
  if (f.respiratory_depression.empty()) m.push_back("respiratory depression (yes/no)");
  return m;
}

StatusOr<domain::RemsForm> SaveRemsForm(UnitOfWork& uow, domain::RemsForm form, bool sign, std::string actor) {
  for (const std::string* yn : {&form.sedation, &form.dissociation, &form.respiratory_depression}) {
    if (!yn->empty() && *yn != "yes" && *yn != "no") return InvalidArgumentError("sedation: answer yes or no");
  }
  for (const auto* bp : {&form.bp_pre_sbp, &form.bp_pre_dbp, &form.bp_40_sbp, &form.bp_40_dbp, &form.bp_end_sbp,
                         &form.bp_end_dbp}) {
    if (*bp && (!std::isfinite(**bp) || **bp < 20 || **bp > 300)) {
      return InvalidArgumentError("blood pressure: each value must be between 20 and 300 mmHg");
    }
  }
  if (form.monitoring_minutes && (*form.monitoring_minutes < 0 || *form.monitoring_minutes > 24 * 60)) {
    return InvalidArgumentError("monitoring_minutes: must be between 0 and 1440");
  }
  KIRA_ASSIGN_OR_RETURN(domain::SessionRecord s, uow.tx().GetSession(form.clinic_id, form.session_id));
  form.patient_id = s.patient_id;
  form.session_at = s.started_at;
  std::string before;
  StatusOr<domain::RemsForm> old = uow.tx().GetRemsForm(form.clinic_id, form.id);
  if (old.ok()) {
    if (old->signed_at) return FailedPreconditionError("the REMS form of this session is signed and cannot change");
    before = Canon(*old);
    form.created_by = old->created_by;
  } else if (!old.status().IsNotFound()) {
    return old.status();
  } else {
    form.created_by = actor;
  }
  form.updated_at = uow.now();
  form.signed_by.clear();
  form.signed_at.reset();
  if (sign) {
    const auto missing = RemsMissingFields(form);
    if (!missing.empty()) return FailedPreconditionError("cannot sign: missing " + Join(missing));
    form.signed_by = actor;
    form.signed_at = uow.now();
  }
  KIRA_RETURN_IF_ERROR(uow.tx().PutRemsForm(form));
  KIRA_RETURN_IF_ERROR(uow.Audit(form.clinic_id, sign ? "sign" : (old.ok() ? "update" : "insert"), "rems_form",
                                 form.id, before, Canon(form)));
  return form;
}

StatusOr<std::vector<RemsDue>> RemsFormsDue(storage::Transaction& tx, const Libraries& libs,
                                            std::string_view clinic_id) {
  KIRA_ASSIGN_OR_RETURN(auto forms, tx.ListRemsForms(clinic_id));
  std::map<std::string, domain::RemsForm> by_session;
  for (auto& f : forms) by_session[f.session_id] = std::move(f);
  std::vector<RemsDue> out;
  storage::Page page{"", 1000};
  for (;;) {
    KIRA_ASSIGN_OR_RETURN(auto batch, tx.ListSessions(clinic_id, page));
    for (const auto& s : batch) {
      const guideline::Protocol* p = libs.guideline ? libs.guideline->FindProtocol(s.protocol_id) : nullptr;
      if (!p || p->route != "intranasal") continue;
      auto it = by_session.find(s.id);
      if (it != by_session.end() && it->second.signed_at) continue;
      RemsDue d;
      d.started = it != by_session.end();
      if (d.started) {
        d.form = it->second;
      } else {
        d.form.clinic_id = s.clinic_id;
        d.form.id = "rems-" + s.id;
        d.form.session_id = s.id;
        d.form.patient_id = s.patient_id;
        d.form.session_at = s.started_at;
      }
      d.due = s.started_at + std::chrono::days(7);
      out.push_back(std::move(d));
    }
    if (static_cast<int>(batch.size()) < page.limit) break;
    page.after_id = batch.back().id;
  }
  std::sort(out.begin(), out.end(), [](const RemsDue& a, const RemsDue& b) { return a.due < b.due; });
  return out;
}

namespace {
std::string CsvCell(std::string_view s) {
  // Cells starting with a formula character are prefixed so spreadsheets show them as text.
  std::string v(s);
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) v = "'" + v;
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}
std::string CsvNum(const std::optional<double>& v) {
  if (!v) return "";
  std::string s = std::to_string(*v);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}
}  // namespace

std::string RemsCsv(const std::vector<domain::RemsForm>& forms) {
  std::string out =
      "session_id,patient_id,session_at,lot,concomitant_medication_classes,bp_before_systolic,bp_before_diastolic,"
      "bp_40min_systolic,bp_40min_diastolic,bp_end_systolic,bp_end_diastolic,monitoring_minutes,sedation,"
      "dissociation,respiratory_depression,notes,signed_by,signed_at\r\n";
  for (const auto& f : forms) {
    std::string classes;
    for (const auto& c : f.concomitant_classes) classes += (classes.empty() ? "" : "; ") + c;
    const std::vector<std::string> cells = {
        f.session_id, f.patient_id, Seconds(f.session_at), f.lot, classes,
        CsvNum(f.bp_pre_sbp), CsvNum(f.bp_pre_dbp), CsvNum(f.bp_40_sbp), CsvNum(f.bp_40_dbp), CsvNum(f.bp_end_sbp),
        CsvNum(f.bp_end_dbp), f.monitoring_minutes ? std::to_string(*f.monitoring_minutes) : "", f.sedation,
        f.dissociation, f.respiratory_depression, f.notes, f.signed_by,
        f.signed_at ? Seconds(*f.signed_at) : ""};
    for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + CsvCell(cells[i]);
    out += "\r\n";
  }
  return out;
}

// ---- Directory ----

Status PutListing(UnitOfWork& uow, const domain::ClinicListing& l) {
  if (l.name.find_first_not_of(" \t") == std::string::npos) return InvalidArgumentError("name: required");
  if (l.region.find_first_not_of(" \t") == std::string::npos) return InvalidArgumentError("region: required");
  if (l.contact.find_first_not_of(" \t") == std::string::npos) return InvalidArgumentError("contact: required");
  KIRA_RETURN_IF_ERROR(uow.tx().PutClinicListing(l));
  return uow.Audit(l.clinic_id, "update", "clinic_listing", l.clinic_id, "", Canon(l));
}

StatusOr<std::vector<domain::ClinicListing>> PublicDirectory(storage::Transaction& tx, std::string_view region) {
  KIRA_ASSIGN_OR_RETURN(auto all, tx.ListClinicListings());
  const std::string r = Lower(region);
  std::erase_if(all, [&](const domain::ClinicListing& l) {
    return !l.published || (!r.empty() && Lower(l.region).find(r) == std::string::npos);
  });
  return all;
}

}  // namespace kira::registry
