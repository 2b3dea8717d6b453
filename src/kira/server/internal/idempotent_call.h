// Internal to server/: runs a write route under the request's
// Idempotency-Key header (registry/idempotency.h explains the protocol).
// The one call site is the dispatch in server.cc.
#ifndef KIRA_SERVER_INTERNAL_IDEMPOTENT_CALL_H_
#define KIRA_SERVER_INTERNAL_IDEMPOTENT_CALL_H_

#include <functional>
#include <string_view>

#include "kira/base/statusor.h"
#include "kira/server/internal/routes.h"

namespace kira::server::internal {

// Without a key (or on GET/HEAD, or a public route) simply `run()`.
// With one: a replay answers from the stored answer (header
// "Idempotent-Replayed: true"); a key already used for another request is
// FailedPrecondition (422); a key whose write is applied but whose answer
// is not stored (yet) is 409 "idempotency_key_applied" with Retry-After;
// otherwise `run()` executes with the key claimed, and its answer is stored.
StatusOr<Reply> RunIdempotent(Services& s, const Call& c, std::string_view method, std::string_view path,
                              std::string_view key, const std::function<StatusOr<Reply>()>& run);

}  // namespace kira::server::internal

#endif  // KIRA_SERVER_INTERNAL_IDEMPOTENT_CALL_H_
