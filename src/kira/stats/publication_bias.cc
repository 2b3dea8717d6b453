#include "kira/stats/publication_bias.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <utility>

#include "kira/stats/internal/checks.h"
#include "kira/stats/internal/design.h"
#include "kira/stats/internal/fit.h"

namespace kira::stats {
namespace {

std::vector<double> StandardErrors(std::span<const double> vi) {
  std::vector<double> sei(vi.size());
  for (std::size_t i = 0; i < vi.size(); ++i) sei[i] = std::sqrt(vi[i]);
  return sei;
}

}  // namespace

StatusOr<EggerTestResult> EggerTest(std::span<const double> yi, std::span<const double> vi,
                                    const MetaOptions& options) {
  constexpr std::string_view kFn = "EggerTest";
  KIRA_RETURN_IF_ERROR(internal::ValidateStudies(kFn, yi, vi, options));
  KIRA_RETURN_IF_ERROR(internal::CheckMinSize(kFn, "yi", yi.size(), 3));
  const std::vector<Moderator> mods = {Moderator{"sei", StandardErrors(vi)}};
  auto fit = MetaRegress(yi, vi, mods, options);
  if (!fit.ok()) return fit.status().WithContext(std::string(kFn) + ": regression on sei");
  EggerTestResult out;
  out.statistic = fit->coefficients[1].statistic;
  out.p_value = fit->coefficients[1].p_value;
  out.t_df = fit->t_df;
  out.limit_estimate = fit->coefficients[0].estimate;
  out.limit_ci_low = fit->coefficients[0].ci_low;
  out.limit_ci_high = fit->coefficients[0].ci_high;
  out.fit = std::move(fit).value();
  return out;
}

StatusOr<TrimAndFillResult> TrimAndFill(std::span<const double> yi, std::span<const double> vi,
                                        const MetaOptions& options, TrimFillEstimator estimator) {
  constexpr std::string_view kFn = "TrimAndFill";
  KIRA_RETURN_IF_ERROR(internal::ValidateStudies(kFn, yi, vi, options));
  KIRA_RETURN_IF_ERROR(internal::CheckMinSize(kFn, "yi", yi.size(), 3));
  const std::size_t k = yi.size();

  // Side: metafor regresses yi on sqrt(vi) with the same estimator.
  MetaOptions side_options = options;
  side_options.test = InferenceTest::kZ;
  const std::vector<Moderator> mods = {Moderator{"sei", StandardErrors(vi)}};
  auto side_fit = MetaRegress(yi, vi, mods, side_options);
  if (!side_fit.ok()) return side_fit.status().WithContext(std::string(kFn) + ": choosing the side");
  TrimAndFillResult out;
  out.side = side_fit->coefficients[1].estimate < 0 ? FunnelSide::kRight : FunnelSide::kLeft;
  const double flip = out.side == FunnelSide::kRight ? -1.0 : 1.0;

  // Work on the side-adjusted scale, sorted ascending (stable, like R's sort).
  std::vector<std::size_t> order(k);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return flip * yi[a] < flip * yi[b]; });
  std::vector<double> y(k), v(k);
  for (std::size_t i = 0; i < k; ++i) {
    y[i] = flip * yi[order[i]];
    v[i] = vi[order[i]];
  }

  MetaOptions trim_options = options;
  trim_options.test = InferenceTest::kZ;
  const double kd = static_cast<double>(k);
  int k0 = 0, k0_previous = -1, iter = 0;
  double beta = 0;
  std::vector<double> centred(k);
  std::vector<std::size_t> by_abs(k);
  std::vector<double> rank(k);
  while (k0 != k0_previous) {
    k0_previous = k0;
    if (++iter > options.max_iterations) {
      return FailedPreconditionError(std::string(kFn) + ": did not converge within " +
                                     std::to_string(options.max_iterations) + " iterations");
    }
    const std::size_t kt = k - static_cast<std::size_t>(k0);
    auto trimmed = internal::FitModel(internal::InterceptDesign(kt), std::span(y).first(kt),
                                      std::span(v).first(kt), {"intercept"}, trim_options, false);
    if (!trimmed.ok()) return trimmed.status().WithContext(std::string(kFn) + ": trimmed fit");
    beta = trimmed->pooled().estimate;
    for (std::size_t i = 0; i < k; ++i) centred[i] = y[i] - beta;
    // Ranks of |centred|, ties broken by position (R rank ties.method "first").
    std::iota(by_abs.begin(), by_abs.end(), 0);
    std::stable_sort(by_abs.begin(), by_abs.end(), [&](std::size_t a, std::size_t b) {
      return std::fabs(centred[a]) < std::fabs(centred[b]);
    });
    for (std::size_t r = 0; r < k; ++r) rank[by_abs[r]] = static_cast<double>(r + 1);
    double estimate = 0;
    if (estimator == TrimFillEstimator::kR0) {
      // The highest rank among studies at or below b: every rank above it
      // belongs to a study above b (the rightmost run). None below: k0 = k-1.
      double max_below = 0;
      for (std::size_t i = 0; i < k; ++i) {
        if (centred[i] < 0) max_below = std::max(max_below, rank[i]);
      }
      estimate = kd - max_below - 1;
      out.se_k0 = std::sqrt(2 * std::max(0.0, estimate) + 2);
    } else {
      double sr = 0;
      for (std::size_t i = 0; i < k; ++i) {
        if (centred[i] > 0) sr += rank[i];
      }
      const double l0 = (4 * sr - kd * (kd + 1)) / (2 * kd - 1);
      const double var_sr = 1.0 / 24 *
                            (kd * (kd + 1) * (2 * kd + 1) + 10 * l0 * l0 * l0 + 27 * l0 * l0 +
                             17 * l0 - 18 * kd * l0 * l0 - 18 * kd * l0 + 6 * kd * kd * l0);
      out.se_k0 = std::max(0.0, 4 * std::sqrt(std::max(0.0, var_sr)) / (2 * kd - 1));
      estimate = l0;
    }
    // R's round() rounds half to even, as nearbyint does in the default mode.
    k0 = std::max(0, static_cast<int>(std::nearbyint(estimate)));
    k0 = std::min(k0, static_cast<int>(k) - 1);
  }
  out.k0 = k0;

  std::vector<double> all_y(yi.begin(), yi.end());
  std::vector<double> all_v(vi.begin(), vi.end());
  for (std::size_t j = k - static_cast<std::size_t>(k0); j < k; ++j) {
    // Mirror image about the trimmed estimate, back on the original scale.
    const double filled = flip * (2 * beta - y[j]);
    out.filled_yi.push_back(filled);
    out.filled_vi.push_back(v[j]);
    all_y.push_back(filled);
    all_v.push_back(v[j]);
  }
  auto adjusted = internal::FitModel(internal::InterceptDesign(all_y.size()), all_y, all_v,
                                     {"intercept"}, options, false);
  if (!adjusted.ok()) return adjusted.status().WithContext(std::string(kFn) + ": filled fit");
  out.adjusted = std::move(adjusted).value();
  return out;
}

}  // namespace kira::stats
