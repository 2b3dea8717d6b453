// UnitOfWork: one Store transaction plus the audit rows of everything written
// in it. Every registry write goes through a UnitOfWork, so a record and its
// audit row commit together or not at all (design.md, "Registry").
//
// States:  open --Commit() OK--> committed
//          open --any write error--> failed  (Commit() then refuses)
//          any --destroyed--> rolled back unless committed
//
// Not thread-safe: one UnitOfWork belongs to one thread.
#ifndef KIRA_REGISTRY_UNIT_OF_WORK_H_
#define KIRA_REGISTRY_UNIT_OF_WORK_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kira/base/status.h"
#include "kira/base/statusor.h"
#include "kira/domain/records.h"
#include "kira/registry/clock.h"
#include "kira/storage/store.h"

namespace kira::registry {

class UnitOfWork {
 public:
  // Begins a transaction on `store`. `actor` (a user id, or "system:import",
  // "system:demo") is recorded on every audit row. `store` and `clock` must
  // outlive the UnitOfWork.
  static StatusOr<std::unique_ptr<UnitOfWork>> Begin(storage::Store& store, const Clock& clock,
                                                     std::string actor);

  storage::Transaction& tx() { return *tx_; }
  const std::string& actor() const { return actor_; }
  domain::Instant now() const { return clock_->Now(); }

  // Appends the next row of `clinic_id`'s audit chain. `before` is "" for an
  // insert. The chain head is read once per clinic and then kept here, so a
  // batch of N writes costs one head lookup, not N.
  Status Audit(std::string_view clinic_id, std::string_view action, std::string_view entity,
               std::string_view entity_id, std::string before, std::string after);
  // Audit() with `actor` on the row instead of this unit's actor: the
  // server's access audit commits the reads of many users in one
  // transaction (one commit per batch, however many users it holds).
  Status AuditAs(std::string_view actor, std::string_view clinic_id, std::string_view action,
                 std::string_view entity, std::string_view entity_id, std::string before, std::string after);

  // Reads (and on PostgreSQL locks) the head of `clinic_id`'s audit chain
  // now rather than at the first Audit(). A use case that decides on what
  // it reads (the dose check reads the patient's history) calls this first,
  // so no concurrent writer of the clinic can change that history between
  // the read and the write (no write skew under READ COMMITTED).
  Status LockClinic(std::string_view clinic_id);

  // Batches (imports): from now on Audit() chains and hashes each row as
  // before but keeps it, and FlushAudit() (or Commit()) writes the kept rows
  // in multi-row statements. Nothing in the transaction may read the audit
  // log in between (no use case does).
  // Returns the previous setting; turning it off does not flush.
  bool DeferAuditWrites(bool on = true) { return std::exchange(defer_audit_, on); }
  Status FlushAudit();
  // The kept rows (chained and hashed), for the caller to write with
  // tx().AppendAudits before the commit, in the order taken.
  std::vector<domain::AuditEntry> TakeKeptAudit() { return std::exchange(pending_audit_, {}); }

  Status Commit();

 private:
  UnitOfWork(std::unique_ptr<storage::Transaction> tx, const Clock* clock, std::string actor)
      : tx_(std::move(tx)), clock_(clock), actor_(std::move(actor)) {}

  struct Head {
    std::int64_t seq = 0;
    std::string hash;
  };
  std::unique_ptr<storage::Transaction> tx_;
  const Clock* clock_;
  std::string actor_;
  std::map<std::string, Head, std::less<>> heads_;
  bool wrote_records_ = false;  // [H15 idempotency] an Audit() other than a read
  bool defer_audit_ = false;
  std::vector<domain::AuditEntry> pending_audit_;  // chained and hashed, not yet written
};

// Runs `body` in a fresh UnitOfWork and commits it, retrying the whole thing
// (up to `attempts` times) when the store reports Aborted (a conflict with a
// concurrent writer) or Unavailable before the commit was sent (a database
// failover; with a backoff of 0.1, 0.2, 0.4 ... s). Any other error is
// returned as is, with nothing written; so is Unavailable from the commit
// itself, after which the write may or may not have been applied.
Status RunInUnitOfWork(storage::Store& store, const Clock& clock, std::string_view actor,
                       const std::function<Status(UnitOfWork&)>& body, int attempts = 5);

}  // namespace kira::registry

#endif  // KIRA_REGISTRY_UNIT_OF_WORK_H_
