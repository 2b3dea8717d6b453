#include "kira/registry/record_session.h"

#include <utility>

#include "kira/registry/canonical.h"

namespace kira::registry {

namespace {

std::vector<std::string> RuleIdsAt(const domain::Decision& d, domain::Severity severity) {
  std::vector<std::string> out;
  for (const auto& f : d.findings) {
    if (f.severity == severity) out.push_back(f.rule_id);
  }
  return out;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

}  // namespace

StatusOr<RecordSessionResult> SessionRecorder::Record(const RecordSessionRequest& request) {
  RecordSessionResult result;
  Status s = RunInUnitOfWork(*store_, *clock_, request.actor, [&](UnitOfWork& uow) -> Status {
    KIRA_ASSIGN_OR_RETURN(result, RecordIn(uow, request));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return result;
}

StatusOr<RecordSessionResult> SessionRecorder::RecordIn(UnitOfWork& uow,
                                                        const RecordSessionRequest& request) {
  const domain::SessionRecord& session = request.session;
  if (session.recorded_by.empty()) return InvalidArgumentError("recorded_by: must not be empty");
  storage::Transaction& tx = uow.tx();
  auto patient = tx.GetPatient(session.clinic_id, session.patient_id);
  if (!patient.ok()) {
    if (patient.status().IsNotFound()) {
      return FailedPreconditionError("session '" + session.id + "': patient '" + session.patient_id +
                                     "' is not registered in clinic '" + session.clinic_id + "'");
    }
    return patient.status();
  }
  KIRA_ASSIGN_OR_RETURN(auto history, tx.ListPatientSessions(session.clinic_id, session.patient_id));

  RecordSessionResult result;
  auto decision = check_(DoseCheckInput{*patient, session, history, request.override_});
  if (!decision.ok()) return decision.status().WithContext("dose check for session '" + session.id + "'");
  result.decision = std::move(decision).value();
  const domain::Severity worst = result.decision.MaxSeverity();

  std::string refusal;
  if (worst == domain::Severity::kHardStop) {
    refusal = "hard stop: " + Join(RuleIdsAt(result.decision, domain::Severity::kHardStop));
  } else if (worst == domain::Severity::kSoftStop &&
             (!request.override_ || request.override_->reason.empty())) {
    refusal = "soft stop without an override reason: " +
              Join(RuleIdsAt(result.decision, domain::Severity::kSoftStop));
  }
  if (!refusal.empty()) {
    // Nothing clinical is stored, but the attempt is: the audit trail must
    // show that someone tried to record a dose the Advisor refused.
    KIRA_RETURN_IF_ERROR(uow.Audit(session.clinic_id, "refused", "session", session.id, "",
                                   Canonical(session) + "refusal=" + refusal + "\n"));
    result.refusal = std::move(refusal);
    return result;
  }

  domain::SessionRecord stored = session;
  stored.decision_outcome = result.decision.outcome;
  KIRA_RETURN_IF_ERROR(tx.InsertSession(stored));
  KIRA_RETURN_IF_ERROR(uow.Audit(stored.clinic_id, "insert", "session", stored.id, "",
                                 Canonical(stored)));

  if (worst == domain::Severity::kSoftStop) {
    domain::Override ov = *request.override_;
    if (ov.who.empty()) ov.who = request.actor;
    domain::Instant when = uow.now();
    if (ov.when.empty()) {
      ov.when = domain::FormatInstant(when);
    } else if (!domain::ParseInstant(ov.when, &when)) {
      return InvalidArgumentError("override.when: not an ISO 8601 UTC instant: '" + ov.when + "'");
    }
    ov.rule_ids = RuleIdsAt(result.decision, domain::Severity::kSoftStop);
    domain::OverrideRecord rec{stored.clinic_id, stored.id + "/override", stored.id, ov.who, when,
                               ov.rule_ids, ov.reason};
    KIRA_RETURN_IF_ERROR(tx.InsertOverride(rec));
    KIRA_RETURN_IF_ERROR(uow.Audit(rec.clinic_id, "insert", "override", rec.id, "", Canonical(rec)));
    result.decision.override_ = std::move(ov);
  }
  result.stored = true;
  return result;
}

}  // namespace kira::registry
