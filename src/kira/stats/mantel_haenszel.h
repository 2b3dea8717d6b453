// Fixed-effect pooling of 2x2 tables without per-study variances:
// Mantel-Haenszel odds and risk ratios and Peto's one-step odds ratio, as R's
// metafor::rma.mh() and metafor::rma.peto() compute them with their defaults.
#ifndef KIRA_STATS_MANTEL_HAENSZEL_H_
#define KIRA_STATS_MANTEL_HAENSZEL_H_

#include <optional>
#include <span>

#include "kira/base/statusor.h"
#include "kira/stats/effect_size.h"
#include "kira/stats/meta_analysis.h"

namespace kira::stats {

struct TablePoolingResult {
  EffectMeasure measure = EffectMeasure::kLogOddsRatio;  // OR, RR or RD
  int k = 0;
  double estimate = 0;  // log scale
  double se = 0;
  double z = 0;
  double p_value = 1;
  double ci_low = 0;
  double ci_high = 0;
  // Cochran's Q around the pooled estimate. Tables with no events (or no
  // non-events) in both arms are left out of Q and its df (metafor drop00),
  // and zero cells get 1/2 added for Q only.
  Heterogeneity heterogeneity;
  // Cochran-Mantel-Haenszel test (with continuity correction), OR only.
  std::optional<double> cmh_statistic;
  std::optional<double> cmh_p_value;
  // Homogeneity of the odds ratios, OR only (metafor rma.mh BD/TA): the
  // Breslow-Day statistic and Tarone's (1985) corrected version, each on
  // (tables with a positive fitted cell and events and non-events) - 1 df;
  // p-values need at least two such tables.
  std::optional<double> breslow_day_statistic;
  std::optional<double> breslow_day_p_value;
  std::optional<double> tarone_statistic;
  std::optional<double> tarone_p_value;
  std::optional<int> tarone_df;
};

// Mantel-Haenszel log OR (Robins-Breslow-Greenland variance), log RR
// (Greenland-Robins variance) or risk difference (Sato-Greenland-Robins
// variance, as metafor rma.mh measure "RD"). Counts are used as given (no
// correction).
// Errors: kInvalidArgument for a bad table (as EffectSizesFromTables) or a
// measure other than OR/RR/RD; kFailedPrecondition when the estimate is 0 or
// infinite (e.g. no events at all in one arm across every table).
StatusOr<TablePoolingResult> MantelHaenszel(std::span<const TwoByTwoTable> tables,
                                            EffectMeasure measure, double level = 0.95);

// Peto's one-step log odds ratio (Yusuf et al. 1985): sum(O - E) / sum(V).
// Errors: kInvalidArgument for a bad table; kFailedPrecondition when every
// table has zero hypergeometric variance.
StatusOr<TablePoolingResult> PetoOddsRatio(std::span<const TwoByTwoTable> tables,
                                           double level = 0.95);

}  // namespace kira::stats

#endif  // KIRA_STATS_MANTEL_HAENSZEL_H_
