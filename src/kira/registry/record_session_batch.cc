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
  };
  std::unordered_map<std::string, std::unique_ptr<Patient>> patients;  // KeyOf(clinic, patient)
};

SessionRecorder::BatchCache::BatchCache() : state_(std::make_unique<State>()) {}
SessionRecorder::BatchCache::~BatchCache() = default;
void SessionRecorder::BatchCache::Clear() { state_->patients.clear(); }

bool SessionRecorder::BatchCache::HoldsAll(const std::vector<RecordSessionRequest>& requests,
                                           const guideline::Library* protocols) const {
  for (const RecordSessionRequest& r : requests) {
    auto it = state_->patients.find(KeyOf({r.session.clinic_id, r.session.patient_id}));
    if (it == state_->patients.end()) return false;
    const guideline::Protocol* protocol = protocols ? protocols->FindProtocol(r.session.protocol_id) : nullptr;
    const std::string_view route = protocol ? std::string_view(protocol->route) : "iv";
    const auto& routes = it->second->records;
    if (std::none_of(routes.begin(), routes.end(), [&](const auto& x) { return x.first == route; })) return false;
  }
  return true;
}

void SessionRecorder::BatchCache::AddRegistered(const domain::PatientRecord& patient, const domain::PatientFacts& facts,
                                                const std::vector<domain::ScreeningRecord>& screenings) {
  auto p = std::make_unique<State::Patient>();
  p->patient = patient;
  // LoadRecord's answer per route: the facts (a first version: no previous
  // one) and the screening of that route, if any.
  for (const auto& s : screenings) {
    auto loaded = std::make_unique<Loaded>();
    loaded->facts = facts;
    loaded->screening = s;
    p->records.emplace_back(s.route, std::move(loaded));
  }
  state_->patients[KeyOf({patient.clinic_id, patient.id})] = std::move(p);
}

// One batch between StartBatchIn and FinishBatchIn: its requests, what step
// 1 read for them, and step 2's decisions (made by `pool` and the thread
// that waits).
struct SessionRecorder::PendingBatch::State {
  using Patient = BatchCache::State::Patient;
  const SessionRecorder* recorder = nullptr;
  UnitOfWork* uow = nullptr;
  BatchOptions options;
  std::vector<RecordSessionRequest> requests;
  // Every entry is set: an error in step 1, a decision in step 2.
  std::vector<StatusOr<RecordSessionResult>> results;
  std::vector<const Loaded*> record_of;
  std::vector<bool> pending;  // to be decided in step 2
  std::vector<Prepared> prepared;
  // This batch's patients in order of first request, each with its
  // requests (indexes into `requests`, in order).
  std::vector<std::pair<Patient*, std::vector<std::size_t>>> groups;
  // A patient not registered or with an open alert is read again next call.
  std::unordered_map<std::string, std::unique_ptr<Patient>> this_call_only;
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> pool;
  bool decided = false;

  // Decides group after group until none is left (any thread).
  void Work() {
    for (std::size_t g; (g = next.fetch_add(1, std::memory_order_relaxed)) < groups.size();) DecideGroup(g);
  }
  void Wait() {
    if (decided) return;
    Work();
    for (auto& t : pool) t.join();
    pool.clear();
    decided = true;
  }
  // A patient's requests in order: each is judged on the history that
  // includes the ones stored before it. The thread that decided a session
  // also builds its canonical (audit) text.
  void DecideGroup(std::size_t g) {
    Patient& ps = *groups[g].first;
    std::vector<domain::SessionRecord> without_self;
    for (std::size_t i : groups[g].second) {
      const RecordSessionRequest& request = requests[i];
      const domain::SessionRecord& session = request.session;
      // Gate judges a session against the patient's other sessions.
      const bool has_self = std::any_of(ps.history.begin(), ps.history.end(),
                                        [&](const domain::SessionRecord& h) { return h.id == session.id; });
      if (has_self) {
        without_self = ps.history;
        std::erase_if(without_self, [&](const domain::SessionRecord& h) { return h.id == session.id; });
      }
      results[i] = recorder->Decide(*ps.patient, session, request.override_, request.actor, "/override",
                                    *record_of[i], has_self ? without_self : ps.history, uow->now(), request.devices);
      if (!results[i].ok()) continue;
      Prepared& p = prepared[i];
      RecordSessionResult& r = *results[i];
      if (!r.stored) {
        p.canonical = Canonical(session) + "refusal=" + r.refusal + "\n";
        continue;
      }
      p.stored = session;
      p.stored.decision_outcome = r.decision.outcome;
      StampRecord(p.stored, *record_of[i]);
      p.canonical = Canonical(p.stored);
      if (r.pending_override_) p.override_canonical = Canonical(*r.pending_override_);
      // Sessions mostly come in time order: the place is usually the end.
      auto at = ps.history.empty() || !HistoryOrder(p.stored, ps.history.back())
                    ? ps.history.end()
                    : std::upper_bound(ps.history.begin(), ps.history.end(), p.stored, HistoryOrder);
      ps.history.insert(at, p.stored);
      if (!options.keep_stored_decisions) {
        domain::Decision lean;
        lean.outcome = std::move(r.decision.outcome);
        lean.override_ = std::move(r.decision.override_);
        r.decision = std::move(lean);
      }
    }
  }
};

SessionRecorder::PendingBatch::PendingBatch(std::unique_ptr<State> state) : state_(std::move(state)) {}
SessionRecorder::PendingBatch::~PendingBatch() {
  if (state_) state_->Wait();
}
void SessionRecorder::PendingBatch::WaitForDecisions() { state_->Wait(); }

StatusOr<std::vector<StatusOr<RecordSessionResult>>> SessionRecorder::RecordBatchIn(
    UnitOfWork& uow, const std::vector<RecordSessionRequest>& requests) {
  BatchCache cache;
  return RecordBatchIn(uow, requests, cache);
}

StatusOr<std::vector<StatusOr<RecordSessionResult>>> SessionRecorder::RecordBatchIn(
    UnitOfWork& uow, const std::vector<RecordSessionRequest>& requests, BatchCache& cache) {
  KIRA_ASSIGN_OR_RETURN(auto batch, StartBatchIn(uow, requests, cache));
  return FinishBatchIn(uow, *batch);
}

StatusOr<std::unique_ptr<SessionRecorder::PendingBatch>> SessionRecorder::StartBatchIn(
    UnitOfWork& uow, std::vector<RecordSessionRequest> requests_in, BatchCache& cache, BatchOptions options) {
  using PatientState = BatchCache::State::Patient;
  auto state = std::make_unique<PendingBatch::State>();
  PendingBatch::State& b = *state;
  b.recorder = this;
  b.uow = &uow;
  b.options = options;
  b.requests = std::move(requests_in);
  const auto& requests = b.requests;
  const std::size_t n = requests.size();
  b.results.assign(n, StatusOr<RecordSessionResult>(RecordSessionResult{}));
  b.record_of.assign(n, nullptr);
  b.pending.assign(n, false);
  b.prepared.resize(n);
  storage::Transaction& tx = uow.tx();
  auto& results = b.results;

  // 1. Reads (the cache's patients read by an earlier call are not read again).
  auto& known = cache.state_->patients;
  std::unordered_map<PatientState*, std::size_t> group_of;
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
    } else if (auto t = b.this_call_only.find(key); t != b.this_call_only.end()) {
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
      (read->patient && read->error.ok() ? known : b.this_call_only).emplace(std::move(key), std::move(read));
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
    b.record_of[i] = rec->second.get();
    auto [g, fresh] = group_of.emplace(&ps, b.groups.size());
    if (fresh) b.groups.emplace_back(&ps, std::vector<std::size_t>{});
    b.groups[g->second].second.push_back(i);
    b.pending[i] = true;
  }

  // (Each patient's history grows by its stored sessions; room made here,
  // once, rather than by the deciding threads one session at a time.)
  for (auto& [ps, indexes] : b.groups) ps->history.reserve(ps->history.size() + indexes.size());

  // 2. Decisions, patient by patient (each in request order), on worker
  //    threads (the Advisor is pure); a small batch is decided by the
  //    thread that waits for it. A storage-free error of the dose check (no
  //    facts, unknown protocol, a malformed request) is that request's
  //    result, as in RecordIn.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const unsigned threads = n >= kParallelFrom ? std::min<unsigned>(cores, 8) : 0;
  for (unsigned t = 0; t < threads; ++t) b.pool.emplace_back([&b] { b.Work(); });
  return std::unique_ptr<PendingBatch>(new PendingBatch(std::move(state)));
}

StatusOr<std::vector<StatusOr<RecordSessionResult>>> SessionRecorder::FinishBatchIn(UnitOfWork& uow,
                                                                                      PendingBatch& batch) {
  return FinishBatchIn(uow, batch, nullptr);
}

Status SessionRecorder::BatchWrites::Write(storage::Transaction& tx) const {
  KIRA_RETURN_IF_ERROR(tx.InsertSessions(sessions));
  for (const auto& o : overrides) KIRA_RETURN_IF_ERROR(tx.InsertOverride(o));
  return Status::Ok();
}

StatusOr<std::vector<StatusOr<RecordSessionResult>>> SessionRecorder::FinishBatchIn(UnitOfWork& uow,
                                                                                      PendingBatch& batch,
                                                                                      BatchWrites* writes) {
  PendingBatch::State& b = *batch.state_;
  b.Wait();
  const auto& requests = b.requests;
  auto& results = b.results;
  const std::size_t n = requests.size();
  storage::Transaction& tx = uow.tx();

  // 3. Writes, in request order: what GateOn and RecordIn write, except
  //    that the stored sessions and their overrides are audited in batch
  //    rows (kAuditBatch sessions a row, see record_session.h); a refusal
  //    keeps its own row, in its place in the order.
  BatchWrites local;
  BatchWrites& out = writes ? *writes : local;
  std::vector<domain::SessionRecord>& to_insert = out.sessions;
  to_insert.clear();
  to_insert.reserve(n);
  std::vector<domain::OverrideRecord>& overrides = out.overrides;
  overrides.clear();
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
    if (!b.pending[i]) continue;
    StatusOr<RecordSessionResult>& r = results[i];
    if (!r.ok()) continue;
    const domain::SessionRecord& session = requests[i].session;
    Prepared& p = b.prepared[i];
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
  std::sort(to_insert.begin(), to_insert.end(), [](const domain::SessionRecord& x, const domain::SessionRecord& y) {
    return std::tie(x.clinic_id, x.id) < std::tie(y.clinic_id, y.id);
  });
  if (writes) {
    if (!deferring) return FailedPreconditionError("FinishBatchIn: the caller writes the rows, audit writes must be deferred");
    return std::move(results);
  }
  KIRA_RETURN_IF_ERROR(out.Write(tx));
  if (!deferring) {
    uow.DeferAuditWrites(false);
    KIRA_RETURN_IF_ERROR(uow.FlushAudit());
  }
  return std::move(results);
}

}  // namespace kira::registry
