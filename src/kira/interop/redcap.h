// REDCap exchange, lossless for every clinical table. Export writes the two
// files a REDCap project is built from and filled with:
//   <dir>/kira_data_dictionary.csv  Data Dictionary (Designer > Upload)
//   <dir>/kira_records.csv          records, flat "raw" CSV (Data Import Tool)
// One record per patient (record_id = the registry's pseudonymous patient
// id; direct identifiers are never exported) with the non-repeating form
// `patient` and the repeating instruments `facts` (each version of the
// patient's clinical facts), `session`, `override`, `vital`,
// `assessment` and `adverse_event` (enable "Repeating instruments" for them
// before importing). The clinic's controlled-substance ledger is the
// repeating instrument `ledger` of the record "kira-ledger". Rows are keyed
// by (record_id, redcap_event_name, redcap_repeat_instrument,
// redcap_repeat_instance).
//
// Import reads the same raw flat format: patients, sessions (through the
// Advisor like every other path, with the override given when the session
// was recorded), then the other instruments through the registry's use
// cases. An export imported into an empty registry reproduces every table
// but the identifiers and the audit log (which records the import itself);
// importing it again changes nothing.
#ifndef KIRA_INTEROP_REDCAP_H_
#define KIRA_INTEROP_REDCAP_H_

#include <string>
#include <string_view>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/interop/session_import.h"
#include "kira/storage/store.h"

namespace kira::interop {

struct RedcapExportCounts {
  int records = 0;
  int facts = 0;
  int sessions = 0;
  int overrides = 0;
  int vitals = 0;
  int assessments = 0;
  int adverse_events = 0;
  int ledger = 0;
};

// The data dictionary (18 standard REDCap columns).
std::string RedcapDataDictionary();

StatusOr<RedcapExportCounts> ExportRedcap(storage::Store& store, std::string_view clinic_id, const std::string& dir);

// Parses a REDCap raw records CSV into rows of `clinic_id`. Malformed rows
// go to `errors` (line, field, reason).
ParsedFile ParseRedcapRecords(std::string_view text, std::string_view clinic_id, const ParseOptions& options = {});

// True when `header_line` looks like a REDCap records export (record_id and
// redcap_repeat_instrument columns), so `kira import` can pick the parser.
bool LooksLikeRedcapRecords(std::string_view text);

}  // namespace kira::interop

#endif  // KIRA_INTEROP_REDCAP_H_
