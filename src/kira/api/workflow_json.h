// Wire types of the clinic-day routes (server/workflow_routes.cc):
// appointments and today's list, vital sets and corrections, patient edits
// and history, consent, esketamine REMS forms, the controlled-substance
// ledger and the public clinic directory. Parsers name the field in every
// error and refuse unknown keys.
#ifndef KIRA_API_WORKFLOW_JSON_H_
#define KIRA_API_WORKFLOW_JSON_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/domain/decision.h"
#include "kira/domain/records.h"
#include "kira/domain/workflow.h"
#include "kira/registry/ledger.h"
#include "kira/registry/workflow.h"

namespace kira::api {

// {"at": "...Z", "sbp": 128, "dbp": 80, "hr": 72, "spo2": 98, "rr": 14} (any subset; BP as a pair)
StatusOr<std::vector<domain::VitalSign>> ParseVitalSetRequest(std::string_view body);
struct VitalAmendRequest {
  std::string reason;
  std::optional<double> value;            // correct only
  std::optional<domain::Instant> at;      // correct only
};
StatusOr<VitalAmendRequest> ParseVitalAmendRequest(std::string_view body, bool correct);
std::string VitalAmendmentsJson(const std::vector<domain::VitalAmendment>& amendments);
std::string VitalAmendmentJson(const domain::VitalAmendment& a, const domain::VitalSign* replacement);
// POST /api/v1/sessions/{id}/vital-set replies with api::VitalSetJson (server_json.h).

// GET /api/v1/sessions/{id}/observation: the minimum observation the
// clinic's settings give and when it ends (null when unset or not started).
struct ObservationWindow {
  std::string session_id;
  std::string counts_from;             // "first device" | "end of the dose"
  std::optional<double> minimum_min;   // null: the clinic has not set it
  std::optional<domain::Instant> from;
  std::optional<domain::Instant> ends_at;
  std::string source;                  // citation, or the setting's rationale
  bool confirm_locally = false;        // the setting is unverified (U): confirm locally
};
std::string ObservationJson(const ObservationWindow& w);

// POST /api/v1/sessions/{id}/discharge-record: {"recorded", "decision",
// "appointment": <appointment>|null}.
std::string DischargeRecordJson(const domain::Decision& decision, const std::optional<domain::Appointment>& recorded);

struct PatientEditRequest {
  domain::PatientRecord patient;  // clinic_id/id set by the route
  std::optional<domain::PatientIdentity> identity;
  std::string reason;
};
StatusOr<PatientEditRequest> ParsePatientEditRequest(std::string_view body);
// POST /api/v1/patients/{id}/edit: {"edited": true, "patient_id"}.
std::string PatientEditedJson(std::string_view patient_id);
std::string PatientHistoryJson(const std::vector<registry::PatientChange>& changes);
std::string PatientSearchJson(const registry::PatientPage& page);

StatusOr<domain::ConsentRecord> ParseConsentRequest(std::string_view body);
std::string ConsentsJson(const std::vector<domain::ConsentRecord>& consents);
std::string ConsentJson(const domain::ConsentRecord& c);

StatusOr<domain::Appointment> ParseAppointmentRequest(std::string_view body);
struct RescheduleRequest {
  domain::Instant when{};
  std::string chair;
  std::string reason;
};
StatusOr<RescheduleRequest> ParseRescheduleRequest(std::string_view body);
struct AppointmentStateRequest {
  domain::AppointmentState state = domain::AppointmentState::kCheckedIn;
  std::string reason;
};
StatusOr<AppointmentStateRequest> ParseAppointmentStateRequest(std::string_view body);
std::string AppointmentJson(const domain::Appointment& a);
std::string DayListJson(const std::vector<registry::DayRow>& rows);

struct RemsSaveRequest {
  domain::RemsForm form;  // ids set by the route
  bool sign = false;
};
StatusOr<RemsSaveRequest> ParseRemsSaveRequest(std::string_view body);
std::string RemsFormJson(const domain::RemsForm& f, bool started);
std::string RemsDueJson(const std::vector<registry::RemsDue>& due, domain::Instant now);

StatusOr<domain::LedgerEntry> ParseLedgerRequest(std::string_view body, std::string* witness_login);
std::string LedgerEntriesJson(const std::vector<domain::LedgerEntry>& entries, const registry::LedgerReconciliation& rec);
std::string LedgerEntryJson(const domain::LedgerEntry& e);

StatusOr<domain::ClinicListing> ParseListingRequest(std::string_view body);
std::string ListingJson(const domain::ClinicListing& l, bool with_state);
std::string DirectoryJson(const std::vector<domain::ClinicListing>& listings);

}  // namespace kira::api

#endif  // KIRA_API_WORKFLOW_JSON_H_
