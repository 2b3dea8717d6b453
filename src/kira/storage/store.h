// The storage interface: the only way registry/ reaches durable state.
//
// A Store hands out Transactions. Everything a use case reads and writes
// happens inside one Transaction, which either commits as a whole or leaves
// no trace (destroying it without Commit() rolls back). Backends:
//   storage/memory/    MemoryStore, the fake used by unit tests
//   storage/sqlite/    SqliteStore, the embedded default (one file per registry)
//   storage/postgres/  PostgresStore, for networks of clinics
// All three pass the same contract suite (tests/kira/storage/store_contract_test.cc).
//
// Methods are grouped by aggregate: clinics and users, patients, sessions and
// what hangs off a session (vitals, adverse events, overrides), assessments,
// the controlled-substance ledger, and the audit log. Every record is keyed
// by (clinic_id, id); nothing is ever looked up across clinics.
//
// Error vocabulary (the same for every backend):
//   NotFound            a Get* for a key that does not exist
//   AlreadyExists       an Insert* whose (clinic_id, id) is taken
//   FailedPrecondition  an Insert* that names a parent that does not exist
//                       (patient of a session, session of a vital, ...), or
//                       a call on a transaction that already failed/committed
//   InvalidArgument     a value the schema rejects (negative dose, bad enum)
//   Aborted             a conflict with a concurrent transaction; retry the
//                       whole use case
//   Unavailable         the database cannot be reached
//   Internal            anything else (I/O error, corrupt file)
// After any write returns an error, the transaction is poisoned: later calls
// return FailedPrecondition and Commit() fails. This is the lowest common
// denominator (PostgreSQL aborts the transaction on any error) and keeps a
// use case from committing half of what it meant to write.
//
// Thread safety: a Store is safe to use from several threads at once; each
// Transaction belongs to one thread at a time. A Transaction must be
// destroyed before its Store.
#ifndef KIRA_STORAGE_STORE_H_
#define KIRA_STORAGE_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kira/base/status.h"
#include "kira/base/statusor.h"
#include "kira/domain/records.h"
#include "kira/domain/workflow.h"

namespace kira::storage {

// The chain id of the registry's own audit chain (security events with no
// clinic: failed log-ins for unknown logins, refusals without a session).
// Clinic ids starting with '*' are refused, so no clinic can be named so.
inline constexpr std::string_view kRegistryAuditChain = "*registry";
inline bool IsRegistryAuditChain(std::string_view chain_id) { return chain_id == kRegistryAuditChain; }

// Pages of list results: rows with id > after_id, in id order, at most
// `limit` of them. Start with after_id = "".
struct Page {
  std::string after_id;
  int limit = 1000;  // REQUIRES: limit > 0
};

// A write request's Idempotency-Key, as the server stored it in the same
// transaction as the write (registry/idempotency.h). The response is filled
// in once the answer is known; until then response_status is 0.
struct IdempotencyRecord {
  std::string clinic_id;
  std::string principal;  // the user the key belongs to
  std::string key;        // client-chosen, 1..200 printable ASCII characters
  std::string request_hash;  // hex SHA-256 of method, path and body
  domain::Instant created_at;
  int response_status = 0;
  std::string response_body;
};

// The columns registry analytics reads (registry/analytics_source.h), handed
// over row by row without building record objects: string views are valid
// only during the call. Calls come table by table: every Patient, then every
// Session, then AdverseEvent, then Override, then Assessment rows, each table
// in no particular order.
class CohortColumnsSink {
 public:
  virtual ~CohortColumnsSink() = default;
  virtual void Patient(std::string_view id, std::string_view indication) = 0;
  // `key` names the session within this scan (AdverseEvent and Override refer to it).
  virtual void Session(std::int64_t key, std::string_view patient_id, std::string_view protocol_id,
                       std::int64_t started_at_us, std::optional<double> given_dose_mg, double dosing_weight_kg,
                       domain::SessionState state) = 0;
  virtual void AdverseEvent(std::int64_t session_key, std::string_view type) = 0;
  // An override of the session that names the scan's rule id.
  virtual void Override(std::int64_t session_key) = 0;
  // An assessment with the scan's instrument.
  virtual void Assessment(std::string_view patient_id, std::int64_t at_us, double total) = 0;
};

class Transaction {
 public:
  Transaction() = default;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  // Rolls back unless Commit() returned OK.
  virtual ~Transaction() = default;

  // ---- Clinics and users ----
  virtual Status InsertClinic(const domain::Clinic& clinic) = 0;
  // NotFound if there is no clinic with this id.
  virtual StatusOr<domain::Clinic> GetClinic(std::string_view clinic_id) = 0;
  // All clinics, in id order.
  virtual StatusOr<std::vector<domain::Clinic>> ListClinics() = 0;
  // FailedPrecondition if the clinic does not exist.
  virtual Status InsertUser(const domain::User& user) = 0;
  virtual StatusOr<domain::User> GetUser(std::string_view clinic_id, std::string_view id) = 0;

  // ---- Credentials (server log-in) ----
  // The one lookup not keyed by clinic: a log-in is what establishes the
  // clinic. FailedPrecondition if the user (clinic_id, user_id) does not
  // exist; AlreadyExists if the login is taken; InvalidArgument if a field
  // is empty.
  virtual Status InsertCredential(const domain::Credential& credential) = 0;
  // NotFound if there is no such login.
  virtual StatusOr<domain::Credential> GetCredential(std::string_view login) = 0;
  // NotFound if the user has no credential.
  virtual StatusOr<domain::Credential> GetCredentialOfUser(std::string_view clinic_id, std::string_view user_id) = 0;
  // The clinic's credentials, by login.
  virtual StatusOr<std::vector<domain::Credential>> ListCredentials(std::string_view clinic_id) = 0;
  // Replaces the hash, disabled, must_change_password and totp_secret of
  // the credential with this login. NotFound if there is none.
  virtual Status UpdateCredential(const domain::Credential& credential) = 0;
  // Records that `login` used the TOTP code of time step `step` (RFC 6238
  // T = unix time / 30): true when `step` is later than every step it used
  // before, so the code may be accepted; false when that step or a later
  // one was used already (a replayed code). Atomic: two transactions
  // claiming one step cannot both get true. NotFound for an unknown login.
  virtual StatusOr<bool> ClaimTotpStep(std::string_view login, std::int64_t step) = 0;
  // The clinic's users, by id.
  virtual StatusOr<std::vector<domain::User>> ListUsers(std::string_view clinic_id) = 0;
  // Replaces display_name and role. NotFound if there is no such user.
  virtual Status UpdateUser(const domain::User& user) = 0;

  // ---- Log-in sessions (server/auth.h; only token hashes are stored) ----
  // AlreadyExists for a repeated token hash; FailedPrecondition if the user
  // does not exist.
  virtual Status InsertAuthSession(const domain::AuthSession& session) = 0;
  // NotFound if there is no such session.
  virtual StatusOr<domain::AuthSession> GetAuthSession(std::string_view token_hash) = 0;
  // Sets last_used_at; NotFound if the session is gone.
  virtual Status TouchAuthSession(std::string_view token_hash, domain::Instant last_used_at) = 0;
  // Deletes one session (no error if it is gone).
  virtual Status DeleteAuthSession(std::string_view token_hash) = 0;
  // Deletes every session of a user; returns how many there were.
  virtual StatusOr<int> DeleteUserAuthSessions(std::string_view clinic_id, std::string_view user_id) = 0;
  // Deletes sessions idle since before `idle_before` or past their absolute
  // expiry at `now`; returns how many.
  virtual StatusOr<int> PurgeAuthSessions(domain::Instant idle_before, domain::Instant now) = 0;
  // Sessions not yet purged.
  virtual StatusOr<std::int64_t> CountAuthSessions() = 0;

  // ---- Signed audit checkpoints (registry/audit.h) ----
  virtual Status InsertAuditCheckpoint(const domain::AuditCheckpoint& checkpoint) = 0;
  // The chain's checkpoints by seq; every chain's (the registry chain's
  // included) when clinic_id is empty.
  virtual StatusOr<std::vector<domain::AuditCheckpoint>> ListAuditCheckpoints(std::string_view clinic_id) = 0;

  // ---- Patients ----
  // FailedPrecondition if the clinic does not exist.
  virtual Status InsertPatient(const domain::PatientRecord& patient) = 0;
  // Identifiers are stored apart from the pseudonymous record.
  // FailedPrecondition if the patient does not exist; AlreadyExists if it
  // already has an identity.
  virtual Status InsertPatientIdentity(const domain::PatientIdentity& identity) = 0;
  virtual StatusOr<domain::PatientRecord> GetPatient(std::string_view clinic_id,
                                                     std::string_view id) = 0;
  virtual StatusOr<domain::PatientIdentity> GetPatientIdentity(std::string_view clinic_id,
                                                               std::string_view patient_id) = 0;
  // The patient with its identity (nullopt when none is recorded), in one
  // lookup where the backend can (SQL: one LEFT JOIN); NotFound as GetPatient.
  struct PatientWithIdentity {
    domain::PatientRecord record;
    std::optional<domain::PatientIdentity> identity;
  };
  virtual StatusOr<PatientWithIdentity> GetPatientWithIdentity(std::string_view clinic_id, std::string_view id);
  virtual StatusOr<std::vector<domain::PatientRecord>> ListPatients(std::string_view clinic_id,
                                                                    const Page& page) = 0;

  // ---- Sessions ----
  // FailedPrecondition if the patient does not exist.
  virtual Status InsertSession(const domain::SessionRecord& session) = 0;
  // Replaces every field but (clinic_id, id, patient_id). NotFound if absent.
  virtual Status UpdateSession(const domain::SessionRecord& session) = 0;
  virtual StatusOr<domain::SessionRecord> GetSession(std::string_view clinic_id,
                                                     std::string_view id) = 0;
  virtual StatusOr<std::vector<domain::SessionRecord>> ListSessions(std::string_view clinic_id,
                                                                    const Page& page) = 0;
  // Every session of one patient, ordered by started_at then id.
  virtual StatusOr<std::vector<domain::SessionRecord>> ListPatientSessions(
      std::string_view clinic_id, std::string_view patient_id) = 0;

  // ---- What hangs off a session: FailedPrecondition if the session does not exist ----
  virtual Status InsertVital(const domain::VitalSign& vital) = 0;
  // Ordered by at, then id.
  virtual StatusOr<std::vector<domain::VitalSign>> ListVitals(std::string_view clinic_id,
                                                              std::string_view session_id) = 0;
  virtual Status InsertAdverseEvent(const domain::AdverseEvent& event) = 0;
  virtual StatusOr<std::vector<domain::AdverseEvent>> ListAdverseEvents(
      std::string_view clinic_id, std::string_view session_id) = 0;
  virtual Status InsertOverride(const domain::OverrideRecord& override_record) = 0;
  virtual StatusOr<std::vector<domain::OverrideRecord>> ListOverrides(
      std::string_view clinic_id, std::string_view session_id) = 0;

  // ---- Assessments: FailedPrecondition if the patient (or a non-empty session) does not exist ----
  virtual Status InsertAssessment(const domain::Assessment& assessment) = 0;
  // Ordered by at, then id.
  virtual StatusOr<std::vector<domain::Assessment>> ListAssessments(
      std::string_view clinic_id, std::string_view patient_id) = 0;

  // ---- Bulk scans for analytics (design.md "Scale": in batches, never row by row) ----
  // Every adverse event / override / assessment of a clinic with id > page.after_id,
  // in id order, at most page.limit rows; an empty result ends the scan.
  // Together with ListPatients and ListSessions (also paged by id) these let
  // registry/ read a whole clinic in O(rows / limit) round trips. A clinic
  // with no rows (or no such clinic) yields an empty vector, not NotFound.
  virtual StatusOr<std::vector<domain::AdverseEvent>> ScanAdverseEvents(std::string_view clinic_id,
                                                                        const Page& page) = 0;
  virtual StatusOr<std::vector<domain::OverrideRecord>> ScanOverrides(std::string_view clinic_id,
                                                                      const Page& page) = 0;
  virtual StatusOr<std::vector<domain::Assessment>> ScanAssessments(std::string_view clinic_id,
                                                                    const Page& page) = 0;
  // The columnar read of one clinic for registry analytics: patients,
  // sessions, their adverse events and the overrides naming
  // `override_rule_id`, and the assessments of `instrument`. The default
  // reads the paged methods above (page_size rows per call); a backend may
  // answer with one streaming query per table (SQLite does).
  virtual Status ScanCohortColumns(std::string_view clinic_id, std::string_view instrument,
                                   std::string_view override_rule_id, CohortColumnsSink& sink, int page_size);

  // ---- The clinical record: facts versions, screenings, alerts ----
  // FailedPrecondition if the patient does not exist; AlreadyExists if the
  // (patient, version) is taken; InvalidArgument for a version < 1 or a
  // value out of range.
  virtual Status InsertPatientFacts(const domain::PatientFacts& facts) = 0;
  // The newest version; NotFound when the patient has none.
  virtual StatusOr<domain::PatientFacts> GetCurrentPatientFacts(std::string_view clinic_id,
                                                                std::string_view patient_id) = 0;
  // Every version, oldest first.
  virtual StatusOr<std::vector<domain::PatientFacts>> ListPatientFacts(std::string_view clinic_id,
                                                                       std::string_view patient_id) = 0;
  // FailedPrecondition if the facts version does not exist; AlreadyExists
  // if (patient, facts_version, route) is taken.
  virtual Status InsertScreening(const domain::ScreeningRecord& screening) = 0;
  // NotFound when that facts version was not screened for the route.
  virtual StatusOr<domain::ScreeningRecord> GetScreening(std::string_view clinic_id, std::string_view patient_id,
                                                         int facts_version, std::string_view route) = 0;
  // FailedPrecondition if the patient does not exist.
  virtual Status InsertAlert(const domain::AlertRecord& alert) = 0;
  // Records the acknowledgement (acknowledged_at/_by, ack_reason); every
  // other field stays as stored. NotFound if absent.
  virtual Status UpdateAlert(const domain::AlertRecord& alert) = 0;
  virtual StatusOr<domain::AlertRecord> GetAlert(std::string_view clinic_id, std::string_view id) = 0;
  // Alerts of one patient (or of the clinic when patient_id is empty),
  // only the unacknowledged ones when open_only; ordered by raised_at, then id.
  virtual StatusOr<std::vector<domain::AlertRecord>> ListAlerts(std::string_view clinic_id,
                                                                std::string_view patient_id, bool open_only) = 0;

  // ---- Controlled-substance ledger (append-only) ----
  virtual Status InsertLedgerEntry(const domain::LedgerEntry& entry) = 0;
  // Entries of one lot, or of every lot when lot is empty; ordered by at, then id.
  virtual StatusOr<std::vector<domain::LedgerEntry>> ListLedger(std::string_view clinic_id,
                                                                std::string_view lot) = 0;

  // ---- The clinic day (domain/workflow.h; migration 008) ----
  // Patient edits: replace sex, birth_year and indication. NotFound if absent.
  virtual Status UpdatePatient(const domain::PatientRecord& patient) = 0;
  // Inserts the identity or replaces every field of the existing one.
  // FailedPrecondition if the patient does not exist.
  virtual Status PutPatientIdentity(const domain::PatientIdentity& identity) = 0;
  // FailedPrecondition if the session or the vital (or a non-empty
  // replacement) does not exist.
  virtual Status InsertVitalAmendment(const domain::VitalAmendment& amendment) = 0;
  // Ordered by at, then id.
  virtual StatusOr<std::vector<domain::VitalAmendment>> ListVitalAmendments(std::string_view clinic_id,
                                                                            std::string_view session_id) = 0;
  // FailedPrecondition if the patient does not exist.
  virtual Status InsertAppointment(const domain::Appointment& appointment) = 0;
  // Replaces every field but (clinic_id, id, patient_id). NotFound if absent.
  virtual Status UpdateAppointment(const domain::Appointment& appointment) = 0;
  virtual StatusOr<domain::Appointment> GetAppointment(std::string_view clinic_id, std::string_view id) = 0;
  // Appointments with from <= scheduled_at < to, ordered by scheduled_at, then id.
  virtual StatusOr<std::vector<domain::Appointment>> ListAppointments(std::string_view clinic_id,
                                                                      domain::Instant from,
                                                                      domain::Instant to) = 0;
  // FailedPrecondition if the patient does not exist.
  virtual Status InsertConsent(const domain::ConsentRecord& consent) = 0;
  // Ordered by recorded_at, then id.
  virtual StatusOr<std::vector<domain::ConsentRecord>> ListConsents(std::string_view clinic_id,
                                                                    std::string_view patient_id) = 0;
  // Inserts the form or replaces every field of the stored one with this id.
  // FailedPrecondition if the session does not exist.
  virtual Status PutRemsForm(const domain::RemsForm& form) = 0;
  virtual StatusOr<domain::RemsForm> GetRemsForm(std::string_view clinic_id, std::string_view id) = 0;
  // Every form of the clinic, ordered by session_at, then id.
  virtual StatusOr<std::vector<domain::RemsForm>> ListRemsForms(std::string_view clinic_id) = 0;
  // Inserts or replaces the clinic's listing. FailedPrecondition if the clinic does not exist.
  virtual Status PutClinicListing(const domain::ClinicListing& listing) = 0;
  // Every listing (published or not), in clinic id order.
  virtual StatusOr<std::vector<domain::ClinicListing>> ListClinicListings() = 0;

  // ---- Audit log (append-only, hash-chained by registry/audit.h) ----
  // The audit methods take a chain id: a clinic id, or kRegistryAuditChain
  // for the registry's own chain of security events that belong to no clinic
  // (kept apart from every clinic's rows; no clinic can take that id, see
  // ValidateClinic).
  // The newest entry of the clinic's chain, or nullopt for an empty chain.
  // Also serialises writers of this clinic's chain until this transaction
  // ends, so that two transactions cannot both append seq N+1 (on
  // PostgreSQL it locks the clinic row; SQLite transactions are already
  // exclusive). Call it before AppendAudit.
  virtual StatusOr<std::optional<domain::AuditEntry>> LastAuditEntry(
      std::string_view clinic_id) = 0;
  // AlreadyExists if (clinic_id, seq) is taken.
  virtual Status AppendAudit(const domain::AuditEntry& entry) = 0;
  // Batch forms for imports (registry's RecordBatchIn and deferred audit
  // rows): the same checks and the same rows as InsertSession / AppendAudit
  // called for each element in order, written in fewer statements where the
  // backend can. On an error it is unspecified which rows were written: roll
  // the transaction back.
  virtual Status InsertSessions(std::span<const domain::SessionRecord> sessions) {
    for (const auto& s : sessions) {
      if (Status st = InsertSession(s); !st.ok()) return st;
    }
    return Status::Ok();
  }
  virtual Status AppendAudits(std::span<const domain::AuditEntry> entries) {
    for (const auto& e : entries) {
      if (Status st = AppendAudit(e); !st.ok()) return st;
    }
    return Status::Ok();
  }
  // (registry's RecordFacts with deferred writes: an import's new patients)
  virtual Status InsertPatientFactsMany(std::span<const domain::PatientFacts> facts) {
    for (const auto& f : facts) {
      if (Status st = InsertPatientFacts(f); !st.ok()) return st;
    }
    return Status::Ok();
  }
  virtual Status InsertScreenings(std::span<const domain::ScreeningRecord> screenings) {
    for (const auto& x : screenings) {
      if (Status st = InsertScreening(x); !st.ok()) return st;
    }
    return Status::Ok();
  }
  // Entries with seq > after_seq in seq order, at most `limit`.
  virtual StatusOr<std::vector<domain::AuditEntry>> ListAudit(std::string_view clinic_id,
                                                              std::int64_t after_seq,
                                                              int limit) = 0;

  // ---- Idempotency keys (registry/idempotency.h) ----
  // AlreadyExists if (clinic_id, principal, key) is taken; FailedPrecondition
  // if the clinic does not exist; InvalidArgument for an empty field.
  virtual Status InsertIdempotencyKey(const IdempotencyRecord& record) = 0;
  // NotFound if absent.
  virtual StatusOr<IdempotencyRecord> GetIdempotencyKey(std::string_view clinic_id,
                                                        std::string_view principal,
                                                        std::string_view key) = 0;
  // Records the answer sent for the key. NotFound if absent.
  virtual Status SetIdempotencyResponse(std::string_view clinic_id, std::string_view principal,
                                        std::string_view key, int status, std::string_view body) = 0;
  // Deletes the clinic's keys created before `before`; returns how many.
  virtual StatusOr<int> PurgeIdempotencyKeys(std::string_view clinic_id, domain::Instant before) = 0;

  // Makes every write of this transaction durable (on SQLite and PostgreSQL
  // the data is on stable storage when this returns OK). Afterwards the
  // transaction accepts no more calls. Aborted on a conflict.
  virtual Status Commit() = 0;
};

class Store {
 public:
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  virtual ~Store() = default;

  // Starts a transaction. The caller owns the result. May block while
  // another writer holds the database (SQLite) or the pool is exhausted
  // (PostgreSQL). Unavailable if the database cannot be reached.
  virtual StatusOr<std::unique_ptr<Transaction>> Begin() = 0;

  // Starts a transaction for reading only: a consistent snapshot of what
  // was committed when it started, which is never committed itself. A
  // backend may serve it without the write lock (SQLite: a pool of
  // read-only connections in WAL mode, so reads do not queue behind a
  // writer's fsync); writing through it fails. Default: Begin().
  virtual StatusOr<std::unique_ptr<Transaction>> BeginRead() { return Begin(); }

  // "memory", "sqlite" or "postgres", for messages and benchmarks.
  virtual std::string_view backend() const = 0;
};

}  // namespace kira::storage

#endif  // KIRA_STORAGE_STORE_H_
