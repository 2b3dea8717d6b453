#include "kira/registry/idempotency.h"

#include <openssl/evp.h>

#include <atomic>
#include <cstdio>
#include <string>

namespace kira::registry {

namespace {

thread_local IdempotencyClaim* pending_claim = nullptr;

// Purge at most once per interval per process: a cheap indexed DELETE of the
// clinic's expired keys, piggy-backed on a write of that clinic.
constexpr std::chrono::minutes kPurgeInterval{10};
std::atomic<std::int64_t> last_purge_us{0};

}  // namespace

Status ValidateIdempotencyKey(std::string_view key) {
  if (key.empty() || key.size() > 200) {
    return InvalidArgumentError("Idempotency-Key: must be 1 to 200 characters, got " + std::to_string(key.size()));
  }
  for (char ch : key) {
    if (ch < 0x21 || ch > 0x7e) {
      return InvalidArgumentError("Idempotency-Key: only printable ASCII characters without spaces");
    }
  }
  return Status::Ok();
}

std::string IdempotencyRequestHash(std::initializer_list<std::string_view> parts) {
  std::string bytes;
  for (std::string_view p : parts) {
    bytes += std::to_string(p.size());
    bytes += ':';
    bytes += p;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr) != 1) return "";
  std::string hex;
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    hex += buf;
  }
  return hex;
}

StatusOr<PriorOutcome> LookUpIdempotencyKey(storage::Store& store, const IdempotencyClaim& claim) {
  KIRA_ASSIGN_OR_RETURN(auto tx, store.Begin());
  StatusOr<storage::IdempotencyRecord> r = tx->GetIdempotencyKey(claim.clinic_id, claim.principal, claim.key);
  PriorOutcome out;
  if (!r.ok()) {
    if (r.status().IsNotFound()) return out;
    return r.status();
  }
  if (r->request_hash != claim.request_hash) {
    out.kind = PriorRequest::kOtherRequest;
  } else if (r->response_status == 0) {
    out.kind = PriorRequest::kAppliedWithoutAnswer;
  } else {
    out.kind = PriorRequest::kAnswered;
    out.status = r->response_status;
    out.body = std::move(r->response_body);
  }
  return out;
}

Status RecordIdempotentResponse(storage::Store& store, const IdempotencyClaim& claim, int status,
                                std::string_view body, domain::Instant now) {
  KIRA_ASSIGN_OR_RETURN(auto tx, store.Begin());
  KIRA_RETURN_IF_ERROR(tx->SetIdempotencyResponse(claim.clinic_id, claim.principal, claim.key, status, body));
  const std::int64_t now_us = domain::ToUnixMicros(now);
  std::int64_t last = last_purge_us.load();
  const std::int64_t interval_us = std::chrono::duration_cast<std::chrono::microseconds>(kPurgeInterval).count();
  if (now_us - last >= interval_us && last_purge_us.compare_exchange_strong(last, now_us)) {
    KIRA_RETURN_IF_ERROR(tx->PurgeIdempotencyKeys(claim.clinic_id, now - kIdempotencyKeyLifetime).status());
  }
  return tx->Commit();
}

IdempotencyScope::IdempotencyScope(IdempotencyClaim* claim) : previous_(pending_claim) { pending_claim = claim; }
IdempotencyScope::~IdempotencyScope() { pending_claim = previous_; }

Status ClaimPendingIdempotencyKey(storage::Transaction& tx, domain::Instant now) {
  IdempotencyClaim* c = pending_claim;
  if (c == nullptr || c->committed) return Status::Ok();
  storage::IdempotencyRecord r{c->clinic_id, c->principal, c->key, c->request_hash, now, 0, ""};
  Status s = tx.InsertIdempotencyKey(r);
  if (s.code() == StatusCode::kAlreadyExists) {
    c->lost_race = true;
    return AlreadyExistsError("Idempotency-Key: a request with this key was already applied");
  }
  return s;
}

void PendingIdempotencyKeyCommitted() {
  if (pending_claim != nullptr) pending_claim->committed = true;
}

}  // namespace kira::registry
