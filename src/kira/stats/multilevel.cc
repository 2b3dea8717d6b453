#include "kira/stats/multilevel.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <numbers>
#include <numeric>
#include <string>
#include <unordered_map>
#include <utility>

#include <Eigen/Dense>

#include "kira/stats/distributions.h"
#include "kira/stats/internal/checks.h"
#include "kira/stats/internal/root.h"

namespace kira::stats {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

constexpr double kLog2Pi = 1.8378770664093454836;  // log(2 pi)
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// B'M^-1 B for B = [X y] (m = p + 1 columns) and log|M|.
struct Sums {
  MatrixXd s;
  double logdet = 0;
  bool ok = true;  // false when M is not positive definite
};

using Evaluator = std::function<Sums(const std::vector<double>& natural)>;

// How a parameter is optimised: natural = exp(w) (variances, Cholesky
// diagonals), tanh(w) (correlations) or w.
enum class Transform { kLog, kAtanh, kIdentity };

double ToNatural(Transform t, double w) {
  switch (t) {
    case Transform::kLog: return std::exp(w);
    case Transform::kAtanh: return std::tanh(w);
    case Transform::kIdentity: return w;
  }
  return w;
}

double ToWorking(Transform t, double x) {
  switch (t) {
    case Transform::kLog: return std::log(x);
    case Transform::kAtanh: return std::atanh(x);
    case Transform::kIdentity: return x;
  }
  return x;
}

struct LogLik {
  double ml = kNegInf;
  double reml = kNegInf;
  VectorXd beta;
  MatrixXd vb;
  double rss = 0;
};

// Generalised least squares and both log-likelihoods from the sums.
LogLik FromSums(const Sums& sums, std::size_t k, std::size_t p, double log_det_xtx) {
  LogLik out;
  if (!sums.ok) return out;
  const auto pp = static_cast<Eigen::Index>(p);
  const MatrixXd sxx = sums.s.topLeftCorner(pp, pp);
  const VectorXd sxy = sums.s.topRightCorner(pp, 1);
  const double syy = sums.s(pp, pp);
  const Eigen::LLT<MatrixXd> llt(sxx);
  if (llt.info() != Eigen::Success) return out;
  out.beta = llt.solve(sxy);
  out.rss = std::max(0.0, syy - sxy.dot(out.beta));
  double log_det_sxx = 0;
  for (Eigen::Index i = 0; i < pp; ++i) log_det_sxx += 2 * std::log(llt.matrixL()(i, i));
  const double kd = static_cast<double>(k), pd = static_cast<double>(p);
  out.ml = -0.5 * kd * kLog2Pi - 0.5 * sums.logdet - 0.5 * out.rss;
  out.reml = -0.5 * (kd - pd) * kLog2Pi + 0.5 * log_det_xtx - 0.5 * sums.logdet - 0.5 * log_det_sxx -
             0.5 * out.rss;
  if (!std::isfinite(out.ml) || !std::isfinite(out.reml)) {
    out.ml = out.reml = kNegInf;
    return out;
  }
  out.vb = llt.solve(MatrixXd::Identity(pp, pp));
  return out;
}

// ---- nested random intercepts: recursive Sherman-Morrison ------------------

// The rows sorted by their group keys, with the outermost level that changes
// at each row, so that one pass closes each group exactly once.
class NestedAccumulator {
 public:
  NestedAccumulator(std::span<const double> yi, std::span<const double> vi,
                    std::span<const Moderator> columns, const std::vector<std::vector<int>>& ids)
      : k_(yi.size()), m_(columns.size() + 1), levels_(ids.size()) {
    std::vector<std::size_t> order(k_);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      for (std::size_t l = 0; l < levels_; ++l) {
        if (ids[l][a] != ids[l][b]) return ids[l][a] < ids[l][b];
      }
      return false;
    });
    b_.resize(k_ * m_);
    v_.resize(k_);
    first_change_.resize(k_);
    for (std::size_t r = 0; r < k_; ++r) {
      const std::size_t i = order[r];
      for (std::size_t j = 0; j < columns.size(); ++j) b_[r * m_ + j] = columns[j].values[i];
      b_[r * m_ + m_ - 1] = yi[i];
      v_[r] = vi[i];
      std::size_t d = levels_;
      if (r == 0) {
        d = 0;
      } else {
        const std::size_t prev = order[r - 1];
        for (std::size_t l = 0; l < levels_; ++l) {
          if (ids[l][i] != ids[l][prev]) {
            d = l;
            break;
          }
        }
      }
      first_change_[r] = d;
    }
  }

  Sums operator()(const std::vector<double>& sigma2) const {
    const std::size_t packed = m_ * (m_ + 1) / 2;
    // Per open level: packed upper triangle of S, t, u, logdet.
    std::vector<double> s((levels_ + 1) * packed, 0.0), t((levels_ + 1) * m_, 0.0);
    std::vector<double> u(levels_ + 1, 0.0), ld(levels_ + 1, 0.0);
    // Slot 0 is the total; level l uses slot l + 1.
    auto close = [&](std::size_t l) {
      const std::size_t me = l + 1, parent = l;
      double* sm = &s[me * packed];
      double* tm = &t[me * m_];
      const double denom = 1 + sigma2[l] * u[me];
      const double f = sigma2[l] / denom;
      double* sp = &s[parent * packed];
      double* tp = &t[parent * m_];
      std::size_t idx = 0;
      for (std::size_t a = 0; a < m_; ++a) {
        for (std::size_t b = a; b < m_; ++b, ++idx) {
          sp[idx] += sm[idx] - f * tm[a] * tm[b];
          sm[idx] = 0;
        }
      }
      for (std::size_t a = 0; a < m_; ++a) {
        tp[a] += tm[a] / denom;
        tm[a] = 0;
      }
      u[parent] += u[me] / denom;
      ld[parent] += ld[me] + std::log(denom);
      u[me] = 0;
      ld[me] = 0;
    };
    const std::size_t leaf = levels_;  // slot of the innermost level
    for (std::size_t r = 0; r < k_; ++r) {
      if (r > 0) {
        for (std::size_t l = levels_; l-- > first_change_[r];) close(l);
      }
      const double w = 1 / v_[r];
      const double* br = &b_[r * m_];
      double* sl = &s[leaf * packed];
      double* tl = &t[leaf * m_];
      std::size_t idx = 0;
      for (std::size_t a = 0; a < m_; ++a) {
        const double wa = w * br[a];
        tl[a] += wa;
        for (std::size_t b = a; b < m_; ++b, ++idx) sl[idx] += wa * br[b];
      }
      u[leaf] += w;
      ld[leaf] += std::log(v_[r]);
    }
    for (std::size_t l = levels_; l-- > 0;) close(l);
    Sums out;
    out.s.resize(static_cast<Eigen::Index>(m_), static_cast<Eigen::Index>(m_));
    std::size_t idx = 0;
    for (std::size_t a = 0; a < m_; ++a) {
      for (std::size_t b = a; b < m_; ++b, ++idx) {
        out.s(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) = s[idx];
        out.s(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(a)) = s[idx];
      }
    }
    out.logdet = ld[0];
    out.ok = std::isfinite(out.logdet);
    return out;
  }

 private:
  std::size_t k_, m_, levels_;
  std::vector<double> b_;  // sorted rows of [X y], row-major
  std::vector<double> v_;
  std::vector<std::size_t> first_change_;
};

// ---- multivariate: one dense block per study -------------------------------

struct StudyBlock {
  std::vector<std::size_t> rows;
  MatrixXd v;       // known sampling covariance
  MatrixXd b;       // [X y] rows
  std::vector<int> outcome;  // outcome level per row
};

class BlockAccumulator {
 public:
  BlockAccumulator(std::vector<StudyBlock> blocks, std::size_t m, std::function<MatrixXd(const std::vector<double>&)> t_of)
      : blocks_(std::move(blocks)), m_(m), t_of_(std::move(t_of)) {}

  Sums operator()(const std::vector<double>& natural) const {
    const MatrixXd t = t_of_(natural);
    Sums out;
    out.s = MatrixXd::Zero(static_cast<Eigen::Index>(m_), static_cast<Eigen::Index>(m_));
    for (const StudyBlock& blk : blocks_) {
      MatrixXd mc = blk.v;
      const auto n = static_cast<Eigen::Index>(blk.rows.size());
      for (Eigen::Index a = 0; a < n; ++a) {
        for (Eigen::Index b = 0; b < n; ++b) mc(a, b) += t(blk.outcome[a], blk.outcome[b]);
      }
      const Eigen::LLT<MatrixXd> llt(mc);
      if (llt.info() != Eigen::Success) {
        out.ok = false;
        return out;
      }
      const MatrixXd c = llt.matrixL().solve(blk.b);
      out.s.noalias() += c.transpose() * c;
      for (Eigen::Index a = 0; a < n; ++a) out.logdet += 2 * std::log(llt.matrixL()(a, a));
    }
    out.ok = std::isfinite(out.logdet);
    return out;
  }

 private:
  std::vector<StudyBlock> blocks_;
  std::size_t m_;
  std::function<MatrixXd(const std::vector<double>&)> t_of_;
};

// ---- the fitting machinery shared by both models ---------------------------

struct ParamSpec {
  std::string name;
  Transform transform = Transform::kLog;
  double start = 0;  // natural scale
  bool variance = true;  // a variance (profile CI, boundary check)
  int levels = 0;
};

class Fitter {
 public:
  Fitter(Evaluator eval, std::vector<ParamSpec> params, std::size_t k, std::size_t p, double log_det_xtx,
         const MvOptions& options, double scale)
      : eval_(std::move(eval)), params_(std::move(params)), k_(k), p_(p), log_det_xtx_(log_det_xtx),
        options_(options), floor_(std::log(1e-12 * scale)) {}

  double LogLikAt(const std::vector<double>& natural) const {
    const LogLik ll = FromSums(eval_(natural), k_, p_, log_det_xtx_);
    return options_.reml ? ll.reml : ll.ml;
  }

  LogLik Full(const std::vector<double>& natural) const {
    return FromSums(eval_(natural), k_, p_, log_det_xtx_);
  }

  // Maximises over the parameters not in `fixed` (natural values there are
  // used as given). `natural` holds the start and receives the optimum.
  StatusOr<int> Maximise(std::vector<double>& natural, const std::vector<bool>& fixed) const {
    std::vector<std::size_t> free;
    for (std::size_t j = 0; j < params_.size(); ++j) {
      if (!fixed[j]) free.push_back(j);
    }
    const auto n = static_cast<Eigen::Index>(free.size());
    if (n == 0) return 0;
    VectorXd w(n);
    for (Eigen::Index a = 0; a < n; ++a) {
      const ParamSpec& ps = params_[free[a]];
      double x = natural[free[a]];
      if (ps.transform == Transform::kLog) x = std::max(x, std::exp(floor_));
      w(a) = ToWorking(ps.transform, x);
    }
    auto objective = [&](const VectorXd& wv) {
      std::vector<double> nat = natural;
      for (Eigen::Index a = 0; a < n; ++a) nat[free[a]] = ToNatural(params_[free[a]].transform, wv(a));
      const double ll = LogLikAt(nat);
      return std::isfinite(ll) ? -ll : std::numeric_limits<double>::infinity();
    };
    auto clamp = [&](VectorXd& wv) {
      for (Eigen::Index a = 0; a < n; ++a) {
        const Transform tr = params_[free[a]].transform;
        if (tr == Transform::kLog) wv(a) = std::clamp(wv(a), floor_, 50.0);
        if (tr == Transform::kAtanh) wv(a) = std::clamp(wv(a), -20.0, 20.0);
      }
    };
    double f = objective(w);
    if (!std::isfinite(f)) return FailedPreconditionError("rma.mv: the likelihood is not finite at the start");
    const double h = 1e-5, hh = 1e-4;
    int iter = 0, stalled = 0;
    double lambda = 0;
    for (;;) {
      if (++iter > options_.max_iterations) {
        return FailedPreconditionError("rma.mv: Newton iterations did not converge within " +
                                       std::to_string(options_.max_iterations));
      }
      VectorXd g(n);
      MatrixXd hess(n, n);
      for (Eigen::Index a = 0; a < n; ++a) {
        VectorXd up = w, dn = w;
        up(a) += h;
        dn(a) -= h;
        g(a) = (objective(up) - objective(dn)) / (2 * h);
        VectorXd up2 = w, dn2 = w;
        up2(a) += hh;
        dn2(a) -= hh;
        hess(a, a) = (objective(up2) - 2 * f + objective(dn2)) / (hh * hh);
        for (Eigen::Index b = 0; b < a; ++b) {
          VectorXd pp = w, pm = w, mp = w, mm = w;
          pp(a) += hh; pp(b) += hh;
          pm(a) += hh; pm(b) -= hh;
          mp(a) -= hh; mp(b) += hh;
          mm(a) -= hh; mm(b) -= hh;
          hess(a, b) = hess(b, a) =
              (objective(pp) - objective(pm) - objective(mp) + objective(mm)) / (4 * hh * hh);
        }
      }
      if (!g.allFinite() || !hess.allFinite()) {
        return FailedPreconditionError("rma.mv: the likelihood is not finite near the estimate");
      }
      // Levenberg-damped Newton step on the working scale.
      VectorXd step;
      for (int tries = 0;; ++tries) {
        MatrixXd damped = hess + lambda * MatrixXd::Identity(n, n);
        Eigen::LLT<MatrixXd> llt(damped);
        if (llt.info() == Eigen::Success) {
          step = -llt.solve(g);
          break;
        }
        lambda = lambda == 0 ? 1e-6 * std::max(1.0, hess.diagonal().cwiseAbs().maxCoeff()) : lambda * 10;
        if (tries > 60) return FailedPreconditionError("rma.mv: no ascent direction");
      }
      // Backtracking: accept the first step that does not worsen f.
      VectorXd next = w;
      double f_next = f;
      bool moved = false;
      double scale = 1;
      for (int half = 0; half < 40; ++half, scale /= 2) {
        next = w + scale * step;
        clamp(next);
        f_next = objective(next);
        if (f_next <= f + 1e-13 * std::max(1.0, std::fabs(f))) {
          moved = true;
          break;
        }
      }
      if (!moved) break;  // no improvement possible at this resolution
      const double change = (next - w).cwiseAbs().maxCoeff();
      const double gain = f - f_next;
      w = next;
      f = std::min(f, f_next);
      lambda = lambda / 10;
      if (lambda < 1e-12) lambda = 0;
      if (change < options_.tolerance) break;
      // Steps at the resolution of the numerical derivatives: the function
      // no longer improves beyond rounding three times in a row.
      stalled = (change < 1e-5 && gain <= 1e-15 * std::max(1.0, std::fabs(f))) ? stalled + 1 : 0;
      if (stalled >= 3) break;
    }
    for (Eigen::Index a = 0; a < n; ++a) natural[free[a]] = ToNatural(params_[free[a]].transform, w(a));
    // A variance at the floor is on the boundary: report 0 when that is no worse.
    for (Eigen::Index a = 0; a < n; ++a) {
      if (params_[free[a]].transform != Transform::kLog || w(a) > floor_ + 1) continue;
      std::vector<double> zero = natural;
      zero[free[a]] = 0;
      if (LogLikAt(zero) >= LogLikAt(natural) - 1e-12 * std::max(1.0, std::fabs(f))) natural[free[a]] = 0;
    }
    return iter;
  }

  // Profile-likelihood interval for variance parameter j.
  std::pair<std::optional<double>, std::optional<double>> Profile(std::size_t j,
                                                                 const std::vector<double>& est,
                                                                 double ll_max) const {
    const double target = ll_max - ChiSquareQuantile(options_.level, 1.0) / 2;
    std::vector<bool> fixed(params_.size(), false);
    fixed[j] = true;
    std::vector<double> warm = est;
    auto g = [&](double c) {
      std::vector<double> nat = warm;
      nat[j] = c;
      auto it = Maximise(nat, fixed);
      if (!it.ok()) return std::numeric_limits<double>::quiet_NaN();
      warm = nat;
      warm[j] = est[j];
      return LogLikAt(nat) - target;
    };
    std::optional<double> lo, hi;
    const double xtol = 1e-10 * std::max(est[j], 1e-8);
    const double g0 = g(0.0);
    if (std::isnan(g0)) return {lo, hi};
    if (g0 >= 0) {
      lo = 0.0;
    } else if (est[j] > 0) {
      auto r = internal::BrentRoot(g, 0.0, est[j], xtol, 200);
      if (r) lo = r->x;
    }
    double top = std::max(est[j], 1e-4) * 2;
    for (int i = 0; i < 60; ++i, top *= 2) {
      const double gv = g(top);
      if (std::isnan(gv)) return {lo, hi};
      if (gv < 0) {
        auto r = internal::BrentRoot(g, est[j], top, xtol, 200);
        if (r) hi = r->x;
        break;
      }
    }
    return {lo, hi};
  }

  const std::vector<ParamSpec>& params() const { return params_; }

 private:
  Evaluator eval_;
  std::vector<ParamSpec> params_;
  std::size_t k_, p_;
  double log_det_xtx_;
  MvOptions options_;
  double floor_;
};

Status ValidateCommon(std::string_view fn, std::span<const double> yi, std::span<const double> vi,
                      std::span<const Moderator> columns, const MvOptions& options) {
  KIRA_RETURN_IF_ERROR(internal::CheckMinSize(fn, "yi", yi.size(), 2));
  KIRA_RETURN_IF_ERROR(internal::CheckSameSize(fn, "yi", yi.size(), "vi", vi.size()));
  KIRA_RETURN_IF_ERROR(internal::CheckFinite(fn, "yi", yi));
  KIRA_RETURN_IF_ERROR(internal::CheckPositive(fn, "vi", vi));
  KIRA_RETURN_IF_ERROR(internal::CheckLevel(fn, options.level));
  if (!(options.tolerance > 0) || options.max_iterations <= 0) {
    return InvalidArgumentError(internal::ArgName(fn, "options") + ": tolerance and max_iterations must be > 0");
  }
  if (columns.empty()) return InvalidArgumentError(internal::ArgName(fn, "columns") + ": at least one column");
  for (std::size_t j = 0; j < columns.size(); ++j) {
    const std::string label = "columns[" + std::to_string(j) + "] (" + columns[j].name + ")";
    KIRA_RETURN_IF_ERROR(internal::CheckSameSize(fn, "yi", yi.size(), label, columns[j].values.size()));
    KIRA_RETURN_IF_ERROR(internal::CheckFinite(fn, label, columns[j].values));
  }
  if (yi.size() <= columns.size()) {
    return InvalidArgumentError(internal::ArgName(fn, "yi") + ": " + std::to_string(columns.size()) +
                                " coefficients need more than " + std::to_string(columns.size()) + " rows, got " +
                                std::to_string(yi.size()));
  }
  return Status::Ok();
}

// log|X'X|, or an error when X is not of full rank.
StatusOr<double> LogDetCrossprod(std::string_view fn, std::span<const Moderator> columns, std::size_t k) {
  const auto p = static_cast<Eigen::Index>(columns.size());
  MatrixXd xtx = MatrixXd::Zero(p, p);
  for (Eigen::Index a = 0; a < p; ++a) {
    for (Eigen::Index b = a; b < p; ++b) {
      double s = 0;
      for (std::size_t i = 0; i < k; ++i) s += columns[a].values[i] * columns[b].values[i];
      xtx(a, b) = xtx(b, a) = s;
    }
  }
  Eigen::FullPivLU<MatrixXd> lu(xtx);
  if (lu.rank() < p) {
    return InvalidArgumentError(internal::ArgName(fn, "columns") +
                                ": design matrix is not of full rank (a moderator is constant or a "
                                "combination of others)");
  }
  const Eigen::LLT<MatrixXd> llt(xtx);
  double ld = 0;
  for (Eigen::Index i = 0; i < p; ++i) ld += 2 * std::log(llt.matrixL()(i, i));
  return ld;
}

FitStatistics Criteria(double ll, double deviance, double m, double n) {
  FitStatistics s;
  s.log_likelihood = ll;
  s.deviance = deviance;
  s.aic = -2 * ll + 2 * m;
  s.bic = -2 * ll + m * std::log(n);
  const double nn = std::max(n, m + 2);
  s.aicc = -2 * ll + 2 * m * nn / (nn - m - 1);
  return s;
}

// Starting total variance as metafor: max(0.001 c, var(y - X b_FE) - 1/mean(1/vi)).
double StartTotal(const Sums& at_zero, std::span<const double> yi, std::span<const double> vi,
                  std::span<const Moderator> columns, std::size_t components) {
  const std::size_t p = columns.size();
  const auto pp = static_cast<Eigen::Index>(p);
  const VectorXd beta = at_zero.s.topLeftCorner(pp, pp).ldlt().solve(at_zero.s.topRightCorner(pp, 1));
  const std::size_t k = yi.size();
  std::vector<double> r(k);
  double mean = 0, mean_w = 0;
  for (std::size_t i = 0; i < k; ++i) {
    double fit = 0;
    for (std::size_t j = 0; j < p; ++j) fit += columns[j].values[i] * beta(static_cast<Eigen::Index>(j));
    r[i] = yi[i] - fit;
    mean += r[i];
    mean_w += 1 / vi[i];
  }
  mean /= static_cast<double>(k);
  mean_w /= static_cast<double>(k);
  double var = 0;
  for (double x : r) var += (x - mean) * (x - mean);
  var /= static_cast<double>(k - 1);
  return std::max(0.001 * static_cast<double>(components), var - 1 / mean_w);
}

bool IsInterceptColumn(const Moderator& c) {
  return std::all_of(c.values.begin(), c.values.end(), [](double v) { return v == 1.0; });
}

StatusOr<MvResult> Finish(const Fitter& fitter, std::vector<double> natural, std::span<const Moderator> columns,
                          std::size_t k, const Sums& at_zero, double log_det_xtx, const MvOptions& options,
                          std::vector<VarianceComponent> components) {
  const std::size_t p = columns.size();
  std::vector<bool> fixed(natural.size(), false);
  KIRA_ASSIGN_OR_RETURN(int iterations, fitter.Maximise(natural, fixed));
  const LogLik ll = fitter.Full(natural);
  if (!std::isfinite(ll.ml)) return FailedPreconditionError("rma.mv: the fitted marginal covariance is not positive definite");
  MvResult r;
  r.reml = options.reml;
  r.test = options.test;
  r.level = options.level;
  r.k = static_cast<int>(k);
  r.p = static_cast<int>(p);
  r.iterations = iterations;
  const bool t_test = options.test == MvTest::kT;
  const double df = static_cast<double>(k - p);
  if (t_test) r.t_df = static_cast<int>(k - p);
  const double alpha = 1 - options.level;
  const double crit = t_test ? StudentTQuantile(1 - alpha / 2, df) : NormalQuantile(1 - alpha / 2);
  for (std::size_t j = 0; j < p; ++j) {
    const auto jj = static_cast<Eigen::Index>(j);
    Coefficient c;
    c.name = columns[j].name;
    c.estimate = ll.beta(jj);
    c.se = std::sqrt(ll.vb(jj, jj));
    c.statistic = c.estimate / c.se;
    c.p_value = t_test ? StudentTTwoSidedP(c.statistic, df) : NormalTwoSidedP(c.statistic);
    c.ci_low = c.estimate - crit * c.se;
    c.ci_high = c.estimate + crit * c.se;
    r.coefficients.push_back(c);
  }
  r.vcov.assign(ll.vb.data(), ll.vb.data() + ll.vb.size());
  // Moderator test over every coefficient but a leading intercept.
  const std::size_t first = (p > 1 && IsInterceptColumn(columns[0])) ? 1 : (IsInterceptColumn(columns[0]) ? p : 0);
  if (first < p) {
    const auto m = static_cast<Eigen::Index>(p - first);
    const VectorXd b = ll.beta.tail(m);
    const MatrixXd vsub = ll.vb.bottomRightCorner(m, m);
    double qm = b.dot(vsub.ldlt().solve(b));
    ModeratorTest mt;
    mt.df1 = static_cast<int>(m);
    if (t_test) {
      qm /= static_cast<double>(m);
      mt.df2 = static_cast<int>(k - p);
      mt.p_value = FUpperTail(qm, static_cast<double>(m), df);
    } else {
      mt.p_value = ChiSquareUpperTail(qm, static_cast<double>(m));
    }
    mt.statistic = qm;
    r.moderator_test = mt;
  }
  const LogLik ll0 = FromSums(at_zero, k, p, log_det_xtx);
  r.qe = ll0.rss;
  r.qe_df = static_cast<int>(k - p);
  r.qe_p_value = ChiSquareUpperTail(r.qe, df);
  const double ll_qe = -0.5 * static_cast<double>(k) * kLog2Pi - 0.5 * at_zero.logdet;
  int free_params = 0;
  for (const VarianceComponent& c : components) free_params += c.fixed ? 0 : 1;
  r.parameters = static_cast<int>(p) + free_params;
  const double m = r.parameters;
  r.fit_ml = Criteria(ll.ml, -2 * (ll.ml - ll_qe), m, static_cast<double>(k));
  r.fit_reml = Criteria(ll.reml, -2 * ll.reml, m, df);
  // Natural parameters -> reported components (same order, fixed ones kept).
  std::size_t j = 0;
  for (VarianceComponent& c : components) {
    if (c.fixed) continue;
    c.estimate = natural[j];
    if (options.profile_intervals && fitter.params()[j].variance) {
      auto [lo, hi] = fitter.Profile(j, natural, options.reml ? ll.reml : ll.ml);
      c.ci_low = lo;
      c.ci_high = hi;
    }
    ++j;
  }
  r.components = std::move(components);
  return r;
}

// Dense integer ids for string labels (first-seen order irrelevant: only
// equality matters for grouping).
std::vector<int> Ids(const std::vector<std::string>& keys) {
  std::unordered_map<std::string, int> map;
  std::vector<int> out(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto [it, inserted] = map.emplace(keys[i], static_cast<int>(map.size()));
    out[i] = it->second;
  }
  return out;
}

// Groups the rows by study into dense blocks of V and [X y]; outcome levels
// sorted. Validates labels and covariances.
StatusOr<std::vector<StudyBlock>> BuildBlocks(std::string_view kFn, const MultivariateInput& input,
                                              std::span<const Moderator> columns,
                                              std::vector<std::string>& outcome_levels) {
  const std::size_t k = input.yi.size();
  std::map<std::string, int> outcome_index;
  for (std::size_t i = 0; i < k; ++i) {
    if (input.study[i].empty()) return InvalidArgumentError(internal::ArgName(kFn, "study", i) + ": empty label");
    if (input.outcome[i].empty()) return InvalidArgumentError(internal::ArgName(kFn, "outcome", i) + ": empty label");
    outcome_index.emplace(input.outcome[i], 0);
  }
  for (auto& [name, idx] : outcome_index) {
    idx = static_cast<int>(outcome_levels.size());
    outcome_levels.push_back(name);
  }
  // Blocks by study, rows in input order within a study.
  std::map<std::string, std::size_t> study_block;
  std::vector<StudyBlock> blocks;
  std::vector<std::size_t> row_block(k), row_pos(k);
  for (std::size_t i = 0; i < k; ++i) {
    auto [it, inserted] = study_block.emplace(input.study[i], blocks.size());
    if (inserted) blocks.emplace_back();
    row_block[i] = it->second;
    row_pos[i] = blocks[it->second].rows.size();
    blocks[it->second].rows.push_back(i);
  }
  const std::size_t m = columns.size() + 1;
  for (StudyBlock& blk : blocks) {
    const auto n = static_cast<Eigen::Index>(blk.rows.size());
    blk.v = MatrixXd::Zero(n, n);
    blk.b.resize(n, static_cast<Eigen::Index>(m));
    for (Eigen::Index a = 0; a < n; ++a) {
      const std::size_t i = blk.rows[a];
      blk.v(a, a) = input.vi[i];
      for (std::size_t j = 0; j < columns.size(); ++j) blk.b(a, static_cast<Eigen::Index>(j)) = columns[j].values[i];
      blk.b(a, static_cast<Eigen::Index>(m - 1)) = input.yi[i];
      blk.outcome.push_back(outcome_index[input.outcome[i]]);
    }
  }
  for (std::size_t c = 0; c < input.covariances.size(); ++c) {
    const SamplingCovariance& cov = input.covariances[c];
    const std::string where = internal::ArgName(kFn, "covariances", c);
    if (cov.row_a >= k || cov.row_b >= k || cov.row_a == cov.row_b) {
      return InvalidArgumentError(where + ": rows out of range or equal");
    }
    if (row_block[cov.row_a] != row_block[cov.row_b]) {
      return InvalidArgumentError(where + ": rows " + std::to_string(cov.row_a) + " and " +
                                  std::to_string(cov.row_b) + " belong to different studies");
    }
    if (!std::isfinite(cov.value)) return InvalidArgumentError(where + ": must be finite");
    StudyBlock& blk = blocks[row_block[cov.row_a]];
    const auto a = static_cast<Eigen::Index>(row_pos[cov.row_a]), b = static_cast<Eigen::Index>(row_pos[cov.row_b]);
    blk.v(a, b) = blk.v(b, a) = cov.value;
  }
  for (std::size_t s = 0; s < blocks.size(); ++s) {
    const Eigen::LLT<MatrixXd> llt(blocks[s].v);
    if (llt.info() != Eigen::Success) {
      return InvalidArgumentError(internal::ArgName(kFn, "covariances") + ": the sampling covariance matrix of study '" +
                                  input.study[blocks[s].rows[0]] + "' is not positive definite");
    }
  }
  return blocks;
}

}  // namespace

StatusOr<MvResult> FitNestedModel(std::span<const double> yi, std::span<const double> vi,
                                  std::span<const Moderator> columns, std::span<const GroupingLevel> levels,
                                  const MvOptions& options) {
  constexpr std::string_view kFn = "FitNestedModel";
  KIRA_RETURN_IF_ERROR(ValidateCommon(kFn, yi, vi, columns, options));
  if (levels.empty()) return InvalidArgumentError(internal::ArgName(kFn, "levels") + ": at least one level");
  const std::size_t k = yi.size();
  std::vector<std::vector<int>> ids;
  std::vector<std::string> composite(k);
  std::vector<VarianceComponent> components;
  std::vector<ParamSpec> params;
  for (std::size_t l = 0; l < levels.size(); ++l) {
    const GroupingLevel& g = levels[l];
    KIRA_RETURN_IF_ERROR(internal::CheckSameSize(kFn, "yi", k, "levels[" + std::to_string(l) + "]", g.labels.size()));
    for (std::size_t i = 0; i < k; ++i) {
      if (g.labels[i].empty()) {
        return InvalidArgumentError(internal::ArgName(kFn, "levels[" + std::to_string(l) + "] (" + g.name + ")", i) +
                                    ": empty group label");
      }
      composite[i] += g.labels[i];
      composite[i] += '\x1f';
    }
    ids.push_back(Ids(composite));
    const int groups = *std::max_element(ids.back().begin(), ids.back().end()) + 1;
    VarianceComponent c;
    c.name = "sigma2." + std::to_string(l + 1) + " (" + g.name + ")";
    c.levels = groups;
    components.push_back(c);
  }
  KIRA_ASSIGN_OR_RETURN(double log_det_xtx, LogDetCrossprod(kFn, columns, k));
  NestedAccumulator acc(yi, vi, columns, ids);
  const Sums at_zero = acc(std::vector<double>(levels.size(), 0.0));
  const double total = StartTotal(at_zero, yi, vi, columns, levels.size());
  std::vector<double> start;
  for (const VarianceComponent& c : components) {
    ParamSpec ps;
    ps.name = c.name;
    ps.transform = Transform::kLog;
    ps.start = total / static_cast<double>(levels.size());
    ps.levels = c.levels;
    params.push_back(ps);
    start.push_back(ps.start);
  }
  double mean_v = 0;
  for (double v : vi) mean_v += v;
  mean_v /= static_cast<double>(k);
  Fitter fitter([acc](const std::vector<double>& s2) { return acc(s2); }, params, k, columns.size(), log_det_xtx,
                options, mean_v);
  return Finish(fitter, start, columns, k, at_zero, log_det_xtx, options, std::move(components));
}

StatusOr<MvResult> FitMultivariateModel(const MultivariateInput& input, std::span<const Moderator> columns,
                                        CovarianceStructure structure, std::optional<double> fixed_rho,
                                        const MvOptions& options) {
  constexpr std::string_view kFn = "FitMultivariateModel";
  KIRA_RETURN_IF_ERROR(ValidateCommon(kFn, input.yi, input.vi, columns, options));
  const std::size_t k = input.yi.size();
  KIRA_RETURN_IF_ERROR(internal::CheckSameSize(kFn, "yi", k, "study", input.study.size()));
  KIRA_RETURN_IF_ERROR(internal::CheckSameSize(kFn, "yi", k, "outcome", input.outcome.size()));
  if (fixed_rho && !(std::fabs(*fixed_rho) < 1)) {
    return InvalidArgumentError(internal::ArgName(kFn, "fixed_rho") + ": must lie in (-1, 1)");
  }
  if (fixed_rho && structure != CovarianceStructure::kCompoundSymmetric) {
    return InvalidArgumentError(internal::ArgName(kFn, "fixed_rho") + ": only with the CS structure");
  }
  std::vector<std::string> outcome_levels;
  KIRA_ASSIGN_OR_RETURN(std::vector<StudyBlock> blocks, BuildBlocks(kFn, input, columns, outcome_levels));
  const auto q = static_cast<Eigen::Index>(outcome_levels.size());
  const std::size_t m = columns.size() + 1;
  KIRA_ASSIGN_OR_RETURN(double log_det_xtx, LogDetCrossprod(kFn, columns, k));

  std::vector<ParamSpec> params;
  std::vector<VarianceComponent> components;
  const int n_studies = static_cast<int>(blocks.size());
  std::function<MatrixXd(const std::vector<double>&)> t_of;
  if (structure == CovarianceStructure::kCompoundSymmetric) {
    const double rho_value = fixed_rho.value_or(0.0);
    const bool rho_free = !fixed_rho.has_value();
    t_of = [q, rho_free, rho_value](const std::vector<double>& nat) {
      const double tau2 = nat[0], rho = rho_free ? nat[1] : rho_value;
      MatrixXd t = MatrixXd::Constant(q, q, rho * tau2);
      t.diagonal().setConstant(tau2);
      return t;
    };
    components.push_back({"tau2", 0, n_studies, false, {}, {}});
    components.push_back({"rho", rho_value, n_studies, !rho_free, {}, {}});
  } else {
    // T = L L' with L lower triangular; parameters: the diagonal of L (log)
    // then the strictly lower entries by column.
    t_of = [q](const std::vector<double>& nat) {
      MatrixXd l = MatrixXd::Zero(q, q);
      std::size_t idx = 0;
      for (Eigen::Index a = 0; a < q; ++a) l(a, a) = nat[idx++];
      for (Eigen::Index b = 0; b < q; ++b) {
        for (Eigen::Index a = b + 1; a < q; ++a) l(a, b) = nat[idx++];
      }
      return MatrixXd(l * l.transpose());
    };
  }
  BlockAccumulator acc(blocks, m, t_of);
  // At zero: every between-study (co)variance 0.
  std::vector<double> zero_params;
  if (structure == CovarianceStructure::kCompoundSymmetric) {
    zero_params = fixed_rho ? std::vector<double>{0.0} : std::vector<double>{0.0, 0.0};
  } else {
    zero_params.assign(static_cast<std::size_t>(q * (q + 1) / 2), 0.0);
  }
  const Sums at_zero = acc(zero_params);
  if (!at_zero.ok) return InvalidArgumentError(std::string(kFn) + ": sampling covariance is not positive definite");
  const double total = StartTotal(at_zero, input.yi, input.vi, columns, 1);
  std::vector<double> start;
  if (structure == CovarianceStructure::kCompoundSymmetric) {
    params.push_back({"tau2", Transform::kLog, total, true, n_studies});
    start.push_back(total);
    if (!fixed_rho) {
      params.push_back({"rho", Transform::kAtanh, 0.5, false, n_studies});
      start.push_back(0.5);
    }
  } else {
    // Start at T = total (I + 11') / 2, i.e. rho = 1/2, via its Cholesky factor.
    MatrixXd t0 = MatrixXd::Constant(q, q, total / 2);
    t0.diagonal().setConstant(total);
    const MatrixXd l0 = t0.llt().matrixL();
    for (Eigen::Index a = 0; a < q; ++a) {
      params.push_back({"L" + std::to_string(a + 1) + std::to_string(a + 1), Transform::kLog, l0(a, a), false, n_studies});
      start.push_back(l0(a, a));
    }
    for (Eigen::Index b = 0; b < q; ++b) {
      for (Eigen::Index a = b + 1; a < q; ++a) {
        params.push_back({"L" + std::to_string(a + 1) + std::to_string(b + 1), Transform::kIdentity, l0(a, b), false,
                          n_studies});
        start.push_back(l0(a, b));
      }
    }
  }
  double mean_v = 0;
  for (double v : input.vi) mean_v += v;
  mean_v /= static_cast<double>(k);
  Fitter fitter([acc](const std::vector<double>& nat) { return acc(nat); }, params, k, columns.size(), log_det_xtx,
                options, mean_v);
  if (structure == CovarianceStructure::kCompoundSymmetric) {
    KIRA_ASSIGN_OR_RETURN(MvResult r, Finish(fitter, start, columns, k, at_zero, log_det_xtx, options, components));
    r.outcome_levels = outcome_levels;
    return r;
  }
  // UN: fit on the Cholesky parameters, then report tau2 and rho.
  std::vector<VarianceComponent> chol_components;
  for (const ParamSpec& ps : params) chol_components.push_back({ps.name, 0, n_studies, false, {}, {}});
  KIRA_ASSIGN_OR_RETURN(MvResult r, Finish(fitter, start, columns, k, at_zero, log_det_xtx, options, chol_components));
  std::vector<double> nat;
  for (const VarianceComponent& c : r.components) nat.push_back(c.estimate);
  const MatrixXd t = t_of(nat);
  r.components.clear();
  for (Eigen::Index a = 0; a < q; ++a) {
    r.components.push_back({"tau2 (" + outcome_levels[a] + ")", t(a, a), n_studies, false, {}, {}});
  }
  for (Eigen::Index a = 0; a < q; ++a) {
    for (Eigen::Index b = a + 1; b < q; ++b) {
      r.components.push_back({"rho (" + outcome_levels[a] + ", " + outcome_levels[b] + ")",
                              t(a, b) / std::sqrt(t(a, a) * t(b, b)), n_studies, false, {}, {}});
    }
  }
  r.outcome_levels = outcome_levels;
  return r;
}

StatusOr<double> FixedEffectQ(const MultivariateInput& input, std::span<const Moderator> columns) {
  constexpr std::string_view kFn = "FixedEffectQ";
  const std::size_t k = input.yi.size();
  KIRA_RETURN_IF_ERROR(internal::CheckSameSize(kFn, "yi", k, "vi", input.vi.size()));
  KIRA_RETURN_IF_ERROR(internal::CheckSameSize(kFn, "yi", k, "study", input.study.size()));
  KIRA_RETURN_IF_ERROR(internal::CheckSameSize(kFn, "yi", k, "outcome", input.outcome.size()));
  KIRA_RETURN_IF_ERROR(internal::CheckPositive(kFn, "vi", input.vi));
  for (std::size_t j = 0; j < columns.size(); ++j) {
    KIRA_RETURN_IF_ERROR(internal::CheckSameSize(kFn, "yi", k, "columns", columns[j].values.size()));
  }
  if (k < columns.size()) return InvalidArgumentError(internal::ArgName(kFn, "columns") + ": more columns than rows");
  std::vector<std::string> levels;
  KIRA_ASSIGN_OR_RETURN(std::vector<StudyBlock> blocks, BuildBlocks(kFn, input, columns, levels));
  KIRA_ASSIGN_OR_RETURN(double log_det_xtx, LogDetCrossprod(kFn, columns, k));
  const auto q = static_cast<Eigen::Index>(levels.size());
  BlockAccumulator acc(std::move(blocks), columns.size() + 1,
                       [q](const std::vector<double>&) { return MatrixXd(MatrixXd::Zero(q, q)); });
  const LogLik ll = FromSums(acc({}), k, columns.size(), log_det_xtx);
  if (!std::isfinite(ll.ml)) return FailedPreconditionError(std::string(kFn) + ": singular model");
  return ll.rss;
}

}  // namespace kira::stats
