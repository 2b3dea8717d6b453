#include "kira/registry/record_session.h"

#include <utility>

#include "kira/registry/canonical.h"
#include "kira/registry/clinical_record.h"
#include "kira/registry/clock.h"

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

// A session that has begun (running, paused, in observation, discharged or
// stopped) cannot have begun, or ended, in the future; a planned or
// pre-checked one may be scheduled ahead. A date typed ten years ahead would
// otherwise count in the annual cap and the history every later decision reads.
Status CheckNotInFuture(const domain::SessionRecord& s, domain::Instant now) {
  if (s.state == domain::SessionState::kPlanned || s.state == domain::SessionState::kPreChecked) return Status::Ok();
  KIRA_RETURN_IF_ERROR(NotInFuture("started_at", s.started_at, now));
  return s.stopped_at ? NotInFuture("stopped_at", *s.stopped_at, now) : Status::Ok();
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

StatusOr<RecordSessionResult> SessionRecorder::Gate(UnitOfWork& uow, const domain::PatientRecord& patient,
                                                    const domain::SessionRecord& proposed,
                                                    const std::optional<domain::Override>& override_,
                                                    const std::string& actor, const std::string& before,
                                                    std::string_view override_suffix, const Loaded& record,
                                                    std::optional<int> devices) {
  storage::Transaction& tx = uow.tx();
  KIRA_ASSIGN_OR_RETURN(auto history, tx.ListPatientSessions(proposed.clinic_id, proposed.patient_id));
  // A session being finished or corrected is judged against the others,
  // not against its own stored version.
  std::erase_if(history, [&](const domain::SessionRecord& h) { return h.id == proposed.id; });
  return GateOn(uow, patient, proposed, override_, actor, before, override_suffix, record, history, devices);
}

StatusOr<RecordSessionResult> SessionRecorder::GateOn(UnitOfWork& uow, const domain::PatientRecord& patient,
                                                      const domain::SessionRecord& proposed,
                                                      const std::optional<domain::Override>& override_,
                                                      const std::string& actor, const std::string& before,
                                                      std::string_view override_suffix, const Loaded& record,
                                                      const std::vector<domain::SessionRecord>& history,
                                                      std::optional<int> devices) {
  KIRA_ASSIGN_OR_RETURN(RecordSessionResult result, Decide(patient, proposed, override_, actor, override_suffix, record,
                                                           history, uow.now(), devices));
  if (!result.stored) {
    // Nothing clinical is stored, but the attempt is: the audit trail must
    // show that someone tried to record a dose the Advisor refused.
    KIRA_RETURN_IF_ERROR(uow.Audit(proposed.clinic_id, "refused", "session", proposed.id, before,
                                   Canonical(proposed) + "refusal=" + result.refusal + "\n"));
  }
  return result;
}

StatusOr<RecordSessionResult> SessionRecorder::Decide(const domain::PatientRecord& patient,
                                                      const domain::SessionRecord& proposed,
                                                      const std::optional<domain::Override>& override_,
                                                      const std::string& actor, std::string_view override_suffix,
                                                      const Loaded& record,
                                                      const std::vector<domain::SessionRecord>& history,
                                                      domain::Instant now, std::optional<int> devices) const {
  RecordSessionResult result;
  KIRA_RETURN_IF_ERROR(CheckNotInFuture(proposed, now));
  const domain::PatientFacts* facts = record.facts ? &*record.facts : nullptr;
  const domain::ScreeningRecord* screening = record.screening ? &*record.screening : nullptr;
  const domain::PatientFacts* previous = record.previous_facts ? &*record.previous_facts : nullptr;
  auto decision = check_(DoseCheckInput{patient, facts, screening, previous, proposed, history, override_, devices});
  if (!decision.ok()) return decision.status().WithContext("dose check for session '" + proposed.id + "'");
  result.decision = std::move(decision).value();
  const domain::Severity worst = result.decision.MaxSeverity();

  std::string refusal;
  if (worst == domain::Severity::kHardStop) {
    refusal = "hard stop: " + Join(RuleIdsAt(result.decision, domain::Severity::kHardStop));
  } else if (worst == domain::Severity::kSoftStop && (!override_ || override_->reason.empty())) {
    refusal = "soft stop without an override reason: " +
              Join(RuleIdsAt(result.decision, domain::Severity::kSoftStop));
  }
  if (!refusal.empty()) {
    result.refusal = std::move(refusal);
    return result;
  }
  if (worst == domain::Severity::kSoftStop) {
    domain::Override ov = *override_;
    if (ov.who.empty()) ov.who = actor;
    domain::Instant when = now;
    if (ov.when.empty()) {
      ov.when = domain::FormatInstant(when);
    } else if (!domain::ParseInstant(ov.when, &when)) {
      return InvalidArgumentError("override.when: not an ISO 8601 UTC instant: '" + ov.when + "'");
    }
    ov.rule_ids = RuleIdsAt(result.decision, domain::Severity::kSoftStop);
    result.decision.override_ = ov;
    result.stored = true;
    // The override row references the session, so the caller writes the
    // session first; it is returned through pending_override_.
    domain::OverrideRecord rec{proposed.clinic_id, proposed.id + std::string(override_suffix), proposed.id,
                               ov.who, when, ov.rule_ids, ov.reason};
    result.pending_override_ = std::move(rec);
    return result;
  }
  result.stored = true;
  return result;
}

StatusOr<RecordSessionResult> SessionRecorder::RecordIn(UnitOfWork& uow,
                                                        const RecordSessionRequest& request) {
  const domain::SessionRecord& session = request.session;
  if (session.recorded_by.empty()) return InvalidArgumentError("recorded_by: must not be empty");
  storage::Transaction& tx = uow.tx();
  // Lock before reading the history the dose check judges (see LockClinic).
  KIRA_RETURN_IF_ERROR(uow.LockClinic(session.clinic_id));
  auto patient = tx.GetPatient(session.clinic_id, session.patient_id);
  if (!patient.ok()) {
    if (patient.status().IsNotFound()) {
      return FailedPreconditionError("session '" + session.id + "': patient '" + session.patient_id +
                                     "' is not registered in clinic '" + session.clinic_id + "'");
    }
    return patient.status();
  }
  KIRA_RETURN_IF_ERROR(RequireNoOpenAlert(tx, session.clinic_id, session.patient_id));
  KIRA_ASSIGN_OR_RETURN(Loaded record, LoadRecord(tx, session));
  KIRA_ASSIGN_OR_RETURN(RecordSessionResult result,
                        Gate(uow, *patient, session, request.override_, request.actor, "", "/override", record,
                             request.devices));
  if (!result.stored) return result;
  domain::SessionRecord stored = session;
  stored.decision_outcome = result.decision.outcome;
  StampRecord(stored, record);
  KIRA_RETURN_IF_ERROR(tx.InsertSession(stored));
  KIRA_RETURN_IF_ERROR(uow.Audit(stored.clinic_id, "insert", "session", stored.id, "", Canonical(stored)));
  if (result.pending_override_) {
    KIRA_RETURN_IF_ERROR(tx.InsertOverride(*result.pending_override_));
    KIRA_RETURN_IF_ERROR(uow.Audit(stored.clinic_id, "insert", "override", result.pending_override_->id, "",
                                   Canonical(*result.pending_override_)));
  }
  return result;
}

StatusOr<SessionRecorder::Loaded> SessionRecorder::LoadRecord(storage::Transaction& tx,
                                                               const domain::SessionRecord& session) const {
  Loaded out;
  auto facts = tx.GetCurrentPatientFacts(session.clinic_id, session.patient_id);
  if (!facts.ok()) {
    if (facts.status().IsNotFound()) return out;
    return facts.status();
  }
  out.facts = std::move(*facts);
  if (out.facts->version > 1) {
    KIRA_ASSIGN_OR_RETURN(auto versions, tx.ListPatientFacts(session.clinic_id, session.patient_id));
    if (versions.size() >= 2) out.previous_facts = versions[versions.size() - 2];
  }
  const guideline::Library* lib = protocols_;
  const guideline::Protocol* protocol = lib ? lib->FindProtocol(session.protocol_id) : nullptr;
  const std::string route = protocol ? protocol->route : "iv";
  auto screening = tx.GetScreening(session.clinic_id, session.patient_id, out.facts->version, route);
  if (screening.ok()) {
    out.screening = std::move(*screening);
  } else if (!screening.status().IsNotFound()) {
    return screening.status();
  }
  return out;
}

void SessionRecorder::StampRecord(domain::SessionRecord& session, const Loaded& record) {
  if (record.facts) session.facts_version = record.facts->version;
  if (record.screening) session.screening_outcome = record.screening->outcome;
}

StatusOr<RecordSessionResult> SessionRecorder::Finish(const FinishSessionRequest& request) {
  RecordSessionResult result;
  Status s = RunInUnitOfWork(*store_, *clock_, request.actor, [&](UnitOfWork& uow) -> Status {
    KIRA_ASSIGN_OR_RETURN(result, FinishIn(uow, request));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return result;
}

StatusOr<RecordSessionResult> SessionRecorder::FinishIn(UnitOfWork& uow, const FinishSessionRequest& request) {
  if (request.state != domain::SessionState::kDischarged && request.state != domain::SessionState::kStopped) {
    return InvalidArgumentError("state: a session finishes as discharged or stopped");
  }
  storage::Transaction& tx = uow.tx();
  KIRA_RETURN_IF_ERROR(uow.LockClinic(request.clinic_id));
  KIRA_ASSIGN_OR_RETURN(domain::SessionRecord before, tx.GetSession(request.clinic_id, request.session_id));
  if (before.state == domain::SessionState::kDischarged || before.state == domain::SessionState::kStopped) {
    return FailedPreconditionError("session '" + before.id + "' is already " +
                                   std::string(domain::SessionStateName(before.state)));
  }
  if (request.stopped_at < before.started_at) {
    return InvalidArgumentError("stopped_at: must not be before started_at");
  }
  KIRA_ASSIGN_OR_RETURN(auto patient, tx.GetPatient(before.clinic_id, before.patient_id));
  KIRA_ASSIGN_OR_RETURN(Loaded record, LoadRecord(tx, before));
  domain::SessionRecord after = before;
  after.state = request.state;
  after.given_dose = request.given_dose;
  after.stopped_at = request.stopped_at;
  KIRA_ASSIGN_OR_RETURN(RecordSessionResult result,
                        Gate(uow, patient, after, request.override_, request.actor, Canonical(before),
                             "/override-finish", record));
  if (!result.stored) return result;
  after.decision_outcome = result.decision.outcome;
  StampRecord(after, record);
  KIRA_RETURN_IF_ERROR(tx.UpdateSession(after));
  KIRA_RETURN_IF_ERROR(uow.Audit(after.clinic_id, "update", "session", after.id, Canonical(before), Canonical(after)));
  if (result.pending_override_) {
    KIRA_RETURN_IF_ERROR(tx.InsertOverride(*result.pending_override_));
    KIRA_RETURN_IF_ERROR(uow.Audit(after.clinic_id, "insert", "override", result.pending_override_->id, "",
                                   Canonical(*result.pending_override_)));
  }
  return result;
}

StatusOr<RecordSessionResult> SessionRecorder::AmendIn(UnitOfWork& uow, const AmendSessionRequest& request) {
  if (request.reason.empty()) return InvalidArgumentError("reason: an amendment must say why the record is corrected");
  const domain::SessionRecord& after_in = request.session;
  if (after_in.recorded_by.empty()) return InvalidArgumentError("recorded_by: must not be empty");
  storage::Transaction& tx = uow.tx();
  KIRA_RETURN_IF_ERROR(uow.LockClinic(after_in.clinic_id));
  KIRA_ASSIGN_OR_RETURN(domain::SessionRecord before, tx.GetSession(after_in.clinic_id, after_in.id));
  if (before.patient_id != after_in.patient_id) {
    return InvalidArgumentError("patient_id: session '" + before.id + "' belongs to patient '" + before.patient_id +
                                "'; an amendment cannot move it to '" + after_in.patient_id + "'");
  }
  KIRA_ASSIGN_OR_RETURN(auto patient, tx.GetPatient(before.clinic_id, before.patient_id));
  KIRA_ASSIGN_OR_RETURN(auto overrides, tx.ListOverrides(before.clinic_id, before.id));
  KIRA_ASSIGN_OR_RETURN(Loaded record, LoadRecord(tx, after_in));
  KIRA_ASSIGN_OR_RETURN(RecordSessionResult result,
                        Gate(uow, patient, after_in, request.override_, request.actor, Canonical(before),
                             "/override-amend-" + std::to_string(overrides.size() + 1), record));
  if (!result.stored) return result;
  domain::SessionRecord after = after_in;
  after.decision_outcome = result.decision.outcome;
  StampRecord(after, record);
  KIRA_RETURN_IF_ERROR(tx.UpdateSession(after));
  KIRA_RETURN_IF_ERROR(uow.Audit(after.clinic_id, "amend", "session", after.id, Canonical(before),
                                 Canonical(after) + "amendment_reason=" + request.reason + "\n"));
  if (result.pending_override_) {
    KIRA_RETURN_IF_ERROR(tx.InsertOverride(*result.pending_override_));
    KIRA_RETURN_IF_ERROR(uow.Audit(after.clinic_id, "insert", "override", result.pending_override_->id, "",
                                   Canonical(*result.pending_override_)));
  }
  return result;
}

}  // namespace kira::registry
