// FHIR R4 Bulk Data export (NDJSON: one resource per line, one file per
// resource type, as the Bulk Data Access IG's $export output):
//   Patient.ndjson                  pseudonymous id, gender, birth year only
//   Encounter.ndjson                one per session (class AMB, period)
//   MedicationAdministration.ndjson one per session with a given dose
//                                   (RxNorm ketamine, dose mg, rate mL/h)
//   Observation.ndjson              PHQ-9 totals (LOINC 44261-6) and vital
//                                   signs (LOINC 8480-6, 8462-4, 8867-4,
//                                   59408-5, 9279-1)
//   AdverseEvent.ndjson             one per adverse event
// Direct identifiers (names, MRN, contact details) are never exported here.
#ifndef KIRA_INTEROP_FHIR_EXPORT_H_
#define KIRA_INTEROP_FHIR_EXPORT_H_

#include <string>
#include <string_view>

#include "kira/base/statusor.h"
#include "kira/storage/store.h"

namespace kira::interop {

// RxNorm ingredient concept for ketamine. NOTE (U): RXCUI 6130 could not be
// confirmed against RxNav from this workplace; openFDA NDC records seen for
// ketamine HCl injection list clinical-drug RXCUIs 238082/238083/238084,
// which are consistent with but do not prove the ingredient code. Verify
// before relying on it.
inline constexpr std::string_view kRxNormKetamine = "6130";

struct FhirExportCounts {
  int patients = 0;
  int encounters = 0;
  int medication_administrations = 0;
  int observations = 0;
  int adverse_events = 0;
};

// Writes the five files into `dir` (created if missing), replacing any
// earlier export. InvalidArgument naming --fhir when `dir` cannot be written.
StatusOr<FhirExportCounts> ExportFhir(storage::Store& store, std::string_view clinic_id, const std::string& dir);

}  // namespace kira::interop

#endif  // KIRA_INTEROP_FHIR_EXPORT_H_
