#include "kira/server/security_audit.h"

#include <utility>

#include "kira/registry/audit.h"
#include "kira/storage/store.h"

namespace kira::server {

namespace {
constexpr std::string_view kAnonymous = "anonymous";
constexpr std::string_view kManySources = "*";
}  // namespace

SecurityAudit::SecurityAudit(AccessAuditor* audit, const registry::Clock* clock, Options options)
    : audit_(audit), clock_(clock), options_(options) {
  if (options_.window.count() <= 0) options_.window = std::chrono::minutes(1);
}

void SecurityAudit::UnknownLoginFailed(std::string_view address, std::string_view login) {
  Observe(Event{std::string(storage::kRegistryAuditChain), std::string(kAnonymous), "login_failed", "login",
                registry::LoginDigest(login), "log-in failed: unknown login", "logins"},
          address);
}

void SecurityAudit::LoginThrottled(std::string_view address, std::string_view login, std::string_view clinic_id,
                                   std::string_view user_id) {
  if (clinic_id.empty()) {
    Observe(Event{std::string(storage::kRegistryAuditChain), std::string(kAnonymous), "throttled", "login",
                  registry::LoginDigest(login), "log-in refused (backoff): unknown login", "logins"},
            address);
  } else {
    Observe(Event{std::string(clinic_id), std::string(user_id), "throttled", "user", std::string(user_id),
                  "log-in refused (backoff)", "users"},
            address);
  }
}

void SecurityAudit::RefusedWithoutSession(std::string_view address, int status, std::string_view method,
                                          std::string_view route_pattern) {
  std::string route = std::string(method) + " " + std::string(route_pattern);
  Observe(Event{std::string(storage::kRegistryAuditChain), std::string(kAnonymous), "refused", "route", route,
                std::to_string(status) + " " + route + " without a session", "routes"},
          address);
}

void SecurityAudit::Observe(Event e, std::string_view address) {
  const domain::Instant now = clock_->Now();
  const std::int64_t window = domain::ToUnixMicros(now) / options_.window.count();
  std::lock_guard<std::mutex> lock(mu_);
  if (window > window_) {
    for (AccessEvent& row : CloseAllLocked()) audit_->Record(std::move(row));
    window_ = window;
  }
  Key key{e.chain, e.action, std::string(address)};
  auto it = open_.find(key);
  if (it == open_.end() && sources_ >= options_.max_sources) {
    key.address = std::string(kManySources);
    it = open_.find(key);
  }
  if (it != open_.end()) {
    Tally& t = it->second;
    ++t.more;
    t.last = now;
    if (!t.subjects_capped && !t.subjects.contains(e.entity_id)) {
      if (t.subjects.size() >= options_.max_subjects) {
        t.subjects_capped = true;
      } else {
        t.subjects.insert(e.entity_id);
      }
    }
    ++coalesced_;
    // The reply waits for the window's first row.
    AccessAuditor::AlsoWaitFor(t.first_ticket);
    return;
  }
  Tally t;
  t.actor = e.actor;
  t.entity = e.entity;
  t.what_subjects = e.subjects_name;
  t.first = t.last = now;
  t.subjects.insert(e.entity_id);
  std::string what = e.what + " from " + std::string(address);
  if (key.address == kManySources) {
    what += " (more than " + std::to_string(options_.max_sources) +
            " addresses this minute: further events from any new address are counted under source *)";
  }
  t.first_ticket = audit_->Record(AccessEvent{e.chain, e.actor, e.entity, e.entity_id, std::move(what), e.action});
  if (key.address != kManySources) ++sources_;
  open_.emplace(std::move(key), std::move(t));
}

std::vector<AccessEvent> SecurityAudit::CloseAllLocked() {
  std::vector<AccessEvent> rows;
  for (auto& [key, t] : open_) {
    if (t.more == 0) continue;
    std::string what = "repeated " + std::to_string(t.more) + " more time" + (t.more == 1 ? "" : "s") + " from " +
                       (key.address == kManySources ? std::string("further addresses") : key.address) + " between " +
                       domain::FormatInstant(t.first) + " and " + domain::FormatInstant(t.last) + "; distinct " +
                       t.what_subjects + ": " + (t.subjects_capped ? "more than " : "") +
                       std::to_string(t.subjects.size());
    rows.push_back(AccessEvent{key.chain, t.actor, "source", key.address, std::move(what), key.action});
  }
  open_.clear();
  sources_ = 0;
  return rows;
}

int SecurityAudit::Sweep(bool all) {
  const std::int64_t window = domain::ToUnixMicros(clock_->Now()) / options_.window.count();
  std::lock_guard<std::mutex> lock(mu_);
  if (!all && window <= window_) return 0;
  std::vector<AccessEvent> rows = CloseAllLocked();
  window_ = std::max(window_, window);
  for (AccessEvent& row : rows) audit_->Record(std::move(row));
  return static_cast<int>(rows.size());
}

}  // namespace kira::server
