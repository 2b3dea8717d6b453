// Importing sessions (with their patients) from files: kira's own CSV and a
// REDCap records export (redcap.h) both become ImportRows, and ImportRows()
// writes them through the registry's use cases, so the Advisor checks every
// dose exactly as it does for a session entered by hand, and every write is
// audited.
//
// Strict and transactional:
//  * Parsing (ParseSessionCsv) refuses a file that is not UTF-8, a header
//    with an unknown, misspelt or duplicated column, and reports every row
//    that is short, long, or has a malformed value, naming line, column and
//    the column's name as written in the file.
//  * A file is written all or nothing (kAllOrNothing, the default): one
//    transaction, committed only when every row was accepted or unchanged.
//    kPartial commits the rows that passed (and the patients they need, never
//    the patient of a refused row); kDryRun writes nothing and reports every
//    problem.
//  * Rows are recorded in session-time order whatever their order in the
//    file, so the Advisor's decisions do not depend on row order.
//  * A row that contradicts the registry -- a stored session with other
//    values, a stored patient with another sex, birth year or indication --
//    or another row of the same file is a conflict: reported, never applied
//    or dropped silently. With `update` (and a reason) a changed session is
//    amended through the registry's amendment use case, which re-runs the
//    Advisor and audits the before/after with the reason.
//
// kira session CSV columns (header row required, any order):
//   clinic_id, patient_id, sex, birth_year, indication, session_id,
//   protocol_id, started_at, stopped_at, dosing_weight_kg, planned_dose_mg,
//   given_dose_mg, concentration_mg_per_ml, rate_ml_per_h, recorded_by,
//   override_reason, state, height_cm (optional columns; state is one of the
//   session states, default discharged when a dose was given, else planned;
//   height_cm goes with the dosing weight into a new patient's first facts)
// Instants are ISO 8601 UTC ("2026-03-01T09:00:00Z"); stopped_at,
// given_dose_mg and override_reason may be empty.
#ifndef KIRA_INTEROP_SESSION_IMPORT_H_
#define KIRA_INTEROP_SESSION_IMPORT_H_

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/domain/records.h"
#include "kira/interop/csv.h"
#include "kira/registry/clinical_record.h"
#include "kira/registry/clock.h"
#include "kira/registry/record_session.h"
#include "kira/storage/store.h"

namespace kira::interop {

// Where each value of a row came from, so that a problem found after
// parsing (a conflict, a refusal) names the column as written in the file.
struct ColumnRef {
  int column = 0;
  std::string name;
};

struct ImportRow {
  int line = 0;
  domain::PatientRecord patient;
  domain::SessionRecord session;
  std::string override_reason;  // empty: none
  int patient_line = 0;          // line of the patient's facts (REDCap: its own row); 0: `line`
  std::optional<double> height_cm;  // for a new patient's first facts (kira CSV)
};

// Every other clinical record a file can carry (REDCap forms): a patient
// (with or without sessions), a version of its clinical facts, a vital sign, a scored instrument, an adverse
// event, an override given when a session was recorded, a ledger movement.
using ClinicalRecord = std::variant<domain::PatientRecord, domain::VitalSign, domain::Assessment,
                                    domain::AdverseEvent, domain::OverrideRecord, domain::LedgerEntry,
                                    domain::PatientFacts>;
struct RecordRow {
  int line = 0;
  ClinicalRecord record;
  std::string form;  // the file's name for the kind of record ("vital")
};

// What a file held, after parsing: the rows that parsed, and for the rest
// the problems (several per line possible) and how many lines they spoil.
struct ParsedFile {
  std::vector<ImportRow> rows;
  std::vector<RecordRow> records;  // recorded after the sessions they hang off
  std::vector<RowError> errors;
  int invalid_rows = 0;   // data rows with at least one error
  bool fatal = false;     // the file as a whole cannot be read (encoding, header)
  // The format carries the patients' clinical facts (REDCap's facts form):
  // the import then records only those, never facts derived from a row.
  bool carries_facts = false;
  std::string format;     // "kira session CSV" or "REDCap records"
  // kira CSV column name -> where that value is in this file, so that a
  // problem found after parsing (a conflict, a refusal) names the column as
  // written in the file.
  std::map<std::string, ColumnRef, std::less<>> columns;
  ColumnRef Where(std::string_view canonical) const;
};

struct ParseOptions {
  // Protocol ids the guideline library knows; empty: not checked here.
  std::set<std::string, std::less<>> protocols;
  // Protocol id -> route id ("iv", "im", "intranasal") of the guideline
  // library: a FHIR import checks each administration's drug and route
  // against its protocol's. Empty: not checked.
  std::map<std::string, std::string, std::less<>> protocol_routes;
};

ParsedFile ParseSessionCsv(std::string_view text, const ParseOptions& options = {});

enum class ImportMode { kAllOrNothing, kPartial, kDryRun };

struct ImportOptions {
  ImportMode mode = ImportMode::kAllOrNothing;
  bool update = false;         // amend changed sessions (needs reason)
  std::string reason;          // recorded on each amendment
  std::string actor = "system:import";  // recorded on every audit row
  std::function<void(int done, int total)> progress;  // optional
  // The libraries the registry decides with: a patient new to the registry
  // gets its first clinical facts (the row's dosing weight, as stated) and
  // scored instruments are scored by the instrument library. Without a
  // guideline library no facts are recorded.
  registry::Libraries libraries;
};

struct ImportReport {
  // rows_read == accepted + amended + refused + invalid + unchanged; every
  // data row of the file (session or other record) is counted once.
  int rows_read = 0;
  int accepted = 0;   // new sessions the Advisor accepted, and new other records
  int amended = 0;    // stored sessions changed (update)
  int refused = 0;    // the Advisor refused the dose
  int invalid = 0;    // malformed, or in conflict with the registry/the file
  int unchanged = 0;  // already stored exactly so (re-run), or repeated in the file
  bool committed = false;  // something was written
  int written = 0;         // rows whose writes were committed
  std::vector<RowError> problems;  // by line, then column
};

// Writes `file.rows` per `options` (see the header comment). `file.errors`
// are carried into the report. A storage failure that is not about one row
// (the database is unreachable) is returned as an error with nothing
// committed.
StatusOr<ImportReport> ImportRows(storage::Store& store, const registry::Clock& clock,
                                  const registry::DoseCheck& check, const ParsedFile& file,
                                  const ImportOptions& options);

// The header of kira's session CSV, in the canonical order.
const std::vector<std::string>& SessionCsvColumns();

namespace internal {
// Number parsers shared with redcap.cc; false on anything but a full match.
bool ParseDouble(std::string_view s, double* out);
bool ParseInt(std::string_view s, int* out);
// A number as an import report shows it (up to 10 significant digits).
std::string NumberText(double v);
// Equal but for the last digits of a double (relative 1e-9): how an import
// compares a value in the file with a stored one.
bool Near(double a, double b);
}  // namespace internal

}  // namespace kira::interop

#endif  // KIRA_INTEROP_SESSION_IMPORT_H_
