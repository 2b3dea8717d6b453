// RecordSession: the use case that stores an infusion session, with the
// Advisor's dose check run inside the same transaction (design.md: "A write
// the Advisor refuses is never stored as given").
//
// Given the proposed session, the patient and the patient's stored session
// history (so that annual and series caps are judged from what the registry
// holds, not from what the caller says), the dose check returns a Decision:
//
//   max severity of its findings   what RecordSession does
//   info / caution                 stores the session
//   soft_stop, override reason     stores the session and an OverrideRecord
//                                  naming the soft-stop rule ids
//   soft_stop, no reason           stores nothing clinical; outcome "refused"
//   hard_stop                      stores nothing clinical; outcome "refused"
//
// The session is judged on the patient's stored clinical record: the current
// facts version and its screening are handed to the check, and the stored
// session records both (facts_version, screening_outcome). While the patient
// has an unacknowledged alert (a positive suicidality item), recording a
// session is refused with FailedPrecondition naming the alert.
//
// A refusal is a clinical result, not an error: Record() returns OK with
// stored == false, and the audit log gets a "refused" row saying who tried
// to record what and which rules stopped it. Errors are for malformed input
// (InvalidArgument), a missing patient (FailedPrecondition), a duplicate id
// (AlreadyExists) and storage failures.
#ifndef KIRA_REGISTRY_RECORD_SESSION_H_
#define KIRA_REGISTRY_RECORD_SESSION_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/domain/decision.h"
#include "kira/domain/records.h"
#include "kira/guideline/library.h"
#include "kira/registry/clock.h"
#include "kira/registry/unit_of_work.h"
#include "kira/storage/store.h"

namespace kira::registry {

struct DoseCheckInput {
  const domain::PatientRecord& patient;
  // The patient's current clinical facts (weight, height, pregnancy, ...)
  // and the screening stored for them on the session's route; null when
  // the patient has none yet (the Advisor's check then refuses).
  const domain::PatientFacts* facts;
  const domain::ScreeningRecord* screening;
  const domain::PatientFacts* previous_facts;  // the version before `facts`, or null
  const domain::SessionRecord& session;               // as proposed
  const std::vector<domain::SessionRecord>& history;  // the patient's stored sessions
  const std::optional<domain::Override>& override_;   // as requested
  // Device routes (esketamine nasal spray): the devices used, as recorded
  // (not stored: the stored dose in mg is their sum). Absent: not said.
  std::optional<int> devices = std::nullopt;
};

// The Advisor's dose check (rules/; see registry/advisor.h for the adapter
// over advisor::CheckDose). Pure: it must not read a clock, a file or the
// database. An error (unknown protocol, malformed input) aborts the use case
// with nothing written.
using DoseCheck = std::function<StatusOr<domain::Decision>(const DoseCheckInput&)>;

struct RecordSessionRequest {
  RecordSessionRequest() = default;
  RecordSessionRequest(domain::SessionRecord session_in, std::string actor_in,
                       std::optional<domain::Override> override_in = std::nullopt,
                       std::optional<int> devices_in = std::nullopt)
      : session(std::move(session_in)),
        actor(std::move(actor_in)),
        override_(std::move(override_in)),
        devices(devices_in) {}

  domain::SessionRecord session;
  std::string actor;  // user id of whoever records it
  // Needed only when the dose check returns a soft stop. who/when default to
  // actor/now when empty; reason must not be empty.
  std::optional<domain::Override> override_;
  // Device routes (esketamine nasal spray): the devices used; the Advisor
  // checks them against the dose.
  std::optional<int> devices;
};

// Stored sessions audited per row by SessionRecorder::RecordBatchIn, and
// the audit entity of those rows.
inline constexpr std::size_t kAuditBatch = 64;
inline constexpr char kAuditBatchEntity[] = "session_batch";

struct RecordSessionResult {
  bool stored = false;
  domain::Decision decision;  // with override_ filled in when one was used
  std::string refusal;        // when !stored: why, naming the rule ids
  // Internal to SessionRecorder: the override row to write after the session.
  std::optional<domain::OverrideRecord> pending_override_;
};

// Ends a recorded session: the dose actually given, when it stopped, and
// whether it completed or was stopped early. The given dose goes through the
// same dose check as RecordSession; the audit row carries the session before
// and after.
struct FinishSessionRequest {
  std::string clinic_id;
  std::string session_id;
  domain::SessionState state = domain::SessionState::kDischarged;  // kCompleted or kStopped
  units::Milligrams given_dose;
  domain::Instant stopped_at{};
  std::string actor;
  std::optional<domain::Override> override_;
};

// Corrects a stored session (an import with --update, a data-entry fix):
// the corrected values go through the same dose check as RecordSession
// (judged against the patient's other sessions), and the audit row
// ("amend") carries the session before and after and the reason.
struct AmendSessionRequest {
  domain::SessionRecord session;  // corrected; same clinic, id and patient as stored
  std::string actor;
  std::string reason;  // REQUIRES: not empty
  std::optional<domain::Override> override_;
};

// Options of SessionRecorder::StartBatchIn.
struct RecordBatchOptions {
  // false: the result of a stored session keeps only stored == true, the
  // decision's outcome and its override (what an importer reads); the
  // decision's findings and inputs are dropped on the deciding thread.
  bool keep_stored_decisions = true;
};

class SessionRecorder {
 public:
  // REQUIRES: store, clock outlive this object; check is callable.
  // `protocols` (optional) names each protocol's route, to pick the stored
  // screening for it; without it the IV screening is read.
  SessionRecorder(storage::Store* store, const Clock* clock, DoseCheck check,
                  const guideline::Library* protocols = nullptr)
      : store_(store), clock_(clock), check_(std::move(check)), protocols_(protocols) {}

  // One UnitOfWork for this session (retried on Aborted).
  StatusOr<RecordSessionResult> Record(const RecordSessionRequest& request);

  // The same inside a caller's UnitOfWork (batches: import, demo data).
  StatusOr<RecordSessionResult> RecordIn(UnitOfWork& uow, const RecordSessionRequest& request);

  // The batch form of RecordIn (record_session_batch.cc; imports): records
  // `requests` in their order inside `uow` through the same dose check, with
  // the same decision, refusal and override as calling RecordIn for each in
  // turn, and the same audit content: a refusal gets its own "refused" row,
  // the stored sessions (with their overrides) are audited up to
  // kAuditBatch sessions a row -- entity kAuditBatchEntity, entity_id
  // "FIRST..LAST" (the session ids), after: for each session in order the
  // line "record=session" and the session's canonical text, then for its
  // override "record=override" and the override's (what RecordIn writes
  // as one row each). Only the work around the check is shared: each
  // patient's record, open alerts, facts, screening and session history are
  // read once and the history kept up to date in memory as sessions are
  // stored; the writes go to the store in multi-row batches. results[i] is
  // the result of requests[i], or the error RecordIn would have returned for
  // it (nothing written for that request). An error of the batch itself (a
  // write the store refused) leaves `uow` spoiled: roll it back; which
  // request caused it is not known (run them through RecordIn to find out).
  StatusOr<std::vector<StatusOr<RecordSessionResult>>> RecordBatchIn(
      UnitOfWork& uow, const std::vector<RecordSessionRequest>& requests);

  // What RecordBatchIn read for each patient (record, open alerts, facts,
  // screening per route, session history kept up to date with what it
  // stored), kept between calls in one UnitOfWork, so that a file recorded
  // in several calls (an import's chunks) reads each patient once. Valid
  // only while nothing else in the UnitOfWork changes those patients'
  // sessions, facts or alerts: Clear() before any such write (an import
  // clears it before an amendment). A patient not registered, or with an
  // open alert, is read again at each call.
  class BatchCache {
   public:
    BatchCache();
    ~BatchCache();
    BatchCache(const BatchCache&) = delete;
    BatchCache& operator=(const BatchCache&) = delete;
    void Clear();
    // A patient registered in this unit of work with its first facts and
    // their screenings (`facts`, `screenings`: what RecordFirstFacts stored)
    // and nothing else since: what a batch would read back for it -- no
    // sessions, no open alert, those facts and the screening per route --
    // kept without reading it.
    void AddRegistered(const domain::PatientRecord& patient, const domain::PatientFacts& facts,
                       const std::vector<domain::ScreeningRecord>& screenings);
    // True when a batch of these requests reads nothing from the store:
    // every request's patient is kept, with a record for its route.
    bool HoldsAll(const std::vector<RecordSessionRequest>& requests, const guideline::Library* protocols) const;

   private:
    friend class SessionRecorder;
    struct State;
    std::unique_ptr<State> state_;
  };
  // RecordBatchIn with the reads of earlier calls in `cache` (same `uow`).
  StatusOr<std::vector<StatusOr<RecordSessionResult>>> RecordBatchIn(
      UnitOfWork& uow, const std::vector<RecordSessionRequest>& requests, BatchCache& cache);

  // RecordBatchIn in two halves, so that a caller can do other work while
  // the decisions are made (an import reads the next chunk of its file and
  // registers its new patients):
  //   StartBatchIn   the reads (on the calling thread), then the decisions
  //                  started on worker threads; returns at once;
  //   FinishBatchIn  waits for the decisions (the calling thread helps),
  //                  then the writes; the results are RecordBatchIn's.
  // Between the two, `uow` may be used for anything that does not change
  // the sessions, facts, screenings or alerts of the batch's patients, nor
  // read the audit log; another batch may be started with the same cache
  // only after this one's decisions are done (WaitForDecisions or
  // FinishBatchIn): its decisions read the history this one's made.
  // Destroying a PendingBatch waits for its decisions and writes nothing.
  using BatchOptions = RecordBatchOptions;
  class PendingBatch {
   public:
    ~PendingBatch();
    PendingBatch(const PendingBatch&) = delete;
    PendingBatch& operator=(const PendingBatch&) = delete;
    // Blocks until every decision is made (the calling thread helps).
    void WaitForDecisions();

   private:
    friend class SessionRecorder;
    struct State;
    explicit PendingBatch(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
  };
  StatusOr<std::unique_ptr<PendingBatch>> StartBatchIn(UnitOfWork& uow, std::vector<RecordSessionRequest> requests,
                                                       BatchCache& cache, BatchOptions options = {});
  StatusOr<std::vector<StatusOr<RecordSessionResult>>> FinishBatchIn(UnitOfWork& uow, PendingBatch& batch);
  // The rows FinishBatchIn writes with the transaction (its audit rows are
  // Audit() rows of `uow` like any other).
  struct BatchWrites {
    std::vector<domain::SessionRecord> sessions;  // in key order
    std::vector<domain::OverrideRecord> overrides;
    Status Write(storage::Transaction& tx) const;
  };
  // FinishBatchIn leaving the sessions and overrides in `*writes` for the
  // caller to write (BatchWrites::Write) before anything reads them or the
  // transaction commits. REQUIRES: uow.DeferAuditWrites() is on.
  StatusOr<std::vector<StatusOr<RecordSessionResult>>> FinishBatchIn(UnitOfWork& uow, PendingBatch& batch,
                                                                     BatchWrites* writes);

  // NotFound for an unknown session; FailedPrecondition when it is already
  // discharged or stopped; InvalidArgument for a state other than discharged
  // or stopped, or a stop before the start. A refused dose leaves the
  // session as it was (and appends a "refused" audit row).
  StatusOr<RecordSessionResult> Finish(const FinishSessionRequest& request);
  StatusOr<RecordSessionResult> FinishIn(UnitOfWork& uow, const FinishSessionRequest& request);

  // NotFound for an unknown session; InvalidArgument without a reason or
  // when the correction names another patient. A refused correction leaves
  // the session as it was (and appends a "refused" audit row).
  StatusOr<RecordSessionResult> AmendIn(UnitOfWork& uow, const AmendSessionRequest& request);

 private:
  // Runs the dose check on `proposed` and decides: returns the result with
  // stored == false and the refusal filled in, or stored == true when the
  // caller may write (the override record is then written here).
  // The patient's current facts and the screening stored for them.
  struct Loaded {
    std::optional<domain::PatientFacts> facts;
    std::optional<domain::PatientFacts> previous_facts;
    std::optional<domain::ScreeningRecord> screening;
  };
  StatusOr<Loaded> LoadRecord(storage::Transaction& tx, const domain::SessionRecord& session) const;
  static void StampRecord(domain::SessionRecord& session, const Loaded& record);

  StatusOr<RecordSessionResult> Gate(UnitOfWork& uow, const domain::PatientRecord& patient,
                                     const domain::SessionRecord& proposed,
                                     const std::optional<domain::Override>& override_,
                                     const std::string& actor, const std::string& before,
                                     std::string_view override_suffix, const Loaded& record,
                                     std::optional<int> devices = std::nullopt);
  // The decision of Gate without its writes: the dose check on the given
  // record and history, and what it means (stored, refused with the reason,
  // the override to record, dated `now` unless the request dates it).
  // Writes nothing and reads nothing but its arguments: the batch runs it
  // on several threads.
  StatusOr<RecordSessionResult> Decide(const domain::PatientRecord& patient, const domain::SessionRecord& proposed,
                                       const std::optional<domain::Override>& override_, const std::string& actor,
                                       std::string_view override_suffix, const Loaded& record,
                                       const std::vector<domain::SessionRecord>& history, domain::Instant now,
                                       std::optional<int> devices = std::nullopt) const;
  // Gate on a history the caller has read (without `proposed` itself).
  StatusOr<RecordSessionResult> GateOn(UnitOfWork& uow, const domain::PatientRecord& patient,
                                       const domain::SessionRecord& proposed,
                                       const std::optional<domain::Override>& override_,
                                       const std::string& actor, const std::string& before,
                                       std::string_view override_suffix, const Loaded& record,
                                       const std::vector<domain::SessionRecord>& history,
                                       std::optional<int> devices = std::nullopt);

  storage::Store* store_;
  const Clock* clock_;
  DoseCheck check_;
  const guideline::Library* protocols_;
};

}  // namespace kira::registry

#endif  // KIRA_REGISTRY_RECORD_SESSION_H_
