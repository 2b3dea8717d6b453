// SessionRecorder::RecordBatchIn: the batch form of RecordIn (see
// record_session.h). The decision for each request is made exactly as in
// RecordIn -- the same DoseCheck on the same inputs, then the same Gate --
// so an import and a session typed by hand cannot be judged differently.
// What the batch saves is the reading around it: RecordIn reads the
// patient, its open alerts, its current facts, their screening and its
// whole session history for every session; here they are read once per
// patient (screening once per patient and route) and the history is kept
// in memory, in the store's order, as the batch stores sessions.
#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "kira/registry/canonical.h"
#include "kira/registry/clinical_record.h"
#include "kira/registry/record_session.h"

namespace kira::registry {

namespace {

using PatientKey = std::pair<std::string, std::string>;  // clinic, patient

// What RecordIn reads for a patient before its dose check, read once.
struct PatientState {
  bool loaded = false;
  Status error;                                 // not registered, an open alert: every request fails so
  std::optional<domain::PatientRecord> patient;
  std::vector<domain::SessionRecord> history;   // ListPatientSessions order: started_at, id
};

bool HistoryOrder(const domain::SessionRecord& a, const domain::SessionRecord& b) {
  return std::tie(a.started_at, a.id) < std::tie(b.started_at, b.id);
}

}  // namespace

StatusOr<std::vector<StatusOr<RecordSessionResult>>> SessionRecorder::RecordBatchIn(
    UnitOfWork& uow, const std::vector<RecordSessionRequest>& requests) {
  std::vector<StatusOr<RecordSessionResult>> results;
  results.reserve(requests.size());
  storage::Transaction& tx = uow.tx();
  std::map<PatientKey, PatientState> patients;
  // (clinic, patient, route) -> the facts and screening LoadRecord reads.
  std::map<std::tuple<std::string, std::string, std::string>, Loaded> records;
  std::vector<domain::SessionRecord> without_self;
  // What the batch stores, written after the decisions (sessions in
  // multi-row statements, then the overrides that reference them); audit
  // rows are chained and hashed in request order and written in batches.
  std::vector<domain::SessionRecord> to_insert;
  std::vector<domain::OverrideRecord> overrides;
  const bool deferring = uow.DeferAuditWrites(true);

  for (const RecordSessionRequest& request : requests) {
    const domain::SessionRecord& session = request.session;
    if (session.recorded_by.empty()) {
      results.emplace_back(InvalidArgumentError("recorded_by: must not be empty"));
      continue;
    }
    KIRA_RETURN_IF_ERROR(uow.LockClinic(session.clinic_id));
    PatientState& ps = patients[{session.clinic_id, session.patient_id}];
    if (!ps.loaded) {
      ps.loaded = true;
      auto patient = tx.GetPatient(session.clinic_id, session.patient_id);
      if (!patient.ok()) {
        if (!patient.status().IsNotFound()) return patient.status();
        ps.error = FailedPreconditionError("session '" + session.id + "': patient '" + session.patient_id +
                                           "' is not registered in clinic '" + session.clinic_id + "'");
      } else {
        ps.patient = std::move(*patient);
        ps.error = RequireNoOpenAlert(tx, session.clinic_id, session.patient_id);
        if (ps.error.code() != StatusCode::kFailedPrecondition && !ps.error.ok()) return ps.error;
        KIRA_ASSIGN_OR_RETURN(ps.history, tx.ListPatientSessions(session.clinic_id, session.patient_id));
      }
    }
    if (!ps.patient) {
      // RecordIn names the session in this message.
      results.emplace_back(FailedPreconditionError("session '" + session.id + "': patient '" + session.patient_id +
                                                   "' is not registered in clinic '" + session.clinic_id + "'"));
      continue;
    }
    if (!ps.error.ok()) {
      results.emplace_back(ps.error);
      continue;
    }
    const guideline::Protocol* protocol = protocols_ ? protocols_->FindProtocol(session.protocol_id) : nullptr;
    const std::string route = protocol ? protocol->route : "iv";
    auto key = std::make_tuple(session.clinic_id, session.patient_id, route);
    auto rec = records.find(key);
    if (rec == records.end()) {
      KIRA_ASSIGN_OR_RETURN(Loaded loaded, LoadRecord(tx, session));
      rec = records.emplace(std::move(key), std::move(loaded)).first;
    }
    const Loaded& record = rec->second;
    // Gate judges a session against the patient's other sessions.
    const bool has_self = std::any_of(ps.history.begin(), ps.history.end(),
                                      [&](const domain::SessionRecord& h) { return h.id == session.id; });
    if (has_self) {
      without_self = ps.history;
      std::erase_if(without_self, [&](const domain::SessionRecord& h) { return h.id == session.id; });
    }
    auto gated = GateOn(uow, *ps.patient, session, request.override_, request.actor, "", "/override", record,
                        has_self ? without_self : ps.history);
    if (!gated.ok()) {
      if (gated.status().code() == StatusCode::kInvalidArgument || gated.status().code() == StatusCode::kNotFound ||
          gated.status().code() == StatusCode::kFailedPrecondition) {
        results.emplace_back(gated.status());  // the dose check's own errors: nothing was written
        continue;
      }
      return gated.status();
    }
    RecordSessionResult result = std::move(gated).value();
    if (result.stored) {
      domain::SessionRecord stored = session;
      stored.decision_outcome = result.decision.outcome;
      StampRecord(stored, record);
      KIRA_RETURN_IF_ERROR(uow.Audit(stored.clinic_id, "insert", "session", stored.id, "", Canonical(stored)));
      if (result.pending_override_) {
        KIRA_RETURN_IF_ERROR(uow.Audit(stored.clinic_id, "insert", "override", result.pending_override_->id, "",
                                       Canonical(*result.pending_override_)));
        overrides.push_back(*result.pending_override_);
      }
      ps.history.insert(std::upper_bound(ps.history.begin(), ps.history.end(), stored, HistoryOrder), stored);
      to_insert.push_back(std::move(stored));
    }
    results.emplace_back(std::move(result));
  }
  // In key order: inserting a B-tree's keys in order touches each page once,
  // in time order they land all over the table (the rows and their audit
  // rows are the same either way; the transaction commits them together).
  std::sort(to_insert.begin(), to_insert.end(), [](const domain::SessionRecord& a, const domain::SessionRecord& b) {
    return std::tie(a.clinic_id, a.id) < std::tie(b.clinic_id, b.id);
  });
  KIRA_RETURN_IF_ERROR(tx.InsertSessions(to_insert));
  for (const auto& o : overrides) KIRA_RETURN_IF_ERROR(tx.InsertOverride(o));
  if (!deferring) {
    uow.DeferAuditWrites(false);
    KIRA_RETURN_IF_ERROR(uow.FlushAudit());
  }
  return results;
}

}  // namespace kira::registry
