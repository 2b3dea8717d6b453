// SessionRecorder::RecordBatchIn: the batch form of RecordIn (see
// record_session.h). The decision for each request is made exactly as in
// RecordIn -- the same DoseCheck on the same inputs, then the same Decide
// (the part of Gate that judges) -- so an import and a session typed by hand
// cannot be judged differently (tests/kira/interop/ingest_batch_test.cc).
//
// What the batch saves is everything around the decision:
//  1. Reads (in request order, on the caller's thread): RecordIn reads the
//     patient, its open alerts, its current facts, their screening and its
//     whole session history for every session; here once per patient (the
//     screening once per patient and route).
//  2. Decisions: a decision depends only on the patient's own record and
//     history (the sessions stored before it in the batch included), so the
//     patients are judged in parallel, each patient's requests in order,
//     on up to hardware_concurrency threads (the Advisor is pure).
//  3. Writes (in request order, on the caller's thread): the audit rows are
//     chained and hashed in request order -- the same rows RecordIn writes --
//     and written in multi-row batches; the sessions after them in key order,
//     then the overrides that reference them.
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "kira/registry/canonical.h"
#include "kira/registry/clinical_record.h"
#include "kira/registry/record_session.h"

namespace kira::registry {

namespace {

bool HistoryOrder(const domain::SessionRecord& a, const domain::SessionRecord& b) {
  return std::tie(a.started_at, a.id) < std::tie(b.started_at, b.id);
}

// Below this many requests the threads cost more than they save.
constexpr std::size_t kParallelFrom = 512;

// A hash-map key of several ids ('\x1f' cannot occur in an id the store
// accepts, and the parts are length-prefixed anyway).
std::string KeyOf(std::initializer_list<std::string_view> parts) {
  std::string k;
  for (std::string_view p : parts) {
    k += std::to_string(p.size());
    k += '\x1f';
    k.append(p);
  }
  return k;
}

// What step 3 writes for a decided request, prepared by the thread that
// decided it (the canonical texts are the audit rows' payload).
struct Prepared {
  domain::SessionRecord stored;  // as stored (stamped with facts version, screening)
  std::string canonical;         // Canonical(stored), or of the refused session + refusal
  std::string override_canonical;
};

}  // namespace

// What RecordIn reads for a patient before its dose check, read once.
struct SessionRecorder::BatchCache::State {
  struct Patient {
    Status error;  // not registered, an open alert: each of its requests fails so
    std::optional<domain::PatientRecord> patient;
    std::vector<domain::SessionRecord> history;  // ListPatientSessions order: started_at, id
    // The stored record per route (the screening is per route); few routes.
    std::vector<std::pair<std::string, std::unique_ptr<Loaded>>> records;
    std::vector<std::size_t> requests;  // this call's requests, indexes into the batch, in order
  };
  std::unordered_map<std::string, std::unique_ptr<Patient>> patients;  // KeyOf(clinic, patient)
};

SessionRecorder::BatchCache::BatchCache() : state_(std::make_unique<State>()) {}
SessionRecorder::BatchCache::~BatchCache() = default;
void SessionRecorder::BatchCache::Clear() { state_->patients.clear(); }

StatusOr<std::vector<StatusOr<RecordSessionResult>>> SessionRecorder::RecordBatchIn(
    UnitOfWork& uow, const std::vector<RecordSessionRequest>& requests) {
  BatchCache cache;
  return RecordBatchIn(uow, requests, cache);
}

StatusOr<std::vector<StatusOr<RecordSessionResult>>> SessionRecorder::RecordBatchIn(
    UnitOfWork& uow, const std::vector<RecordSessionRequest>& requests, BatchCache& cache) {
  using PatientState = BatchCache::State::Patient;
  const std::size_t n = requests.size();
  // Every entry is set below: an error in step 1, a decision in step 2.
  std::vector<StatusOr<RecordSessionResult>> results(n, StatusOr<RecordSessionResult>(RecordSessionResult{}));
  storage::Transaction& tx = uow.tx();

  // 1. Reads (the cache's patients read by an earlier call are not read again).
  auto& known = cache.state_->patients;
  // A patient not registered or with an open alert is read again next call.
  std::unordered_map<std::string, std::unique_ptr<PatientState>> this_call_only;
  std::vector<PatientState*> patients;  // this call's, in order of first request
  struct ClearRequests {
    std::vector<PatientState*>& patients;
    ~ClearRequests() {
      for (PatientState* p : patients) p->requests.clear();
    }
  } clear_requests{patients};
  std::vector<const Loaded*> record_of(n, nullptr);
  std::vector<bool> pending(n, false);  // to be decided in step 2
  for (std::size_t i = 0; i < n; ++i) {
    const domain::SessionRecord& session = requests[i].session;
    if (session.recorded_by.empty()) {
      results[i] = InvalidArgumentError("recorded_by: must not be empty");
      continue;
    }
    KIRA_RETURN_IF_ERROR(uow.LockClinic(session.clinic_id));
    std::string key = KeyOf({session.clinic_id, session.patient_id});
    PatientState* found = nullptr;
    if (auto k = known.find(key); k != known.end()) {
      found = k->second.get();
    } else if (auto t = this_call_only.find(key); t != this_call_only.end()) {
      found = t->second.get();
    } else {
      auto read = std::make_unique<PatientState>();
      auto patient = tx.GetPatient(session.clinic_id, session.patient_id);
      if (!patient.ok()) {
        if (!patient.status().IsNotFound()) return patient.status();
      } else {
        read->patient = std::move(*patient);
        read->error = RequireNoOpenAlert(tx, session.clinic_id, session.patient_id);
        if (!read->error.ok() && read->error.code() != StatusCode::kFailedPrecondition) return read->error;
        KIRA_ASSIGN_OR_RETURN(read->history, tx.ListPatientSessions(session.clinic_id, session.patient_id));
      }
      found = read.get();
      (read->patient && read->error.ok() ? known : this_call_only).emplace(std::move(key), std::move(read));
    }
    PatientState& ps = *found;
    if (!ps.patient) {
      results[i] = FailedPreconditionError("session '" + session.id + "': patient '" + session.patient_id +
                                           "' is not registered in clinic '" + session.clinic_id + "'");
      continue;
    }
    if (!ps.error.ok()) {
      results[i] = ps.error;
      continue;
    }
    const guideline::Protocol* protocol = protocols_ ? protocols_->FindProtocol(session.protocol_id) : nullptr;
    const std::string_view route = protocol ? std::string_view(protocol->route) : "iv";
    auto& routes = ps.records;
    auto rec = std::find_if(routes.begin(), routes.end(), [&](const auto& r) { return r.first == route; });
    if (rec == routes.end()) {
      KIRA_ASSIGN_OR_RETURN(Loaded loaded, LoadRecord(tx, session));
      routes.emplace_back(std::string(route), std::make_unique<Loaded>(std::move(loaded)));
      rec = routes.end() - 1;
    }
    record_of[i] = rec->second.get();
    if (ps.requests.empty()) patients.push_back(&ps);
    ps.requests.push_back(i);
    pending[i] = true;
  }

  // 2. Decisions, patient by patient (each in request order), in parallel.
  //    A storage-free error of the dose check (no facts, unknown protocol,
  //    a malformed request) is that request's result, as in RecordIn.
  std::vector<Prepared> prepared(n);
  auto decide_patient = [&](PatientState& ps) {
    std::vector<domain::SessionRecord> without_self;
    for (std::size_t i : ps.requests) {
      const RecordSessionRequest& request = requests[i];
      const domain::SessionRecord& session = request.session;
      // Gate judges a session against the patient's other sessions.
      const bool has_self = std::any_of(ps.history.begin(), ps.history.end(),
                                        [&](const domain::SessionRecord& h) { return h.id == session.id; });
      if (has_self) {
        without_self = ps.history;
        std::erase_if(without_self, [&](const domain::SessionRecord& h) { return h.id == session.id; });
      }
      results[i] = Decide(*ps.patient, session, request.override_, request.actor, "/override", *record_of[i],
                          has_self ? without_self : ps.history, uow.now(), request.devices);
      if (!results[i].ok()) continue;
      Prepared& p = prepared[i];
      if (!results[i]->stored) {
        p.canonical = Canonical(session) + "refusal=" + results[i]->refusal + "\n";
        continue;
      }
      p.stored = session;
      p.stored.decision_outcome = results[i]->decision.outcome;
      StampRecord(p.stored, *record_of[i]);
      p.canonical = Canonical(p.stored);
      if (results[i]->pending_override_) p.override_canonical = Canonical(*results[i]->pending_override_);
      ps.history.insert(std::upper_bound(ps.history.begin(), ps.history.end(), p.stored, HistoryOrder), p.stored);
    }
  };
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const unsigned threads = n >= kParallelFrom ? std::min<unsigned>(cores, 8) : 1;
  if (threads <= 1) {
    for (PatientState* ps : patients) decide_patient(*ps);
  } else {
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
      for (std::size_t p; (p = next.fetch_add(1, std::memory_order_relaxed)) < patients.size();) {
        decide_patient(*patients[p]);
      }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
  }

  // 3. Writes, in request order: what GateOn and RecordIn write, except
  //    that the stored sessions and their overrides are audited in batch
  //    rows (kAuditBatch sessions a row, see record_session.h); a refusal
  //    keeps its own row, in its place in the order.
  std::vector<domain::SessionRecord> to_insert;
  to_insert.reserve(n);
  std::vector<domain::OverrideRecord> overrides;
  const bool deferring = uow.DeferAuditWrites(true);
  std::string batch_clinic, batch_first, batch_last, batch_text;
  std::size_t batch_sessions = 0;
  auto audit_batch = [&]() -> Status {
    if (batch_sessions == 0) return Status::Ok();
    std::string id = batch_sessions == 1 ? batch_first : batch_first + ".." + batch_last;
    Status s = uow.Audit(batch_clinic, "insert", kAuditBatchEntity, id, "", std::move(batch_text));
    batch_text.clear();
    batch_sessions = 0;
    return s;
  };
  for (std::size_t i = 0; i < n; ++i) {
    if (!pending[i]) continue;
    StatusOr<RecordSessionResult>& r = results[i];
    if (!r.ok()) continue;
    const domain::SessionRecord& session = requests[i].session;
    Prepared& p = prepared[i];
    if (!r->stored) {
      KIRA_RETURN_IF_ERROR(audit_batch());
      KIRA_RETURN_IF_ERROR(uow.Audit(session.clinic_id, "refused", "session", session.id, "", std::move(p.canonical)));
      continue;
    }
    if (batch_sessions > 0 && (batch_sessions == kAuditBatch || batch_clinic != p.stored.clinic_id)) {
      KIRA_RETURN_IF_ERROR(audit_batch());
    }
    if (batch_sessions++ == 0) {
      batch_clinic = p.stored.clinic_id;
      batch_first = p.stored.id;
    }
    batch_last = p.stored.id;
    batch_text += "record=session\n";
    batch_text += p.canonical;
    if (r->pending_override_) {
      batch_text += "record=override\n";
      batch_text += p.override_canonical;
      overrides.push_back(*r->pending_override_);
    }
    to_insert.push_back(std::move(p.stored));
  }
  KIRA_RETURN_IF_ERROR(audit_batch());
  // In key order: inserting a B-tree's keys in order touches each page once,
  // in time order they land all over the table (the rows and their audit
  // rows are the same either way; the transaction commits them together).
  // (Sorted by index: a SessionRecord is large to move.)
  std::vector<std::size_t> by_key(to_insert.size());
  for (std::size_t k = 0; k < by_key.size(); ++k) by_key[k] = k;
  std::sort(by_key.begin(), by_key.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(to_insert[a].clinic_id, to_insert[a].id) < std::tie(to_insert[b].clinic_id, to_insert[b].id);
  });
  std::vector<domain::SessionRecord> sorted;
  sorted.reserve(to_insert.size());
  for (std::size_t k : by_key) sorted.push_back(std::move(to_insert[k]));
  KIRA_RETURN_IF_ERROR(tx.InsertSessions(sorted));
  for (const auto& o : overrides) KIRA_RETURN_IF_ERROR(tx.InsertOverride(o));
  if (!deferring) {
    uow.DeferAuditWrites(false);
    KIRA_RETURN_IF_ERROR(uow.FlushAudit());
  }
  return results;
}

}  // namespace kira::registry
