// Multilevel and multivariate random-effects meta-analysis, matching R's
// metafor::rma.mv() (Viechtbauer 2010; Konstantopoulos 2011, Res Synth
// Methods 2:61; Berkey et al. 1998, Stat Med 17:2537) at a relative 1e-6 on
// metafor's documented examples (tests/golden/metafor, "rma_mv").
//
// Model: y = X beta + random effects + e, e ~ N(0, V) with V known (block
// diagonal by study). Two random-effects structures:
//
//   nested intercepts   ~ 1 | district/school: one variance component
//                       sigma2_l per level, u_l ~ N(0, sigma2_l) shared by
//                       the rows of a group at that level (groups nest in
//                       the groups of the level above).
//   multivariate        ~ outcome | study: within a study the true effects of
//                       the outcomes have covariance T, compound symmetric
//                       (CS: tau2 on the diagonal, rho tau2 off it; rho may
//                       be fixed, e.g. 1/2 for a network meta-analysis) or
//                       unstructured (UN: any positive-definite T).
//
// Variance components are estimated by ML or REML (metafor's REMLf = TRUE
// likelihood), maximised by Newton's method on log variances (and atanh rho,
// or the Cholesky factor of T for UN) with central-difference derivatives.
// beta is the generalised least-squares estimate given the components.
//
// Cost: the marginal covariance is block diagonal by the outermost cluster,
// and no k x k matrix is ever formed. Nested intercepts are handled by a
// recursive Sherman-Morrison update per group (O(k p^2) per likelihood
// evaluation whatever the cluster sizes); multivariate blocks by a Cholesky
// factor per study (O(sum of n_study^3), linear in k for bounded outcomes).
//
// Thread safety: pure functions; safe to call concurrently.
#ifndef KIRA_STATS_MULTILEVEL_H_
#define KIRA_STATS_MULTILEVEL_H_

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/stats/meta_analysis.h"

namespace kira::stats {

// Frozen names "z", "t" (metafor test = "t", df = k - p).
enum class MvTest { kZ = 0, kT = 1 };

struct MvOptions {
  bool reml = true;  // false: ML
  MvTest test = MvTest::kZ;
  double level = 0.95;  // in (0, 1)
  // Newton stops when every working-scale step is below this. REQUIRES > 0.
  double tolerance = 1e-10;
  int max_iterations = 500;
  // Profile-likelihood confidence intervals for the variance components
  // (nested sigma2, CS tau2); each needs a few dozen refits.
  bool profile_intervals = true;
};

// One level of nested grouping: a group label per row. Levels are given
// outermost first; a group at level l is identified by its labels at levels
// 0..l, as metafor reads `~ 1 | district/school`.
struct GroupingLevel {
  std::string name;
  std::vector<std::string> labels;
};

enum class CovarianceStructure { kCompoundSymmetric = 0, kUnstructured = 1 };

// Known sampling covariance between two rows of the same study.
struct SamplingCovariance {
  std::size_t row_a = 0;
  std::size_t row_b = 0;
  double value = 0;
};

struct MultivariateInput {
  std::vector<double> yi;
  std::vector<double> vi;                        // sampling variances (diagonal of V)
  std::vector<SamplingCovariance> covariances;  // off-diagonal entries of V
  std::vector<std::string> study;                // cluster per row
  std::vector<std::string> outcome;              // inner factor level per row
};

struct VarianceComponent {
  std::string name;  // "sigma2.1 (district)", "tau2", "tau2 (PD)", "rho", "rho (PD, AL)"
  double estimate = 0;
  int levels = 0;  // number of groups (nested) or studies (multivariate)
  bool fixed = false;
  std::optional<double> ci_low;  // profile-likelihood interval
  std::optional<double> ci_high;
};

struct MvResult {
  bool reml = true;
  MvTest test = MvTest::kZ;
  double level = 0.95;
  int k = 0;
  int p = 0;
  std::vector<Coefficient> coefficients;
  std::vector<double> vcov;  // p x p row-major
  std::vector<VarianceComponent> components;
  // Outcome levels in the order used for T (sorted, as R's factor()).
  std::vector<std::string> outcome_levels;
  // Test for residual heterogeneity: y'P y with the variance components 0.
  double qe = 0;
  int qe_df = 0;
  double qe_p_value = 1;
  std::optional<ModeratorTest> moderator_test;
  std::optional<int> t_df;
  int parameters = 0;  // p + number of estimated variance parameters
  FitStatistics fit_ml;
  FitStatistics fit_reml;
  int iterations = 0;

  const FitStatistics& fit() const { return reml ? fit_reml : fit_ml; }
};

// `columns` are the columns of X, one per coefficient (include an
// "intercept" column of ones for a model with an intercept; the moderator
// test then leaves it out, as metafor's default btt does).
// Errors (kInvalidArgument naming the argument and row): sizes differ,
// non-finite yi, vi <= 0, empty labels, X not of full rank, k <= p, no
// levels; kFailedPrecondition when the likelihood cannot be maximised.
StatusOr<MvResult> FitNestedModel(std::span<const double> yi, std::span<const double> vi,
                                  std::span<const Moderator> columns,
                                  std::span<const GroupingLevel> levels,
                                  const MvOptions& options = {});

// Multivariate / network model. For kCompoundSymmetric, `fixed_rho` (in
// (-1, 1)) fixes the correlation (metafor rma.mv(rho = ...)). Errors as
// FitNestedModel, plus covariances between rows of different studies or a V
// block that is not positive definite.
StatusOr<MvResult> FitMultivariateModel(const MultivariateInput& input,
                                        std::span<const Moderator> columns,
                                        CovarianceStructure structure,
                                        std::optional<double> fixed_rho = std::nullopt,
                                        const MvOptions& options = {});

// The fixed-effect (generalised least-squares) residual Q = r' V^-1 r of a
// multivariate input with the given X columns (full column rank; k >= p).
StatusOr<double> FixedEffectQ(const MultivariateInput& input, std::span<const Moderator> columns);

}  // namespace kira::stats

#endif  // KIRA_STATS_MULTILEVEL_H_
