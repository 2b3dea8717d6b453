// Importing sessions (with their patients) from files: kira's own CSV and a
// REDCap records export (redcap.h) both become ImportRows, and ImportRows()
// writes them through the registry's use cases: the Advisor checks every
// dose, every write is audited, good rows are committed in batches, a bad row
// is never half-written, and re-running the same file adds nothing (a
// session id that is already stored is counted and skipped). A clinic or
// patient named by a row and not yet stored is registered first.
//
// kira session CSV columns (header row required, any order; extra columns
// are ignored):
//   clinic_id, patient_id, sex, birth_year, indication, session_id,
//   protocol_id, started_at, stopped_at, dosing_weight_kg, planned_dose_mg,
//   given_dose_mg, concentration_mg_per_ml, rate_ml_per_h, recorded_by,
//   override_reason
// Instants are ISO 8601 UTC ("2026-03-01T09:00:00Z"); stopped_at,
// given_dose_mg and override_reason may be empty.
#ifndef KIRA_INTEROP_SESSION_IMPORT_H_
#define KIRA_INTEROP_SESSION_IMPORT_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/domain/records.h"
#include "kira/registry/clinical_record.h"
#include "kira/registry/clock.h"
#include "kira/registry/record_session.h"
#include "kira/storage/store.h"

namespace kira::interop {

struct ImportRow {
  int line = 0;
  domain::PatientRecord patient;
  domain::SessionRecord session;
  std::string override_reason;  // empty: none
};

struct RowError {
  int line = 0;
  std::string field;   // the column at fault, or "" when it is the row as a whole
  std::string reason;
};

struct ImportReport {
  int rows = 0;             // data rows read
  int imported = 0;         // sessions stored now
  int already_present = 0;  // session id already stored (re-run): skipped
  int refused = 0;          // the Advisor refused the dose (also listed in errors)
  std::vector<RowError> errors;  // in line order
};

struct ImportOptions {
  int batch_rows = 500;                   // rows per transaction; REQUIRES > 0
  std::string actor = "system:import";    // recorded on every audit row
  std::function<void(int done, int total)> progress;  // optional, called after each batch
  // The libraries the registry decides with (facts are screened on them).
  registry::Libraries libraries;
};

// Parses kira's session CSV. Rows with a malformed field are reported in
// `errors` (line, column, reason) and left out. InvalidArgument (naming the
// line or the missing columns) when the file as a whole cannot be read.
StatusOr<std::vector<ImportRow>> ParseSessionCsv(std::string_view text, std::vector<RowError>* errors);

// Writes `rows` in (started_at, session_id) order whatever their order in
// the file, so that a shuffled file gives the same accepted set and the
// same decisions (the annual cap counts the sessions before each one). A
// patient with no stored clinical facts gets a first version carrying the
// row's dosing weight as a stated weight (no height: the Advisor then asks
// for one before a weight-based dose). A storage failure that is not about one row (the database
// is unreachable) is returned as an error; what was committed before it
// stays committed and a re-run continues where it stopped.
StatusOr<ImportReport> ImportRows(storage::Store& store, const registry::Clock& clock,
                                  const registry::DoseCheck& check, const std::vector<ImportRow>& rows,
                                  const ImportOptions& options);

// The header of kira's session CSV, in the canonical order.
const std::vector<std::string>& SessionCsvColumns();

namespace internal {
// Number parsers shared with redcap.cc; false on anything but a full match.
bool ParseDouble(std::string_view s, double* out);
bool ParseInt(std::string_view s, int* out);
}  // namespace internal

}  // namespace kira::interop

#endif  // KIRA_INTEROP_SESSION_IMPORT_H_
