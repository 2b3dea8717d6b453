#include "kira/stats/logistic_regression.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "kira/stats/distributions.h"
#include "kira/stats/internal/checks.h"
#include "kira/stats/internal/root.h"

namespace kira::stats {

namespace {

// x values closer than this (relative, or absolute below 1) are one level.
constexpr double kSameXRelative = 1e-3;


constexpr char kFn[] = "FitLogistic";
constexpr int kMaxIterations = 100;
// Relative change of the deviance at which Newton stops. Newton converges
// quadratically, so one more step after this leaves the estimates accurate to
// ~1e-15 relative; glm()'s default (epsilon = 1e-8) is looser.
constexpr double kDevianceTolerance = 1e-14;
// |b1| beyond this on the log-odds scale per unit x means the fit is running
// off to infinity (separation), not converging.
constexpr double kDivergedSlope = 1e6;

// log(1 + exp(eta)) without overflow.
double Log1pExp(double eta) { return eta > 0 ? eta + std::log1p(std::exp(-eta)) : std::log1p(std::exp(eta)); }
double Expit(double eta) {
  if (eta >= 0) return 1.0 / (1.0 + std::exp(-eta));
  const double e = std::exp(eta);
  return e / (1.0 + e);
}

// y log(y / mu) with 0 log 0 = 0.
double YLogY(double y, double mu) { return y > 0 ? y * std::log(y / mu) : 0.0; }

struct Sums {
  double loglik = 0;  // up to the binomial constant
  double g0 = 0, g1 = 0;               // gradient
  double h00 = 0, h01 = 0, h11 = 0;    // information (negative Hessian)
};

Sums Evaluate(std::span<const BinomialRow> rows, double b0, double b1) {
  Sums s;
  for (const BinomialRow& r : rows) {
    if (r.trials <= 0) continue;
    const double eta = b0 + b1 * r.x;
    const double p = Expit(eta);
    s.loglik += r.successes * eta - r.trials * Log1pExp(eta);
    const double resid = r.successes - r.trials * p;
    s.g0 += resid;
    s.g1 += resid * r.x;
    const double w = r.trials * p * (1 - p);
    s.h00 += w;
    s.h01 += w * r.x;
    s.h11 += w * r.x * r.x;
  }
  return s;
}

// Deviance 2 * sum[y log(y/mu) + (n-y) log((n-y)/(n-mu))] at (b0, b1).
double Deviance(std::span<const BinomialRow> rows, double b0, double b1) {
  double d = 0;
  for (const BinomialRow& r : rows) {
    if (r.trials <= 0) continue;
    const double mu = r.trials * Expit(b0 + b1 * r.x);
    d += YLogY(r.successes, mu) + YLogY(r.trials - r.successes, r.trials - mu);
  }
  return 2 * d;
}

// Maximises the log-likelihood over b0 with b1 fixed (the profile): Newton in
// one dimension from `b0`, halving a step that lowers the log-likelihood (the
// pure Newton step can overshoot far from the optimum, where the fitted
// probabilities saturate).
double ProfileIntercept(std::span<const BinomialRow> rows, double b1, double b0) {
  Sums s = Evaluate(rows, b0, b1);
  for (int i = 0; i < kMaxIterations; ++i) {
    if (s.h00 <= 0) break;
    double step = s.g0 / s.h00;
    Sums next = Evaluate(rows, b0 + step, b1);
    for (int k = 0; k < 60 && next.loglik < s.loglik; ++k) {
      step /= 2;
      next = Evaluate(rows, b0 + step, b1);
    }
    b0 += step;
    s = next;
    if (std::abs(step) < 1e-13 * (1 + std::abs(b0))) break;
  }
  return b0;
}

LogisticCoefficient Coefficient(double estimate, double se, double z_crit) {
  LogisticCoefficient c;
  c.estimate = estimate;
  c.std_error = se;
  c.z = estimate / se;
  c.p_value = NormalTwoSidedP(c.z);
  c.wald_low = estimate - z_crit * se;
  c.wald_high = estimate + z_crit * se;
  return c;
}

}  // namespace

StatusOr<LogisticFit> FitLogistic(std::span<const BinomialRow> rows, double level) {
  KIRA_RETURN_IF_ERROR(internal::CheckLevel(kFn, level));
  double n = 0, y = 0;
  double first_x = std::numeric_limits<double>::quiet_NaN();
  bool two_x = false;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const BinomialRow& r = rows[i];
    KIRA_RETURN_IF_ERROR(internal::CheckFiniteAt(kFn, "rows.x", r.x, i));
    KIRA_RETURN_IF_ERROR(internal::CheckFiniteAt(kFn, "rows.trials", r.trials, i));
    KIRA_RETURN_IF_ERROR(internal::CheckFiniteAt(kFn, "rows.successes", r.successes, i));
    KIRA_RETURN_IF_ERROR(internal::CheckNonNegative(kFn, "rows.trials", r.trials, i));
    KIRA_RETURN_IF_ERROR(internal::CheckNonNegative(kFn, "rows.successes", r.successes, i));
    if (r.successes > r.trials) {
      return InvalidArgumentError(internal::ArgName(kFn, "rows.successes", i) + ": must be <= trials");
    }
    if (r.trials <= 0) continue;
    n += r.trials;
    y += r.successes;
    if (std::isnan(first_x)) {
      first_x = r.x;
    } else if (std::abs(r.x - first_x) > kSameXRelative * std::max(1.0, std::abs(first_x))) {
      // Doses within 0.1 % are one dose level: mg/kg recomputed from stored
      // mg and kg differs in the last digits, and a slope fitted on that
      // noise is numerically huge and meaningless.
      two_x = true;
    }
  }
  if (!two_x)
    return FailedPreconditionError("FitLogistic: slope not estimable: fewer than two distinct x (doses within 0.1 % "
                                   "count as one level)");
  if (y <= 0 || y >= n) {
    return FailedPreconditionError("FitLogistic: slope not estimable: " +
                                   std::string(y <= 0 ? "no events" : "no non-events"));
  }

  double b0 = std::log(y / (n - y));
  double b1 = 0;
  LogisticFit fit;
  fit.total_trials = n;
  fit.total_successes = y;
  fit.null_deviance = Deviance(rows, b0, 0.0);
  double dev = fit.null_deviance;
  bool converged = false;
  Sums s;
  for (int it = 1; it <= kMaxIterations; ++it) {
    s = Evaluate(rows, b0, b1);
    const double det = s.h00 * s.h11 - s.h01 * s.h01;
    if (!(det > 0)) break;
    b0 += (s.h11 * s.g0 - s.h01 * s.g1) / det;
    b1 += (s.h00 * s.g1 - s.h01 * s.g0) / det;
    fit.iterations = it;
    if (!std::isfinite(b1) || std::abs(b1) > kDivergedSlope) break;
    const double new_dev = Deviance(rows, b0, b1);
    const bool small = std::abs(new_dev - dev) <= kDevianceTolerance * (std::abs(new_dev) + 0.1);
    dev = new_dev;
    if (small) {
      converged = true;
      break;
    }
  }
  if (!converged) {
    return FailedPreconditionError("FitLogistic: slope not estimable: the fit does not converge "
                                   "(complete or quasi-complete separation)");
  }
  // Quasi-complete separation that still "converges": the fitted log-odds
  // swing by more than kMaxLogitSwing across the observed x range, i.e. the
  // events sit almost entirely at one end. The estimate and its intervals are
  // then numerically huge and meaningless; say so instead of printing them.
  {
    double x_min = HUGE_VAL, x_max = -HUGE_VAL;
    for (const auto& r : rows) {
      if (r.trials <= 0) continue;
      x_min = std::min(x_min, r.x);
      x_max = std::max(x_max, r.x);
    }
    constexpr double kMaxLogitSwing = 20.0;
    if (std::abs(b1) * (x_max - x_min) > kMaxLogitSwing) {
      return FailedPreconditionError(
          "FitLogistic: slope not estimable: quasi-complete separation (the fitted log-odds change by more than 20 "
          "across the observed x range)");
    }
  }
  s = Evaluate(rows, b0, b1);
  const double det = s.h00 * s.h11 - s.h01 * s.h01;
  const double z_crit = NormalQuantile(0.5 + level / 2);
  {
    // Uninformative fit: the standard error of the log-odds change across the
    // observed x range exceeds 10 (a 95 % interval spanning a factor > e^39).
    double x_min = HUGE_VAL, x_max = -HUGE_VAL;
    for (const auto& r : rows) {
      if (r.trials <= 0) continue;
      x_min = std::min(x_min, r.x);
      x_max = std::max(x_max, r.x);
    }
    constexpr double kMaxSwingStdError = 10.0;
    if (std::sqrt(s.h00 / det) * (x_max - x_min) > kMaxSwingStdError) {
      return FailedPreconditionError(
          "FitLogistic: slope not estimable: the data do not determine it (standard error of the log-odds change "
          "across the observed x range exceeds 10; too few events or too narrow a dose range)");
    }
  }
  fit.intercept = Coefficient(b0, std::sqrt(s.h11 / det), z_crit);
  fit.slope = Coefficient(b1, std::sqrt(s.h00 / det), z_crit);
  fit.deviance = dev;

  // Profile interval: the profiled deviance D(b1') - D(b1_hat) equals the
  // chi-square(1) quantile at each end. Step out from the estimate in units of
  // the Wald SE until the bracket holds, then solve with Brent.
  const double target = ChiSquareQuantile(level, 1.0);
  const double se = fit.slope.std_error;
  // Start each profile fit where the linear predictor at the information-
  // weighted mean dose is unchanged: intercept and slope are strongly
  // correlated when the doses sit far from 0.
  const double x_bar = s.h01 / s.h00;
  auto excess = [&](double slope) {
    const double b0_hat = ProfileIntercept(rows, slope, b0 + (b1 - slope) * x_bar);
    return Deviance(rows, b0_hat, slope) - dev - target;
  };
  for (int side : {-1, 1}) {
    double inner = b1;
    double outer = b1 + side * 2 * z_crit * se;
    bool bracketed = false;
    for (int k = 0; k < 60; ++k) {
      if (excess(outer) > 0) {
        bracketed = true;
        break;
      }
      inner = outer;
      outer = b1 + (outer - b1) * 2;
    }
    if (!bracketed) continue;
    auto root = internal::BrentRoot(excess, std::min(inner, outer), std::max(inner, outer), 1e-12, 200);
    if (!root) continue;
    (side < 0 ? fit.slope_profile_low : fit.slope_profile_high) = root->x;
  }
  return fit;
}

}  // namespace kira::stats
