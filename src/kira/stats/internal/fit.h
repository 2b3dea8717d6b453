// The shared model-fitting core behind MetaAnalyze, MetaRegress, the
// leave-one-out / cumulative loops and the publication-bias methods. Inputs
// are assumed validated by the public entry point.
#ifndef KIRA_STATS_INTERNAL_FIT_H_
#define KIRA_STATS_INTERNAL_FIT_H_

#include <span>
#include <string>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/stats/internal/design.h"
#include "kira/stats/meta_analysis.h"

namespace kira::stats::internal {

// Validates yi/vi/options (names the public function `fn` in messages).
Status ValidateStudies(std::string_view fn, std::span<const double> yi, std::span<const double> vi,
                       const MetaOptions& options);

// Fits the model. `names` has p entries (coefficient names).
// compute_r2: also fit the intercept-only model to report R2 (p > 1).
StatusOr<MetaAnalysisResult> FitModel(const Design& d, std::span<const double> yi,
                                      std::span<const double> vi,
                                      const std::vector<std::string>& names,
                                      const MetaOptions& options, bool compute_r2);

// Generalised Q statistic y'P(tau2)y.
double GeneralisedQ(const Design& d, std::span<const double> yi, std::span<const double> vi,
                    double tau2);

}  // namespace kira::stats::internal

#endif  // KIRA_STATS_INTERNAL_FIT_H_
