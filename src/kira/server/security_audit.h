// Audit of unauthenticated security events, bounded against floods.
//
// A failed log-in for a login that does not exist, a log-in refused by the
// throttle, and a request refused for want of a session (401) belong to no
// clinic, so they are written to the registry's own audit chain
// (storage::kRegistryAuditChain; same key, row format and checkpoints as a
// clinic's chain). A throttled log-in of a login that exists stays in its
// clinic's chain, coalesced the same way.
//
// Anyone can send these requests, so one row per request would let a flood
// grow the database without limit. Instead events are coalesced per
// (chain, kind, source address) per fixed window of the clock (one minute by
// default):
//   - the first event of a window writes its row at once, through the
//     access audit's group commit, and the reply waits for that row like
//     every audited reply (a later event of the same window also waits for
//     it, so no refusal is acknowledged before its window's row is durable);
//   - later events of the window are counted, and when the window closes
//     (the next event after it, the periodic sweep, or shutdown) one summary
//     row records how many more there were, the first and last time, and how
//     many distinct logins (keyed digests) or routes they named;
//   - at most `max_sources` source addresses are tracked per window; events
//     from further addresses fold into one source "*" per (chain, kind).
// So the registry chain grows by at most 2 x (max_sources + kinds) rows per
// window, whatever the request rate. A crash loses at most the counts of
// the open window, never its first row.
//
// The login someone typed is stored only as registry::LoginDigest (a keyed
// hash); routes are stored as their pattern ("/api/v1/patients/{id}"),
// never the raw path with ids. Thread-safe.
#ifndef KIRA_SERVER_SECURITY_AUDIT_H_
#define KIRA_SERVER_SECURITY_AUDIT_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "kira/registry/clock.h"
#include "kira/server/access_audit.h"

namespace kira::server {

class SecurityAudit {
 public:
  struct Options {
    std::chrono::microseconds window = std::chrono::minutes(1);
    std::size_t max_sources = 64;     // addresses tracked per window
    std::size_t max_subjects = 1000;  // distinct logins/routes counted per source and window
  };
  // REQUIRES: audit and clock outlive this object.
  SecurityAudit(AccessAuditor* audit, const registry::Clock* clock) : SecurityAudit(audit, clock, Options{}) {}
  SecurityAudit(AccessAuditor* audit, const registry::Clock* clock, Options options);

  // A failed log-in for a login that does not exist (registry chain).
  void UnknownLoginFailed(std::string_view address, std::string_view login);
  // A log-in refused by the throttle: in the registry chain for a login that
  // does not exist (clinic_id empty), else in the clinic's chain as `user_id`.
  void LoginThrottled(std::string_view address, std::string_view login, std::string_view clinic_id,
                      std::string_view user_id);
  // A request refused (401) for want of a session (registry chain).
  void RefusedWithoutSession(std::string_view address, int status, std::string_view method,
                             std::string_view route_pattern);

  // Writes the summary rows of the windows that have ended (the server
  // calls it periodically); `all`: of every open window too (shutdown).
  // Returns how many rows were queued.
  int Sweep(bool all = false);

  std::uint64_t coalesced() const { return coalesced_.load(); }

 private:
  struct Key {
    std::string chain, action, address;
    auto operator<=>(const Key&) const = default;
  };
  struct Tally {
    std::string actor, entity, what_subjects;  // what_subjects: "logins" or "routes"
    domain::Instant first{}, last{};
    std::int64_t more = 0;        // events after the first
    std::set<std::string> subjects;
    bool subjects_capped = false;
    std::uint64_t first_ticket = 0;
  };
  struct Event {
    std::string chain, actor, action, entity, entity_id, what, subjects_name;
  };
  void Observe(Event e, std::string_view address);
  // REQUIRES: mu_ held. Summary rows of every open window; clears them.
  std::vector<AccessEvent> CloseAllLocked();

  AccessAuditor* audit_;
  const registry::Clock* clock_;
  Options options_;
  std::mutex mu_;
  std::int64_t window_ = -1;        // GUARDED_BY(mu_)
  std::map<Key, Tally> open_;       // GUARDED_BY(mu_)
  std::size_t sources_ = 0;         // keys with a real address; GUARDED_BY(mu_)
  std::atomic<std::uint64_t> coalesced_{0};
};

}  // namespace kira::server

#endif  // KIRA_SERVER_SECURITY_AUDIT_H_
