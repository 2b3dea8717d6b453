// In-session monitoring (clinical-reference.md 1.5, 2.1, 3, 5.3): the
// pre-session gate and an action (continue / slow / pause / stop) for every
// observation, each naming the threshold, the setting value in force and its
// source. No reference supplies numeric stop thresholds (5.3, U): they are
// clinic settings in guidelines/advisor.json, and every decision lists them.
#ifndef KIRA_ADVISOR_MONITOR_H_
#define KIRA_ADVISOR_MONITOR_H_

#include <vector>

#include <optional>

#include "kira/advisor/library.h"
#include "kira/advisor/session.h"
#include "kira/advisor/timeline.h"
#include "kira/domain/decision.h"

namespace kira::advisor {

// The pre-session gate. outcome "pass" or "fail". Findings:
//   gate.resuscitation.staff / .equipment  hard_stop when absent (grade A, low certainty, V [R1-seed])
//   gate.pulse_oximeter                    hard_stop when absent (V [R10, R11] esketamine; U IV)
//   gate.baseline_bp                       hard_stop when baseline SBP/DBP missing (V [R10])
//   gate.rescue_plan.missing               hard_stop when no rescue agent chosen
//   gate.rescue_plan.excluded / .antipsychotic  soft_stop when the chosen agent is unsafe
//   gate.rems.setting / .enrolment         hard_stop for esketamine without REMS records (V [R11])
//   <start rule ids>                       e.g. monitor.start.sbp_elevated, caution (S [R10])
// "fail" = any soft_stop or hard_stop.
domain::Decision PreSessionGate(const AdvisorLibrary& lib, const SessionTimeline& timeline);

// The action recommended for one vitals observation.
struct ObservationAction {
  double t_min = 0;
  Action action = Action::kContinue;
  const ThresholdRule* rule = nullptr;  // the rule that set `action`; null for continue
  double value = 0;                     // the compared value (absolute or rise)
};

struct MonitorResult {
  domain::Decision gate;
  // outcome: the most severe action recommended during the session
  // ("continue", "slow", "pause", "stop"). Findings: each threshold breach,
  // schedule gaps (monitor.bp.check_40min_missing, monitor.bp.interval_exceeded),
  // state-machine violations (session.*), symptoms and rescue flags, and
  // unset thresholds (monitor.threshold_unset, info, U).
  domain::Decision decision;
  std::vector<ObservationAction> observations;
  std::vector<domain::Decision> rescues;  // advice for each symptom/rescue event
  SessionState final_state = SessionState::kPlanned;
  InfusionSession session;  // the replayed state machine
};

// Replays `timeline` through the gate and the state machine and evaluates
// every vitals event against the threshold rules. Never fails: malformed
// sequences (e.g. "resume" while running) become session.* findings.
// REQUIRES: timeline.events sorted by t_min (the JSON adapter enforces it).
MonitorResult Monitor(const AdvisorLibrary& lib, const SessionTimeline& timeline);

// The one threshold rule: the value `r` compares (the reading, or its rise
// from the baseline for a rise rule) when the rule triggers on `v`; nullopt
// when it does not, is unset, or lacks the reading or the baseline it needs.
// Monitoring (EvaluateObservation) and discharge (the last readings) both
// judge vitals with it.
std::optional<double> ThresholdTriggered(const ThresholdRule& r, const Vitals& baseline, const Vitals& v);

// Evaluates one observation against the thresholds (exposed for tests and
// benchmarks). Returns the most severe triggered rule's action.
ObservationAction EvaluateObservation(const MonitoringSettings& m, const Vitals& baseline,
                                      const Vitals& v, double t_min);

}  // namespace kira::advisor

#endif  // KIRA_ADVISOR_MONITOR_H_
