#include "kira/plot/svg_plots.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>

namespace kira::plot {
namespace {

// Layout, in SVG user units (px).
constexpr double kWidth = 820;
constexpr double kLabelWidth = 230;
constexpr double kPlotLeft = kLabelWidth + 10;
constexpr double kPlotRight = kWidth - 250;
constexpr double kTextColumn = kPlotRight + 20;
constexpr double kWeightColumn = kWidth - 60;
constexpr double kRowHeight = 22;
constexpr double kTop = 60;
constexpr double kMaxSquare = 14;

std::string Num(double v, int decimals = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Coord(double v) { return Num(v, 1); }

Status Finite(const std::string& field, double v) {
  if (std::isfinite(v)) return Status::Ok();
  return InvalidArgumentError(field + ": must be finite");
}

Status CheckInterval(const std::string& field, double lo, double est, double hi) {
  KIRA_RETURN_IF_ERROR(Finite(field + ".estimate", est));
  KIRA_RETURN_IF_ERROR(Finite(field + ".ci_low", lo));
  KIRA_RETURN_IF_ERROR(Finite(field + ".ci_high", hi));
  if (!(lo <= est && est <= hi)) return InvalidArgumentError(field + ": needs ci_low <= estimate <= ci_high");
  return Status::Ok();
}

// Maps the analysis scale onto [left, right] px with "nice" ticks.
struct Axis {
  double lo = 0, hi = 1, left = 0, right = 1;
  double X(double v) const { return left + (v - lo) / (hi - lo) * (right - left); }
};

Axis MakeAxis(double lo, double hi, double left, double right) {
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  const double pad = 0.05 * (hi - lo);
  return Axis{lo - pad, hi + pad, left, right};
}

std::vector<double> Ticks(const Axis& a, bool exponentiate) {
  std::vector<double> ticks;
  if (exponentiate) {
    // Ticks at round ratios, placed on the log scale.
    for (double r : {0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0}) {
      const double x = std::log(r);
      if (x >= a.lo && x <= a.hi) ticks.push_back(x);
    }
    if (ticks.size() >= 2) return ticks;
    ticks.clear();
  }
  const double span = a.hi - a.lo;
  const double raw = span / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  for (double t = std::ceil(a.lo / step) * step; t <= a.hi + 1e-12; t += step) ticks.push_back(std::fabs(t) < 1e-12 ? 0 : t);
  return ticks;
}

std::string TickLabel(double v, bool exponentiate) {
  if (!exponentiate) return Num(v, 2);
  const double r = std::exp(v);
  return r < 1 ? Num(r, 2) : Num(r, r < 10 ? 1 : 0);
}

std::string Header(std::ostringstream& os, double height, const std::string& title) {
  os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
     << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << Coord(kWidth) << "\" height=\"" << Coord(height)
     << "\" viewBox=\"0 0 " << Coord(kWidth) << " " << Coord(height)
     << "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
     << "<title>" << XmlEscape(title) << "</title>\n"
     << "<rect x=\"0\" y=\"0\" width=\"" << Coord(kWidth) << "\" height=\"" << Coord(height)
     << "\" fill=\"white\"/>\n"
     << "<text x=\"10\" y=\"24\" font-size=\"15\" font-weight=\"bold\">" << XmlEscape(title) << "</text>\n";
  return os.str();
}

void DrawAxis(std::ostringstream& os, const Axis& axis, double y, bool exponentiate, const std::string& label) {
  os << "<g class=\"axis\">\n";
  os << "<line x1=\"" << Coord(axis.left) << "\" y1=\"" << Coord(y) << "\" x2=\"" << Coord(axis.right) << "\" y2=\""
     << Coord(y) << "\" stroke=\"black\"/>\n";
  for (double t : Ticks(axis, exponentiate)) {
    const double x = axis.X(t);
    os << "<line x1=\"" << Coord(x) << "\" y1=\"" << Coord(y) << "\" x2=\"" << Coord(x) << "\" y2=\"" << Coord(y + 5)
       << "\" stroke=\"black\"/>\n";
    os << "<text x=\"" << Coord(x) << "\" y=\"" << Coord(y + 18) << "\" text-anchor=\"middle\">"
       << TickLabel(t, exponentiate) << "</text>\n";
  }
  os << "<text x=\"" << Coord((axis.left + axis.right) / 2) << "\" y=\"" << Coord(y + 34)
     << "\" text-anchor=\"middle\">" << XmlEscape(label) << "</text>\n";
  os << "</g>\n";
}

std::string IntervalText(double est, double lo, double hi, bool exponentiate) {
  auto f = [&](double v) { return Num(exponentiate ? std::exp(v) : v, 2); };
  return f(est) + " [" + f(lo) + ", " + f(hi) + "]";
}

}  // namespace

std::string XmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

StatusOr<std::string> ForestPlotSvg(const ForestPlotSpec& spec) {
  if (spec.rows.empty()) return InvalidArgumentError("rows: at least one study row is required");
  double lo = spec.null_value, hi = spec.null_value, max_w = 0;
  for (std::size_t i = 0; i < spec.rows.size(); ++i) {
    const ForestRow& r = spec.rows[i];
    const std::string field = "rows[" + std::to_string(i) + "]";
    KIRA_RETURN_IF_ERROR(CheckInterval(field, r.ci_low, r.estimate, r.ci_high));
    if (!std::isfinite(r.weight_percent) || r.weight_percent < 0) {
      return InvalidArgumentError(field + ".weight_percent: must be finite and >= 0");
    }
    lo = std::min(lo, r.ci_low);
    hi = std::max(hi, r.ci_high);
    max_w = std::max(max_w, r.weight_percent);
  }
  const ForestSummary& s = spec.summary;
  KIRA_RETURN_IF_ERROR(CheckInterval("summary", s.ci_low, s.estimate, s.ci_high));
  KIRA_RETURN_IF_ERROR(Finite("null_value", spec.null_value));
  if (s.pi_low.has_value() != s.pi_high.has_value()) {
    return InvalidArgumentError("summary.pi_low: pi_low and pi_high go together");
  }
  if (s.pi_low) {
    KIRA_RETURN_IF_ERROR(Finite("summary.pi_low", *s.pi_low));
    KIRA_RETURN_IF_ERROR(Finite("summary.pi_high", *s.pi_high));
    if (!(*s.pi_low <= s.estimate && s.estimate <= *s.pi_high)) {
      return InvalidArgumentError("summary.pi_low: the prediction interval must contain the estimate");
    }
  }
  // The axis covers the study intervals and the pooled estimate; a pooled CI
  // or PI much wider than that (e.g. Hartung-Knapp with k = 2) would squeeze
  // every study into a few pixels, so it may extend the axis by at most the
  // studies' own span on each side and is drawn clipped, with an arrow.
  lo = std::min(lo, s.estimate);
  hi = std::max(hi, s.estimate);
  const double span = std::max(hi - lo, 1e-9);
  const double floor_lo = lo - span, ceil_hi = hi + span;
  auto extend = [&](double v) {
    lo = std::min(lo, std::max(v, floor_lo));
    hi = std::max(hi, std::min(v, ceil_hi));
  };
  extend(s.ci_low);
  extend(s.ci_high);
  if (s.pi_low) {
    extend(*s.pi_low);
    extend(*s.pi_high);
  }
  const Axis axis = MakeAxis(lo, hi, kPlotLeft, kPlotRight);
  // x position clamped to the axis, and an arrowhead where a value is beyond it.
  auto clamped_x = [&](double v) { return axis.X(std::clamp(v, axis.lo, axis.hi)); };
  auto arrows = [&](double from, double to, double y) {
    std::string out;
    if (from < axis.lo) {
      const double x = axis.X(axis.lo);
      out += "<polygon class=\"clipped\" points=\"" + Coord(x) + "," + Coord(y) + " " + Coord(x + 6) + "," +
             Coord(y - 4) + " " + Coord(x + 6) + "," + Coord(y + 4) + "\" fill=\"#c00000\"/>\n";
    }
    if (to > axis.hi) {
      const double x = axis.X(axis.hi);
      out += "<polygon class=\"clipped\" points=\"" + Coord(x) + "," + Coord(y) + " " + Coord(x - 6) + "," +
             Coord(y - 4) + " " + Coord(x - 6) + "," + Coord(y + 4) + "\" fill=\"#c00000\"/>\n";
    }
    return out;
  };
  const std::size_t n = spec.rows.size();
  const double summary_y = kTop + kRowHeight * (static_cast<double>(n) + 1);
  const double pi_y = summary_y + kRowHeight;
  const double axis_y = pi_y + kRowHeight * 0.6;
  const double height = axis_y + 70;

  std::ostringstream os;
  Header(os, height, spec.title);
  os << "<text x=\"10\" y=\"" << Coord(kTop - 14) << "\" font-weight=\"bold\">Study</text>\n"
     << "<text x=\"" << Coord(kTextColumn) << "\" y=\"" << Coord(kTop - 14) << "\" font-weight=\"bold\">"
     << XmlEscape(spec.effect_label) << " [95% CI]</text>\n"
     << "<text x=\"" << Coord(kWeightColumn) << "\" y=\"" << Coord(kTop - 14) << "\" font-weight=\"bold\">Weight</text>\n";
  // Reference line at the null effect.
  os << "<line class=\"null-line\" x1=\"" << Coord(axis.X(spec.null_value)) << "\" y1=\"" << Coord(kTop - 6)
     << "\" x2=\"" << Coord(axis.X(spec.null_value)) << "\" y2=\"" << Coord(axis_y) << "\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n";
  for (std::size_t i = 0; i < n; ++i) {
    const ForestRow& r = spec.rows[i];
    const double y = kTop + kRowHeight * static_cast<double>(i);
    // Square area proportional to weight.
    const double side = max_w > 0 ? std::max(3.0, kMaxSquare * std::sqrt(r.weight_percent / max_w)) : 6.0;
    os << "<g class=\"study\" data-label=\"" << XmlEscape(r.label) << "\">\n"
       << "<text x=\"10\" y=\"" << Coord(y + 4) << "\">" << XmlEscape(r.label) << "</text>\n"
       << "<line x1=\"" << Coord(axis.X(r.ci_low)) << "\" y1=\"" << Coord(y) << "\" x2=\"" << Coord(axis.X(r.ci_high))
       << "\" y2=\"" << Coord(y) << "\" stroke=\"black\"/>\n"
       << "<rect x=\"" << Coord(axis.X(r.estimate) - side / 2) << "\" y=\"" << Coord(y - side / 2) << "\" width=\""
       << Coord(side) << "\" height=\"" << Coord(side) << "\" fill=\"#1f4e79\"/>\n"
       << "<text x=\"" << Coord(kTextColumn) << "\" y=\"" << Coord(y + 4) << "\">"
       << IntervalText(r.estimate, r.ci_low, r.ci_high, spec.exponentiate) << "</text>\n"
       << "<text x=\"" << Coord(kWeightColumn) << "\" y=\"" << Coord(y + 4) << "\">" << Num(r.weight_percent, 1)
       << "%</text>\n"
       << "</g>\n";
  }
  const double dy = 7;
  os << "<g class=\"summary\">\n"
     << "<text x=\"10\" y=\"" << Coord(summary_y + 4) << "\" font-weight=\"bold\">" << XmlEscape(s.label) << "</text>\n"
     << "<polygon class=\"diamond\" points=\"" << Coord(clamped_x(s.ci_low)) << "," << Coord(summary_y) << " "
     << Coord(axis.X(s.estimate)) << "," << Coord(summary_y - dy) << " " << Coord(clamped_x(s.ci_high)) << ","
     << Coord(summary_y) << " " << Coord(axis.X(s.estimate)) << "," << Coord(summary_y + dy)
     << "\" fill=\"#c00000\"/>\n" << arrows(s.ci_low, s.ci_high, summary_y)
     << "<text x=\"" << Coord(kTextColumn) << "\" y=\"" << Coord(summary_y + 4) << "\" font-weight=\"bold\">"
     << IntervalText(s.estimate, s.ci_low, s.ci_high, spec.exponentiate) << "</text>\n";
  if (s.pi_low) {
    os << "<line class=\"prediction-interval\" x1=\"" << Coord(clamped_x(*s.pi_low)) << "\" y1=\"" << Coord(pi_y)
       << "\" x2=\"" << Coord(clamped_x(*s.pi_high)) << "\" y2=\"" << Coord(pi_y)
       << "\" stroke=\"#c00000\" stroke-width=\"2\"/>\n" << arrows(*s.pi_low, *s.pi_high, pi_y)
       << "<text x=\"10\" y=\"" << Coord(pi_y + 4) << "\">Prediction interval</text>\n"
       << "<text x=\"" << Coord(kTextColumn) << "\" y=\"" << Coord(pi_y + 4) << "\">["
       << Num(spec.exponentiate ? std::exp(*s.pi_low) : *s.pi_low, 2) << ", "
       << Num(spec.exponentiate ? std::exp(*s.pi_high) : *s.pi_high, 2) << "]</text>\n";
  }
  os << "</g>\n";
  DrawAxis(os, axis, axis_y, spec.exponentiate, spec.effect_label);
  if (!spec.favours_left.empty()) {
    os << "<text x=\"" << Coord(axis.X(spec.null_value) - 6) << "\" y=\"" << Coord(axis_y + 50)
       << "\" text-anchor=\"end\" font-size=\"11\">" << XmlEscape(spec.favours_left) << "</text>\n";
  }
  if (!spec.favours_right.empty()) {
    os << "<text x=\"" << Coord(axis.X(spec.null_value) + 6) << "\" y=\"" << Coord(axis_y + 50)
       << "\" font-size=\"11\">" << XmlEscape(spec.favours_right) << "</text>\n";
  }
  os << "</svg>\n";
  return os.str();
}

StatusOr<std::string> FunnelPlotSvg(const FunnelPlotSpec& spec) {
  if (spec.points.empty()) return InvalidArgumentError("points: at least one study is required");
  if (!(spec.level > 0 && spec.level < 1)) return InvalidArgumentError("level: must be in (0, 1)");
  KIRA_RETURN_IF_ERROR(Finite("pooled_estimate", spec.pooled_estimate));
  double max_se = 0, lo = spec.pooled_estimate, hi = spec.pooled_estimate;
  for (std::size_t i = 0; i < spec.points.size(); ++i) {
    const FunnelPoint& p = spec.points[i];
    const std::string field = "points[" + std::to_string(i) + "]";
    KIRA_RETURN_IF_ERROR(Finite(field + ".estimate", p.estimate));
    if (!std::isfinite(p.se) || p.se <= 0) return InvalidArgumentError(field + ".se: must be finite and > 0");
    max_se = std::max(max_se, p.se);
    lo = std::min(lo, p.estimate);
    hi = std::max(hi, p.estimate);
  }
  // Two-sided normal quantile by bisection on erfc (no stats dependency).
  const double alpha = 1 - spec.level;
  double zlo = 0, zhi = 10;
  for (int i = 0; i < 200; ++i) {
    const double mid = (zlo + zhi) / 2;
    if (std::erfc(mid / std::sqrt(2.0)) > alpha) zlo = mid; else zhi = mid;
  }
  const double z = (zlo + zhi) / 2;
  const double se_top = max_se * 1.05;
  lo = std::min(lo, spec.pooled_estimate - z * se_top);
  hi = std::max(hi, spec.pooled_estimate + z * se_top);
  const double plot_top = kTop, plot_bottom = kTop + 320;
  const Axis axis = MakeAxis(lo, hi, 80, kWidth - 40);
  auto y_of = [&](double se) { return plot_top + se / se_top * (plot_bottom - plot_top); };
  const double height = plot_bottom + 70;

  std::ostringstream os;
  Header(os, height, spec.title);
  const double c = spec.pooled_estimate;
  os << "<polygon class=\"funnel-region\" points=\"" << Coord(axis.X(c)) << "," << Coord(y_of(0)) << " "
     << Coord(axis.X(c - z * se_top)) << "," << Coord(y_of(se_top)) << " " << Coord(axis.X(c + z * se_top)) << ","
     << Coord(y_of(se_top)) << "\" fill=\"#eef3f8\" stroke=\"#9bb\"/>\n";
  os << "<line class=\"pooled-line\" x1=\"" << Coord(axis.X(c)) << "\" y1=\"" << Coord(plot_top) << "\" x2=\""
     << Coord(axis.X(c)) << "\" y2=\"" << Coord(plot_bottom) << "\" stroke=\"#c00000\"/>\n";
  // Vertical axis: standard error, 0 at the top.
  os << "<g class=\"axis\">\n<line x1=\"80\" y1=\"" << Coord(plot_top) << "\" x2=\"80\" y2=\"" << Coord(plot_bottom)
     << "\" stroke=\"black\"/>\n";
  for (int i = 0; i <= 4; ++i) {
    const double se = se_top * i / 4;
    os << "<text x=\"74\" y=\"" << Coord(y_of(se) + 4) << "\" text-anchor=\"end\">" << Num(se, 3) << "</text>\n";
  }
  os << "<text x=\"20\" y=\"" << Coord((plot_top + plot_bottom) / 2) << "\" transform=\"rotate(-90 20 "
     << Coord((plot_top + plot_bottom) / 2) << ")\" text-anchor=\"middle\">Standard error</text>\n</g>\n";
  for (const FunnelPoint& p : spec.points) {
    os << "<circle class=\"" << (p.filled ? "filled" : "study") << "\" cx=\"" << Coord(axis.X(p.estimate))
       << "\" cy=\"" << Coord(y_of(p.se)) << "\" r=\"4\" fill=\"" << (p.filled ? "white" : "#1f4e79")
       << "\" stroke=\"#1f4e79\"/>\n";
  }
  DrawAxis(os, axis, plot_bottom, spec.exponentiate, spec.effect_label);
  os << "</svg>\n";
  return os.str();
}

StatusOr<std::string> KaplanMeierSvg(const KaplanMeierSpec& spec) {
  if (spec.points.empty()) return InvalidArgumentError("points: at least one point is required");
  double t_max = 0;
  for (std::size_t i = 0; i < spec.points.size(); ++i) {
    const KaplanMeierPoint& p = spec.points[i];
    const std::string field = "points[" + std::to_string(i) + "]";
    KIRA_RETURN_IF_ERROR(Finite(field + ".time", p.time));
    if (p.time < 0) return InvalidArgumentError(field + ".time: must be >= 0");
    if (!(p.survival >= 0 && p.survival <= 1)) return InvalidArgumentError(field + ".survival: must be in [0, 1]");
    if (i > 0 && p.time < spec.points[i - 1].time) return InvalidArgumentError(field + ".time: must not decrease");
    if (i > 0 && p.survival > spec.points[i - 1].survival) {
      return InvalidArgumentError(field + ".survival: must not increase");
    }
    for (const auto& [band, name] : {std::pair{p.lower, ".lower"}, std::pair{p.upper, ".upper"}}) {
      if (band && !(*band >= 0 && *band <= 1)) return InvalidArgumentError(field + name + ": must be in [0, 1]");
    }
    t_max = std::max(t_max, p.time);
  }
  if (t_max <= 0) t_max = 1;
  const double left = 80, right = kWidth - 40, top = kTop, bottom = kTop + 300;
  auto x_of = [&](double t) { return left + t / t_max * (right - left); };
  auto y_of = [&](double s) { return bottom - s * (bottom - top); };
  const double height = bottom + 90;
  std::ostringstream os;
  Header(os, height, spec.title);
  // Confidence band as a stepped polygon when every point has one.
  const bool band = std::all_of(spec.points.begin(), spec.points.end(),
                                [](const KaplanMeierPoint& p) { return p.lower && p.upper; });
  if (band) {
    std::string upper, lower;
    for (std::size_t i = 0; i < spec.points.size(); ++i) {
      const auto& p = spec.points[i];
      const double t_next = i + 1 < spec.points.size() ? spec.points[i + 1].time : p.time;
      upper += Coord(x_of(p.time)) + "," + Coord(y_of(*p.upper)) + " " + Coord(x_of(t_next)) + "," +
               Coord(y_of(*p.upper)) + " ";
      lower = Coord(x_of(t_next)) + "," + Coord(y_of(*p.lower)) + " " + Coord(x_of(p.time)) + "," +
              Coord(y_of(*p.lower)) + " " + lower;
    }
    os << "<polygon class=\"km-band\" points=\"" << upper << lower << "\" fill=\"#dde7f1\" stroke=\"none\"/>\n";
  }
  std::string d = "M" + Coord(x_of(spec.points[0].time)) + "," + Coord(y_of(spec.points[0].survival));
  for (std::size_t i = 1; i < spec.points.size(); ++i) {
    d += " H" + Coord(x_of(spec.points[i].time)) + " V" + Coord(y_of(spec.points[i].survival));
  }
  os << "<path class=\"km-curve\" d=\"" << d << "\" fill=\"none\" stroke=\"#1f4e79\" stroke-width=\"2\"/>\n";
  os << "<g class=\"axis\">\n<line x1=\"" << Coord(left) << "\" y1=\"" << Coord(bottom) << "\" x2=\"" << Coord(right)
     << "\" y2=\"" << Coord(bottom) << "\" stroke=\"black\"/>\n<line x1=\"" << Coord(left) << "\" y1=\"" << Coord(top)
     << "\" x2=\"" << Coord(left) << "\" y2=\"" << Coord(bottom) << "\" stroke=\"black\"/>\n";
  for (int i = 0; i <= 4; ++i) {
    os << "<text x=\"" << Coord(left - 6) << "\" y=\"" << Coord(y_of(i / 4.0) + 4) << "\" text-anchor=\"end\">"
       << Num(i / 4.0, 2) << "</text>\n";
    os << "<text x=\"" << Coord(x_of(t_max * i / 4)) << "\" y=\"" << Coord(bottom + 18) << "\" text-anchor=\"middle\">"
       << Num(t_max * i / 4, 0) << "</text>\n";
  }
  os << "<text x=\"" << Coord((left + right) / 2) << "\" y=\"" << Coord(bottom + 36) << "\" text-anchor=\"middle\">"
     << XmlEscape(spec.time_label) << "</text>\n</g>\n";
  // Number at risk under the axis, at each point's time.
  os << "<g class=\"at-risk\">\n<text x=\"10\" y=\"" << Coord(bottom + 62) << "\">At risk</text>\n";
  double last_x = -1e9;
  for (const auto& p : spec.points) {
    const double x = x_of(p.time);
    if (x - last_x < 30) continue;  // avoid overprinting
    last_x = x;
    os << "<text x=\"" << Coord(x) << "\" y=\"" << Coord(bottom + 62) << "\" text-anchor=\"middle\">" << p.at_risk
       << "</text>\n";
  }
  os << "</g>\n</svg>\n";
  return os.str();
}

StatusOr<std::string> TrajectoryPlotSvg(const TrajectoryPlotSpec& spec) {
  if (spec.series.empty()) return InvalidArgumentError("series: at least one series is required");
  double t_lo = 0, t_hi = 0, v_lo = 0, v_hi = 0;
  bool first = true;
  for (std::size_t i = 0; i < spec.series.size(); ++i) {
    const TrajectorySeries& ser = spec.series[i];
    const std::string field = "series[" + std::to_string(i) + "]";
    if (ser.points.empty()) return InvalidArgumentError(field + ".points: must not be empty");
    for (std::size_t j = 0; j < ser.points.size(); ++j) {
      const std::string pf = field + ".points[" + std::to_string(j) + "]";
      KIRA_RETURN_IF_ERROR(Finite(pf + ".time", ser.points[j].time));
      KIRA_RETURN_IF_ERROR(Finite(pf + ".value", ser.points[j].value));
      if (j > 0 && ser.points[j].time < ser.points[j - 1].time) {
        return InvalidArgumentError(pf + ".time: must not decrease");
      }
      const double t = ser.points[j].time, v = ser.points[j].value;
      if (first) {
        t_lo = t_hi = t;
        v_lo = v_hi = v;
        first = false;
      }
      t_lo = std::min(t_lo, t);
      t_hi = std::max(t_hi, t);
      v_lo = std::min(v_lo, v);
      v_hi = std::max(v_hi, v);
    }
  }
  for (std::size_t i = 0; i < spec.references.size(); ++i) {
    KIRA_RETURN_IF_ERROR(Finite("references[" + std::to_string(i) + "].value", spec.references[i].value));
    v_lo = std::min(v_lo, spec.references[i].value);
    v_hi = std::max(v_hi, spec.references[i].value);
  }
  const double left = 80, right = kWidth - 170, top = kTop, bottom = kTop + 300;
  const Axis tx = MakeAxis(t_lo, t_hi, left, right);
  const Axis vy = MakeAxis(v_lo, v_hi, 0, 1);
  auto y_of = [&](double v) { return bottom - (v - vy.lo) / (vy.hi - vy.lo) * (bottom - top); };
  const double height = bottom + 60;
  static const char* const kColours[] = {"#1f4e79", "#c00000", "#548235", "#7030a0", "#bf8f00", "#2e75b6"};
  std::ostringstream os;
  Header(os, height, spec.title);
  for (const ReferenceLine& r : spec.references) {
    os << "<line class=\"reference\" x1=\"" << Coord(left) << "\" y1=\"" << Coord(y_of(r.value)) << "\" x2=\""
       << Coord(right) << "\" y2=\"" << Coord(y_of(r.value)) << "\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n"
       << "<text x=\"" << Coord(right + 4) << "\" y=\"" << Coord(y_of(r.value) + 4) << "\" font-size=\"11\">"
       << XmlEscape(r.label) << "</text>\n";
  }
  for (std::size_t i = 0; i < spec.series.size(); ++i) {
    const TrajectorySeries& ser = spec.series[i];
    const char* colour = kColours[i % (sizeof kColours / sizeof kColours[0])];
    std::string pts;
    for (const TrajectoryPoint& p : ser.points) pts += Coord(tx.X(p.time)) + "," + Coord(y_of(p.value)) + " ";
    os << "<g class=\"series\" data-label=\"" << XmlEscape(ser.label) << "\">\n"
       << "<polyline class=\"trajectory\" points=\"" << pts << "\" fill=\"none\" stroke=\"" << colour
       << "\" stroke-width=\"1.5\"/>\n";
    for (const TrajectoryPoint& p : ser.points) {
      os << "<circle cx=\"" << Coord(tx.X(p.time)) << "\" cy=\"" << Coord(y_of(p.value)) << "\" r=\"2.5\" fill=\""
         << colour << "\"/>\n";
    }
    os << "<text x=\"" << Coord(kWidth - 150) << "\" y=\"" << Coord(top + 14 * static_cast<double>(i)) << "\" fill=\""
       << colour << "\" font-size=\"11\">" << XmlEscape(ser.label) << "</text>\n</g>\n";
  }
  DrawAxis(os, tx, bottom, false, spec.time_label);
  os << "<g class=\"axis\">\n<line x1=\"" << Coord(left) << "\" y1=\"" << Coord(top) << "\" x2=\"" << Coord(left)
     << "\" y2=\"" << Coord(bottom) << "\" stroke=\"black\"/>\n";
  for (double t : Ticks(vy, false)) {
    os << "<text x=\"" << Coord(left - 6) << "\" y=\"" << Coord(y_of(t) + 4) << "\" text-anchor=\"end\">"
       << Num(t, std::fabs(vy.hi - vy.lo) >= 10 ? 0 : 2) << "</text>\n";
  }
  os << "<text x=\"20\" y=\"" << Coord((top + bottom) / 2) << "\" transform=\"rotate(-90 20 "
     << Coord((top + bottom) / 2) << ")\" text-anchor=\"middle\">" << XmlEscape(spec.value_label) << "</text>\n</g>\n";
  os << "</svg>\n";
  return os.str();
}

}  // namespace kira::plot
