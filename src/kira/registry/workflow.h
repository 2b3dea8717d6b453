// Use cases of the clinic day: appointments and today's list, vital-sign
// corrections and voids, paired vital-sign sets, patient edits with an
// audited history, consent records, esketamine REMS Patient Monitoring
// Forms and the opt-in public clinic directory.
//
// None of these makes a clinical decision. The day list reports the stage
// of each patient and what blocks them from the decisions the Advisor
// already stored (screening outcome, open suicidality alerts) and from the
// facts that are missing; discharge is recorded only after the Advisor's
// discharge check passed (the caller passes that decision in).
#ifndef KIRA_REGISTRY_WORKFLOW_H_
#define KIRA_REGISTRY_WORKFLOW_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/domain/decision.h"
#include "kira/domain/records.h"
#include "kira/domain/workflow.h"
#include "kira/registry/clinical_record.h"
#include "kira/registry/unit_of_work.h"
#include "kira/storage/store.h"

namespace kira::registry {

// ---- Vitals ----
// The readings that count: every stored reading minus those voided or
// replaced by a correction, ordered by time. Monitoring and discharge read
// these, never the raw list.
StatusOr<std::vector<domain::VitalSign>> EffectiveVitals(storage::Transaction& tx, std::string_view clinic_id,
                                                         std::string_view session_id);

// Records several readings taken together (one time for all: a blood
// pressure is a pair of systolic and diastolic). InvalidArgument when only
// one of systolic/diastolic is given, when the set is empty, or when
// systolic is not above diastolic.
Status AddVitalSet(UnitOfWork& uow, const std::vector<domain::VitalSign>& set);

// Voids a reading (it stays stored and shown as voided) or replaces it with
// a corrected one (a new reading; the old one stays, marked corrected).
// InvalidArgument without a reason; FailedPrecondition when the reading was
// already voided or corrected; NotFound for a reading not in this session.
StatusOr<domain::VitalAmendment> VoidVital(UnitOfWork& uow, std::string_view clinic_id,
                                           std::string_view session_id, std::string_view vital_id,
                                           std::string reason, std::string actor, std::string amendment_id);
struct CorrectVitalResult {
  domain::VitalAmendment amendment;
  domain::VitalSign replacement;
};
StatusOr<CorrectVitalResult> CorrectVital(UnitOfWork& uow, std::string_view clinic_id, std::string_view session_id,
                                          std::string_view vital_id, double value,
                                          std::optional<domain::Instant> at, std::string reason, std::string actor,
                                          std::string amendment_id, std::string replacement_id);

// ---- Patients ----
// Replaces the pseudonymous record and (when given) the identifiers; the
// audit rows carry old -> new and the reason. InvalidArgument without a
// reason; NotFound for an unknown patient.
Status EditPatient(UnitOfWork& uow, const domain::PatientRecord& patient,
                   const std::optional<domain::PatientIdentity>& identity, std::string_view reason);

struct PatientChange {
  domain::Instant at{};
  std::string actor;
  std::string action;  // insert, update
  std::string entity;  // patient, patient_identity, patient_facts, consent
  std::string before;  // canonical text, "" for an insert
  std::string after;
};
// The audited history of one patient's record (enrolment and every edit),
// oldest first.
StatusOr<std::vector<PatientChange>> PatientHistory(storage::Transaction& tx, std::string_view clinic_id,
                                                    std::string_view patient_id);

// Search by pseudonymous id, name (given, family or both) or MRN, case
// insensitive; a page of at most `limit` matches after `after_id` (id order)
// and the id to continue from ("" at the end).
struct PatientMatch {
  domain::PatientRecord patient;
  std::optional<domain::PatientIdentity> identity;
};
struct PatientPage {
  std::vector<PatientMatch> patients;
  std::string next_after;
};
StatusOr<PatientPage> SearchPatients(storage::Transaction& tx, std::string_view clinic_id, std::string_view query,
                                     std::string_view after_id, int limit);

// ---- Consent ----
// InvalidArgument naming the field (form_version, signed_on as YYYY-MM-DD not
// in the future, witness, protocol_id known to the guideline library).
Status RecordConsent(UnitOfWork& uow, const Libraries& libs, const domain::ConsentRecord& consent);

// ---- Appointments and today's list ----
// Books from a saved plan: InvalidArgument for an unknown protocol or an
// empty chair; NotFound for an unknown patient.
Status BookAppointment(UnitOfWork& uow, const Libraries& libs, const domain::Appointment& appointment);
// New time and/or chair; the reason is required and audited.
StatusOr<domain::Appointment> RescheduleAppointment(UnitOfWork& uow, std::string_view clinic_id,
                                                    std::string_view id, domain::Instant when, std::string chair,
                                                    std::string_view reason);
// Check-in, cancel, no-show (cancel and no-show need a reason). Discharge
// is RecordDischarge.
StatusOr<domain::Appointment> SetAppointmentState(UnitOfWork& uow, std::string_view clinic_id, std::string_view id,
                                                  domain::AppointmentState state, std::string_view reason);
// Records discharge after the Advisor's discharge decision `decision`
// passed for the session of this appointment; FailedPrecondition otherwise.
StatusOr<domain::Appointment> RecordDischarge(UnitOfWork& uow, std::string_view clinic_id, std::string_view id,
                                              std::string_view session_id, const domain::Decision& decision,
                                              std::string by);

// The stage of a patient on the day list, in order.
enum class DayStage { kBooked, kCheckedIn, kScreeningValid, kDosing, kMonitoring, kDischarged, kCancelled };
std::string_view DayStageName(DayStage s);

struct DayRow {
  domain::Appointment appointment;
  domain::PatientRecord patient;
  std::optional<domain::PatientIdentity> identity;
  DayStage stage = DayStage::kBooked;
  std::string screening_outcome;               // as the Advisor stored it; "" when not screened
  std::optional<domain::SessionRecord> session;  // the patient's session on that day
  std::vector<std::string> blockers;           // what stops the next step, in words
};
// Appointments of [from, to) with each patient's stage and blockers.
StatusOr<std::vector<DayRow>> DayList(storage::Transaction& tx, const Libraries& libs, std::string_view clinic_id,
                                      domain::Instant from, domain::Instant to);

// ---- Esketamine REMS Patient Monitoring Form ----
// The fields the form needs before it can be signed, in words; empty when complete.
std::vector<std::string> RemsMissingFields(const domain::RemsForm& form);
// Saves the form of a session (creating it on first save). With sign = true
// it is signed by `actor` and then frozen: FailedPrecondition naming the
// missing fields when incomplete, or when it was signed already.
StatusOr<domain::RemsForm> SaveRemsForm(UnitOfWork& uow, domain::RemsForm form, bool sign, std::string actor);
struct RemsDue {
  domain::RemsForm form;  // may be a blank form (no form started yet)
  domain::Instant due{};  // session time + 7 days
  bool started = false;
};
// Unsigned forms of intranasal (esketamine) sessions, with their due time,
// most urgent first. `route_of` gives a protocol's route.
StatusOr<std::vector<RemsDue>> RemsFormsDue(storage::Transaction& tx, const Libraries& libs,
                                            std::string_view clinic_id);
// One CSV line per form (header first), RFC 4180 quoting.
std::string RemsCsv(const std::vector<domain::RemsForm>& forms);

// ---- Public clinic directory ----
// InvalidArgument naming the field (name, region, contact required).
Status PutListing(UnitOfWork& uow, const domain::ClinicListing& listing);
// Published listings whose region contains `region` (case-insensitive; all when empty).
StatusOr<std::vector<domain::ClinicListing>> PublicDirectory(storage::Transaction& tx, std::string_view region);

}  // namespace kira::registry

#endif  // KIRA_REGISTRY_WORKFLOW_H_
