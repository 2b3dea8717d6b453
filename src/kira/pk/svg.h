// A concentration-time curve as a standalone SVG document, with the
// concentration bands shaded. Pure: returns a string; writing it is the
// caller's business. No dependency on any plotting library.
#ifndef KIRA_PK_SVG_H_
#define KIRA_PK_SVG_H_

#include <optional>
#include <span>
#include <string>

#include "kira/pk/bands.h"
#include "kira/pk/simulate.h"

namespace kira::pk {

struct SvgOptions {
  int width_px = 760;   // REQUIRES: >= 200
  int height_px = 380;  // REQUIRES: >= 150
  std::string title;    // escaped on output
  std::optional<Peak> peak;                        // marked with a dot and its value
  std::optional<units::Duration> discharge_time;   // vertical dashed line
};

// Bands that lie wholly above the plotted range are listed in a footnote
// instead of being drawn. Curves with more points than the plot has pixel
// columns are reduced to the minimum and maximum of each column, so peaks are
// never lost. An empty curve gives an empty plot with axes.
std::string RenderCurveSvg(const Curve& curve, std::span<const ConcentrationBand> bands, const SvgOptions& options);

}  // namespace kira::pk

#endif  // KIRA_PK_SVG_H_
