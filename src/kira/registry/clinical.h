// Use cases that record clinical facts: enrolment (clinic, user, patient) and
// what is observed around a session (vitals, assessments, adverse events).
// Each writes the record and its audit row through a UnitOfWork, so a caller
// can put many of them in one transaction (imports, demo data) or call the
// Record* convenience forms that run one UnitOfWork each.
#ifndef KIRA_REGISTRY_CLINICAL_H_
#define KIRA_REGISTRY_CLINICAL_H_

#include <optional>

#include "kira/base/status.h"
#include "kira/domain/records.h"
#include "kira/registry/unit_of_work.h"

namespace kira::registry {

Status AddClinic(UnitOfWork& uow, const domain::Clinic& clinic);
Status AddUser(UnitOfWork& uow, const domain::User& user);
// Stores the pseudonymous record and, when given, the identifiers apart.
Status AddPatient(UnitOfWork& uow, const domain::PatientRecord& patient,
                  const std::optional<domain::PatientIdentity>& identity);
class DeferredFactsWrites;  // clinical_record.h
// AddPatient without identifiers, its row kept in `deferred` (written by its
// Flush, before the facts rows); the audit row is appended now, as always.
Status AddPatient(UnitOfWork& uow, const domain::PatientRecord& patient, DeferredFactsWrites* deferred);
Status AddVital(UnitOfWork& uow, const domain::VitalSign& vital);
// Assessments are recorded by RecordAssessment (clinical_record.h), which
// scores them with the instrument library and raises alerts.
Status AddAdverseEvent(UnitOfWork& uow, const domain::AdverseEvent& event);

}  // namespace kira::registry

#endif  // KIRA_REGISTRY_CLINICAL_H_
