// Small-study effects and publication bias: Egger's regression test and the
// trim-and-fill method, as R's metafor::regtest() and metafor::trimfill()
// compute them with their defaults.
#ifndef KIRA_STATS_PUBLICATION_BIAS_H_
#define KIRA_STATS_PUBLICATION_BIAS_H_

#include <optional>
#include <span>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/stats/meta_analysis.h"

namespace kira::stats {

// Egger's regression test (Egger et al. 1997, BMJ 315:629; metafor regtest
// with model = "rma", predictor = "sei"): the meta-regression
// yi = b0 + b1 * sqrt(vi) fitted with options.method / options.test; the test
// of b1 = 0 is the test for funnel-plot asymmetry and b0 is the "limit
// estimate" as the standard error goes to 0.
struct EggerTestResult {
  double statistic = 0;   // z (or t under Knapp-Hartung) for b1
  double p_value = 1;
  std::optional<int> t_df;
  double limit_estimate = 0;  // b0
  double limit_ci_low = 0;
  double limit_ci_high = 0;
  MetaAnalysisResult fit;  // the full meta-regression
};

// REQUIRES k >= 3 (two coefficients and at least one residual df).
// Errors: as MetaRegress; kInvalidArgument if all vi are equal (sei constant,
// so the design is singular).
StatusOr<EggerTestResult> EggerTest(std::span<const double> yi, std::span<const double> vi,
                                    const MetaOptions& options = {});

// Which side of the funnel plot is thought to be missing studies.
enum class FunnelSide { kLeft = 0, kRight = 1 };

// Duval & Tweedie's trim-and-fill with the L0 (default) or R0 estimator
// (Duval & Tweedie 2000, Biometrics 56:455; metafor trimfill). The side is chosen as
// metafor does: from the sign of the slope in the regression of yi on
// sqrt(vi) (slope < 0: missing on the right).
struct TrimAndFillResult {
  int k0 = 0;          // estimated number of missing studies
  double se_k0 = 0;    // its standard error
  FunnelSide side = FunnelSide::kLeft;
  std::vector<double> filled_yi;  // the k0 imputed (mirrored) studies
  std::vector<double> filled_vi;
  // The model refitted to the observed plus the filled studies (the observed
  // studies first); the original model when k0 = 0. The refit uses
  // options.test. (metafor 3.8-1 refits with the z test whatever the original
  // model's test, so under Knapp-Hartung with k0 > 0 its SE, CI and p differ
  // from ours; estimate, tau2, Q, k0 and the filled studies agree.)
  MetaAnalysisResult adjusted;
};

// The estimator of the number of missing studies (Duval & Tweedie 2000):
// L0 = (4 S_r - k (k + 1)) / (2k - 1), S_r the sum of the ranks of |y - b|
// of the studies above b; R0 = gamma* - 1, gamma* the length of the run of
// the largest ranks lying above b, with SE sqrt(2 max(0, R0) + 2).
enum class TrimFillEstimator { kL0 = 0, kR0 = 1 };

// REQUIRES k >= 3. Errors: as MetaAnalyze; kFailedPrecondition if the
// iteration does not settle within options.max_iterations.
StatusOr<TrimAndFillResult> TrimAndFill(std::span<const double> yi, std::span<const double> vi,
                                        const MetaOptions& options = {},
                                        TrimFillEstimator estimator = TrimFillEstimator::kL0);

}  // namespace kira::stats

#endif  // KIRA_STATS_PUBLICATION_BIAS_H_
