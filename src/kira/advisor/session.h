// The infusion session state machine.
//
// NOTES ON THE DESIGN OF THE SESSION STATE MACHINE
// (after SQLite's "NOTES ON THE DESIGN OF THE PAGER", src/pager.c)
//
// A session moves through these states:
//
//    PLANNED --PassPreChecks()--> PRE_CHECKED --Start()--> RUNNING
//                                                           |   ^
//                                                   Pause() |   | Resume()
//                                                           v   |
//                                                          PAUSED
//
//    RUNNING or PAUSED --EndDose()--> OBSERVATION --Discharge()--> DISCHARGED
//    RUNNING, PAUSED or OBSERVATION --Stop()--> STOPPED
//
//    DISCHARGED and STOPPED are terminal.
//
// Transitions, and the function that performs each:
//   PLANNED      -> PRE_CHECKED  PassPreChecks(): the pre-session gate passed
//                                (monitor.h PreSessionGate: resuscitation staff
//                                and equipment, baseline BP, rescue plan).
//   PRE_CHECKED  -> RUNNING      Start(t): the dose begins (esketamine: first device).
//   RUNNING      -> PAUSED       Pause(t)
//   PAUSED       -> RUNNING      Resume(t)
//   RUNNING|PAUSED -> OBSERVATION  EndDose(t): infusion complete (or ended early
//                                but not abandoned for safety).
//   RUNNING|PAUSED|OBSERVATION -> STOPPED  Stop(t): the session is abandoned
//                                for safety; the patient is still observed, but
//                                the session record is closed as stopped.
//   OBSERVATION  -> DISCHARGED   Discharge(t): called by the owner once
//                                discharge.h EvaluateDischarge() says "ready".
//                                (A STOPPED session's patient goes through the
//                                same checklist; the record stays STOPPED.)
//
// Invariants:
//   1. Times never go backwards: every transition's t >= the previous one's.
//   2. started_at is set exactly when the session has left PRE_CHECKED; it is
//      never changed afterwards.
//   3. dose_ended_at is set iff the state is OBSERVATION or DISCHARGED, or the
//      state is STOPPED and the stop came from OBSERVATION.
//   4. DISCHARGED and STOPPED are terminal: every transition out of them fails
//      with kFailedPrecondition and leaves the session unchanged.
//   5. A failed transition never changes any field (strong guarantee), so a
//      replayed timeline can report the bad event and carry on.
//   6. paused_minutes is the sum of closed PAUSED intervals; it only grows.
//
// Why STOPPED is separate from DISCHARGED: a stopped session did not deliver
// its planned dose, so plans (plan.h) must not count it as a completed
// treatment in response tailoring, although it does count toward the annual
// cap (the patient was exposed).
//
// Times are minutes from a session-local origin (doubles); converting wall
// clock instants to that origin is the caller's job, so this class reads no
// clock. Not thread-safe; one session is owned by one caller.
#ifndef KIRA_ADVISOR_SESSION_H_
#define KIRA_ADVISOR_SESSION_H_

#include <optional>
#include <string_view>

#include "kira/base/status.h"
#include "kira/domain/session_state.h"

namespace kira::advisor {

// The one session-state enum (domain/session_state.h), stored by the registry.
using domain::SessionState;
using domain::SessionStateName;

class InfusionSession {
 public:
  InfusionSession() = default;

  SessionState state() const { return state_; }
  std::optional<double> started_at() const { return started_at_; }
  std::optional<double> dose_ended_at() const { return dose_ended_at_; }
  double paused_minutes() const { return paused_minutes_; }
  bool terminal() const { return state_ == SessionState::kDischarged || state_ == SessionState::kStopped; }

  // Each returns OK and performs the transition in the diagram above, or
  // returns kFailedPrecondition naming the current state (illegal transition)
  // or kInvalidArgument (t earlier than the last transition, or not finite)
  // and changes nothing.
  Status PassPreChecks(double t);
  Status Start(double t);
  Status Pause(double t);
  Status Resume(double t);
  Status EndDose(double t);
  Status Stop(double t);
  Status Discharge(double t);

 private:
  Status Check(double t, std::string_view op, std::initializer_list<SessionState> from) const;

  SessionState state_ = SessionState::kPlanned;
  double last_t_ = -1e300;
  std::optional<double> started_at_;
  std::optional<double> dose_ended_at_;
  std::optional<double> paused_since_;
  double paused_minutes_ = 0;
};

}  // namespace kira::advisor

#endif  // KIRA_ADVISOR_SESSION_H_
