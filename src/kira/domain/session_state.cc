#include "kira/domain/session_state.h"

namespace kira::domain {

namespace {
constexpr struct {
  SessionState state;
  std::string_view name;
} kNames[] = {
    {SessionState::kPlanned, "planned"},         {SessionState::kPreChecked, "pre_checked"},
    {SessionState::kRunning, "running"},         {SessionState::kPaused, "paused"},
    {SessionState::kObservation, "observation"}, {SessionState::kDischarged, "discharged"},
    {SessionState::kStopped, "stopped"},
};
}  // namespace

std::string_view SessionStateName(SessionState s) {
  for (const auto& n : kNames)
    if (n.state == s) return n.name;
  return "planned";
}

bool ParseSessionState(std::string_view s, SessionState* out) {
  for (const auto& n : kNames) {
    if (n.name == s) {
      *out = n.state;
      return true;
    }
  }
  if (s == "completed") {
    *out = SessionState::kDischarged;
    return true;
  }
  return false;
}

}  // namespace kira::domain
