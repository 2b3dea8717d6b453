#include "kira/server/internal/idempotent_call.h"

#include <cstdio>
#include <string>
#include <utility>

#include "kira/api/server_json.h"
#include "kira/registry/idempotency.h"

namespace kira::server::internal {

namespace {

Reply Replay(const registry::PriorOutcome& prior) {
  Reply r;
  r.status = prior.status;
  r.body = prior.body;
  r.headers.emplace_back("Idempotent-Replayed", "true");
  return r;
}

Reply AppliedWithoutAnswer(const Call& c) {
  Reply r;
  r.status = 409;
  r.body = api::ErrorJson("idempotency_key_applied",
                          "a request with this Idempotency-Key was already applied; its answer is not available "
                          "(yet): retry in a moment, or read the record",
                          "Idempotency-Key", c.request_id);
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

StatusOr<Reply> AnswerFromPrior(const registry::PriorOutcome& prior, const Call& c) {
  switch (prior.kind) {
    case registry::PriorRequest::kAnswered: return Replay(prior);
    case registry::PriorRequest::kAppliedWithoutAnswer: return AppliedWithoutAnswer(c);
    case registry::PriorRequest::kOtherRequest:
      return FailedPreconditionError("Idempotency-Key: already used for a different request; use a new key");
    case registry::PriorRequest::kNone: break;
  }
  return InternalError("idempotency: no prior request");
}

}  // namespace

StatusOr<Reply> RunIdempotent(Services& s, const Call& c, std::string_view method, std::string_view path,
                              std::string_view key, const std::function<StatusOr<Reply>()>& run) {
  if (key.empty() || c.who == nullptr || method == "GET" || method == "HEAD") return run();
  KIRA_RETURN_IF_ERROR(registry::ValidateIdempotencyKey(key));
  std::string query;
  for (const auto& [k, v] : c.query) query += k + "=" + v + "&";
  registry::IdempotencyClaim claim{c.who->clinic_id, c.who->user_id, std::string(key),
                                   registry::IdempotencyRequestHash({method, path, query, c.body})};
  KIRA_ASSIGN_OR_RETURN(registry::PriorOutcome prior, registry::LookUpIdempotencyKey(*s.store, claim));
  if (prior.kind != registry::PriorRequest::kNone) return AnswerFromPrior(prior, c);

  StatusOr<Reply> reply = InternalError("unreachable");
  {
    registry::IdempotencyScope scope(&claim);
    reply = run();
  }
  if (!claim.committed && !reply.ok()) {
    // Did a concurrent request with this key (a client retry that overtook
    // a slow first attempt) commit first? Then ours failed because of it:
    // on the key row itself, or on a record that attempt wrote (its id
    // taken, AlreadyExists). Answer as that request did.
    StatusOr<registry::PriorOutcome> now = registry::LookUpIdempotencyKey(*s.store, claim);
    if (now.ok() && now->kind != registry::PriorRequest::kNone) return AnswerFromPrior(*now, c);
  }
  // Store the answer of an applied write, unless it is a server error after
  // the commit (then a retry learns that the write is applied, not a 5xx).
  if (claim.committed && reply.ok() && reply->status < 500) {
    Status st = registry::RecordIdempotentResponse(*s.store, claim, reply->status, reply->body, s.clock->Now());
    if (!st.ok()) {
      std::fprintf(stderr, "kira serve: request %s: storing the answer for its Idempotency-Key: %s\n",
                   c.request_id.c_str(), st.ToString().c_str());
    }
  }
  return reply;
}

}  // namespace kira::server::internal
