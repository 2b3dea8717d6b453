// FHIR R4 Bulk Data export (NDJSON: one resource per line, one file per
// resource type, as the Bulk Data Access IG's $export output). The mapping,
// code by code, is in docs/interop.md; in short:
//   Patient.ndjson                  pseudonymous id, gender, birth year,
//                                   indication (extension)
//   Encounter.ndjson                one per session; status from the session
//                                   state; protocol as Encounter.type
//   MedicationRequest.ndjson        one per session: the order (planned
//                                   dose, dosing weight, concentration, rate)
//   MedicationAdministration.ndjson one per session with a given dose: the
//                                   drug and route of the protocol (ketamine
//                                   IV/IM, esketamine nasal), dose, rate
//   Observation.ndjson              vital signs on the R4 vital-signs
//                                   profiles (BP panel 85354-9, HR 8867-4,
//                                   RR 9279-1, SpO2 2708-6 + 59408-5) and
//                                   scored instruments (the LOINC codes of
//                                   the instrument library)
//   AdverseEvent.ndjson             one per adverse event, seriousness kept
// Resource ids are the registry ids when they are valid FHIR ids (at most 64
// of [A-Za-z0-9-.]) and do not start with "x-"; any other id becomes
// "x-" + 40 hex digits of its SHA-256, so distinct registry ids never share
// a FHIR id ("C/1" and "C-1" stay apart). The registry id itself is kept in
// `identifier` for the import. Direct identifiers (names, MRN, contact
// details) are never exported here.
#ifndef KIRA_INTEROP_FHIR_EXPORT_H_
#define KIRA_INTEROP_FHIR_EXPORT_H_

#include <map>
#include <string>
#include <string_view>

#include "kira/base/statusor.h"
#include "kira/instruments/instrument.h"
#include "kira/storage/store.h"

namespace kira::interop {

struct FhirExportCounts {
  int patients = 0;
  int encounters = 0;
  int medication_requests = 0;
  int medication_administrations = 0;
  int observations = 0;
  int adverse_events = 0;
  int facts_versions = 0;  // Basic resources, one per clinical-facts version
};

struct FhirExportOptions {
  // Protocol id -> route id of the guideline library ("iv", "im",
  // "intranasal"), which decides drug and route of each administration.
  std::map<std::string, std::string, std::less<>> protocol_routes;
  // The instrument library: LOINC codes of each instrument's total and
  // items (guidelines/instruments.json). Without it, scored instruments
  // carry kira's instrument code only.
  const instruments::InstrumentLibrary* instruments = nullptr;
};

// A FHIR id for the registry id `id` of a resource kind (`prefix` keeps
// kinds that share a resource type apart, e.g. vitals and assessments in
// Observation). Deterministic, at most 64 characters, injective in
// (prefix, id) up to SHA-256 collisions.
std::string FhirId(std::string_view prefix, std::string_view id);

// Writes the files into `dir` (created if missing). The export is staged
// and moved into place only when complete. InvalidArgument naming --fhir
// when `dir` cannot be written.
StatusOr<FhirExportCounts> ExportFhir(storage::Store& store, std::string_view clinic_id, const std::string& dir,
                                      const FhirExportOptions& options = {});

namespace fhir {
// The code systems, drugs and routes kira writes and reads (docs/interop.md).
inline constexpr std::string_view kLoinc = "http://loinc.org";
inline constexpr std::string_view kUcum = "http://unitsofmeasure.org";
inline constexpr std::string_view kRxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm";
inline constexpr std::string_view kSnomed = "http://snomed.info/sct";
inline constexpr std::string_view kIdentifierBase = "urn:kira:";
inline constexpr std::string_view kExtensionBase = "https://kira-registry.org/fhir/StructureDefinition/";
// LOINC codes of the R4 body-weight and body-height profiles.
inline constexpr std::string_view kLoincBodyWeight = "29463-7";
inline constexpr std::string_view kLoincBodyHeight = "8302-2";

// The identifier (system urn:kira:patient-facts) of a patient's facts
// version, "<patient>/facts-<version>": its Basic resource and its body
// weight and height Observations carry it.
std::string FactsKey(std::string_view patient_id, int version);

struct Drug {
  std::string_view route_id;       // guideline route id
  std::string_view rxnorm;         // RxNorm concept
  std::string_view rxnorm_display;
  std::string_view rxnorm_status;  // how the code was checked (docs/interop.md)
  std::string_view route_snomed;
  std::string_view route_display;
};
// Ketamine IV, ketamine IM, esketamine nasal; nullptr for another route.
const Drug* DrugForRoute(std::string_view route_id);
}  // namespace fhir

}  // namespace kira::interop

#endif  // KIRA_INTEROP_FHIR_EXPORT_H_
