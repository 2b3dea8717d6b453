// Registry descriptives: Wilson score intervals for rates and the
// Kaplan-Meier estimator with Greenwood standard errors. Checked against R
// (prop.test(correct = FALSE) and survival::survfit; fixture in
// tests/golden/metafor/).
#ifndef KIRA_STATS_DESCRIPTIVE_H_
#define KIRA_STATS_DESCRIPTIVE_H_

#include <optional>
#include <span>
#include <vector>

#include "kira/base/statusor.h"

namespace kira::stats {

struct ProportionInterval {
  double estimate = 0;  // x / n
  double low = 0;
  double high = 0;
};

// Wilson score interval (Wilson 1927, JASA 22:209) for x successes out of n,
// without continuity correction. Defined at x = 0 and x = n (the bound is 0
// or 1 exactly). Errors: kInvalidArgument if n is not finite and > 0, x is
// not finite, x < 0 or x > n, or level is outside (0, 1).
StatusOr<ProportionInterval> WilsonInterval(double successes, double n, double level = 0.95);

struct SurvivalObservation {
  double time = 0;     // REQUIRES finite, >= 0
  bool event = false;  // true: the event (e.g. relapse) happened at `time`; false: censored
};

// How the pointwise confidence interval of S(t) is built; kLog is
// survival::survfit's default.
enum class KaplanMeierInterval { kPlain = 0, kLog = 1, kLogLog = 2 };

struct KaplanMeierStep {
  double time = 0;  // a time at which at least one event happened
  int at_risk = 0;
  int events = 0;
  int censored = 0;  // censored at this time (counted at risk here)
  double survival = 1;
  // Greenwood SE of S(t) and the interval; absent once S(t) = 0 (every
  // subject at risk had the event), where Greenwood's variance is undefined.
  std::optional<double> std_error;
  std::optional<double> ci_low;
  std::optional<double> ci_high;
};

struct KaplanMeierResult {
  int n = 0;
  int events = 0;
  std::vector<KaplanMeierStep> steps;  // event times only, ascending
  // Smallest time with S(t) <= 0.5 (midpoint to the next event time when S
  // equals 0.5 exactly, as survfit); absent if S never reaches 0.5.
  std::optional<double> median_time;
};

// Errors: kInvalidArgument for an empty sample, a non-finite or negative
// time (naming observations[i].time), or a level outside (0, 1).
StatusOr<KaplanMeierResult> KaplanMeier(std::span<const SurvivalObservation> observations,
                                        double level = 0.95,
                                        KaplanMeierInterval interval = KaplanMeierInterval::kLog);

}  // namespace kira::stats

#endif  // KIRA_STATS_DESCRIPTIVE_H_
