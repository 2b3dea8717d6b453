// Network plot of a network meta-analysis as an SVG string (no I/O):
// treatments on a circle, one line per directly compared pair with its width
// growing with the number of studies, labelled with that number.
#ifndef KIRA_PLOT_NETWORK_PLOT_H_
#define KIRA_PLOT_NETWORK_PLOT_H_

#include <string>
#include <vector>

#include "kira/base/statusor.h"

namespace kira::plot {

struct NetworkEdge {
  std::size_t a = 0;  // indexes into NetworkPlotSpec::treatments
  std::size_t b = 0;
  int studies = 0;    // REQUIRES > 0
};

struct NetworkPlotSpec {
  std::string title;
  std::vector<std::string> treatments;
  std::vector<NetworkEdge> edges;
};

// Errors: kInvalidArgument (fewer than 2 treatments, an edge index out of
// range or a self-loop, studies <= 0).
StatusOr<std::string> NetworkPlotSvg(const NetworkPlotSpec& spec);

}  // namespace kira::plot

#endif  // KIRA_PLOT_NETWORK_PLOT_H_
