#include "kira/server/access_audit.h"

#include <cstdio>
#include <map>

#include "kira/registry/unit_of_work.h"

namespace kira::server {

AccessAuditor::AccessAuditor(storage::Store* store, const registry::Clock* clock,
                             std::chrono::milliseconds flush_interval)
    : store_(store), clock_(clock), interval_(flush_interval), thread_([this] { Loop(); }) {}

AccessAuditor::~AccessAuditor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  Status s = Flush();
  if (!s.ok()) std::fprintf(stderr, "kira serve: access audit not written at exit: %s\n", s.ToString().c_str());
}

void AccessAuditor::Record(AccessEvent event) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.push_back(std::move(event));
}

void AccessAuditor::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, interval_, [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    Status s = Flush();
    if (!s.ok()) std::fprintf(stderr, "kira serve: access audit flush failed (will retry): %s\n", s.ToString().c_str());
    lock.lock();
  }
}

Status AccessAuditor::Flush() {
  std::lock_guard<std::mutex> flush_lock(flush_mu_);
  std::vector<AccessEvent> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(pending_);
  }
  if (batch.empty()) return Status::Ok();
  // A UnitOfWork records one actor on every row, so group by actor.
  std::map<std::string, std::vector<const AccessEvent*>> by_actor;
  for (const auto& e : batch) by_actor[e.actor].push_back(&e);
  Status first;
  std::vector<AccessEvent> retry;
  for (const auto& [actor, events] : by_actor) {
    Status s = registry::RunInUnitOfWork(*store_, *clock_, actor, [&](registry::UnitOfWork& uow) -> Status {
      for (const AccessEvent* e : events) {
        KIRA_RETURN_IF_ERROR(uow.Audit(e->clinic_id, "read", e->entity, e->entity_id, "", e->what));
      }
      return Status::Ok();
    });
    if (s.ok()) {
      written_ += events.size();
    } else {
      ++failed_;
      if (first.ok()) first = s;
      for (const AccessEvent* e : events) retry.push_back(*e);
    }
  }
  if (!retry.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.insert(pending_.begin(), retry.begin(), retry.end());
  }
  return first;
}

}  // namespace kira::server
