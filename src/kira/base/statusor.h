// StatusOr<T>: a T or the Status saying why there is none (absl/status/statusor.h).
// Same shape as C++23 std::expected so a later migration is mechanical.
#ifndef KIRA_BASE_STATUSOR_H_
#define KIRA_BASE_STATUSOR_H_

#include <cassert>
#include <optional>
#include <utility>

#include "kira/base/status.h"

namespace kira {

template <class T>
class [[nodiscard]] StatusOr {
 public:
  // REQUIRES: !status.ok(). An OK status without a value is a programmer bug;
  // it is turned into kInternal rather than trusted.
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT(implicit)
    if (status_.ok()) status_ = InternalError("StatusOr built from OK status without a value");
  }
  StatusOr(const T& value) : value_(value) {}        // NOLINT(implicit)
  StatusOr(T&& value) : value_(std::move(value)) {}  // NOLINT(implicit)
  template <class U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, Status> &&
             !std::is_same_v<std::decay_t<U>, T> && !std::is_same_v<std::decay_t<U>, StatusOr>)
  StatusOr(U&& value) : value_(std::forward<U>(value)) {}  // NOLINT(implicit)

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok().
  const T& value() const& { assert(ok()); return *value_; }
  T& value() & { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace kira

#define KIRA_STATUS_CONCAT_INNER_(a, b) a##b
#define KIRA_STATUS_CONCAT_(a, b) KIRA_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define KIRA_RETURN_IF_ERROR(expr) \
  KIRA_RETURN_IF_ERROR_IMPL_(KIRA_STATUS_CONCAT_(kira_status_, __COUNTER__), expr)
#define KIRA_RETURN_IF_ERROR_IMPL_(var, expr) \
  do {                                        \
    ::kira::Status var = (expr);              \
    if (!var.ok()) return var;                \
  } while (false)

// KIRA_ASSIGN_OR_RETURN(auto x, MakeX()); declares/assigns x from a StatusOr
// or returns its error.
#define KIRA_ASSIGN_OR_RETURN(lhs, expr) \
  KIRA_ASSIGN_OR_RETURN_IMPL_(KIRA_STATUS_CONCAT_(kira_statusor_, __COUNTER__), lhs, expr)
#define KIRA_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

#endif  // KIRA_BASE_STATUSOR_H_
