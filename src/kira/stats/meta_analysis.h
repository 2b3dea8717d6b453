// Common-effect and random-effects meta-analysis and meta-regression of
// per-study effect sizes, matching R's metafor::rma.uni() (Viechtbauer 2010,
// J Stat Softw 36(3)) to a relative 1e-6 on metafor's example datasets; see
// tests/golden/metafor/README.md for the reference values and
// tests/kira/stats/metafor_golden_test.cc for the checks.
//
// Model: yi = x_i' beta + u_i + e_i, e_i ~ N(0, vi) with vi known,
// u_i ~ N(0, tau2). The intercept-only model pools; with moderators it is a
// meta-regression. beta is estimated by weighted least squares with weights
// 1 / (vi + tau2); tau2 by the chosen estimator:
//
//   FE   common effect, tau2 = 0
//   DL   DerSimonian-Laird (method of moments, weights 1/vi)
//   HE   Hedges (method of moments, unweighted)
//   HS   Hunter-Schmidt, (Q - k) / sum(1/vi)
//   SJ   Sidik-Jonkman, one step from tau2_0 = mean squared deviation of yi
//   PM   Paule-Mandel, root of the generalised Q statistic = k - p
//   ML   maximum likelihood (Fisher scoring from the HE estimate)
//   REML restricted maximum likelihood (Fisher scoring from the HE estimate)
//   EB   empirical Bayes (Morris), Fisher-scoring-type iteration
//
// ML and REML then compare the (restricted) likelihood at the estimate with
// that at tau2 = 0 and take 0 if it is higher, as metafor's ll0check does,
// since Fisher scoring can stop at a local maximum. A boundary optimum is
// reported as exactly 0: when the score (derivative of the (restricted)
// log-likelihood) at tau2 = 0 is <= 0 and the estimate is no better than 0,
// tau2 is 0 rather than the ~1e-13 that Fisher scoring creeps towards.
//
// Negative moment estimates are truncated at 0, as metafor does. Inference is
// Wald-type with the normal distribution (test kZ) or with the Hartung-Knapp
// / Knapp-Hartung adjustment and a t distribution on k - p df
// (kKnappHartung; metafor test = "knha", no truncation of the scale factor).
//
// Defined edge behaviour (never NaN):
//   * k = 1 (intercept only): tau2 = 0 for every estimator, Q = 0 (p = 1),
//     I2 = 0, H2 = 1, the pooled estimate is the study; with kKnappHartung it
//     is kFailedPrecondition (a t distribution with 0 df).
//   * vi must be > 0 and finite for every study (zero variances are an
//     error: kInvalidArgument naming vi[i]); yi must be finite.
//   * ML/REML/EB/PM that do not converge within max_iterations: kFailedPrecondition.
//   * Knapp-Hartung when the weighted residual sum of squares is 0 (every
//     yi on the fitted line): kFailedPrecondition, since the adjusted SE is 0.
//
// Thread safety: pure functions of their arguments; safe to call concurrently.
#ifndef KIRA_STATS_META_ANALYSIS_H_
#define KIRA_STATS_META_ANALYSIS_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kira/base/statusor.h"

namespace kira::stats {

// Frozen: the names returned by Tau2EstimatorName() are metafor's method
// names and appear in JSON output and fixtures.
enum class Tau2Estimator {
  kCommonEffect = 0,  // "FE"
  kDerSimonianLaird = 1,  // "DL"
  kRestrictedMaximumLikelihood = 2,  // "REML"
  kMaximumLikelihood = 3,  // "ML"
  kPauleMandel = 4,  // "PM"
  kSidikJonkman = 5,  // "SJ"
  kHedges = 6,  // "HE"
  kEmpiricalBayes = 7,  // "EB"
  kHunterSchmidt = 8,  // "HS"
};

std::string_view Tau2EstimatorName(Tau2Estimator method);
// Accepts the names above (and "EE"/"CE" for the common-effect model).
StatusOr<Tau2Estimator> ParseTau2Estimator(std::string_view name);

// Frozen names: "z", "knha".
enum class InferenceTest {
  kZ = 0,
  kKnappHartung = 1,
};

std::string_view InferenceTestName(InferenceTest test);
StatusOr<InferenceTest> ParseInferenceTest(std::string_view name);

struct MetaOptions {
  Tau2Estimator method = Tau2Estimator::kRestrictedMaximumLikelihood;
  InferenceTest test = InferenceTest::kZ;
  // Confidence level for intervals, in (0, 1). Default 0.95.
  double level = 0.95;
  // Iterative estimators stop when tau2 changes by less than this (metafor's
  // `threshold`; its default is 1e-5, ours is tighter). REQUIRES > 0.
  double tolerance = 1e-12;
  // Iteration cap for ML/REML/EB and root searches. REQUIRES > 0.
  int max_iterations = 10000;
};

// A moderator column for meta-regression: one value per study.
struct Moderator {
  std::string name;
  std::vector<double> values;
};

// One model coefficient with its Wald (or Knapp-Hartung t) inference.
struct Coefficient {
  std::string name;  // "intercept" or the moderator name
  double estimate = 0;
  double se = 0;
  double statistic = 0;  // z, or t for kKnappHartung
  double p_value = 1;
  double ci_low = 0;
  double ci_high = 0;
};

// Cochran's Q for residual heterogeneity (always with weights 1/vi) and the
// I2 / H2 summaries. For the common-effect model I2 = max(0, (Q - df) / Q) and
// H2 = Q / df; for random-effects models I2 = tau2 / (tau2 + v~) and
// H2 = 1 + tau2 / v~ with the "typical" variance v~ = df / tr(P) (metafor
// i2def "1"). All are 0 / 1 when df = 0.
struct Heterogeneity {
  double q = 0;
  int df = 0;
  double p_value = 1;
  double i2_percent = 0;
  double h2 = 1;
};

// The omnibus test of the moderators (all coefficients except the
// intercept): chi-square on df1, or F(df1, df2) under Knapp-Hartung.
struct ModeratorTest {
  double statistic = 0;
  int df1 = 0;
  std::optional<int> df2;  // present under Knapp-Hartung
  double p_value = 1;
};

struct PredictionInterval {
  double low = 0;
  double high = 0;
};

// Log-likelihood and information criteria as metafor's fitstats() reports
// them. ML: ll = -k/2 log(2 pi) - 1/2 sum log(vi + tau2) - 1/2 RSS, deviance
// = -2 (ll - ll of the saturated model); REML: ll = -(k-p)/2 log(2 pi)
// + 1/2 log|X'X| - 1/2 sum log(vi + tau2) - 1/2 log|X'WX| - 1/2 RSS, deviance
// = -2 ll. AIC = -2 ll + 2 m, BIC = -2 ll + m log(n), AICc = -2 ll
// + 2 m max(n, m + 2) / (max(n, m + 2) - m - 1), with m = parameters and
// n = k (ML) or k - p (REML).
struct FitStatistics {
  double log_likelihood = 0;
  double deviance = 0;
  double aic = 0;
  double bic = 0;
  double aicc = 0;
};

struct MetaAnalysisResult {
  Tau2Estimator method = Tau2Estimator::kRestrictedMaximumLikelihood;
  InferenceTest test = InferenceTest::kZ;
  double level = 0.95;
  int k = 0;  // number of studies
  int p = 0;  // number of coefficients (1 + number of moderators)
  // coefficients[0] is the intercept (the pooled effect when p = 1).
  std::vector<Coefficient> coefficients;
  double tau2 = 0;
  std::optional<double> se_tau2;  // absent for FE and k = 1
  Heterogeneity heterogeneity;
  std::optional<int> t_df;  // k - p under Knapp-Hartung
  // Intercept-only models: interval for the true effect of a new study,
  // pooled +/- crit * sqrt(se^2 + tau2) (crit from z or t as for the CI).
  std::optional<PredictionInterval> prediction;
  // Riley et al. (2011, BMJ 342:d549) prediction interval: as `prediction`
  // but with a t quantile on max(1, k - parameters) df (k - 2 for a
  // random-effects model without moderators); metafor predict(pi.type = "Riley").
  std::optional<PredictionInterval> prediction_riley;
  std::optional<int> riley_df;
  std::optional<ModeratorTest> moderator_test;  // p > 1 only
  // Share of heterogeneity accounted for by the moderators, in percent:
  // max(0, (tau2_0 - tau2) / tau2_0), tau2_0 from the intercept-only model with
  // the same estimator (0 when tau2_0 = 0). Random-effects models with p > 1.
  std::optional<double> r2_percent;
  // Study weights in percent, 100 w_i / sum(w), w_i = 1 / (vi + tau2).
  std::vector<double> weights_percent;
  int iterations = 0;  // Fisher scoring / root-search iterations used
  // The "typical" within-study variance (k - p) / tr(P) with P from the
  // weights 1/vi (metafor vt); 0 when k <= p.
  double vt = 0;
  // Knapp-Hartung scale factor RSS / (k - p) by which the coefficient
  // covariance was multiplied (metafor s2w); 1 under the z test.
  double s2w = 1;
  // Estimated parameters: p, plus 1 for tau2 unless the model is FE.
  int parameters = 1;
  FitStatistics fit_ml;
  FitStatistics fit_reml;
  // Covariance matrix of the coefficients (metafor vcov), p x p row-major,
  // including the Knapp-Hartung factor.
  std::vector<double> vcov;

  const Coefficient& pooled() const { return coefficients.front(); }
  // The statistics metafor's logLik()/AIC() report: REML for the REML
  // estimator, ML otherwise.
  const FitStatistics& fit() const {
    return method == Tau2Estimator::kRestrictedMaximumLikelihood ? fit_reml : fit_ml;
  }
};

// Pools yi with sampling variances vi (intercept-only model).
// Errors: kInvalidArgument (empty input, sizes differ, non-finite yi, vi not
// > 0, bad options; the message names the argument and index);
// kFailedPrecondition (non-convergence, Knapp-Hartung with k = 1 or zero
// residual heterogeneity).
StatusOr<MetaAnalysisResult> MetaAnalyze(std::span<const double> yi, std::span<const double> vi,
                                         const MetaOptions& options = {});

// Meta-regression: intercept plus the given moderators. REQUIRES k > p.
// Errors as MetaAnalyze, plus kInvalidArgument when a moderator has the wrong
// length, a non-finite value, or the design matrix is not of full rank.
StatusOr<MetaAnalysisResult> MetaRegress(std::span<const double> yi, std::span<const double> vi,
                                         std::span<const Moderator> moderators,
                                         const MetaOptions& options = {});

// Q-profile confidence interval for tau2 (Viechtbauer 2007, Stat Med 26:37-52;
// metafor confint.rma.uni): the tau2 values at which the generalised Q
// statistic equals the chi-square (k - p) quantiles; bounds are truncated at
// 0, and I2/H2 bounds follow from the tau2 bounds. An upper bound beyond 1e12
// is reported as kFailedPrecondition.
struct Tau2Interval {
  double tau2_low = 0;
  double tau2_high = 0;
  double i2_low_percent = 0;
  double i2_high_percent = 0;
  double h2_low = 1;
  double h2_high = 1;
};
// REQUIRES k > p (k >= 2 without moderators).
StatusOr<Tau2Interval> QProfileTau2Interval(std::span<const double> yi,
                                            std::span<const double> vi,
                                            std::span<const Moderator> moderators = {},
                                            double level = 0.95);

// Leave-one-out: element i is the model fitted without study i. REQUIRES k >= 2
// (k >= 3 under Knapp-Hartung).
StatusOr<std::vector<MetaAnalysisResult>> LeaveOneOut(std::span<const double> yi,
                                                      std::span<const double> vi,
                                                      const MetaOptions& options = {});

// Cumulative meta-analysis in the given order: steps[j] pools studies
// 0..first_k-1+j. first_k is 1, or 2 under Knapp-Hartung (a t test needs
// k - 1 >= 1 df; metafor reports NA for that first row).
struct CumulativeResult {
  int first_k = 1;
  std::vector<MetaAnalysisResult> steps;
};
StatusOr<CumulativeResult> CumulativeMetaAnalysis(std::span<const double> yi,
                                                  std::span<const double> vi,
                                                  const MetaOptions& options = {});

}  // namespace kira::stats

#endif  // KIRA_STATS_META_ANALYSIS_H_
