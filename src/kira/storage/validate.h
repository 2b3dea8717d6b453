// Field checks every backend applies before writing, so that a bad value is
// InvalidArgument naming the field on every backend alike (the SQL schemas
// repeat them as CHECK constraints, as a second line of defence).
#ifndef KIRA_STORAGE_VALIDATE_H_
#define KIRA_STORAGE_VALIDATE_H_

#include "kira/base/status.h"
#include "kira/domain/records.h"
#include "kira/storage/store.h"

namespace kira::storage {

Status ValidateClinic(const domain::Clinic& c);
Status ValidateUser(const domain::User& u);
Status ValidateCredential(const domain::Credential& c);
Status ValidatePatient(const domain::PatientRecord& p);
Status ValidatePatientIdentity(const domain::PatientIdentity& p);
Status ValidateSession(const domain::SessionRecord& s);
Status ValidateVital(const domain::VitalSign& v);
Status ValidateAssessment(const domain::Assessment& a);
Status ValidateAdverseEvent(const domain::AdverseEvent& e);
Status ValidateOverride(const domain::OverrideRecord& o);
Status ValidateLedgerEntry(const domain::LedgerEntry& e);
Status ValidateAuditEntry(const domain::AuditEntry& e);
Status ValidateIdempotencyRecord(const IdempotencyRecord& r);
Status ValidatePatientFacts(const domain::PatientFacts& f);
Status ValidateScreening(const domain::ScreeningRecord& s);
Status ValidateAlert(const domain::AlertRecord& a);

// For updates of a stored record: the same checks, but the record's own
// identifiers are not judged again by the identifier rule (domain::IdProblem
// applies when an identifier is created), so a record stored before the rule
// can still be finished, amended or disabled.
Status ValidateStoredUser(const domain::User& u);
Status ValidateStoredCredential(const domain::Credential& c);
Status ValidateStoredPatient(const domain::PatientRecord& p);
Status ValidateStoredSession(const domain::SessionRecord& s);

}  // namespace kira::storage

#endif  // KIRA_STORAGE_VALIDATE_H_
