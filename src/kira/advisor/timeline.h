// A session timeline: what happened in one infusion session, as the monitor,
// rescue and discharge advisors read it. Built by kira/api/advisor_json.h
// (which validates every field) or by tests. Times are minutes from a
// session-local origin (see session.h).
#ifndef KIRA_ADVISOR_TIMELINE_H_
#define KIRA_ADVISOR_TIMELINE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kira/advisor/library.h"
#include "kira/domain/decision.h"

namespace kira::advisor {

struct Vitals {
  std::optional<double> sbp_mmhg;
  std::optional<double> dbp_mmhg;
  std::optional<double> hr_bpm;
  std::optional<double> spo2_pct;
  std::optional<double> rr_per_min;
  std::optional<double> moaa_s;       // sedation score (MOAA/S 0-5)
  std::optional<double> cadss_total;  // dissociation

  const std::optional<double>& Get(Measure m) const;
  bool HasBp() const { return sbp_mmhg.has_value() && dbp_mmhg.has_value(); }
};

// Frozen: JSON strings "start", "vitals", "symptom", "rescue", "pause",
// "resume", "end_dose", "stop".
enum class EventType { kStart = 0, kVitals = 1, kSymptom = 2, kRescue = 3, kPause = 4, kResume = 5, kEndDose = 6, kStop = 7 };
std::string_view EventTypeName(EventType t);
bool ParseEventType(std::string_view s, EventType* out);

struct TimelineEvent {
  double t_min = 0;
  EventType type = EventType::kVitals;
  Vitals vitals;        // kVitals
  std::string symptom;  // kSymptom, kRescue (the symptom treated)
  std::string agent;    // kRescue: the drug given or proposed
};

struct PreCheck {
  bool resuscitation_staff_present = false;
  bool resuscitation_equipment_present = false;
  bool pulse_oximeter_present = false;
  std::string rescue_plan;                  // agent id chosen before the session
  std::optional<bool> rems_setting_certified;  // esketamine only
  std::optional<bool> rems_patient_enrolled;   // esketamine only
};

struct DischargeRecord {
  double t_min = 0;
  std::map<std::string, bool> attestations;  // checklist item id -> attested
  std::string by;
};

struct SessionTimeline {
  std::string session_id;
  std::string patient_id;
  std::string indication;  // id in guidelines/kira.json
  std::string route;       // "iv" or "intranasal"
  PreCheck precheck;
  Vitals baseline;
  // The patient's stored screening decision; only its findings' rule ids are
  // read (e.g. "rescue.midazolam.protease_inhibitor"). screening_recorded is
  // false when no screening was supplied: the gate then blocks, so rescue
  // advice is never given on an empty default.
  domain::Decision screening;
  bool screening_recorded = false;
  std::vector<TimelineEvent> events;  // REQUIRES: sorted by t_min
  std::optional<DischargeRecord> discharge;

  bool esketamine() const { return route == "intranasal"; }
};

}  // namespace kira::advisor

#endif  // KIRA_ADVISOR_TIMELINE_H_
