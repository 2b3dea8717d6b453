#include "kira/registry/clinical.h"

#include <string>

#include "kira/base/statusor.h"
#include "kira/registry/canonical.h"
#include "kira/registry/clinical_record.h"
#include "kira/registry/clock.h"

namespace kira::registry {

Status AddClinic(UnitOfWork& uow, const domain::Clinic& clinic) {
  KIRA_RETURN_IF_ERROR(uow.tx().InsertClinic(clinic));
  return uow.Audit(clinic.id, "insert", "clinic", clinic.id, "", Canonical(clinic));
}

Status AddUser(UnitOfWork& uow, const domain::User& user) {
  KIRA_RETURN_IF_ERROR(uow.tx().InsertUser(user));
  return uow.Audit(user.clinic_id, "insert", "user", user.id, "", Canonical(user));
}

Status AddPatient(UnitOfWork& uow, const domain::PatientRecord& patient,
                  const std::optional<domain::PatientIdentity>& identity) {
  KIRA_RETURN_IF_ERROR(BirthYearNotInFuture(patient.birth_year, uow.now()));
  KIRA_RETURN_IF_ERROR(uow.tx().InsertPatient(patient));
  KIRA_RETURN_IF_ERROR(uow.Audit(patient.clinic_id, "insert", "patient", patient.id, "",
                                 Canonical(patient)));
  if (!identity) return Status::Ok();
  if (identity->clinic_id != patient.clinic_id || identity->patient_id != patient.id) {
    return InvalidArgumentError("identity.patient_id: must match the patient it belongs to");
  }
  KIRA_RETURN_IF_ERROR(uow.tx().InsertPatientIdentity(*identity));
  return uow.Audit(patient.clinic_id, "insert", "patient_identity", patient.id, "",
                   Canonical(*identity));
}

Status AddPatient(UnitOfWork& uow, const domain::PatientRecord& patient, DeferredFactsWrites* deferred) {
  if (!deferred) return AddPatient(uow, patient, std::nullopt);
  KIRA_RETURN_IF_ERROR(BirthYearNotInFuture(patient.birth_year, uow.now()));
  deferred->Keep(patient);
  return uow.Audit(patient.clinic_id, "insert", "patient", patient.id, "", Canonical(patient));
}

Status AddVital(UnitOfWork& uow, const domain::VitalSign& vital) {
  KIRA_RETURN_IF_ERROR(NotInFuture("at", vital.at, uow.now()));
  KIRA_RETURN_IF_ERROR(uow.tx().InsertVital(vital));
  return uow.Audit(vital.clinic_id, "insert", "vital", vital.id, "", Canonical(vital));
}

Status AddAdverseEvent(UnitOfWork& uow, const domain::AdverseEvent& event) {
  KIRA_RETURN_IF_ERROR(NotInFuture("at", event.at, uow.now()));
  KIRA_RETURN_IF_ERROR(uow.tx().InsertAdverseEvent(event));
  return uow.Audit(event.clinic_id, "insert", "adverse_event", event.id, "", Canonical(event));
}

}  // namespace kira::registry
