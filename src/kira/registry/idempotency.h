// Idempotent writes: a client sends `Idempotency-Key: <its own unique
// string>` with a write and sends the same key again when it did not get
// the answer (timeout, lost connection, a kira serve instance or the
// database primary died). The write is applied at most once, and a retry
// gets the first answer back.
//
// How: while the write request runs, an IdempotencyScope on the handling
// thread holds the claim (clinic, user, key, hash of the request).
// UnitOfWork::Commit writes the claim row in the SAME transaction as the
// write (ClaimPendingIdempotencyKey), so the key exists exactly when the
// write does. Two requests with one key race on the row's primary key: the
// loser's transaction rolls back. After the handler answered, the answer is
// stored on the row (RecordIdempotentResponse) for replays.
//
//   retry finds        answer
//   no row             run the request (the first attempt wrote nothing)
//   row + answer       the stored answer again (same request hash), or
//                      FailedPrecondition (422) if the key came with another request
//   row, no answer     the write is applied but its answer was not stored
//                      (the server died in between, or it is still running):
//                      kAppliedWithoutAnswer, the client reads the record
//
// Keys are per clinic and user, and are purged a day after their first use.
#ifndef KIRA_REGISTRY_IDEMPOTENCY_H_
#define KIRA_REGISTRY_IDEMPOTENCY_H_

#include <chrono>
#include <string>
#include <string_view>

#include "kira/base/status.h"
#include "kira/base/statusor.h"
#include "kira/domain/records.h"
#include "kira/storage/store.h"

namespace kira::registry {

// How long a key is remembered. A client retries within minutes.
inline constexpr std::chrono::hours kIdempotencyKeyLifetime{24};

struct IdempotencyClaim {
  std::string clinic_id;
  std::string principal;
  std::string key;
  std::string request_hash;
  bool committed = false;  // a UnitOfWork committed the claim row
  bool lost_race = false;  // another request with this key committed first
};

// InvalidArgument naming the header unless `key` is 1..200 printable ASCII
// characters (a UUID is the usual choice).
Status ValidateIdempotencyKey(std::string_view key);

// Hex SHA-256 over the parts (length-prefixed, so no two part lists collide).
std::string IdempotencyRequestHash(std::initializer_list<std::string_view> parts);

enum class PriorRequest {
  kNone,                  // first time this key is seen
  kAnswered,              // stored answer in status/body
  kOtherRequest,          // the key was used for a different request
  kAppliedWithoutAnswer,  // applied; the answer is not (yet) stored
};
struct PriorOutcome {
  PriorRequest kind = PriorRequest::kNone;
  int status = 0;
  std::string body;
};
StatusOr<PriorOutcome> LookUpIdempotencyKey(storage::Store& store, const IdempotencyClaim& claim);

// Stores the answer of a committed claim, and now and then purges the
// clinic's expired keys. Unavailable etc. if the store fails: the write
// stands, a retry then gets kAppliedWithoutAnswer.
Status RecordIdempotentResponse(storage::Store& store, const IdempotencyClaim& claim, int status,
                                std::string_view body, domain::Instant now);

// Makes `claim` the pending claim of this thread for the scope's lifetime.
class IdempotencyScope {
 public:
  explicit IdempotencyScope(IdempotencyClaim* claim);
  ~IdempotencyScope();
  IdempotencyScope(const IdempotencyScope&) = delete;
  IdempotencyScope& operator=(const IdempotencyScope&) = delete;

 private:
  IdempotencyClaim* previous_;
};

// ---- Hooks for UnitOfWork::Commit (unit_of_work.cc) ----
// Before COMMIT of a transaction that wrote registry records: inserts this
// thread's pending, not yet committed claim, if any. AlreadyExists (the
// transaction is then poisoned and rolls back) if another request with the
// key got there first.
Status ClaimPendingIdempotencyKey(storage::Transaction& tx, domain::Instant now);
// After that COMMIT returned OK.
void PendingIdempotencyKeyCommitted();

}  // namespace kira::registry

#endif  // KIRA_REGISTRY_IDEMPOTENCY_H_
