// The stored clinical record: versioned patient facts, the screening stored
// for each facts version, and suicidality alerts. These are the registry use
// cases every path calls (CLI, HTTP routes, web, importers, demo generator);
// none of them screens, scores or raises an alert on its own.
//
//   RecordFacts        a new facts version when anything changed (audited,
//                      old -> new), screened again for every route; the
//                      screening and its rescue plan are stored with it
//   CurrentFacts       the newest version (FailedPrecondition naming what to
//                      record when there is none)
//   ScreenPatient      the Advisor's screening of the current facts
//   RecordAssessment   scores with the instrument library; an alert rule
//                      that fires (PHQ-9 item 9 > 0, a positive C-SSRS
//                      screen, as instruments.json defines them) stores an
//                      open alert
//   AcknowledgeAlert   who, when, why (audited)
//   EscalateAlert      a nurse told a clinician: who, whom, when (audited;
//                      the alert stays open)
//   RequireNoOpenAlert FailedPrecondition naming the open alert: what a
//                      write that depends on it (a new session) checks
//
// All take a UnitOfWork, so a caller can batch them (imports, demo data).
#ifndef KIRA_REGISTRY_CLINICAL_RECORD_H_
#define KIRA_REGISTRY_CLINICAL_RECORD_H_

#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "kira/advisor/library.h"
#include "kira/base/statusor.h"
#include "kira/domain/decision.h"
#include "kira/domain/patient.h"
#include "kira/domain/records.h"
#include "kira/guideline/library.h"
#include "kira/instruments/instrument.h"
#include "kira/registry/unit_of_work.h"
#include "kira/advisor/screen.h"

namespace kira::registry {

// The libraries the Advisor decides with. One set per process; they must
// outlive every use case that is given them. advisor and instruments may be
// null only where no decision needs them (a use case that needs one and
// finds it null returns FailedPrecondition).
struct Libraries {
  const guideline::Library* guideline = nullptr;
  const advisor::AdvisorLibrary* advisor = nullptr;
  const instruments::InstrumentLibrary* instruments = nullptr;
};

// The Advisor's view of a patient on the day `at`: the pseudonymous record
// (sex, indication, birth year -> age) plus the stored facts.
// `previous`: the facts version before `facts` (its weight is the weight at
// the previous visit, for the change-since-last-visit check), or null.
domain::Patient AdvisorPatient(const domain::PatientRecord& record, const domain::PatientFacts& facts,
                               domain::Instant at, const domain::PatientFacts* previous = nullptr);

struct RecordFactsResult {
  domain::PatientFacts facts;  // the current version after the call
  bool new_version = false;    // false: identical to the stored version, nothing written
  std::vector<domain::ScreeningRecord> screenings;  // stored for the new version, one per route
};

// `facts` carries clinic_id, patient_id, the facts and an optional reason;
// version, recorded_at and recorded_by are filled here (uow's clock and
// actor). FailedPrecondition when the patient is not registered.
StatusOr<RecordFactsResult> RecordFacts(UnitOfWork& uow, const Libraries& libs, domain::PatientFacts facts);

// The rows of RecordFacts calls made with deferred writes, not yet in the
// store: written by Flush() in multi-row statements (an import registering
// thousands of new patients). Their audit rows are appended by RecordFacts
// itself, as always.
class DeferredFactsWrites {
 public:
  bool empty() const { return registered_.empty() && facts_.empty() && screenings_.empty(); }
  // Writes the rows kept so far. An error spoils the transaction (roll it
  // back): which row the store refused is not known.
  Status Flush(storage::Transaction& tx);
  // Moves `other`'s rows after this one's (to be written by one Flush).
  void Take(DeferredFactsWrites& other);

 private:
  friend StatusOr<RecordFactsResult> RecordFacts(UnitOfWork&, const Libraries&, domain::PatientFacts,
                                                 DeferredFactsWrites*);
  friend StatusOr<RecordFactsResult> RecordFactsOn(UnitOfWork&, const Libraries&, const domain::PatientRecord&,
                                                   std::optional<domain::PatientFacts>, domain::PatientFacts,
                                                   DeferredFactsWrites*);
  friend Status AddPatient(UnitOfWork&, const domain::PatientRecord&, DeferredFactsWrites*);
  bool Holds(std::string_view clinic_id, std::string_view patient_id) const;
  void Keep(const domain::PatientRecord& patient);
  std::vector<domain::PatientRecord> registered_;  // new patients (AddPatient), written first
  std::vector<domain::PatientFacts> facts_;
  std::vector<domain::ScreeningRecord> screenings_;
  std::unordered_set<std::string> patients_;  // the (clinic, patient) of registered_ and facts_
};

// RecordFacts, the same reads, decisions and audit rows, with the facts
// and screening rows kept in `deferred` instead of written (when not
// null). REQUIRES: deferred is flushed before anything reads the patients'
// facts or screenings (a session's dose check does). A patient whose facts
// are still deferred is flushed first.
StatusOr<RecordFactsResult> RecordFacts(UnitOfWork& uow, const Libraries& libs, domain::PatientFacts facts,
                                        DeferredFactsWrites* deferred);

// RecordFacts for a patient the caller registered (AddPatient) in this
// unit of work and gave no facts since: the same decisions, rows and audit
// rows, without reading back the patient and its (absent) facts.
// REQUIRES: `registered` is that patient as stored; no facts of it stored.
StatusOr<RecordFactsResult> RecordFirstFacts(UnitOfWork& uow, const Libraries& libs,
                                             const domain::PatientRecord& registered, domain::PatientFacts facts,
                                             DeferredFactsWrites* deferred);

// The newest facts version; FailedPrecondition (naming the patient and what
// to record) when the patient has none.
StatusOr<domain::PatientFacts> CurrentFacts(storage::Transaction& tx, std::string_view clinic_id,
                                            std::string_view patient_id);

struct ScreenPatientResult {
  advisor::ScreenResult screen;        // the full decision, for display
  domain::ScreeningRecord stored;    // as stored for the facts version
  domain::PatientFacts facts;
};

// The screening of the patient's current facts for `route` (InvalidArgument
// for a route the library does not know). Stores it when that version was
// not yet screened for the route (e.g. a library update added the route).
StatusOr<ScreenPatientResult> ScreenPatient(UnitOfWork& uow, const Libraries& libs, std::string_view clinic_id,
                                            std::string_view patient_id, std::string_view route);

// The stored screening as a Decision (outcome and rule ids), which is what
// rescue advice reads: the agents a screening finding excludes.
domain::Decision ScreeningDecision(const domain::ScreeningRecord& screening);

// The stored screening of the current facts for the route of `protocol_id`
// (or "iv" when the protocol is unknown); nullopt when the patient has no
// facts yet.
StatusOr<std::optional<domain::ScreeningRecord>> CurrentScreening(storage::Transaction& tx,
                                                                   const Libraries& libs,
                                                                   std::string_view clinic_id,
                                                                   std::string_view patient_id,
                                                                   std::string_view route);

struct RecordAssessmentResult {
  domain::Assessment assessment;          // as stored (total and scoring version set)
  domain::Decision score;                 // the instrument's scoring decision
  std::vector<domain::AlertRecord> alerts;  // raised by this assessment
};

// Validates the items against the instrument library (InvalidArgument naming
// item_scores[i]), sets total and scoring_version, stores the assessment
// and every alert its scoring raised. FailedPrecondition when the patient,
// or a named session of that patient, does not exist.
StatusOr<RecordAssessmentResult> RecordAssessment(UnitOfWork& uow, const Libraries& libs, domain::Assessment a);

// NotFound for an unknown alert; FailedPrecondition when it was already
// acknowledged; InvalidArgument when who or reason is empty.
StatusOr<domain::AlertRecord> AcknowledgeAlert(UnitOfWork& uow, std::string_view clinic_id,
                                               std::string_view alert_id, std::string who, std::string reason);

// Records that `who` (a care-team member who may not acknowledge) told the
// clinician `told` about the alert, now. The alert stays open. NotFound for
// an unknown alert; InvalidArgument when who or told is empty or `told` is
// longer than 200 characters.
StatusOr<domain::AlertRecord> EscalateAlert(UnitOfWork& uow, std::string_view clinic_id, std::string_view alert_id,
                                            std::string who, std::string told);

// FailedPrecondition naming the oldest open alert of the patient, if any.
Status RequireNoOpenAlert(storage::Transaction& tx, std::string_view clinic_id, std::string_view patient_id);

}  // namespace kira::registry

#endif  // KIRA_REGISTRY_CLINICAL_RECORD_H_
