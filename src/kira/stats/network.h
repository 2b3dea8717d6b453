// Contrast-based network meta-analysis of arm-level event counts, fitted as
// metafor's documented approach does with rma.mv (dat.hasselblad1998 help
// page): per study, log odds ratios of each arm against the study's baseline
// arm (the reference treatment when the study has it, otherwise the study's
// alphabetically first treatment), with the known covariance of contrasts
// that share the baseline arm; the model y = X d + u + e with X the +1/-1
// treatment contrast matrix (the reference treatment's effect is 0) and
// random effects ~ comparison | study, compound symmetric with rho = 1/2
// (one heterogeneity tau2 shared by all comparisons, consistency assumed).
//
// Reported: every treatment against the reference; every pairwise contrast
// with its CI; P-scores (Ruecker & Schwarzer 2015, BMC Med Res Methodol
// 15:58): the mean over the other treatments of Phi((d_i - d_j) / se_ij),
// i.e. the certainty that i is better; and a consistency check: the
// fixed-effect design-by-treatment interaction Q (Krahn, Binder & Koenig
// 2013, BMC Med Res Methodol 13:35), Q_total = Q_within designs + Q_between
// designs, Q_between on sum(designs' df) - (T - 1) df (available only when
// the network has a loop or multi-arm studies that make designs overlap).
#ifndef KIRA_STATS_NETWORK_H_
#define KIRA_STATS_NETWORK_H_

#include <optional>
#include <string>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/stats/effect_size.h"
#include "kira/stats/multilevel.h"

namespace kira::stats {

struct NetworkArm {
  std::string study;
  std::string treatment;
  double events = 0;  // REQUIRES 0 <= events <= n
  double n = 0;       // REQUIRES > 0
};

struct NetworkOptions {
  std::string reference;  // a treatment name; empty: the alphabetically first
  ContinuityCorrection correction{0.5, CorrectionScope::kOnlyZero};  // per study
  bool larger_is_better = true;  // for P-scores (e.g. response: larger odds are better)
  MvOptions model;
};

struct PairwiseContrast {
  std::string treatment;   // log OR of `treatment` vs `comparator`
  std::string comparator;
  double estimate = 0;
  double se = 0;
  double ci_low = 0;
  double ci_high = 0;
  double p_value = 1;
  int direct_studies = 0;  // studies comparing the two directly
};

struct NetworkResult {
  std::string reference;
  std::vector<std::string> treatments;  // reference first, then sorted
  std::vector<double> p_scores;         // per treatment, in `treatments` order
  std::vector<PairwiseContrast> contrasts;  // every ordered pair a != b
  MvResult fit;                         // coefficients: each non-reference treatment vs reference
  int studies = 0;
  int designs = 0;
  // Design-by-treatment interaction (fixed effect).
  double q_total = 0;
  int q_total_df = 0;
  double q_within = 0;
  int q_within_df = 0;
  std::optional<double> q_between;  // absent when its df is 0
  int q_between_df = 0;
  std::optional<double> q_between_p_value;
  // Per study contrasts as analysed (for plots and export).
  std::vector<std::string> contrast_study;
  std::vector<std::string> contrast_label;  // "treatment vs baseline"
  std::vector<double> yi;
  std::vector<double> vi;
};

// Errors: kInvalidArgument naming the arm index (bad counts, a study with one
// arm, a treatment twice in a study, unknown reference, a disconnected
// network); kFailedPrecondition when the model cannot be fitted.
StatusOr<NetworkResult> NetworkMetaAnalysis(const std::vector<NetworkArm>& arms, const NetworkOptions& options);

}  // namespace kira::stats

#endif  // KIRA_STATS_NETWORK_H_
