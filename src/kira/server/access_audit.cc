#include "kira/server/access_audit.h"

#include <pthread.h>

#include <cstdio>

#include "kira/registry/unit_of_work.h"

namespace kira::server {

namespace {
thread_local std::uint64_t t_last_ticket = 0;
// Kept so a late WhenDurable can still learn that its batch failed.
constexpr std::size_t kFailedRangesKept = 256;
}  // namespace

AccessAuditor::AccessAuditor(storage::Store* store, const registry::Clock* clock)
    : store_(store), clock_(clock), thread_([this] { Loop(); }) {}

AccessAuditor::~AccessAuditor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  thread_.join();
}

std::uint64_t AccessAuditor::Record(AccessEvent event) {
  std::uint64_t ticket = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ticket = ++next_ticket_;
    pending_.push_back(Pending{ticket, std::move(event)});
  }
  work_cv_.notify_one();
  if (ticket > t_last_ticket) t_last_ticket = ticket;
  return ticket;
}

std::uint64_t AccessAuditor::TakeThreadTicket() {
  const std::uint64_t t = t_last_ticket;
  t_last_ticket = 0;
  return t;
}

void AccessAuditor::AlsoWaitFor(std::uint64_t ticket) {
  if (ticket > t_last_ticket) t_last_ticket = ticket;
}

Status AccessAuditor::StatusOf(std::uint64_t ticket) const {
  auto it = failed_ranges_.lower_bound(ticket);
  if (it != failed_ranges_.end() && it->second.first <= ticket) return it->second.second;
  if (!failed_ranges_.empty() && ticket < failed_ranges_.begin()->second.first &&
      failed_ranges_.size() == kFailedRangesKept) {
    return UnavailableError("access audit: outcome of an old row no longer known");
  }
  return Status::Ok();
}

void AccessAuditor::WhenDurable(std::uint64_t ticket, Done done) {
  Status known;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ticket > resolved_) {
      waiters_.emplace(ticket, std::move(done));
      return;
    }
    known = StatusOf(ticket);
  }
  done(known);
}

Status AccessAuditor::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  const std::uint64_t target = next_ticket_;
  work_cv_.notify_one();
  done_cv_.wait(lock, [&] { return resolved_ >= target; });
  for (const auto& [last, range] : failed_ranges_) {
    if (last <= target && !range.second.ok()) return range.second;
  }
  return Status::Ok();
}

void AccessAuditor::Loop() {
  pthread_setname_np(pthread_self(), "kira-audit");  // as top and perf show it
  std::unique_lock<std::mutex> lock(mu_);
  std::vector<Pending> batch;
  while (true) {
    work_cv_.wait(lock, [this] { return stop_ || !pending_.empty(); });
    if (pending_.empty()) break;  // stop_ and nothing left
    batch.clear();
    batch.swap(pending_);
    const std::uint64_t first = batch.front().ticket;
    const std::uint64_t last = batch.back().ticket;
    lock.unlock();
    Status s = Write(batch);
    if (!s.ok()) {
      std::fprintf(stderr, "kira serve: access audit rows %llu..%llu not written (replies refused): %s\n",
                   static_cast<unsigned long long>(first), static_cast<unsigned long long>(last),
                   s.ToString().c_str());
    }
    lock.lock();
    resolved_ = last;
    if (s.ok()) {
      written_ += batch.size();
    } else {
      ++failed_;
      failed_ranges_[last] = {first, UnavailableError("the access audit row could not be written")};
      if (failed_ranges_.size() > kFailedRangesKept) failed_ranges_.erase(failed_ranges_.begin());
    }
    std::vector<Done> ready;
    for (auto it = waiters_.begin(); it != waiters_.end() && it->first <= last;) {
      ready.push_back(std::move(it->second));
      it = waiters_.erase(it);
    }
    const Status result = s.ok() ? Status::Ok() : UnavailableError("the access audit row could not be written");
    lock.unlock();
    for (Done& d : ready) d(result);
    done_cv_.notify_all();
    lock.lock();
  }
  resolved_ = next_ticket_;
  done_cv_.notify_all();
}

Status AccessAuditor::Write(const std::vector<Pending>& batch) {
  // One transaction for the whole batch, each row naming its own user: one
  // commit (and fsync) per batch however many users it holds. Rows are
  // chained and hashed one by one and written in multi-row statements.
  return registry::RunInUnitOfWork(*store_, *clock_, "system:access-audit", [&](registry::UnitOfWork& uow) -> Status {
    uow.DeferAuditWrites(true);
    for (const Pending& p : batch) {
      const AccessEvent& e = p.event;
      KIRA_RETURN_IF_ERROR(uow.AuditAs(e.actor, e.clinic_id, e.action, e.entity, e.entity_id, "", e.what));
    }
    return Status::Ok();
  });
}

}  // namespace kira::server
