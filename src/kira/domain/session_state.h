// The infusion session's state: the one enum, with one string table, that
// the advisor's state machine (advisor/session.h) runs and the registry
// stores:
//
//   planned -> pre_checked -> running <-> paused -> observation -> discharged
//                                 \________\___________\________-> stopped
//
// Frozen strings (stored, and in the API): "planned", "pre_checked",
// "running", "paused", "observation", "discharged", "stopped".
#ifndef KIRA_DOMAIN_SESSION_STATE_H_
#define KIRA_DOMAIN_SESSION_STATE_H_

#include <string_view>

namespace kira::domain {

enum class SessionState {
  kPlanned = 0,
  kPreChecked = 1,
  kRunning = 2,
  kPaused = 3,
  kObservation = 4,
  kDischarged = 5,
  kStopped = 6,
};

std::string_view SessionStateName(SessionState s);
// Parses the frozen names; also accepts "completed", the name older records
// and clients use for a finished session, as kDischarged.
bool ParseSessionState(std::string_view s, SessionState* out);
// Discharged and stopped are terminal.
inline bool IsTerminal(SessionState s) { return s == SessionState::kDischarged || s == SessionState::kStopped; }

}  // namespace kira::domain

#endif  // KIRA_DOMAIN_SESSION_STATE_H_
