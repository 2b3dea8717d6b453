// JSON bodies of `kira serve`'s API (/api/v1, documented in
// src/kira/server/openapi.json): request decoding into registry and Advisor
// types, and the rendering of registry records. No JSON or HTTP type appears
// here. Every decoding error is kInvalidArgument whose message starts with the
// JSON path of the bad field ("vitals.value: must be a number, got string");
// unknown fields are refused, since they are usually typos.
#ifndef KIRA_API_SERVER_JSON_H_
#define KIRA_API_SERVER_JSON_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/domain/patient.h"
#include "kira/domain/records.h"
#include "kira/guideline/library.h"
#include "kira/advisor/dose.h"

namespace kira::api {

struct LoginRequest {
  std::string login;
  std::string password;
};
StatusOr<LoginRequest> ParseLoginRequest(std::string_view text);

// POST /api/v1/patients. clinic_id is left empty: the server fills it from
// the caller's session, never from the body.
struct NewPatientRequest {
  domain::PatientRecord record;                     // id may be empty: the server assigns one
  std::optional<domain::PatientIdentity> identity;  // "identity": {...}
};
StatusOr<NewPatientRequest> ParseNewPatientRequest(std::string_view text);

// POST /api/v1/patients/{id}/dose-check: {"patient": <patient document>,
// "protocol_id", "concentration_mg_per_ml"?, "dose_mg"?, "duration_min"?,
// "given_today_mg"?, "override_reason"?}. The override's who and when are
// the server's to fill (from the session and its clock).
struct DoseCheckRequest {
  // When given, its facts are recorded (a new version if changed) before the
  // check; the check itself reads the patient's stored facts.
  std::optional<domain::Patient> patient;
  advisor::DoseRequest dose;
  std::string override_reason;  // empty: no override requested
};
StatusOr<DoseCheckRequest> ParseDoseCheckRequest(std::string_view text, const guideline::Library& lib);

// POST /api/v1/patients/{id}/sessions. Ids, clinic, patient and recorded_by
// come from the server.
// concentration_mg_per_ml and rate_ml_per_h are for infusions, devices for
// a device route (esketamine nasal spray); each is optional here and the
// Advisor's recorded-session check judges what the protocol's route needs.
struct NewSessionRequest {
  domain::SessionRecord session;
  std::optional<int> devices;   // device routes: devices used
  std::string override_reason;  // empty: no override requested
};
StatusOr<NewSessionRequest> ParseNewSessionRequest(std::string_view text);

// POST /api/v1/sessions/{id}/finish: {"state": "completed"|"stopped",
// "given_dose_mg", "stopped_at", "override_reason"?}.
struct FinishSessionRequest {
  domain::SessionState state = domain::SessionState::kDischarged;
  units::Milligrams given_dose;
  domain::Instant stopped_at{};
  std::string override_reason;
};
StatusOr<FinishSessionRequest> ParseFinishSessionRequest(std::string_view text);

// POST /api/v1/sessions/{id}/vitals: {"at", "kind", "value"}.
StatusOr<domain::VitalSign> ParseVitalRequest(std::string_view text);
// POST /api/v1/sessions/{id}/adverse-events: {"at", "type", "severity", "rescue_given"?}.
StatusOr<domain::AdverseEvent> ParseAdverseEventRequest(std::string_view text);
// POST /api/v1/patients/{id}/assessments: {"at", "instrument", "item_scores",
// "session_id"?}; total is the sum of the items.
StatusOr<domain::Assessment> ParseAssessmentRequest(std::string_view text);
// POST /api/v1/users (admin): {"id", "display_name", "role", "login", "password"}.
struct NewUserRequest {
  domain::User user;
  std::string login;
  std::string password;
};
StatusOr<NewUserRequest> ParseNewUserRequest(std::string_view text);

// PUT /api/v1/patients/{id}/facts: the stored clinical record.
//   {"weight": {"value", "unit": "kg"|"lb", "method": "measured"|"stated"|"estimated", "date"?},
//    "height"?: {"value", "unit": "cm"|"in"},
//    "pregnancy"?: {"status": "unknown"|"not_pregnant"|"pregnant", "date"?},
//    "history"?: {"<condition id>": true|false, ...},
//    "medications"?: ["name", ...], "failed_antidepressant_trials"?: n,
//    "baseline_vitals"?: {"sbp_mmhg", "dbp_mmhg", "hr_bpm", "spo2_pct", "rr_per_min"} (each optional),
//    "reason"?: "why it changed"}
// Condition ids and medication names are checked against the library.
// Units are converted once here (lb -> kg, in -> cm). Weight is optional
// (a record may be started without it; a dose then asks for it).
StatusOr<domain::PatientFacts> ParseFactsRequest(std::string_view text, const guideline::Library& lib);
// The facts a patient document carries (the older screen / dose-check body,
// parsed by api::ParsePatient) as a facts record.
domain::PatientFacts FactsFromPatientDocument(const domain::Patient& p);
// {"version", "recorded_at", "recorded_by", "reason", "weight": {...}|null, ...} in the request's shape.
std::string FactsJson(const domain::PatientFacts& f);
// {"facts": <FactsJson>|null, "versions": n, "screening": {...}|null}.
std::string FactsRecordJson(const std::optional<domain::PatientFacts>& f, int versions,
                            const std::optional<domain::ScreeningRecord>& screening);
std::string ScreeningRecordJson(const domain::ScreeningRecord& s);
// {"alerts": [...]}; each {"id", "patient_id", "assessment_id", "rule_id", "message", "raised_at",
// "raised_by", "open", "acknowledged_at", "acknowledged_by", "ack_reason"}.
std::string AlertListJson(const std::vector<domain::AlertRecord>& alerts);
std::string AlertJson(const domain::AlertRecord& a);
// POST /api/v1/alerts/{id}/ack: {"reason"}.
StatusOr<std::string> ParseAlertAckRequest(std::string_view text);
// {"told": "<the clinician told>"} -> the name.
StatusOr<std::string> ParseAlertEscalateRequest(std::string_view text);

// ---- Rendering ----
std::string PatientJson(const domain::PatientRecord& p, const std::optional<domain::PatientIdentity>& identity);
std::string PatientListJson(const std::vector<domain::PatientRecord>& patients, std::string_view next_after);
std::string SessionJson(const domain::SessionRecord& s);
// A session with everything recorded against it.
std::string SessionDetailJson(const domain::SessionRecord& s, const std::vector<domain::VitalSign>& vitals,
                              const std::vector<domain::AdverseEvent>& events,
                              const std::vector<domain::OverrideRecord>& overrides);
std::string SessionListJson(const std::vector<domain::SessionRecord>& sessions);
std::string VitalJson(const domain::VitalSign& v);
// {"vitals": [<VitalJson>...]}: readings recorded together (POST .../vital-set).
std::string VitalSetJson(const std::vector<domain::VitalSign>& set);
std::string AdverseEventJson(const domain::AdverseEvent& e);
// `reference` adds {"reference": {"instrument", "baseline", "response_at_or_below",
// "remission_below", "source"}} for the outcome chart's lines, as the registry decided them.
struct OutcomeReference {
  std::string instrument;
  int baseline = 0;
  double response_at_or_below = 0;
  int remission_below = 0;
  std::string source;
};
std::string AssessmentListJson(const std::vector<domain::Assessment>& assessments,
                               const std::optional<OutcomeReference>& reference);
std::string AssessmentJson(const domain::Assessment& a);
// The assessment with the alerts its scoring raised: {..., "alerts": [...]}.
std::string AssessmentJson(const domain::Assessment& a, const std::vector<domain::AlertRecord>& alerts);
std::string UserJson(const domain::User& u, std::string_view login);
// {"stored": bool, "session": {...}|null, "decision": {...}, "refusal": "..."}.
std::string RecordSessionResultJson(bool stored, const domain::SessionRecord& s,
                                    const std::string& decision_json, const std::string& refusal);

// {"error": {"code", "message", "field"?, "request_id"}}. `field` is the
// JSON path at the head of an InvalidArgument message, when there is one.
std::string ErrorJson(std::string_view code, std::string_view message, std::string_view field,
                      std::string_view request_id);
// The JSON path at the start of a field-level message ("a.b[2]: why" -> "a.b[2]"), or "".
std::string FieldOfMessage(std::string_view message);

// A generic JSON object of string/number members, for small responses
// (login, health) without the caller touching a JSON type.
std::string Escape(std::string_view s);  // a JSON string literal, with quotes

}  // namespace kira::api

#endif  // KIRA_API_SERVER_JSON_H_
