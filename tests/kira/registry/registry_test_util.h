// Builders shared by the registry tests.
#ifndef KIRA_TESTS_REGISTRY_TEST_UTIL_H_
#define KIRA_TESTS_REGISTRY_TEST_UTIL_H_

#include <chrono>
#include <string>

#include "kira/domain/decision.h"
#include "kira/domain/records.h"
#include "kira/registry/clinical.h"
#include "kira/registry/clinical_record.h"
#include "kira/registry/record_session.h"
#include "kira/registry/unit_of_work.h"

namespace kira::registry::test {

inline domain::Instant At(const char* iso) {
  domain::Instant t{};
  domain::ParseInstant(iso, &t);
  return t;
}

inline domain::SessionRecord MakeSession(std::string id, double given_mg = 35.0) {
  domain::SessionRecord s;
  s.clinic_id = "c1";
  s.id = std::move(id);
  s.patient_id = "p1";
  s.protocol_id = "trd-0.5mgkg-40min";
  s.state = domain::SessionState::kCompleted;
  s.dosing_weight = units::Kg(70.0);
  s.planned_dose = units::Mg(35.0);
  s.given_dose = units::Mg(given_mg);
  s.concentration = units::MgPerMl(1.0);
  s.rate = units::MlPerH(52.5);
  s.started_at = At("2026-03-01T09:00:00Z");
  s.stopped_at = At("2026-03-01T09:40:00Z");
  s.recorded_by = "u1";
  return s;
}

// Clinic c1, user u1, patient p1, in one audited unit of work.
inline Status SeedClinic(storage::Store& store, const Clock& clock) {
  return RunInUnitOfWork(store, clock, "u-admin", [](UnitOfWork& uow) -> Status {
    KIRA_RETURN_IF_ERROR(AddClinic(uow, {"c1", "North Clinic", "UTC"}));
    KIRA_RETURN_IF_ERROR(AddUser(uow, {"c1", "u1", "Dr One", domain::Role::kClinician}));
    return AddPatient(uow, {"c1", "p1", "female", 1980, "trd"},
                      domain::PatientIdentity{"c1", "p1", "Jane", "Doe", "1980-04-02", "MRN1",
                                              "02139", "555-0100", "jane@example.org"});
  });
}

// The stored clinical record of p1: 70 kg measured, 168 cm, not pregnant,
// baseline vitals; screened with `libs`.
inline Status SeedFacts(storage::Store& store, const Clock& clock, const Libraries& libs, double weight_kg = 70.0) {
  return RunInUnitOfWork(store, clock, "u1", [&](UnitOfWork& uow) -> Status {
    domain::PatientFacts f;
    f.clinic_id = "c1";
    f.patient_id = "p1";
    f.weight_kg = weight_kg;
    f.weight_method = "measured";
    f.height_cm = 168.0;
    f.pregnancy = domain::PregnancyStatus::kNotPregnant;
    f.baseline_sbp_mmhg = 124;
    f.baseline_dbp_mmhg = 78;
    f.baseline_hr_bpm = 72;
    f.baseline_spo2_pct = 98;
    f.baseline_rr_per_min = 14;
    return RecordFacts(uow, libs, f).status();
  });
}

// A dose check that returns a fixed severity for every session.
inline DoseCheck FixedCheck(domain::Severity severity, std::string rule_id = "dose.trd.max_mg_per_kg") {
  return [severity, rule_id](const DoseCheckInput&) -> StatusOr<domain::Decision> {
    domain::Decision d;
    d.outcome = severity == domain::Severity::kHardStop   ? "hard_stop"
                : severity == domain::Severity::kSoftStop ? "soft_limit"
                                                          : "ok";
    if (severity != domain::Severity::kInfo) {
      d.findings.push_back({rule_id, severity, "dose over limit", "", "", domain::Evidence::kDerived, "", ""});
    }
    return d;
  };
}

}  // namespace kira::registry::test

#endif  // KIRA_TESTS_REGISTRY_TEST_UTIL_H_
