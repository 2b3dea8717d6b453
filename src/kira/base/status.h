// Status: the outcome of an operation that can fail for a reason other than a
// clinical finding. Modelled on leveldb/status.h and absl/status/status.h: the
// OK status carries no allocation; errors are made by named factories and
// inspected with predicates. No exception crosses a module boundary.
//
// A clinical finding (a contraindication, a dose over a limit) is NOT an error:
// it is a Decision (see kira/domain/decision.h). Status is for malformed input
// and broken systems.
#ifndef KIRA_BASE_STATUS_H_
#define KIRA_BASE_STATUS_H_

#include <memory>
#include <string>
#include <string_view>

namespace kira {

// The subset of absl::StatusCode that kira uses, with absl's meanings.
// Frozen: these names are rendered into JSON error bodies and logs.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument = 3,     // the input itself is malformed
  kNotFound = 5,            // a named thing does not exist
  kAlreadyExists = 6,       // creating something that exists
  kPermissionDenied = 7,    // caller may not do this
  kFailedPrecondition = 9,  // valid input, but the state forbids it
  kAborted = 10,            // transaction conflict; retry the use case
  kOutOfRange = 11,         // a value outside its legal range
  kInternal = 13,           // a broken invariant
  kUnavailable = 14,        // the database or a service cannot be reached
  kUnauthenticated = 16,    // no valid credentials
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() noexcept = default;  // OK
  Status(StatusCode code, std::string_view message);

  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status Ok() { return Status(); }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  // The message without the code name; empty for OK.
  std::string_view message() const {
    return rep_ ? std::string_view(rep_->message) : std::string_view();
  }
  // "INVALID_ARGUMENT: weight.value: must be a finite number > 0", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context`, as errors
  // travel up ("loading guideline 'x': ..."). OK stays OK.
  Status WithContext(std::string_view context) const;

  bool IsInvalidArgument() const { return code() == StatusCode::kInvalidArgument; }
  bool IsNotFound() const { return code() == StatusCode::kNotFound; }
  bool IsFailedPrecondition() const { return code() == StatusCode::kFailedPrecondition; }

 private:
  struct Rep {
    StatusCode code;
    std::string message;
  };
  std::unique_ptr<Rep> rep_;  // null means OK
};

Status InvalidArgumentError(std::string_view message);
Status NotFoundError(std::string_view message);
Status AlreadyExistsError(std::string_view message);
Status FailedPreconditionError(std::string_view message);
Status OutOfRangeError(std::string_view message);
Status InternalError(std::string_view message);
Status UnavailableError(std::string_view message);
Status PermissionDeniedError(std::string_view message);
Status UnauthenticatedError(std::string_view message);
Status AbortedError(std::string_view message);

}  // namespace kira

#endif  // KIRA_BASE_STATUS_H_
