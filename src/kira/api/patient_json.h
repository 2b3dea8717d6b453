// The patient document (see README "Patient JSON" and examples/*.json).
// Every field is checked; an error names the field's JSON path and the rule
// it broke. Unknown fields are refused (they are usually typos).
#ifndef KIRA_API_PATIENT_JSON_H_
#define KIRA_API_PATIENT_JSON_H_

#include <string_view>

#include "kira/base/statusor.h"
#include "kira/domain/patient.h"
#include "kira/guideline/library.h"

namespace kira::api {

// Diagnoses, history conditions and medication names are checked against
// `lib`'s vocabulary (unknown medications are allowed: screening flags them).
StatusOr<domain::Patient> ParsePatient(std::string_view json_text, const guideline::Library& lib);

}  // namespace kira::api

#endif  // KIRA_API_PATIENT_JSON_H_
