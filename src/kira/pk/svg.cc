#include "kira/pk/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace kira::pk {

namespace {

constexpr int kLeft = 68, kRight = 16, kTop = 30, kBottom = 46;
constexpr const char* kBandFill[] = {"#9ecae1", "#fdd0a2", "#fcbba1", "#c7e9c0"};

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Num(double v, int digits = 1) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// A 1-2-5 step giving about `n` ticks over [0, range].
double NiceStep(double range, int n) {
  const double raw = range / n;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double f : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= f * mag) return f * mag;
  }
  return 10.0 * mag;
}

}  // namespace

std::string RenderCurveSvg(const Curve& curve, std::span<const ConcentrationBand> bands, const SvgOptions& options) {
  const int w = std::max(options.width_px, 200), h = std::max(options.height_px, 150);
  const double pw = w - kLeft - kRight, ph = h - kTop - kBottom;
  const size_t n = curve.values.size();
  const double t_end_min = n > 1 ? units::ToMinutes(curve.TimeAt(n - 1)) : 60.0;
  const bool hours = t_end_min > 180.0;
  const double x_unit = hours ? 60.0 : 1.0;
  const double x_max = std::max(t_end_min / x_unit, 1e-9);
  double c_max = 0.0;
  for (auto v : curve.values) c_max = std::max(c_max, units::ToNgPerMl(v));
  if (options.peak) c_max = std::max(c_max, units::ToNgPerMl(options.peak->concentration));
  if (!std::isfinite(c_max)) c_max = 1.0;
  const double y_step = NiceStep(std::max(c_max * 1.1, 1.0), 6);
  const double y_max = std::ceil(std::max(c_max * 1.1, 1.0) / y_step) * y_step;
  auto X = [&](double t_min) { return kLeft + pw * (t_min / x_unit) / x_max; };
  auto Y = [&](double c) { return kTop + ph * (1.0 - std::clamp(c, 0.0, y_max) / y_max); };

  std::string s;
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(w) + "\" height=\"" +
       std::to_string(h) + "\" viewBox=\"0 0 " + std::to_string(w) + " " + std::to_string(h) +
       "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  if (!options.title.empty()) {
    s += "<text x=\"" + std::to_string(kLeft) + "\" y=\"18\" font-size=\"13\">" + Escape(options.title) + "</text>\n";
  }
  // Bands.
  std::string off_scale;
  for (size_t i = 0; i < bands.size(); ++i) {
    const ConcentrationBand& b = bands[i];
    const double lo = units::ToNgPerMl(b.low), hi = units::ToNgPerMl(b.high);
    if (lo >= y_max) {
      off_scale += (off_scale.empty() ? "" : "; ") + std::string(b.name) + " " + Num(lo, 0) + "-" + Num(hi, 0) + " ng/mL";
      continue;
    }
    const double y_top = Y(hi), y_bot = Y(lo);
    s += "<rect class=\"band\" data-band=\"" + Escape(b.id) + "\" x=\"" + Num(kLeft) + "\" y=\"" + Num(y_top) +
         "\" width=\"" + Num(pw) + "\" height=\"" + Num(y_bot - y_top) + "\" fill=\"" + kBandFill[i % 4] +
         "\" fill-opacity=\"0.45\"/>\n";
    s += "<text x=\"" + Num(kLeft + pw - 4) + "\" y=\"" + Num(y_top + 12) + "\" text-anchor=\"end\" fill=\"#555\">" +
         Escape(b.name) + " " + Num(lo, 0) + "-" + Num(hi, 0) + " ng/mL</text>\n";
  }
  // Axes and ticks.
  s += "<g stroke=\"#333\" fill=\"none\"><line x1=\"" + Num(kLeft) + "\" y1=\"" + Num(kTop + ph) + "\" x2=\"" +
       Num(kLeft + pw) + "\" y2=\"" + Num(kTop + ph) + "\"/><line x1=\"" + Num(kLeft) + "\" y1=\"" + Num(kTop) +
       "\" x2=\"" + Num(kLeft) + "\" y2=\"" + Num(kTop + ph) + "\"/></g>\n";
  for (double yv = 0.0; yv <= y_max * (1 + 1e-9); yv += y_step) {
    s += "<text x=\"" + Num(kLeft - 6) + "\" y=\"" + Num(Y(yv) + 4) + "\" text-anchor=\"end\">" + Num(yv, 0) +
         "</text>\n";
  }
  const double x_step = NiceStep(x_max, 8);
  for (double xv = 0.0; xv <= x_max * (1 + 1e-9); xv += x_step) {
    s += "<text x=\"" + Num(X(xv * x_unit)) + "\" y=\"" + Num(kTop + ph + 16) + "\" text-anchor=\"middle\">" +
         Num(xv, x_step < 1 ? 1 : 0) + "</text>\n";
  }
  s += "<text x=\"" + Num(kLeft + pw / 2) + "\" y=\"" + Num(h - 8.0) + "\" text-anchor=\"middle\">time (" +
       (hours ? "h" : "min") + ")</text>\n";
  s += "<text transform=\"translate(14," + Num(kTop + ph / 2) +
       ") rotate(-90)\" text-anchor=\"middle\">plasma ketamine (ng/mL)</text>\n";
  // Curve, reduced to min and max per pixel column when dense.
  if (n > 0) {
    std::vector<size_t> keep;
    const size_t cols = static_cast<size_t>(pw);
    if (n <= 2 * cols) {
      for (size_t i = 0; i < n; ++i) keep.push_back(i);
    } else {
      for (size_t c = 0; c < cols; ++c) {
        const size_t a = c * n / cols, b = std::max(a + 1, (c + 1) * n / cols);
        size_t lo = a, hi = a;
        for (size_t i = a; i < b; ++i) {
          if (curve.values[i] < curve.values[lo]) lo = i;
          if (curve.values[i] > curve.values[hi]) hi = i;
        }
        keep.push_back(std::min(lo, hi));
        if (lo != hi) keep.push_back(std::max(lo, hi));
      }
      if (keep.back() != n - 1) keep.push_back(n - 1);
    }
    s += "<polyline class=\"curve\" fill=\"none\" stroke=\"#08519c\" stroke-width=\"1.6\" points=\"";
    for (size_t i : keep) {
      s += Num(X(units::ToMinutes(curve.TimeAt(i))), 2) + "," + Num(Y(units::ToNgPerMl(curve.values[i])), 2) + " ";
    }
    s += "\"/>\n";
  }
  if (options.discharge_time) {
    const double x = X(units::ToMinutes(*options.discharge_time));
    s += "<line class=\"discharge\" x1=\"" + Num(x) + "\" y1=\"" + Num(kTop) + "\" x2=\"" + Num(x) + "\" y2=\"" +
         Num(kTop + ph) + "\" stroke=\"#444\" stroke-dasharray=\"4 3\"/>\n";
  }
  if (options.peak) {
    const double x = X(units::ToMinutes(options.peak->time)), y = Y(units::ToNgPerMl(options.peak->concentration));
    s += "<circle class=\"peak\" cx=\"" + Num(x) + "\" cy=\"" + Num(y) + "\" r=\"3.5\" fill=\"#cb181d\"/>\n";
    s += "<text x=\"" + Num(x + 6) + "\" y=\"" + Num(y - 6) + "\" fill=\"#cb181d\">peak " +
         Num(units::ToNgPerMl(options.peak->concentration), 0) + " ng/mL</text>\n";
  }
  if (!off_scale.empty()) {
    s += "<text x=\"" + Num(w - kRight) + "\" y=\"" + Num(kTop - 4) +
         "\" text-anchor=\"end\" fill=\"#777\" font-size=\"10\">above this scale: " +
         Escape(off_scale) + "</text>\n";
  }
  s += "</svg>\n";
  return s;
}

}  // namespace kira::pk
