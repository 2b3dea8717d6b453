#include "kira/stats/internal/root.h"

#include <limits>
#include <algorithm>
#include <utility>

namespace kira::stats::internal {

std::optional<Root> BrentRoot(const std::function<double(double)>& f, double lo, double hi,
                              double xtol, int max_iterations) {
  constexpr double kEps = std::numeric_limits<double>::epsilon();
  double a = lo, b = hi;
  double fa = f(a), fb = f(b);
  if (fa == 0) return Root{a, 0};
  if (fb == 0) return Root{b, 0};
  if ((fa > 0) == (fb > 0)) return std::nullopt;
  double c = a, fc = fa;
  double d = b - a, e = d;
  for (int iter = 1; iter <= max_iterations; ++iter) {
    if ((fb > 0) == (fc > 0)) {
      c = a;
      fc = fa;
      d = e = b - a;
    }
    if (std::fabs(fc) < std::fabs(fb)) {
      a = b; b = c; c = a;
      fa = fb; fb = fc; fc = fa;
    }
    const double tol = 2.0 * kEps * std::fabs(b) + 0.5 * xtol;
    const double m = 0.5 * (c - b);
    if (std::fabs(m) <= tol || fb == 0) return Root{b, iter};
    if (std::fabs(e) >= tol && std::fabs(fa) > std::fabs(fb)) {
      // Inverse quadratic interpolation, or the secant step when a == c.
      double p, q;
      const double s = fb / fa;
      if (a == c) {
        p = 2.0 * m * s;
        q = 1.0 - s;
      } else {
        const double qq = fa / fc, r = fb / fc;
        p = s * (2.0 * m * qq * (qq - r) - (b - a) * (r - 1.0));
        q = (qq - 1.0) * (r - 1.0) * (s - 1.0);
      }
      if (p > 0) q = -q; else p = -p;
      if (2.0 * p < std::min(3.0 * m * q - std::fabs(tol * q), std::fabs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = m;
        e = m;
      }
    } else {
      d = m;
      e = m;
    }
    a = b;
    fa = fb;
    b += std::fabs(d) > tol ? d : (m > 0 ? tol : -tol);
    fb = f(b);
  }
  return std::nullopt;
}

}  // namespace kira::stats::internal
