#include "kira/stats/descriptive.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "kira/stats/distributions.h"
#include "kira/stats/internal/checks.h"

namespace kira::stats {

StatusOr<ProportionInterval> WilsonInterval(double successes, double n, double level) {
  constexpr std::string_view kFn = "WilsonInterval";
  KIRA_RETURN_IF_ERROR(internal::CheckLevel(kFn, level));
  if (!std::isfinite(n) || n <= 0) return InvalidArgumentError(internal::ArgName(kFn, "n") + ": must be finite and > 0");
  if (!std::isfinite(successes) || successes < 0 || successes > n) {
    return InvalidArgumentError(internal::ArgName(kFn, "successes") + ": must be within 0..n");
  }
  const double z = NormalQuantile(1 - (1 - level) / 2);
  const double p = successes / n;
  const double z2 = z * z;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z / (1 + z2 / n) * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  ProportionInterval out;
  out.estimate = p;
  // At x = 0 or x = n the bound is exactly 0 or 1; clamp rounding noise.
  out.low = successes == 0 ? 0.0 : std::max(0.0, centre - half);
  out.high = successes == n ? 1.0 : std::min(1.0, centre + half);
  return out;
}

StatusOr<KaplanMeierResult> KaplanMeier(std::span<const SurvivalObservation> observations, double level,
                                        KaplanMeierInterval interval) {
  constexpr std::string_view kFn = "KaplanMeier";
  KIRA_RETURN_IF_ERROR(internal::CheckMinSize(kFn, "observations", observations.size(), 1));
  KIRA_RETURN_IF_ERROR(internal::CheckLevel(kFn, level));
  for (std::size_t i = 0; i < observations.size(); ++i) {
    const double t = observations[i].time;
    if (!std::isfinite(t) || t < 0) {
      return InvalidArgumentError(internal::ArgName(kFn, "observations", i) + ".time: must be finite and >= 0");
    }
  }
  std::vector<SurvivalObservation> sorted(observations.begin(), observations.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const SurvivalObservation& a, const SurvivalObservation& b) { return a.time < b.time; });
  const double z = NormalQuantile(1 - (1 - level) / 2);
  KaplanMeierResult out;
  out.n = static_cast<int>(sorted.size());
  int at_risk = out.n;
  double s = 1.0;
  double greenwood = 0;  // sum d / (n (n - d))
  bool undefined = false;
  for (std::size_t i = 0; i < sorted.size();) {
    const double t = sorted[i].time;
    int d = 0, c = 0;
    std::size_t j = i;
    for (; j < sorted.size() && sorted[j].time == t; ++j) (sorted[j].event ? d : c)++;
    if (d > 0) {
      KaplanMeierStep step;
      step.time = t;
      step.at_risk = at_risk;
      step.events = d;
      step.censored = c;
      s *= 1.0 - static_cast<double>(d) / at_risk;
      step.survival = s;
      if (d == at_risk) undefined = true;
      if (!undefined) {
        greenwood += static_cast<double>(d) / (static_cast<double>(at_risk) * (at_risk - d));
        const double se_log = std::sqrt(greenwood);  // SE of log S
        step.std_error = s * se_log;
        switch (interval) {
          case KaplanMeierInterval::kPlain:
            step.ci_low = std::max(0.0, s - z * *step.std_error);
            step.ci_high = std::min(1.0, s + z * *step.std_error);
            break;
          case KaplanMeierInterval::kLog:
            step.ci_low = std::exp(std::log(s) - z * se_log);
            step.ci_high = std::min(1.0, std::exp(std::log(s) + z * se_log));
            break;
          case KaplanMeierInterval::kLogLog: {
            if (s >= 1.0) {
              step.ci_low = step.ci_high = 1.0;
            } else {
              const double ll = std::log(-std::log(s));
              const double se_ll = se_log / std::fabs(std::log(s));
              step.ci_low = std::exp(-std::exp(ll + z * se_ll));
              step.ci_high = std::exp(-std::exp(ll - z * se_ll));
            }
            break;
          }
        }
      }
      out.events += d;
      out.steps.push_back(step);
    }
    at_risk -= d + c;
    i = j;
  }
  for (std::size_t k = 0; k < out.steps.size(); ++k) {
    if (out.steps[k].survival < 0.5) {
      out.median_time = out.steps[k].time;
      break;
    }
    if (out.steps[k].survival == 0.5) {
      // survfit: the midpoint between this time and the next event time.
      out.median_time = k + 1 < out.steps.size() ? (out.steps[k].time + out.steps[k + 1].time) / 2
                                                 : out.steps[k].time;
      break;
    }
  }
  return out;
}

}  // namespace kira::stats
