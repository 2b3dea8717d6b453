// Simple logistic regression, logit P(y = 1) = b0 + b1 x, on grouped binomial
// data (successes out of trials at each x): the model R fits with
// glm(cbind(y, n - y) ~ x, family = binomial). Ungrouped 0/1 data is the
// special case trials = 1. Grouping rows with the same x is exact (the
// likelihood depends on the data only through x, successes and trials), which
// is how analytics fits millions of sessions in microseconds.
//
// Fitting: Newton-Raphson on the log-likelihood (= Fisher scoring / IRLS for
// the canonical link; McCullagh & Nelder, Generalized Linear Models, 2nd ed.,
// section 4.4), started at b1 = 0 and b0 = logit(overall rate).
// Intervals: Wald (estimate +/- z * SE from the inverse information) and
// profile likelihood for the slope (the b1 where the profiled deviance rises
// by the chi-square(1) quantile; Venzon & Moolgavkar 1988), solved to 1e-10.
// Checked against R glm() and a uniroot profile: tests/golden/logistic/.
#ifndef KIRA_STATS_LOGISTIC_REGRESSION_H_
#define KIRA_STATS_LOGISTIC_REGRESSION_H_

#include <optional>
#include <span>

#include "kira/base/statusor.h"

namespace kira::stats {

struct BinomialRow {
  double x = 0;          // REQUIRES finite
  double successes = 0;  // REQUIRES 0 <= successes <= trials
  double trials = 0;     // REQUIRES >= 0 (rows with 0 trials are ignored)
};

struct LogisticCoefficient {
  double estimate = 0;
  double std_error = 0;
  double z = 0;
  double p_value = 0;  // two-sided Wald
  double wald_low = 0;
  double wald_high = 0;
};

struct LogisticFit {
  LogisticCoefficient intercept;
  LogisticCoefficient slope;  // log odds ratio per unit of x
  // Profile-likelihood interval of the slope; an end is absent when the
  // profiled deviance never rises far enough on that side (flat likelihood).
  std::optional<double> slope_profile_low;
  std::optional<double> slope_profile_high;
  double deviance = 0;       // residual deviance, as glm()
  double null_deviance = 0;  // deviance of the intercept-only model
  double total_trials = 0;
  double total_successes = 0;
  int iterations = 0;
};

// Errors:
//  kInvalidArgument naming rows[i].x / .successes / .trials, or the level;
//  kFailedPrecondition when the slope is not estimable: fewer than two
//    distinct x with trials, no successes or no failures at all, or complete
//    separation (the fit diverges; glm() would warn "fitted probabilities
//    numerically 0 or 1").
StatusOr<LogisticFit> FitLogistic(std::span<const BinomialRow> rows, double level = 0.95);

}  // namespace kira::stats

#endif  // KIRA_STATS_LOGISTIC_REGRESSION_H_
