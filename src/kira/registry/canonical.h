// Canonical text of registry records, as stored in the audit log's
// before/after columns and hashed into its chain. One "field=value" line per
// field, in a fixed order; numbers use the shortest round-trip form; '\\' and
// newlines in values are escaped. DO NOT CHANGE the field names or order of
// an existing record: old audit rows were hashed over this text (add new
// fields at the end).
#ifndef KIRA_REGISTRY_CANONICAL_H_
#define KIRA_REGISTRY_CANONICAL_H_

#include <string>

#include "kira/domain/records.h"

namespace kira::registry {

std::string Canonical(const domain::Clinic& x);
std::string Canonical(const domain::User& x);
std::string Canonical(const domain::PatientRecord& x);
// Identifiers are never copied into the audit log; only the fact that an
// identity was recorded for the patient, and which fields were non-empty.
std::string Canonical(const domain::PatientIdentity& x);
std::string Canonical(const domain::SessionRecord& x);
std::string Canonical(const domain::VitalSign& x);
std::string Canonical(const domain::Assessment& x);
std::string Canonical(const domain::AdverseEvent& x);
std::string Canonical(const domain::OverrideRecord& x);
std::string Canonical(const domain::LedgerEntry& x);
std::string Canonical(const domain::PatientFacts& x);
std::string Canonical(const domain::ScreeningRecord& x);
std::string Canonical(const domain::AlertRecord& x);

}  // namespace kira::registry

#endif  // KIRA_REGISTRY_CANONICAL_H_
