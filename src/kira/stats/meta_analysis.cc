#include "kira/stats/meta_analysis.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <utility>

#include <Eigen/Dense>

#include "kira/stats/distributions.h"
#include "kira/stats/internal/checks.h"
#include "kira/stats/internal/design.h"
#include "kira/stats/internal/fit.h"
#include "kira/stats/internal/root.h"

namespace kira::stats {

std::string_view Tau2EstimatorName(Tau2Estimator method) {
  switch (method) {
    case Tau2Estimator::kCommonEffect: return "FE";
    case Tau2Estimator::kDerSimonianLaird: return "DL";
    case Tau2Estimator::kRestrictedMaximumLikelihood: return "REML";
    case Tau2Estimator::kMaximumLikelihood: return "ML";
    case Tau2Estimator::kPauleMandel: return "PM";
    case Tau2Estimator::kSidikJonkman: return "SJ";
    case Tau2Estimator::kHedges: return "HE";
    case Tau2Estimator::kEmpiricalBayes: return "EB";
    case Tau2Estimator::kHunterSchmidt: return "HS";
  }
  return "?";
}

StatusOr<Tau2Estimator> ParseTau2Estimator(std::string_view name) {
  if (name == "EE" || name == "CE") return Tau2Estimator::kCommonEffect;
  for (int m = 0; m <= 8; ++m) {
    const auto e = static_cast<Tau2Estimator>(m);
    if (Tau2EstimatorName(e) == name) return e;
  }
  return InvalidArgumentError("method: unknown tau^2 estimator '" + std::string(name) +
                              "' (expected FE, DL, REML, ML, PM, SJ, HE, EB or HS)");
}

std::string_view InferenceTestName(InferenceTest test) {
  return test == InferenceTest::kZ ? "z" : "knha";
}

StatusOr<InferenceTest> ParseInferenceTest(std::string_view name) {
  if (name == "z") return InferenceTest::kZ;
  if (name == "knha" || name == "hk") return InferenceTest::kKnappHartung;
  return InvalidArgumentError("test: unknown test '" + std::string(name) + "' (expected z or knha)");
}

namespace internal {
namespace {

constexpr double kMachineEps = std::numeric_limits<double>::epsilon();
// Where the Paule-Mandel and Q-profile root searches give up. tau2 beyond this
// on any effect scale kira uses means the data are not a meta-analysis.
constexpr double kTau2SearchCeiling = 1e12;

struct Tau2Estimate {
  double tau2 = 0;
  std::optional<double> se_tau2;
  int iterations = 0;
};

double MeanSquaredDeviation(std::span<const double> y) {
  double mean = 0;
  for (double v : y) mean += v;
  mean /= static_cast<double>(y.size());
  double s = 0;
  for (double v : y) s += (v - mean) * (v - mean);
  return s / static_cast<double>(y.size());
}

Status NotConverged(std::string_view what, int iterations) {
  return FailedPreconditionError(std::string(what) + " did not converge within " +
                                 std::to_string(iterations) +
                                 " iterations (raise MetaOptions.max_iterations or use DL)");
}

// Finds tau2 in [0, ceiling) with GeneralisedQ(tau2) = target, given
// Q(0) >= target. Doubles the upper end of the bracket until it holds.
StatusOr<internal::Root> SolveQ(const Design& d, std::span<const double> y,
                                std::span<const double> v, double target, double start_hi,
                                const MetaOptions& options, std::string_view what) {
  auto f = [&](double t) { return GeneralisedQ(d, y, v, t) - target; };
  double hi = std::max(start_hi, 1.0);
  while (f(hi) > 0) {
    hi *= 2;
    if (hi > kTau2SearchCeiling) {
      return FailedPreconditionError(std::string(what) + ": tau^2 exceeds " +
                                     std::to_string(kTau2SearchCeiling));
    }
  }
  auto root = BrentRoot(f, 0.0, hi, options.tolerance, options.max_iterations);
  if (!root) return NotConverged(what, options.max_iterations);
  return *root;
}

// Log-likelihood (ML) or restricted log-likelihood (REML) at tau2, up to
// the constants that cancel in a comparison at fixed k and p.
double LogLikelihood(const Design& d, std::span<const double> y, std::span<const double> v, double tau2,
                     bool reml) {
  std::vector<double> w;
  FillWeights(v, tau2, w);
  const WlsFit f = Wls(d, y, w);
  double sum_log = 0;
  for (double vi : v) sum_log += std::log(vi + tau2);
  double ll = -0.5 * sum_log - 0.5 * f.rss;
  if (reml) {
    // -1/2 log det(X'WX) = +1/2 log det((X'WX)^-1), summed from the LU
    // diagonal so a large k cannot underflow the determinant itself.
    const Eigen::PartialPivLU<Eigen::MatrixXd> lu(f.a_inv);
    double log_det = 0;
    for (Eigen::Index i = 0; i < lu.matrixLU().rows(); ++i) log_det += std::log(std::fabs(lu.matrixLU()(i, i)));
    ll += 0.5 * log_det;
  }
  return ll;
}

StatusOr<Tau2Estimate> EstimateTau2(const Design& d, std::span<const double> y,
                                    std::span<const double> v, const MetaOptions& options) {
  const double k = static_cast<double>(d.k);
  const double p = static_cast<double>(d.p);
  Tau2Estimate est;
  if (options.method == Tau2Estimator::kCommonEffect) return est;
  if (d.k <= d.p) return est;  // k = 1 (metafor "k1"): tau2 = 0 by definition.
  std::vector<double> w;
  switch (options.method) {
    case Tau2Estimator::kCommonEffect: return est;
    case Tau2Estimator::kDerSimonianLaird:
    case Tau2Estimator::kHunterSchmidt: {
      FillWeights(v, 0.0, w);
      const WlsFit f = Wls(d, y, w);
      const double tr_p = TracePD(d, w, f.a_inv, {});
      double tau2 = 0;
      if (options.method == Tau2Estimator::kDerSimonianLaird) {
        tau2 = std::max(0.0, (f.rss - (k - p)) / tr_p);
        const double tr_pp = TracePDPE(d, w, f.a_inv, {}, {});
        est.se_tau2 = std::sqrt(1 / (tr_p * tr_p) *
                                (2 * (k - p) + 4 * tau2 * tr_p + 2 * tau2 * tau2 * tr_pp));
      } else {
        tau2 = std::max(0.0, (f.rss - k) / f.sum_w);
        const double tr_pp = TracePDPE(d, w, f.a_inv, {}, {});
        est.se_tau2 = std::sqrt(1 / (f.sum_w * f.sum_w) *
                                (2 * (k - p) + 4 * tau2 * tr_p + 2 * tau2 * tau2 * tr_pp));
      }
      est.tau2 = tau2;
      return est;
    }
    case Tau2Estimator::kSidikJonkman: {
      const double tau2_0 = MeanSquaredDeviation(y);
      if (!(tau2_0 > 0)) return est;  // all yi equal: no between-study spread.
      FillWeights(v, tau2_0, w);
      const WlsFit f = Wls(d, y, w);
      const double tau2 = std::max(0.0, tau2_0 * f.rss / (k - p));
      const double tr_pvpv = TracePDPE(d, w, f.a_inv, v, v);
      const double tr_pvp = TracePDPE(d, w, f.a_inv, v, {});
      const double tr_pp = TracePDPE(d, w, f.a_inv, {}, {});
      est.tau2 = tau2;
      est.se_tau2 = std::sqrt(tau2_0 * tau2_0 / ((k - p) * (k - p)) *
                              (2 * tr_pvpv + 4 * tau2 * tr_pvp + 2 * tau2 * tau2 * tr_pp));
      return est;
    }
    case Tau2Estimator::kPauleMandel: {
      const double target = k - p;
      if (GeneralisedQ(d, y, v, 0.0) < target) {
        est.tau2 = 0;
      } else {
        KIRA_ASSIGN_OR_RETURN(internal::Root root,
                              SolveQ(d, y, v, target, 100.0, options, "Paule-Mandel estimator"));
        est.tau2 = std::max(0.0, root.x);
        est.iterations = root.iterations;
      }
      FillWeights(v, est.tau2, w);
      double sum_w = 0;
      for (double wi : w) sum_w += wi;
      est.se_tau2 = std::sqrt(2 * k * k / (k - p) / (sum_w * sum_w));
      return est;
    }
    case Tau2Estimator::kHedges:
    case Tau2Estimator::kMaximumLikelihood:
    case Tau2Estimator::kRestrictedMaximumLikelihood:
    case Tau2Estimator::kEmpiricalBayes: {
      // Hedges' unweighted moment estimator; also the starting value of the
      // Fisher scoring iterations below, as in metafor.
      std::vector<double> ones(d.k, 1.0);
      const WlsFit f0 = Wls(d, y, ones);
      const double tr_pv = TracePD(d, ones, f0.a_inv, v);
      const double he = (f0.rss - tr_pv) / (k - p);
      if (options.method == Tau2Estimator::kHedges) {
        est.tau2 = std::max(0.0, he);
        const double tr_pvpv = TracePDPE(d, ones, f0.a_inv, v, v);
        est.se_tau2 = std::sqrt(1 / ((k - p) * (k - p)) *
                                (2 * tr_pvpv + 4 * est.tau2 * tr_pv + 2 * est.tau2 * est.tau2 * (k - p)));
        return est;
      }
      double tau2 = std::max(0.0, he);
      double change = std::numeric_limits<double>::infinity();
      int iter = 0;
      while (change > options.tolerance) {
        if (++iter > options.max_iterations) {
          return NotConverged(std::string(Tau2EstimatorName(options.method)) + " Fisher scoring",
                              options.max_iterations);
        }
        FillWeights(v, tau2, w);
        const WlsFit f = Wls(d, y, w);
        double adj = 0;
        if (options.method == Tau2Estimator::kMaximumLikelihood) {
          double sum_w2 = 0;
          for (double wi : w) sum_w2 += wi * wi;
          adj = (f.rss_w2 - f.sum_w) / sum_w2;
        } else if (options.method == Tau2Estimator::kRestrictedMaximumLikelihood) {
          const double tr_p = TracePD(d, w, f.a_inv, {});
          const double tr_pp = TracePDPE(d, w, f.a_inv, {}, {});
          adj = (f.rss_w2 - tr_p) / tr_pp;
        } else {
          adj = (f.rss * k / (k - p) - k) / f.sum_w;
        }
        if (!std::isfinite(adj)) adj = 0;
        // Step halving keeps tau2 >= 0 (metafor's Fisher scoring does the same).
        while (tau2 + adj < 0) adj /= 2;
        const double old = tau2;
        tau2 += adj;
        change = std::fabs(tau2 - old);
      }
      est.tau2 = std::max(0.0, tau2);
      est.iterations = iter;
      if (options.method != Tau2Estimator::kEmpiricalBayes && est.tau2 > 0) {
        const bool reml = options.method == Tau2Estimator::kRestrictedMaximumLikelihood;
        const double ll0 = LogLikelihood(d, y, v, 0.0, reml);
        const double ll_est = LogLikelihood(d, y, v, est.tau2, reml);
        // As metafor (ll0check): Fisher scoring can stop at a local maximum;
        // if the (restricted) likelihood at tau2 = 0 is higher, use 0.
        if (ll0 - ll_est > options.tolerance) est.tau2 = 0;
        // Boundary optimum: the score at 0 is <= 0 and the iterate is no
        // better than 0 (up to rounding of the likelihood), so the maximum
        // is at 0 exactly; Fisher scoring only approaches it geometrically.
        if (est.tau2 > 0) {
          FillWeights(v, 0.0, w);
          const WlsFit at0 = Wls(d, y, w);
          const double score0 = reml ? at0.rss_w2 - TracePD(d, w, at0.a_inv, {}) : at0.rss_w2 - at0.sum_w;
          const double rounding = 64 * kMachineEps * std::max(1.0, std::fabs(ll0));
          if (score0 <= 0 && ll_est - ll0 <= rounding) est.tau2 = 0;
        }
      }
      FillWeights(v, est.tau2, w);
      if (options.method == Tau2Estimator::kMaximumLikelihood) {
        double sum_w2 = 0;
        for (double wi : w) sum_w2 += wi * wi;
        est.se_tau2 = std::sqrt(2 / sum_w2);
      } else if (options.method == Tau2Estimator::kRestrictedMaximumLikelihood) {
        const WlsFit f = Wls(d, y, w);
        est.se_tau2 = std::sqrt(2 / TracePDPE(d, w, f.a_inv, {}, {}));
      } else {
        double sum_w = 0;
        for (double wi : w) sum_w += wi;
        est.se_tau2 = std::sqrt(2 * k * k / (k - p) / (sum_w * sum_w));
      }
      return est;
    }
  }
  return est;
}

// log |A| for a small symmetric positive-definite matrix.
double LogDetSpd(const Eigen::MatrixXd& a) {
  const Eigen::LLT<Eigen::MatrixXd> llt(a);
  double s = 0;
  for (Eigen::Index i = 0; i < a.rows(); ++i) s += std::log(llt.matrixL()(i, i));
  return 2 * s;
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

// metafor's fit.stats (ML and REML columns) at the final tau2.
void FillFitStatistics(const Design& d, std::span<const double> v,
                       double tau2, const WlsFit& fit, MetaAnalysisResult& r) {
  const double k = static_cast<double>(d.k), p = static_cast<double>(d.p);
  const double log2pi = std::log(2 * std::numbers::pi);
  double sum_log = 0, ll_saturated = 0;
  for (double vi : v) {
    sum_log += std::log(vi + tau2);
    ll_saturated += -0.5 * (log2pi + std::log(vi));
  }
  const double ll_ml = -0.5 * k * log2pi - 0.5 * sum_log - 0.5 * fit.rss;
  const Eigen::MatrixXd xtx = Cross(d, [](std::size_t) { return 1.0; });
  const double ll_reml = -0.5 * (k - p) * log2pi + 0.5 * LogDetSpd(xtx) - 0.5 * sum_log +
                         0.5 * LogDetSpd(fit.a_inv) - 0.5 * fit.rss;
  const double m = r.parameters;
  r.fit_ml = Criteria(ll_ml, d.k > d.p ? -2 * (ll_ml - ll_saturated) : 0.0, m, k);
  r.fit_reml = Criteria(ll_reml, -2 * ll_reml, m, k - p);
}

}  // namespace

Status ValidateStudies(std::string_view fn, std::span<const double> yi, std::span<const double> vi,
                       const MetaOptions& options) {
  KIRA_RETURN_IF_ERROR(CheckMinSize(fn, "yi", yi.size(), 1));
  KIRA_RETURN_IF_ERROR(CheckSameSize(fn, "yi", yi.size(), "vi", vi.size()));
  KIRA_RETURN_IF_ERROR(CheckFinite(fn, "yi", yi));
  KIRA_RETURN_IF_ERROR(CheckPositive(fn, "vi", vi));
  KIRA_RETURN_IF_ERROR(CheckLevel(fn, options.level));
  if (!(options.tolerance > 0) || !std::isfinite(options.tolerance)) {
    return InvalidArgumentError(ArgName(fn, "options.tolerance") + ": must be finite and > 0");
  }
  if (options.max_iterations <= 0) {
    return InvalidArgumentError(ArgName(fn, "options.max_iterations") + ": must be > 0");
  }
  if (static_cast<int>(options.method) < 0 || static_cast<int>(options.method) > 8) {
    return InvalidArgumentError(ArgName(fn, "options.method") + ": unknown estimator");
  }
  if (options.test != InferenceTest::kZ && options.test != InferenceTest::kKnappHartung) {
    return InvalidArgumentError(ArgName(fn, "options.test") + ": unknown test");
  }
  return Status::Ok();
}

double GeneralisedQ(const Design& d, std::span<const double> yi, std::span<const double> vi,
                    double tau2) {
  std::vector<double> w;
  FillWeights(vi, tau2, w);
  return Wls(d, yi, w).rss;
}

StatusOr<MetaAnalysisResult> FitModel(const Design& d, std::span<const double> yi,
                                      std::span<const double> vi,
                                      const std::vector<std::string>& names,
                                      const MetaOptions& options, bool compute_r2) {
  const bool knha = options.test == InferenceTest::kKnappHartung;
  if (knha && d.k <= d.p) {
    return FailedPreconditionError(
        "test: Knapp-Hartung needs more studies than coefficients (k = " + std::to_string(d.k) +
        ", p = " + std::to_string(d.p) + "); use test z");
  }
  KIRA_ASSIGN_OR_RETURN(Tau2Estimate t2, EstimateTau2(d, yi, vi, options));

  MetaAnalysisResult r;
  r.method = options.method;
  r.test = options.test;
  r.level = options.level;
  r.k = static_cast<int>(d.k);
  r.p = static_cast<int>(d.p);
  r.tau2 = t2.tau2;
  if (options.method != Tau2Estimator::kCommonEffect && d.k > d.p) r.se_tau2 = t2.se_tau2;
  r.iterations = t2.iterations;

  std::vector<double> w;
  FillWeights(vi, r.tau2, w);
  const WlsFit fit = Wls(d, yi, w);
  Eigen::MatrixXd vb = fit.a_inv;
  const double kp = static_cast<double>(d.k - d.p);
  if (knha) {
    // metafor: s2w = 0 when RSS <= machine epsilon, which would make every SE
    // 0; we refuse rather than report a zero-width interval.
    if (fit.rss <= kMachineEps) {
      return FailedPreconditionError(
          "test: Knapp-Hartung scale is 0 (every yi lies on the fitted model); use test z");
    }
    r.s2w = fit.rss / kp;
    vb *= r.s2w;
    r.t_df = static_cast<int>(d.k - d.p);
  }
  r.vcov.assign(vb.data(), vb.data() + vb.size());  // symmetric: order is immaterial
  r.parameters = static_cast<int>(d.p) + (options.method == Tau2Estimator::kCommonEffect ? 0 : 1);
  FillFitStatistics(d, vi, r.tau2, fit, r);
  const double alpha = 1 - options.level;
  const double crit = knha ? StudentTQuantile(1 - alpha / 2, kp) : NormalQuantile(1 - alpha / 2);
  r.coefficients.resize(d.p);
  for (std::size_t j = 0; j < d.p; ++j) {
    const auto jj = static_cast<Eigen::Index>(j);
    Coefficient& c = r.coefficients[j];
    c.name = names[j];
    c.estimate = fit.beta(jj);
    c.se = std::sqrt(vb(jj, jj));
    c.statistic = c.estimate / c.se;
    c.p_value = knha ? StudentTTwoSidedP(c.statistic, kp) : NormalTwoSidedP(c.statistic);
    c.ci_low = c.estimate - crit * c.se;
    c.ci_high = c.estimate + crit * c.se;
  }

  // Residual heterogeneity always uses the fixed-effect weights 1/vi.
  Heterogeneity& h = r.heterogeneity;
  if (d.k > d.p) {
    std::vector<double> wf;
    FillWeights(vi, 0.0, wf);
    const WlsFit fe = Wls(d, yi, wf);
    h.q = std::max(0.0, fe.rss);
    h.df = static_cast<int>(d.k - d.p);
    h.p_value = ChiSquareUpperTail(h.q, kp);
    const double vt = kp / TracePD(d, wf, fe.a_inv, {});
    r.vt = vt;
    if (options.method == Tau2Estimator::kCommonEffect) {
      h.i2_percent = h.q > 0 ? std::max(0.0, 100 * (h.q - kp) / h.q) : 0.0;
      h.h2 = h.q / kp;
    } else {
      h.i2_percent = 100 * r.tau2 / (vt + r.tau2);
      h.h2 = r.tau2 / vt + 1;
    }
  }

  if (d.p == 1) {
    const Coefficient& c = r.coefficients[0];
    const double half = crit * std::sqrt(c.se * c.se + r.tau2);
    r.prediction = PredictionInterval{c.estimate - half, c.estimate + half};
    const int riley_df = std::max(1, static_cast<int>(d.k) - r.parameters);
    const double riley_half = StudentTQuantile(1 - alpha / 2, riley_df) * std::sqrt(c.se * c.se + r.tau2);
    r.riley_df = riley_df;
    r.prediction_riley = PredictionInterval{c.estimate - riley_half, c.estimate + riley_half};
  } else {
    const auto m = static_cast<Eigen::Index>(d.p - 1);
    const Eigen::VectorXd b = fit.beta.tail(m);
    const Eigen::MatrixXd vsub = vb.bottomRightCorner(m, m);
    double qm = b.dot(vsub.ldlt().solve(b));
    ModeratorTest mt;
    mt.df1 = static_cast<int>(m);
    if (knha) {
      qm /= static_cast<double>(m);
      mt.df2 = static_cast<int>(d.k - d.p);
      mt.p_value = FUpperTail(qm, static_cast<double>(m), kp);
    } else {
      mt.p_value = ChiSquareUpperTail(qm, static_cast<double>(m));
    }
    mt.statistic = qm;
    r.moderator_test = mt;
    if (compute_r2 && options.method != Tau2Estimator::kCommonEffect) {
      const Design d0 = InterceptDesign(d.k);
      KIRA_ASSIGN_OR_RETURN(Tau2Estimate t0, EstimateTau2(d0, yi, vi, options));
      r.r2_percent = t0.tau2 > 0 ? std::max(0.0, 100 * (t0.tau2 - r.tau2) / t0.tau2) : 0.0;
    }
  }

  r.weights_percent.resize(d.k);
  for (std::size_t i = 0; i < d.k; ++i) r.weights_percent[i] = 100 * w[i] / fit.sum_w;
  return r;
}

}  // namespace internal

StatusOr<MetaAnalysisResult> MetaAnalyze(std::span<const double> yi, std::span<const double> vi,
                                         const MetaOptions& options) {
  KIRA_RETURN_IF_ERROR(internal::ValidateStudies("MetaAnalyze", yi, vi, options));
  return internal::FitModel(internal::InterceptDesign(yi.size()), yi, vi, {"intercept"}, options,
                            false);
}

namespace {

StatusOr<internal::Design> BuildDesign(std::string_view fn, std::size_t k,
                                       std::span<const Moderator> moderators,
                                       std::vector<std::string>& names) {
  internal::Design d = internal::InterceptDesign(k);
  names = {"intercept"};
  for (std::size_t j = 0; j < moderators.size(); ++j) {
    const Moderator& m = moderators[j];
    const std::string label = "moderators[" + std::to_string(j) + "] (" + m.name + ")";
    KIRA_RETURN_IF_ERROR(internal::CheckSameSize(fn, "yi", k, label, m.values.size()));
    KIRA_RETURN_IF_ERROR(internal::CheckFinite(fn, label, m.values));
    d.cols.push_back(m.values.data());
    names.push_back(m.name);
  }
  d.p = d.cols.size();
  if (d.p > 1) {
    if (k <= d.p) {
      return InvalidArgumentError(internal::ArgName(fn, "moderators") + ": " + std::to_string(d.p) +
                                  " coefficients need more than " + std::to_string(d.p) +
                                  " studies, got " + std::to_string(k));
    }
    const Eigen::MatrixXd xtx = internal::Cross(d, [](std::size_t) { return 1.0; });
    Eigen::FullPivLU<Eigen::MatrixXd> lu(xtx);
    if (lu.rank() < static_cast<Eigen::Index>(d.p)) {
      return InvalidArgumentError(internal::ArgName(fn, "moderators") +
                                  ": design matrix is not of full rank (a moderator is constant "
                                  "or a combination of others)");
    }
  }
  return d;
}

}  // namespace

StatusOr<MetaAnalysisResult> MetaRegress(std::span<const double> yi, std::span<const double> vi,
                                         std::span<const Moderator> moderators,
                                         const MetaOptions& options) {
  KIRA_RETURN_IF_ERROR(internal::ValidateStudies("MetaRegress", yi, vi, options));
  std::vector<std::string> names;
  KIRA_ASSIGN_OR_RETURN(internal::Design d, BuildDesign("MetaRegress", yi.size(), moderators, names));
  return internal::FitModel(d, yi, vi, names, options, true);
}

StatusOr<Tau2Interval> QProfileTau2Interval(std::span<const double> yi, std::span<const double> vi,
                                            std::span<const Moderator> moderators, double level) {
  constexpr std::string_view kFn = "QProfileTau2Interval";
  MetaOptions options;
  options.level = level;
  KIRA_RETURN_IF_ERROR(internal::ValidateStudies(kFn, yi, vi, options));
  std::vector<std::string> names;
  KIRA_ASSIGN_OR_RETURN(internal::Design d, BuildDesign(kFn, yi.size(), moderators, names));
  if (d.k <= d.p) {
    return InvalidArgumentError(internal::ArgName(kFn, "yi") +
                                ": the Q-profile interval needs k > p studies");
  }
  const double df = static_cast<double>(d.k - d.p);
  const double alpha = 1 - level;
  const double crit_upper = ChiSquareQuantile(1 - alpha / 2, df);  // gives the lower bound
  const double crit_lower = ChiSquareQuantile(alpha / 2, df);      // gives the upper bound
  const double q0 = internal::GeneralisedQ(d, yi, vi, 0.0);
  Tau2Interval out;
  if (q0 < crit_lower) {
    out.tau2_low = out.tau2_high = 0;
  } else {
    KIRA_ASSIGN_OR_RETURN(internal::Root ub,
                          internal::SolveQ(d, yi, vi, crit_lower, 100.0, options,
                                           "Q-profile upper bound"));
    out.tau2_high = std::max(0.0, ub.x);
    if (q0 < crit_upper) {
      out.tau2_low = 0;
    } else {
      KIRA_ASSIGN_OR_RETURN(internal::Root lb,
                            internal::SolveQ(d, yi, vi, crit_upper, out.tau2_high, options,
                                             "Q-profile lower bound"));
      out.tau2_low = std::max(0.0, lb.x);
    }
  }
  std::vector<double> wf;
  internal::FillWeights(vi, 0.0, wf);
  const internal::WlsFit fe = internal::Wls(d, yi, wf);
  const double vt = df / internal::TracePD(d, wf, fe.a_inv, {});
  out.i2_low_percent = 100 * out.tau2_low / (vt + out.tau2_low);
  out.i2_high_percent = 100 * out.tau2_high / (vt + out.tau2_high);
  out.h2_low = 1 + out.tau2_low / vt;
  out.h2_high = 1 + out.tau2_high / vt;
  return out;
}

StatusOr<std::vector<MetaAnalysisResult>> LeaveOneOut(std::span<const double> yi,
                                                      std::span<const double> vi,
                                                      const MetaOptions& options) {
  KIRA_RETURN_IF_ERROR(internal::ValidateStudies("LeaveOneOut", yi, vi, options));
  KIRA_RETURN_IF_ERROR(internal::CheckMinSize("LeaveOneOut", "yi", yi.size(), 2));
  std::vector<MetaAnalysisResult> out;
  out.reserve(yi.size());
  std::vector<double> y, v;
  for (std::size_t skip = 0; skip < yi.size(); ++skip) {
    y.clear();
    v.clear();
    for (std::size_t i = 0; i < yi.size(); ++i) {
      if (i == skip) continue;
      y.push_back(yi[i]);
      v.push_back(vi[i]);
    }
    KIRA_ASSIGN_OR_RETURN(MetaAnalysisResult r,
                          internal::FitModel(internal::InterceptDesign(y.size()), y, v,
                                             {"intercept"}, options, false));
    out.push_back(std::move(r));
  }
  return out;
}

StatusOr<CumulativeResult> CumulativeMetaAnalysis(std::span<const double> yi,
                                                  std::span<const double> vi,
                                                  const MetaOptions& options) {
  KIRA_RETURN_IF_ERROR(internal::ValidateStudies("CumulativeMetaAnalysis", yi, vi, options));
  CumulativeResult out;
  out.first_k = options.test == InferenceTest::kKnappHartung ? 2 : 1;
  KIRA_RETURN_IF_ERROR(internal::CheckMinSize("CumulativeMetaAnalysis", "yi", yi.size(),
                                              static_cast<std::size_t>(out.first_k)));
  for (std::size_t n = static_cast<std::size_t>(out.first_k); n <= yi.size(); ++n) {
    KIRA_ASSIGN_OR_RETURN(MetaAnalysisResult r,
                          internal::FitModel(internal::InterceptDesign(n), yi.first(n),
                                             vi.first(n), {"intercept"}, options, false));
    out.steps.push_back(std::move(r));
  }
  return out;
}

}  // namespace kira::stats
