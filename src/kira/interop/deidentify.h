// De-identified export, following the HIPAA Safe Harbor method (45 CFR
// 164.514(b)(2)) as issue 4 asks:
//  * direct identifiers are dropped: names, MRN, phone, e-mail, the full
//    birth date; the registry's patient id is replaced by a keyed hash
//    (HMAC-SHA-256 with the clinic's secret), so exports can be linked with
//    each other only by whoever holds the secret;
//  * every date is shifted by a per-patient offset of -182..+182 days
//    derived from the secret (stable across exports, so intervals within a
//    patient are kept);
//  * ages of 90 and over are reported as "90+";
//  * ZIP codes are cut to their first 3 digits, and to "000" for the
//    3-digit areas with 20,000 people or fewer (the HHS list of 17 prefixes
//    from the 2000 census; S: taken from HHS de-identification guidance as
//    summarised, re-check against the current census before relying on it).
// NOTE: strict Safe Harbor removes all date elements except the year;
// shifted dates are what the issue asks for (keeping intervals usable) and
// make this a Safe Harbor-style export, to be confirmed by the clinic's
// privacy officer.
//
// Output: one CSV, one row per session, with the patient's PHQ-9 baseline
// and last value and the adverse event types of the session.
#ifndef KIRA_INTEROP_DEIDENTIFY_H_
#define KIRA_INTEROP_DEIDENTIFY_H_

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

struct DeidentifiedCounts {
  int patients = 0;
  int sessions = 0;
};

// REQUIRES: secret.size() >= 16 (InvalidArgument naming the secret otherwise).
StatusOr<DeidentifiedCounts> ExportDeidentified(storage::Store& store, std::string_view clinic_id,
                                                std::string_view secret, const std::string& path);

}  // namespace kira::interop

#endif  // KIRA_INTEROP_DEIDENTIFY_H_
