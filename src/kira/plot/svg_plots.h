// Forest, funnel, Kaplan-Meier and trajectory plots as standalone SVG documents. No I/O:
// each function returns the SVG text; the CLI or server writes it.
//
// Inputs are plain numbers on the analysis scale (e.g. log odds ratios); with
// `exponentiate` the axis is labelled on the natural scale (odds ratios).
// Structure, for tools and tests: every study row is a <g class="study">,
// the pooled estimate a <polygon class="diamond">, the prediction interval a
// <line class="prediction-interval">, funnel points <circle class="study">
// (class "filled" for trim-and-fill imputations), KM steps a <path
// class="km-curve">.
#ifndef KIRA_PLOT_SVG_PLOTS_H_
#define KIRA_PLOT_SVG_PLOTS_H_

#include <optional>
#include <string>
#include <vector>

#include "kira/base/statusor.h"

namespace kira::plot {

struct ForestRow {
  std::string label;
  double estimate = 0;
  double ci_low = 0;
  double ci_high = 0;
  double weight_percent = 0;  // drawn as the square's area; REQUIRES >= 0
};

struct ForestSummary {
  std::string label = "Pooled estimate";
  double estimate = 0;
  double ci_low = 0;
  double ci_high = 0;
  std::optional<double> pi_low;  // prediction interval, drawn as a line
  std::optional<double> pi_high;
};

struct ForestPlotSpec {
  std::string title;
  std::string effect_label = "Effect";  // e.g. "Odds ratio"
  bool exponentiate = false;            // label the axis and numbers with exp(x)
  double null_value = 0;                // vertical reference line (analysis scale)
  std::string favours_left;             // e.g. "Favours control"
  std::string favours_right;            // e.g. "Favours ketamine"
  std::vector<ForestRow> rows;
  ForestSummary summary;
};

// Errors: kInvalidArgument naming the field (rows empty; a non-finite number;
// ci_low > estimate or estimate > ci_high; negative weight; pi given without
// both ends or not containing the estimate).
StatusOr<std::string> ForestPlotSvg(const ForestPlotSpec& spec);

struct FunnelPoint {
  double estimate = 0;
  double se = 0;  // REQUIRES > 0
  bool filled = false;
};

struct FunnelPlotSpec {
  std::string title;
  std::string effect_label = "Effect";
  bool exponentiate = false;
  double pooled_estimate = 0;
  double level = 0.95;  // pseudo-confidence region estimate +/- z * se
  std::vector<FunnelPoint> points;
};

// Errors: kInvalidArgument (no points, non-finite values, se <= 0, level
// outside (0, 1)).
StatusOr<std::string> FunnelPlotSvg(const FunnelPlotSpec& spec);

struct KaplanMeierPoint {
  double time = 0;      // REQUIRES non-decreasing, >= 0
  double survival = 1;  // in [0, 1], non-increasing
  std::optional<double> lower;  // Greenwood band, in [0, 1]
  std::optional<double> upper;
  int at_risk = 0;
};

struct KaplanMeierSpec {
  std::string title;
  std::string time_label = "Days";
  std::vector<KaplanMeierPoint> points;  // first point usually (0, 1)
};

StatusOr<std::string> KaplanMeierSvg(const KaplanMeierSpec& spec);

// Outcome trajectories (e.g. MADRS or PHQ-9 totals over an induction
// series): one <polyline class="trajectory"> per series, optional horizontal
// reference lines (<line class="reference">, e.g. a remission cut-off passed
// in from versioned instrument data, never hard-coded here).
struct TrajectoryPoint {
  double time = 0;
  double value = 0;
};

struct TrajectorySeries {
  std::string label;
  std::vector<TrajectoryPoint> points;  // REQUIRES non-decreasing time
};

struct ReferenceLine {
  std::string label;
  double value = 0;
};

struct TrajectoryPlotSpec {
  std::string title;
  std::string time_label = "Days";
  std::string value_label = "Score";
  std::vector<TrajectorySeries> series;
  std::vector<ReferenceLine> references;
};

// Errors: kInvalidArgument naming the field (no series, an empty series,
// non-finite values, decreasing time).
StatusOr<std::string> TrajectoryPlotSvg(const TrajectoryPlotSpec& spec);

// Escapes &, <, >, " and ' for SVG text and attributes.
std::string XmlEscape(const std::string& s);

}  // namespace kira::plot

#endif  // KIRA_PLOT_SVG_PLOTS_H_
