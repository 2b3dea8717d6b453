#include "kira/advisor/annual_cap.h"

#include <algorithm>
#include <string>
#include <vector>

#include "kira/advisor/internal/finding.h"
#include "kira/advisor/plan.h"

namespace kira::advisor {

using std::chrono::days;
using std::chrono::sys_days;

StatusOr<CapCheck> CheckAnnualCap(const AnnualCap& cap, std::span<const sys_days> others, sys_days candidate) {
  if (!cap.cap.value || !cap.window_days.value || *cap.window_days.value < 1)
    return FailedPreconditionError("annual cap: the clinic setting " + cap.cap.id + " or " + cap.window_days.id +
                                   " is not configured");
  CapCheck out;
  out.cap = static_cast<int>(*cap.cap.value);
  out.window_days = static_cast<int>(*cap.window_days.value);
  const days w(out.window_days - 1);

  std::vector<sys_days> all(others.begin(), others.end());
  all.push_back(candidate);
  std::sort(all.begin(), all.end());
  auto count = [&](sys_days from, sys_days to) {
    return static_cast<int>(std::upper_bound(all.begin(), all.end(), to) -
                            std::lower_bound(all.begin(), all.end(), from));
  };
  // Windows [e - w, e] containing the candidate: the fullest ends at the
  // candidate or at a later session no further than w days after it.
  auto consider = [&](sys_days end) {
    const int n = count(end - w, end);
    if (n > out.counted) {
      out.counted = n;
      out.window_from = end - w;
      out.window_to = end;
    }
  };
  consider(candidate);
  for (auto it = std::upper_bound(all.begin(), all.end(), candidate); it != all.end() && *it <= candidate + w; ++it)
    consider(*it);
  out.exceeds = out.counted > out.cap;
  return out;
}

void ApplyAnnualCap(const AnnualCap& cap, const CapCheck& check, const std::optional<domain::Override>& override_,
                    domain::Decision* d) {
  d->inputs_used.push_back({"sessions_in_cap_window", std::to_string(check.counted) + " (" +
                                                          FormatDate(check.window_from) + " to " +
                                                          FormatDate(check.window_to) + ")"});
  if (!check.exceeds) return;
  const bool overridden = override_ && !override_->reason.empty();
  const std::string msg = std::to_string(check.counted) + " sessions in the rolling " +
                          std::to_string(check.window_days) + "-day window " + FormatDate(check.window_from) +
                          " to " + FormatDate(check.window_to) + " would exceed the annual cap of " +
                          std::to_string(check.cap) +
                          (overridden ? "; exceptional-circumstance override given"
                                      : "; exceeding it needs a recorded exceptional-circumstance override");
  d->findings.push_back(
      internal::FindingFromSource("plan.cap.annual", domain::Severity::kSoftStop, msg, cap.cap.source));
  if (d->outcome == "hard_stop") return;
  if (overridden) {
    if (!d->override_) {
      d->override_ = *override_;
      d->override_->rule_ids.clear();
    }
    d->override_->rule_ids.push_back("plan.cap.annual");
    d->outcome = "ok_with_override";
  } else {
    d->outcome = "soft_limit";
  }
}

}  // namespace kira::advisor
