#include "kira/plot/network_plot.h"

#include <cmath>
#include <numbers>
#include <sstream>

#include "kira/plot/svg_plots.h"

namespace kira::plot {

StatusOr<std::string> NetworkPlotSvg(const NetworkPlotSpec& spec) {
  const std::size_t n = spec.treatments.size();
  if (n < 2) return InvalidArgumentError("treatments: a network needs at least 2");
  for (std::size_t e = 0; e < spec.edges.size(); ++e) {
    const NetworkEdge& edge = spec.edges[e];
    if (edge.a >= n || edge.b >= n || edge.a == edge.b) {
      return InvalidArgumentError("edges[" + std::to_string(e) + "]: treatment index out of range or a self-loop");
    }
    if (edge.studies <= 0) return InvalidArgumentError("edges[" + std::to_string(e) + "].studies: must be > 0");
  }
  const double w = 560, h = 520, cx = w / 2, cy = h / 2 + 10, r = 180;
  auto x = [&](std::size_t i) {
    return cx + r * std::cos(2 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(n) - std::numbers::pi / 2);
  };
  auto y = [&](std::size_t i) {
    return cy + r * std::sin(2 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(n) - std::numbers::pi / 2);
  };
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(1);
  os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w
     << "\" height=\"" << h << "\" viewBox=\"0 0 " << w << " " << h
     << "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n<title>" << XmlEscape(spec.title)
     << "</title>\n<rect x=\"0\" y=\"0\" width=\"" << w << "\" height=\"" << h << "\" fill=\"white\"/>\n"
     << "<text x=\"10\" y=\"24\" font-size=\"15\" font-weight=\"bold\">" << XmlEscape(spec.title) << "</text>\n";
  for (const NetworkEdge& e : spec.edges) {
    const double width = 1.5 + 1.5 * std::sqrt(static_cast<double>(e.studies));
    os << "<line class=\"comparison\" x1=\"" << x(e.a) << "\" y1=\"" << y(e.a) << "\" x2=\"" << x(e.b) << "\" y2=\""
       << y(e.b) << "\" stroke=\"#4a6fa5\" stroke-width=\"" << width << "\" stroke-opacity=\"0.7\"/>\n";
    os << "<text class=\"studies\" x=\"" << (x(e.a) + x(e.b)) / 2 << "\" y=\"" << (y(e.a) + y(e.b)) / 2 - 4
       << "\" text-anchor=\"middle\" fill=\"#333\">" << e.studies << "</text>\n";
  }
  for (std::size_t i = 0; i < n; ++i) {
    os << "<circle class=\"treatment\" cx=\"" << x(i) << "\" cy=\"" << y(i)
       << "\" r=\"9\" fill=\"#1f3b63\"/>\n<text x=\"" << x(i) << "\" y=\"" << (y(i) < cy ? y(i) - 14 : y(i) + 24)
       << "\" text-anchor=\"middle\" font-weight=\"bold\">" << XmlEscape(spec.treatments[i]) << "</text>\n";
  }
  os << "</svg>\n";
  return os.str();
}

}  // namespace kira::plot
