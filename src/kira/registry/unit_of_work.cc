#include "kira/registry/unit_of_work.h"

#include <chrono>
#include <thread>
#include <utility>

#include "kira/registry/audit.h"
#include "kira/registry/idempotency.h"

namespace kira::registry {

StatusOr<std::unique_ptr<UnitOfWork>> UnitOfWork::Begin(storage::Store& store, const Clock& clock,
                                                        std::string actor) {
  if (actor.empty()) return InvalidArgumentError("actor: must not be empty");
  KIRA_ASSIGN_OR_RETURN(auto tx, store.Begin());
  return std::unique_ptr<UnitOfWork>(new UnitOfWork(std::move(tx), &clock, std::move(actor)));
}

Status UnitOfWork::LockClinic(std::string_view clinic_id) {
  if (heads_.find(clinic_id) != heads_.end()) return Status::Ok();
  KIRA_ASSIGN_OR_RETURN(auto last, tx_->LastAuditEntry(clinic_id));
  Head head;
  head.seq = last ? last->seq : 0;
  head.hash = last ? last->hash : std::string(kGenesisHash);
  heads_.emplace(std::string(clinic_id), std::move(head));
  return Status::Ok();
}

Status UnitOfWork::Audit(std::string_view clinic_id, std::string_view action,
                         std::string_view entity, std::string_view entity_id, std::string before,
                         std::string after) {
  return AuditAs(actor_, clinic_id, action, entity, entity_id, std::move(before), std::move(after));
}

Status UnitOfWork::AuditAs(std::string_view actor, std::string_view clinic_id, std::string_view action,
                           std::string_view entity, std::string_view entity_id, std::string before,
                           std::string after) {
  KIRA_RETURN_IF_ERROR(LockClinic(clinic_id));
  auto it = heads_.find(clinic_id);
  domain::AuditEntry e;
  e.clinic_id = std::string(clinic_id);
  e.seq = it->second.seq + 1;
  e.at = clock_->Now();
  e.actor = std::string(actor);
  e.action = std::string(action);
  e.entity = std::string(entity);
  e.entity_id = std::string(entity_id);
  e.before = std::move(before);
  e.after = std::move(after);
  e.prev_hash = it->second.hash;
  e.hash = AuditHash(e);
  if (defer_audit_) {
    it->second.seq = e.seq;
    it->second.hash = e.hash;
    pending_audit_.push_back(std::move(e));
  } else {
    KIRA_RETURN_IF_ERROR(tx_->AppendAudit(e));
    it->second.seq = e.seq;
    it->second.hash = e.hash;
  }
  if (action != "read") wrote_records_ = true;  // [H15 idempotency] see Commit()
  return Status::Ok();
}

Status UnitOfWork::FlushAudit() {
  if (pending_audit_.empty()) return Status::Ok();
  std::vector<domain::AuditEntry> rows = std::move(pending_audit_);
  pending_audit_.clear();
  return tx_->AppendAudits(rows);
}

Status UnitOfWork::Commit() {
  // [H15 idempotency] The Idempotency-Key of the HTTP write being served
  // on this thread, if any, commits in the same transaction as the records
  // it wrote (registry/idempotency.h). Keep when merging.
  KIRA_RETURN_IF_ERROR(FlushAudit());
  const bool claims = wrote_records_;
  if (claims) KIRA_RETURN_IF_ERROR(ClaimPendingIdempotencyKey(*tx_, clock_->Now()));
  KIRA_RETURN_IF_ERROR(tx_->Commit());
  if (claims) PendingIdempotencyKeyCommitted();
  return Status::Ok();
}

Status RunInUnitOfWork(storage::Store& store, const Clock& clock, std::string_view actor,
                       const std::function<Status(UnitOfWork&)>& body, int attempts) {
  Status last;
  auto backoff = std::chrono::milliseconds(100);
  for (int i = 0; i < attempts; ++i) {
    // [H15 failover] Unavailable before COMMIT was sent (no connection, the
    // primary died or was demoted mid-transaction) wrote nothing: wait a
    // little and run the whole use case again. Unavailable FROM COMMIT is
    // ambiguous (the commit may have happened) and goes back to the caller;
    // a client resends with its Idempotency-Key.
    if (i > 0 && last.code() == StatusCode::kUnavailable) {
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
    }
    auto uow = UnitOfWork::Begin(store, clock, std::string(actor));
    if (!uow.ok()) {
      last = uow.status();
      if (last.code() == StatusCode::kUnavailable) continue;
      return last;
    }
    last = body(**uow);
    if (!last.ok()) {
      if (last.code() == StatusCode::kAborted || last.code() == StatusCode::kUnavailable) continue;
      return last;
    }
    last = (*uow)->Commit();
    if (last.code() != StatusCode::kAborted) return last;
  }
  return last;
}

}  // namespace kira::registry
