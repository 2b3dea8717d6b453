// Field checks every backend applies before writing, so that a bad value is
// InvalidArgument naming the field on every backend alike (the SQL schemas
// repeat them as CHECK constraints, as a second line of defence).
#ifndef KIRA_STORAGE_VALIDATE_H_
#define KIRA_STORAGE_VALIDATE_H_

#include "kira/base/status.h"
#include "kira/domain/records.h"

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
Status ValidatePatientFacts(const domain::PatientFacts& f);
Status ValidateScreening(const domain::ScreeningRecord& s);
Status ValidateAlert(const domain::AlertRecord& a);

}  // namespace kira::storage

#endif  // KIRA_STORAGE_VALIDATE_H_
