// Audit of what the HTTP layer sees: reads of patient data, refused
// accesses and authentication events, appended to the registry's
// hash-chained audit log (registry/audit.h). Writes are audited by the use
// cases in the same transaction as the record.
//
// Durability: Record() queues a row and returns a ticket; the transport
// holds the reply until WhenDurable(ticket) reports the row committed. One
// background thread commits whatever has queued while the previous commit
// ran (group commit: one transaction per actor per batch), so a burst of N
// reads costs a handful of commits, not N, and no acknowledged read is ever
// missing its row after a crash. A failed commit fails the waiting replies
// (503), so nothing is acknowledged without its row. Thread-safe.
#ifndef KIRA_SERVER_ACCESS_AUDIT_H_
#define KIRA_SERVER_ACCESS_AUDIT_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kira/registry/clock.h"
#include "kira/storage/store.h"

namespace kira::server {

struct AccessEvent {
  std::string clinic_id;
  std::string actor;      // user id
  std::string entity;     // "patient", "session", "user", "route"
  std::string entity_id;
  std::string what;       // e.g. "GET /api/v1/patients/{id}"
  std::string action = "read";  // "read", "refused", "login", "login_failed", "logout", "throttled", ...
};

class AccessAuditor {
 public:
  using Done = std::function<void(const Status&)>;

  // REQUIRES: store and clock outlive this object.
  AccessAuditor(storage::Store* store, const registry::Clock* clock);
  ~AccessAuditor();  // commits everything queued, then stops
  AccessAuditor(const AccessAuditor&) = delete;
  AccessAuditor& operator=(const AccessAuditor&) = delete;

  // Queues `event`; returns its ticket (also remembered for this thread,
  // see TakeThreadTicket).
  std::uint64_t Record(AccessEvent event);
  // Calls `done` once the row of `ticket` (and every earlier one) is
  // committed, or failed: at once when that is already known, otherwise on
  // the audit thread. `done` must not block.
  void WhenDurable(std::uint64_t ticket, Done done);
  // Blocks until every row recorded so far is resolved; the first error.
  Status Flush();
  // The highest ticket recorded by this thread since the last call (0: none),
  // and resets it. The transport calls it around each handler.
  static std::uint64_t TakeThreadTicket();
  // Makes the reply being handled on this thread also wait for `ticket`'s
  // row (a coalesced security event waits for its window's row).
  static void AlsoWaitFor(std::uint64_t ticket);

  std::uint64_t written() const { return written_.load(); }
  std::uint64_t failed_flushes() const { return failed_.load(); }

 private:
  struct Pending {
    std::uint64_t ticket;
    AccessEvent event;
  };
  void Loop();
  Status Write(const std::vector<Pending>& batch);
  Status StatusOf(std::uint64_t ticket) const;  // REQUIRES: mu_ held, ticket resolved

  storage::Store* store_;
  const registry::Clock* clock_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::vector<Pending> pending_;                       // GUARDED_BY(mu_)
  std::multimap<std::uint64_t, Done> waiters_;         // GUARDED_BY(mu_)
  std::map<std::uint64_t, std::pair<std::uint64_t, Status>> failed_ranges_;  // last -> (first, error); GUARDED_BY(mu_)
  std::uint64_t next_ticket_ = 0;                      // GUARDED_BY(mu_)
  std::uint64_t resolved_ = 0;                         // GUARDED_BY(mu_)
  bool stop_ = false;                                  // GUARDED_BY(mu_)
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::thread thread_;
};

}  // namespace kira::server

#endif  // KIRA_SERVER_ACCESS_AUDIT_H_
