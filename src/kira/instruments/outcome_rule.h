// The one response and remission rule, on numbers: every path that decides
// whether a patient responded or remitted (scoring, plan tailoring, the
// dashboard, the demo, registry analytics) calls these, with the thresholds
// of the instrument library (guidelines/instruments.json). Header-only and
// dependency-free so the columnar analytics engine, which sees no domain
// types, applies the same rule.
#ifndef KIRA_INSTRUMENTS_OUTCOME_RULE_H_
#define KIRA_INSTRUMENTS_OUTCOME_RULE_H_

#include <optional>

namespace kira::instruments {

// Response: a fall of at least `min_point_fall` points, or of at least
// `min_percent_fall` % of the baseline (a percentage of a zero baseline is
// undefined, so it never counts).
inline bool FallMeetsResponse(std::optional<double> min_percent_fall, std::optional<double> min_point_fall,
                              double baseline, double current) {
  const double fall = baseline - current;
  if (min_point_fall && fall >= *min_point_fall) return true;
  if (!min_percent_fall || baseline <= 0) return false;
  return fall / baseline * 100.0 >= *min_percent_fall;
}

// Remission: total < value, or total <= value when `at_most`.
inline bool ScoreMeetsRemission(bool at_most, double value, double current) {
  return at_most ? current <= value : current < value;
}

}  // namespace kira::instruments

#endif  // KIRA_INSTRUMENTS_OUTCOME_RULE_H_
