// Distribution functions used by kira::stats: normal, Student t, chi-square
// and F. Thin wrappers over Boost.Math (include/boost/math/distributions/),
// chosen so no Boost type or exception crosses this header.
//
// Every function REQUIRES finite arguments and positive degrees of freedom
// (the callers in kira::stats validate their inputs first); probabilities
// passed to quantiles must lie in (0, 1). Violations are programmer errors:
// Boost's errno-on-error policy is used, so they yield NaN rather than throw,
// and the public entry points of kira::stats never pass such values.
#ifndef KIRA_STATS_DISTRIBUTIONS_H_
#define KIRA_STATS_DISTRIBUTIONS_H_

namespace kira::stats {

// Standard normal: cumulative distribution and quantile.
double NormalCdf(double z);
double NormalQuantile(double p);
// Two-sided p-value 2 * P(Z > |z|).
double NormalTwoSidedP(double z);

// Student t with `df` degrees of freedom (df > 0).
double StudentTQuantile(double p, double df);
double StudentTTwoSidedP(double t, double df);

// Chi-square with `df` degrees of freedom (df > 0): upper tail P(X > x) and
// quantile.
double ChiSquareUpperTail(double x, double df);
double ChiSquareQuantile(double p, double df);

// F(df1, df2): upper tail P(X > x).
double FUpperTail(double x, double df1, double df2);

}  // namespace kira::stats

#endif  // KIRA_STATS_DISTRIBUTIONS_H_
