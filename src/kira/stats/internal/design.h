// Internal linear algebra for kira::stats: a k x p design matrix held as
// column pointers (column 0 is the implicit intercept), and the weighted
// least-squares quantities metafor computes with dense k x k matrices,
// computed here in O(k p^2) without forming any k x k matrix.
//
// With W = diag(w), A = X'WX and P = W - W X A^-1 X' W (the projection
// metafor calls P), for diagonal D, E:
//   tr(P D P E) = sum(w^2 d e) - 2 tr(A^-1 X' diag(w^3 d e) X)
//                 + tr(A^-1 X' diag(w^2 d) X A^-1 X' diag(w^2 e) X)
// and y'Py = sum(w r^2), y'PPy = sum(w^2 r^2) with r = y - X beta_hat.
#ifndef KIRA_STATS_INTERNAL_DESIGN_H_
#define KIRA_STATS_INTERNAL_DESIGN_H_

#include <cstddef>
#include <span>
#include <vector>

#include <Eigen/Dense>

namespace kira::stats::internal {

struct Design {
  std::size_t k = 0;
  std::size_t p = 1;
  // cols[0] is nullptr (intercept); cols[j] for j >= 1 point at k values.
  std::vector<const double*> cols;

  double x(std::size_t i, std::size_t j) const { return j == 0 ? 1.0 : cols[j][i]; }
};

// Intercept-only design for k studies.
Design InterceptDesign(std::size_t k);

// sum_i g(i) x_i x_i' (p x p, symmetric).
template <class G>
Eigen::MatrixXd Cross(const Design& d, G g) {
  const std::size_t p = d.p;
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(p), static_cast<Eigen::Index>(p));
  if (p == 1) {
    double s = 0;
    for (std::size_t i = 0; i < d.k; ++i) s += g(i);
    m(0, 0) = s;
    return m;
  }
  for (std::size_t i = 0; i < d.k; ++i) {
    const double gi = g(i);
    for (std::size_t a = 0; a < p; ++a) {
      const double xa = gi * d.x(i, a);
      for (std::size_t b = a; b < p; ++b) {
        m(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) += xa * d.x(i, b);
      }
    }
  }
  for (std::size_t a = 0; a < p; ++a) {
    for (std::size_t b = 0; b < a; ++b) {
      m(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) =
          m(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(a));
    }
  }
  return m;
}

// Weighted least squares of y on X with weights w (all > 0).
struct WlsFit {
  Eigen::VectorXd beta;
  Eigen::MatrixXd a_inv;  // (X'WX)^-1
  double rss = 0;         // sum w r^2 = y'Py
  double rss_w2 = 0;      // sum w^2 r^2 = y'PPy
  double sum_w = 0;
};

WlsFit Wls(const Design& d, std::span<const double> y, std::span<const double> w);

// tr(P D P E) for P built from weights w (see the file comment). d and e may
// be empty, meaning the identity.
double TracePDPE(const Design& d, std::span<const double> w, const Eigen::MatrixXd& a_inv,
                 std::span<const double> dd, std::span<const double> ee);
// tr(P D); dd empty means tr(P).
double TracePD(const Design& d, std::span<const double> w, const Eigen::MatrixXd& a_inv,
               std::span<const double> dd);

// Weights 1 / (v + tau2).
void FillWeights(std::span<const double> v, double tau2, std::vector<double>& w);

}  // namespace kira::stats::internal

#endif  // KIRA_STATS_INTERNAL_DESIGN_H_
