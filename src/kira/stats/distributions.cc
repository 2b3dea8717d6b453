#include "kira/stats/distributions.h"

#include <cmath>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

namespace kira::stats {
namespace {

namespace bm = boost::math;
// No exceptions: invalid input (a programmer error here) gives NaN/inf.
using Policy = bm::policies::policy<
    bm::policies::domain_error<bm::policies::errno_on_error>,
    bm::policies::pole_error<bm::policies::errno_on_error>,
    bm::policies::overflow_error<bm::policies::errno_on_error>,
    bm::policies::evaluation_error<bm::policies::errno_on_error>,
    bm::policies::rounding_error<bm::policies::errno_on_error>>;

using Normal = bm::normal_distribution<double, Policy>;
using StudentT = bm::students_t_distribution<double, Policy>;
using ChiSquared = bm::chi_squared_distribution<double, Policy>;
using FisherF = bm::fisher_f_distribution<double, Policy>;

}  // namespace

double NormalCdf(double z) { return bm::cdf(Normal(), z); }

double NormalQuantile(double p) { return bm::quantile(Normal(), p); }

double NormalTwoSidedP(double z) {
  if (std::isinf(z)) return 0.0;
  return 2.0 * bm::cdf(bm::complement(Normal(), std::fabs(z)));
}

double StudentTQuantile(double p, double df) { return bm::quantile(StudentT(df), p); }

double StudentTTwoSidedP(double t, double df) {
  if (std::isinf(t)) return 0.0;
  return 2.0 * bm::cdf(bm::complement(StudentT(df), std::fabs(t)));
}

double ChiSquareUpperTail(double x, double df) {
  if (x <= 0.0) return 1.0;
  if (std::isinf(x)) return 0.0;
  return bm::cdf(bm::complement(ChiSquared(df), x));
}

double ChiSquareQuantile(double p, double df) { return bm::quantile(ChiSquared(df), p); }

double FUpperTail(double x, double df1, double df2) {
  if (x <= 0.0) return 1.0;
  if (std::isinf(x)) return 0.0;
  return bm::cdf(bm::complement(FisherF(df1, df2), x));
}

}  // namespace kira::stats
