// The registry's source of "now" (absl/time/clock_interface.h). Use cases are
// handed a Clock; tests pass a FakeClock so audit timestamps are repeatable.
#ifndef KIRA_REGISTRY_CLOCK_H_
#define KIRA_REGISTRY_CLOCK_H_

#include <chrono>
#include <string>
#include <string_view>

#include "kira/base/status.h"
#include "kira/domain/records.h"

namespace kira::registry {

// How far a recorded time may lie ahead of the registry's clock: the clocks
// of a workstation, a pump and the server may disagree by this much. Beyond
// it a time is refused as "in the future" (a session that has begun, a vital
// sign taken).
inline constexpr std::chrono::minutes kClockTolerance{5};

// InvalidArgument naming `field` when `t` lies beyond now + kClockTolerance:
// a reading, a score or an event cannot be recorded before it happened.
inline Status NotInFuture(std::string_view field, domain::Instant t, domain::Instant now) {
  if (t <= now + kClockTolerance) return Status::Ok();
  return InvalidArgumentError(std::string(field) + ": " + domain::FormatInstant(t) + " is in the future (now " +
                              domain::FormatInstant(now) + ")");
}

// InvalidArgument when a birth year lies after the year of `now`.
inline Status BirthYearNotInFuture(int birth_year, domain::Instant now) {
  const int year = static_cast<int>(std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(now)).year());
  if (birth_year <= year) return Status::Ok();
  return InvalidArgumentError("birth_year: " + std::to_string(birth_year) + " is after this year (" +
                              std::to_string(year) + ")");
}

class Clock {
 public:
  virtual ~Clock() = default;
  virtual domain::Instant Now() const = 0;
};

class SystemClock : public Clock {
 public:
  domain::Instant Now() const override {
    return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  }
};

// A clock that moves only when told to.
class FakeClock : public Clock {
 public:
  explicit FakeClock(domain::Instant start) : now_(start) {}
  domain::Instant Now() const override { return now_; }
  void Advance(std::chrono::microseconds d) { now_ += d; }

 private:
  domain::Instant now_;
};

}  // namespace kira::registry

#endif  // KIRA_REGISTRY_CLOCK_H_
