#include "kira/advisor/session.h"

#include <cmath>
#include <initializer_list>
#include <string>

#include "kira/base/statusor.h"

namespace kira::advisor {

Status InfusionSession::Check(double t, std::string_view op, std::initializer_list<SessionState> from) const {
  if (!std::isfinite(t)) return InvalidArgumentError(std::string(op) + ": time is not finite");
  if (t < last_t_) {
    return InvalidArgumentError(std::string(op) + ": time " + std::to_string(t) +
                                " is earlier than the previous transition");
  }
  for (SessionState s : from) {
    if (s == state_) return Status::Ok();
  }
  return FailedPreconditionError(std::string(op) + " is not allowed in state '" +
                                 std::string(SessionStateName(state_)) + "'");
}

Status InfusionSession::PassPreChecks(double t) {
  KIRA_RETURN_IF_ERROR(Check(t, "pre_checks", {SessionState::kPlanned}));
  state_ = SessionState::kPreChecked;
  last_t_ = t;
  return Status::Ok();
}

Status InfusionSession::Start(double t) {
  KIRA_RETURN_IF_ERROR(Check(t, "start", {SessionState::kPreChecked}));
  state_ = SessionState::kRunning;
  started_at_ = t;
  last_t_ = t;
  return Status::Ok();
}

Status InfusionSession::Pause(double t) {
  KIRA_RETURN_IF_ERROR(Check(t, "pause", {SessionState::kRunning}));
  state_ = SessionState::kPaused;
  paused_since_ = t;
  last_t_ = t;
  return Status::Ok();
}

Status InfusionSession::Resume(double t) {
  KIRA_RETURN_IF_ERROR(Check(t, "resume", {SessionState::kPaused}));
  paused_minutes_ += t - *paused_since_;
  paused_since_.reset();
  state_ = SessionState::kRunning;
  last_t_ = t;
  return Status::Ok();
}

Status InfusionSession::EndDose(double t) {
  KIRA_RETURN_IF_ERROR(Check(t, "end_dose", {SessionState::kRunning, SessionState::kPaused}));
  if (paused_since_) {
    paused_minutes_ += t - *paused_since_;
    paused_since_.reset();
  }
  state_ = SessionState::kObservation;
  dose_ended_at_ = t;
  last_t_ = t;
  return Status::Ok();
}

Status InfusionSession::Stop(double t) {
  KIRA_RETURN_IF_ERROR(
      Check(t, "stop", {SessionState::kRunning, SessionState::kPaused, SessionState::kObservation}));
  if (paused_since_) {
    paused_minutes_ += t - *paused_since_;
    paused_since_.reset();
  }
  state_ = SessionState::kStopped;
  last_t_ = t;
  return Status::Ok();
}

Status InfusionSession::Discharge(double t) {
  KIRA_RETURN_IF_ERROR(Check(t, "discharge", {SessionState::kObservation}));
  state_ = SessionState::kDischarged;
  last_t_ = t;
  return Status::Ok();
}

}  // namespace kira::advisor
