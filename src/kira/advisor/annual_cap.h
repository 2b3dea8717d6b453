// The rolling annual cap: treatments are limited to 6-12 a year except in
// exceptional circumstances (grade C, low-to-moderate certainty, V, Cohen 2018
// [R1-seed]). The clinic's cap and window are settings (advisor.json
// "annual_cap").
//
// The ONE implementation of the cap: plans (plan.h), the dose check of a
// recorded session and every import path call CheckAnnualCap. It is
// order-independent: a session is checked against every rolling window that
// contains its date, so sessions entered or imported later but dated after it
// count as well as those before it. Importing a shuffled file gives the same
// answer as entering the sessions in date order: the session that makes some
// window hold cap + 1 sessions is refused, whichever was entered last.
// Pure: no clock.
#ifndef KIRA_ADVISOR_ANNUAL_CAP_H_
#define KIRA_ADVISOR_ANNUAL_CAP_H_

#include <chrono>
#include <optional>
#include <span>

#include "kira/advisor/library.h"
#include "kira/base/statusor.h"
#include "kira/domain/decision.h"

namespace kira::advisor {

struct CapCheck {
  int cap = 0;
  int window_days = 0;
  int counted = 0;  // counted sessions in the fullest window containing the candidate, the candidate included
  bool exceeds = false;  // counted > cap
  std::chrono::sys_days window_from{}, window_to{};  // that window (inclusive)
};

// `others`: dates of the patient's other counted sessions (any order; the
// candidate's own stored copy excluded). Errors: kFailedPrecondition when the
// cap or window setting is unset.
StatusOr<CapCheck> CheckAnnualCap(const AnnualCap& cap, std::span<const std::chrono::sys_days> others,
                                  std::chrono::sys_days candidate);

// Adds the cap's finding to a dose decision (vocabulary of dose.h):
//   plan.cap.annual  soft_stop  the window would hold more than the cap; an
//                               exceptional-circumstance override reason lets it
//                               through ("ok_with_override", the override names
//                               plan.cap.annual)
// and lists the count in inputs_used. A hard stop stays a hard stop.
void ApplyAnnualCap(const AnnualCap& cap, const CapCheck& check, const std::optional<domain::Override>& override_,
                    domain::Decision* decision);

}  // namespace kira::advisor

#endif  // KIRA_ADVISOR_ANNUAL_CAP_H_
