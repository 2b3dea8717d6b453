// Audit of patient-record reads through the registry's hash-chained audit
// log. Writes are audited by the use cases in the same transaction as the
// record; reads have no transaction of their own worth a durable commit each
// (an fsync per GET would cap reads at the disk's sync rate), so they are
// queued here and appended in batches: at most every `flush_interval`, one
// UnitOfWork per actor. The cost is that a crash can lose the last interval
// of read-audit rows (never a write's). Thread-safe.
#ifndef KIRA_SERVER_ACCESS_AUDIT_H_
#define KIRA_SERVER_ACCESS_AUDIT_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
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
  std::string entity;     // "patient", "session"
  std::string entity_id;
  std::string what;       // e.g. "GET /api/v1/patients/{id}"
};

class AccessAuditor {
 public:
  // REQUIRES: store and clock outlive this object.
  AccessAuditor(storage::Store* store, const registry::Clock* clock,
                std::chrono::milliseconds flush_interval = std::chrono::milliseconds(200));
  ~AccessAuditor();  // flushes
  AccessAuditor(const AccessAuditor&) = delete;
  AccessAuditor& operator=(const AccessAuditor&) = delete;

  void Record(AccessEvent event);
  // Writes everything queued so far; returns the first error (the batch is
  // kept and retried on the next flush).
  Status Flush();
  std::uint64_t written() const { return written_.load(); }
  std::uint64_t failed_flushes() const { return failed_.load(); }

 private:
  void Loop();
  storage::Store* store_;
  const registry::Clock* clock_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<AccessEvent> pending_;  // GUARDED_BY(mu_)
  bool stop_ = false;                 // GUARDED_BY(mu_)
  std::mutex flush_mu_;               // one flush at a time
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::thread thread_;
};

}  // namespace kira::server

#endif  // KIRA_SERVER_ACCESS_AUDIT_H_
