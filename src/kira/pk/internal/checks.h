// Argument checks that name the field they reject (after Stan's prim/err:
// check_positive_finite etc.). Internal to kira_pk.
#ifndef KIRA_PK_INTERNAL_CHECKS_H_
#define KIRA_PK_INTERNAL_CHECKS_H_

#include <string>
#include <string_view>

#include "kira/base/status.h"

namespace kira::pk::internal {

// "%.10g" of v; "nan" / "inf" for non-finite values.
std::string FormatNumber(double v);

// v with exactly `decimals` digits after the point ("%.*f"), via
// std::to_chars: no locale, no printf machinery (this runs in every dose check).
std::string FormatFixed(double v, int decimals);

// "<field>: must be a finite number > 0 (got <v> <unit>)" unless v is finite and > 0.
Status CheckPositiveFinite(std::string_view field, double v, std::string_view unit);
// As above with >= 0.
Status CheckNonNegativeFinite(std::string_view field, double v, std::string_view unit);

}  // namespace kira::pk::internal

#endif  // KIRA_PK_INTERNAL_CHECKS_H_
