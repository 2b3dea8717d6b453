// Brent's method for a bracketed root of a continuous scalar function
// (R. P. Brent, "Algorithms for Minimization without Derivatives", 1973,
// ch. 4), used for the Paule-Mandel estimator and the Q-profile interval as
// metafor uses R's uniroot() (which implements the same algorithm).
#ifndef KIRA_STATS_INTERNAL_ROOT_H_
#define KIRA_STATS_INTERNAL_ROOT_H_

#include <cmath>
#include <functional>
#include <optional>

namespace kira::stats::internal {

struct Root {
  double x = 0;
  int iterations = 0;
};

// REQUIRES f(lo) and f(hi) of opposite sign (or one of them 0). Returns
// nullopt if the bracket is invalid or max_iterations is reached. Stops when
// the bracket is narrower than 2 * (4 eps |x| + xtol / 2).
std::optional<Root> BrentRoot(const std::function<double(double)>& f, double lo, double hi,
                              double xtol, int max_iterations);

}  // namespace kira::stats::internal

#endif  // KIRA_STATS_INTERNAL_ROOT_H_
