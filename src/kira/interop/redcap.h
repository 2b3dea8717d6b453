// REDCap exchange. Export writes the two files a REDCap project is built
// from and filled with:
//   <dir>/kira_data_dictionary.csv  Data Dictionary (Designer > Upload)
//   <dir>/kira_records.csv          records, flat "raw" CSV (Data Import Tool)
// Forms: `patient` (one per record), `session` and `phq9` (repeating
// instruments: enable "Repeating instruments" for both in the project
// before importing the records). record_id is the registry's pseudonymous
// patient id; direct identifiers are not exported.
//
// Import reads a REDCap records export in the same raw flat format (the
// `session` rows become ImportRows, with sex/birth_year/indication from the
// record's `patient` row) and goes through ImportRows (session_import.h).
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
  int sessions = 0;
  int phq9 = 0;
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
