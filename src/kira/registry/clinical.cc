#include "kira/registry/clinical.h"

#include <numeric>
#include <string>

#include "kira/base/statusor.h"
#include "kira/registry/canonical.h"

namespace kira::registry {

namespace {

// Item structure of instruments whose item scores kira checks. The PHQ-9 has
// nine items scored 0-3 (Kroenke, Spitzer & Williams 2001 [R12];
// clinical-reference.md section on outcome instruments).
struct InstrumentShape {
  const char* id;
  std::size_t items;
  int item_max;
};
constexpr InstrumentShape kShapes[] = {{"phq9", 9, 3}, {"madrs", 10, 6}};

}  // namespace

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

Status AddVital(UnitOfWork& uow, const domain::VitalSign& vital) {
  KIRA_RETURN_IF_ERROR(uow.tx().InsertVital(vital));
  return uow.Audit(vital.clinic_id, "insert", "vital", vital.id, "", Canonical(vital));
}

Status AddAssessment(UnitOfWork& uow, const domain::Assessment& a) {
  for (const InstrumentShape& shape : kShapes) {
    if (a.instrument != shape.id || a.item_scores.empty()) continue;
    if (a.item_scores.size() != shape.items) {
      return InvalidArgumentError("item_scores: " + a.instrument + " has " +
                                  std::to_string(shape.items) + " items, got " +
                                  std::to_string(a.item_scores.size()));
    }
    for (std::size_t i = 0; i < a.item_scores.size(); ++i) {
      if (a.item_scores[i] < 0 || a.item_scores[i] > shape.item_max) {
        return InvalidArgumentError("item_scores[" + std::to_string(i) + "]: must be in [0, " +
                                    std::to_string(shape.item_max) + "]");
      }
    }
  }
  if (!a.item_scores.empty()) {
    const int sum = std::accumulate(a.item_scores.begin(), a.item_scores.end(), 0);
    if (sum != a.total) {
      return InvalidArgumentError("total: " + std::to_string(a.total) +
                                  " is not the sum of item_scores (" + std::to_string(sum) + ")");
    }
  }
  KIRA_RETURN_IF_ERROR(uow.tx().InsertAssessment(a));
  return uow.Audit(a.clinic_id, "insert", "assessment", a.id, "", Canonical(a));
}

Status AddAdverseEvent(UnitOfWork& uow, const domain::AdverseEvent& event) {
  KIRA_RETURN_IF_ERROR(uow.tx().InsertAdverseEvent(event));
  return uow.Audit(event.clinic_id, "insert", "adverse_event", event.id, "", Canonical(event));
}

}  // namespace kira::registry
