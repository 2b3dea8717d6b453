// FHIR R4 Bulk Data import: reads the NDJSON files kira's FHIR export
// writes (fhir_export.h) and turns them into the rows ImportRows records
// through the registry's use cases, so `kira export --fhir` followed by
// `kira import --fhir` reproduces every record FHIR carries (patients,
// sessions with the override they were recorded with, vital signs, scored
// instruments, adverse events); importing it again changes nothing.
//
// The registry ids come from each resource's kira identifier (the FHIR id
// may be a hash); references are resolved through the FHIR ids. Every
// problem names the file, its line and the element ("Encounter.ndjson line
// 3 (period.start): ..."). Resource types kira does not write are refused,
// not skipped silently.
#ifndef KIRA_INTEROP_FHIR_IMPORT_H_
#define KIRA_INTEROP_FHIR_IMPORT_H_

#include <map>
#include <string>
#include <string_view>

#include "kira/interop/session_import.h"

namespace kira::interop {

// Parses the files of one Bulk export: `files` maps a file name
// ("Patient.ndjson") to its text. Unknown file names are refused.
ParsedFile ParseFhirBulk(const std::map<std::string, std::string>& files, std::string_view clinic_id,
                         const ParseOptions& options = {});

// Reads every *.ndjson file of `dir` and parses them. InvalidArgument naming
// --fhir when the directory cannot be read.
StatusOr<ParsedFile> ReadFhirBulk(const std::string& dir, std::string_view clinic_id, const ParseOptions& options = {});

}  // namespace kira::interop

#endif  // KIRA_INTEROP_FHIR_IMPORT_H_
