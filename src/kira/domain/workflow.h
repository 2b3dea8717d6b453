// Records of the clinic day (issue: "a clinic runs its whole day in kira"):
// appointments made from saved plans, vital-sign corrections, consent
// records, esketamine REMS Patient Monitoring Forms and the opt-in public
// clinic directory. Plain data, keyed by (clinic_id, id) like records.h;
// the rules about them live in registry/workflow.h.
#ifndef KIRA_DOMAIN_WORKFLOW_H_
#define KIRA_DOMAIN_WORKFLOW_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kira/domain/records.h"

namespace kira::domain {

// A vital sign is never deleted or edited in place: a void or a correction
// is a separate, audited record with its reason. A correction names the new
// reading (replacement_id) that takes the old one's place.
enum class VitalAmendmentKind { kVoid = 0, kCorrect = 1 };
inline std::string_view VitalAmendmentKindName(VitalAmendmentKind k) {
  return k == VitalAmendmentKind::kVoid ? "void" : "correct";
}
inline bool ParseVitalAmendmentKind(std::string_view s, VitalAmendmentKind* out) {
  if (s == "void") *out = VitalAmendmentKind::kVoid;
  else if (s == "correct") *out = VitalAmendmentKind::kCorrect;
  else return false;
  return true;
}

struct VitalAmendment {
  std::string clinic_id;
  std::string id;
  std::string session_id;
  std::string vital_id;        // the reading voided or corrected
  VitalAmendmentKind kind = VitalAmendmentKind::kVoid;
  std::string replacement_id;  // kCorrect: the new reading
  std::string reason;          // required
  std::string actor;           // user id
  Instant at{};
};

// Frozen strings: "booked", "checked_in", "discharged", "cancelled", "no_show".
// Discharged is set only after the Advisor's discharge check passed.
enum class AppointmentState { kBooked = 0, kCheckedIn = 1, kCancelled = 2, kNoShow = 3, kDischarged = 4 };
inline std::string_view AppointmentStateName(AppointmentState s) {
  switch (s) {
    case AppointmentState::kBooked: return "booked";
    case AppointmentState::kCheckedIn: return "checked_in";
    case AppointmentState::kCancelled: return "cancelled";
    case AppointmentState::kNoShow: return "no_show";
    case AppointmentState::kDischarged: return "discharged";
  }
  return "booked";
}
inline bool ParseAppointmentState(std::string_view s, AppointmentState* out) {
  for (auto v : {AppointmentState::kBooked, AppointmentState::kCheckedIn, AppointmentState::kCancelled,
                 AppointmentState::kNoShow, AppointmentState::kDischarged}) {
    if (AppointmentStateName(v) == s) {
      *out = v;
      return true;
    }
  }
  return false;
}

struct Appointment {
  std::string clinic_id;
  std::string id;
  std::string patient_id;
  std::string protocol_id;
  std::string chair;
  Instant scheduled_at{};
  AppointmentState state = AppointmentState::kBooked;
  std::string session_id;  // the session given at this appointment, once recorded
  std::string created_by;
  Instant updated_at{};
  std::optional<Instant> discharged_at;
  std::string discharged_by;
};

struct ConsentRecord {
  std::string clinic_id;
  std::string id;
  std::string patient_id;
  std::string protocol_id;
  std::string form_version;  // the clinic's consent form version
  std::string signed_on;     // civil date "YYYY-MM-DD"
  std::string witness;       // name of the witness
  std::string recorded_by;   // user id
  Instant recorded_at{};
};

// The SPRAVATO REMS Patient Monitoring Form of one session (one per session).
struct RemsForm {
  std::string clinic_id;
  std::string id;
  std::string session_id;
  std::string patient_id;
  Instant session_at{};                          // when the dose was given (the 7-day clock starts here)
  std::string lot;                               // lot number of the devices used
  std::vector<std::string> concomitant_classes;  // e.g. "benzodiazepine", "opioid", "none"
  std::optional<double> bp_pre_sbp, bp_pre_dbp;  // before the dose
  std::optional<double> bp_40_sbp, bp_40_dbp;    // about 40 min after the dose
  std::optional<double> bp_end_sbp, bp_end_dbp;  // before the end of monitoring
  std::optional<int> monitoring_minutes;
  std::string sedation;                // "yes", "no" ("" = not answered)
  std::string dissociation;            // "yes", "no"
  std::string respiratory_depression;  // "yes", "no"
  std::string notes;
  std::string created_by;
  Instant updated_at{};
  std::string signed_by;               // empty until signed
  std::optional<Instant> signed_at;
};

// A clinic's entry in the public directory (no patient data). Shown only
// while published.
struct ClinicListing {
  std::string clinic_id;
  std::string name;
  std::string city;
  std::string region;
  std::vector<std::string> routes;  // route ids offered ("iv", "intranasal", ...)
  std::string contact;
  bool published = false;
  Instant updated_at{};
};

}  // namespace kira::domain

#endif  // KIRA_DOMAIN_WORKFLOW_H_
