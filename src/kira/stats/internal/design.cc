#include "kira/stats/internal/design.h"

namespace kira::stats::internal {

Design InterceptDesign(std::size_t k) {
  Design d;
  d.k = k;
  d.p = 1;
  d.cols = {nullptr};
  return d;
}

void FillWeights(std::span<const double> v, double tau2, std::vector<double>& w) {
  w.resize(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) w[i] = 1.0 / (v[i] + tau2);
}

WlsFit Wls(const Design& d, std::span<const double> y, std::span<const double> w) {
  WlsFit f;
  const auto p = static_cast<Eigen::Index>(d.p);
  Eigen::MatrixXd a = Cross(d, [&](std::size_t i) { return w[i]; });
  Eigen::VectorXd b = Eigen::VectorXd::Zero(p);
  double sum_w = 0;
  if (d.p == 1) {
    double s = 0;
    for (std::size_t i = 0; i < d.k; ++i) s += w[i] * y[i];
    b(0) = s;
  } else {
    for (std::size_t i = 0; i < d.k; ++i) {
      for (std::size_t j = 0; j < d.p; ++j) b(static_cast<Eigen::Index>(j)) += w[i] * d.x(i, j) * y[i];
    }
  }
  f.a_inv = a.inverse();
  f.beta = f.a_inv * b;
  double rss = 0, rss_w2 = 0;
  for (std::size_t i = 0; i < d.k; ++i) {
    double fitted = 0;
    for (std::size_t j = 0; j < d.p; ++j) fitted += d.x(i, j) * f.beta(static_cast<Eigen::Index>(j));
    const double r = y[i] - fitted;
    rss += w[i] * r * r;
    rss_w2 += w[i] * w[i] * r * r;
    sum_w += w[i];
  }
  f.rss = rss;
  f.rss_w2 = rss_w2;
  f.sum_w = sum_w;
  return f;
}

double TracePDPE(const Design& d, std::span<const double> w, const Eigen::MatrixXd& a_inv,
                 std::span<const double> dd, std::span<const double> ee) {
  auto dv = [&](std::size_t i) { return dd.empty() ? 1.0 : dd[i]; };
  auto ev = [&](std::size_t i) { return ee.empty() ? 1.0 : ee[i]; };
  double t1 = 0;
  for (std::size_t i = 0; i < d.k; ++i) t1 += w[i] * w[i] * dv(i) * ev(i);
  const Eigen::MatrixXd c3 = Cross(d, [&](std::size_t i) { return w[i] * w[i] * w[i] * dv(i) * ev(i); });
  const Eigen::MatrixXd cd = Cross(d, [&](std::size_t i) { return w[i] * w[i] * dv(i); });
  const Eigen::MatrixXd ce = Cross(d, [&](std::size_t i) { return w[i] * w[i] * ev(i); });
  const double t2 = (a_inv * c3).trace();
  const double t3 = (a_inv * cd * a_inv * ce).trace();
  return t1 - 2.0 * t2 + t3;
}

double TracePD(const Design& d, std::span<const double> w, const Eigen::MatrixXd& a_inv,
               std::span<const double> dd) {
  auto dv = [&](std::size_t i) { return dd.empty() ? 1.0 : dd[i]; };
  double t1 = 0;
  for (std::size_t i = 0; i < d.k; ++i) t1 += w[i] * dv(i);
  const Eigen::MatrixXd c2 = Cross(d, [&](std::size_t i) { return w[i] * w[i] * dv(i); });
  return t1 - (a_inv * c2).trace();
}

}  // namespace kira::stats::internal
