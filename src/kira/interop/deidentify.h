// De-identified export (HIPAA, 45 CFR 164.514(b)(2), the Safe Harbor
// method), one CSV row per session:
//  * the default is strict Safe Harbor: no direct identifier, no date
//    element but the year (session_year), ages over 89 as "90+", the ZIP
//    code cut to its first 3 digits and "000" for the restricted 3-digit
//    areas, no free text at all: adverse events are exported only as terms
//    of a coded vocabulary (a clinic setting, AeVocabulary), anything else
//    as "Other (not coded)". Subjects are numbered S0001... per export, in
//    an order keyed by the clinic's secret, so the numbers carry nothing of
//    the registry's ids and cannot be linked across exports.
//  * `limited_data_set` is the explicit alternative: dates shifted per
//    patient by -182..+182 days (intervals within a patient kept) and a
//    keyed-hash subject id stable across exports. That is a HIPAA limited
//    data set, not a de-identified one: it needs a data use agreement, and
//    the command says so.
//  * an aggregate file (optional) counts patients, sessions and adverse
//    events by indication, sex and age band, with every count from 1 to
//    min_cell - 1 suppressed ("<11" for the default 11, the cell-size rule
//    of the CMS data release policy (S); a clinic setting, confirm locally).
// Restricted ZIP prefixes: the 17 3-digit areas with 20,000 people or fewer
// in the 2000 census, per HHS de-identification guidance (S: re-check
// against the current census before relying on it).
#ifndef KIRA_INTEROP_DEIDENTIFY_H_
#define KIRA_INTEROP_DEIDENTIFY_H_

#include <map>
#include <string>
#include <string_view>

#include "kira/base/statusor.h"
#include "kira/domain/records.h"
#include "kira/storage/store.h"

namespace kira::interop {

// Per-patient day offset in [-182, 182], from HMAC-SHA-256(secret, clinic/patient).
int DateShiftDays(std::string_view secret, std::string_view clinic_id, std::string_view patient_id);
// First 16 hex digits of HMAC-SHA-256(secret, "id:" clinic/patient).
std::string DeidentifiedId(std::string_view secret, std::string_view clinic_id, std::string_view patient_id);
// "021" for "02139"; "000" for a restricted prefix or an unusable ZIP.
std::string Zip3(std::string_view zip);
// "90+" at 90 and over, else the whole number of years.
std::string AgeGroup(int age_years);

// Stored adverse-event type -> coded term. The built-in default is a short
// list of MedDRA-style preferred-term names for the events seen with
// ketamine and esketamine (a clinic setting: replace it with the clinic's
// own list). Matching ignores case and treats '_' as ' '.
using AeVocabulary = std::map<std::string, std::string, std::less<>>;
const AeVocabulary& DefaultAeVocabulary();
// Reads a vocabulary file: CSV with header "type,term". InvalidArgument
// naming line and column otherwise.
StatusOr<AeVocabulary> ParseAeVocabulary(std::string_view text);
// The coded term for a stored type, or "Other (not coded)".
std::string CodedAeTerm(const AeVocabulary& vocabulary, std::string_view type);

struct DeidentifyOptions {
  bool limited_data_set = false;
  AeVocabulary ae_terms = DefaultAeVocabulary();
  int min_cell = 11;            // counts 1 .. min_cell-1 are suppressed in the aggregate
  std::string aggregate_path;   // empty: no aggregate file
};

struct DeidentifiedCounts {
  int patients = 0;
  int sessions = 0;
  int suppressed_cells = 0;
};

// REQUIRES: secret.size() >= 16 (InvalidArgument naming the secret otherwise).
StatusOr<DeidentifiedCounts> ExportDeidentified(storage::Store& store, std::string_view clinic_id,
                                                std::string_view secret, const std::string& path,
                                                const DeidentifyOptions& options = {});

}  // namespace kira::interop

#endif  // KIRA_INTEROP_DEIDENTIFY_H_
