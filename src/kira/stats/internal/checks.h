// Named argument checks for kira::stats (after stan/math/prim/err/): each
// returns OK or kInvalidArgument with a message naming the argument, and the
// index when the argument is a vector ("vi[3]: must be > 0, got 0").
#ifndef KIRA_STATS_INTERNAL_CHECKS_H_
#define KIRA_STATS_INTERNAL_CHECKS_H_

#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "kira/base/status.h"

namespace kira::stats::internal {

std::string ArgName(std::string_view function, std::string_view name);
std::string ArgName(std::string_view function, std::string_view name, std::size_t index);

Status CheckFinite(std::string_view function, std::string_view name, double value);
Status CheckFinite(std::string_view function, std::string_view name, std::span<const double> v);
Status CheckPositive(std::string_view function, std::string_view name, std::span<const double> v);
Status CheckFiniteAt(std::string_view function, std::string_view name, double value,
                     std::size_t index);
Status CheckNonNegative(std::string_view function, std::string_view name, double value,
                        std::size_t index);
Status CheckSameSize(std::string_view function, std::string_view name_a, std::size_t a,
                     std::string_view name_b, std::size_t b);
Status CheckMinSize(std::string_view function, std::string_view name, std::size_t size,
                    std::size_t minimum);
// `level` is a confidence level in (0, 1), e.g. 0.95.
Status CheckLevel(std::string_view function, double level);

}  // namespace kira::stats::internal

#endif  // KIRA_STATS_INTERNAL_CHECKS_H_
