// A dosing regimen: what goes into the patient, and when.
//
// Time is measured from the regimen's origin (t = 0, e.g. the start of the
// first session), as a units::Duration. Intravenous infusions are
// piecewise-constant inputs into the central compartment. Doses are
// instantaneous: intravenous doses enter the central compartment at once;
// intramuscular and intranasal doses enter a depot and are absorbed by
// first-order kinetics (rate constant ka) with bioavailability F.
//
// Convention at a breakpoint: a dose given at time t is included in C(t); an
// infusion starting at t has delivered nothing yet at t.
#ifndef KIRA_PK_REGIMEN_H_
#define KIRA_PK_REGIMEN_H_

#include <string_view>
#include <vector>

#include "kira/base/status.h"
#include "kira/pk/model.h"
#include "kira/units/units.h"

namespace kira::pk {

// Frozen: rendered as "iv", "im", "in" in output.
enum class Route { kIntravenous = 0, kIntramuscular = 1, kIntranasal = 2 };
std::string_view RouteName(Route r);

// First-order absorption from an extravascular depot.
struct AbsorptionParameters {
  // Fraction of the dose that reaches the circulation. REQUIRES: 0 < F <= 1.
  double bioavailability = 1.0;
  Evidence bioavailability_evidence = Evidence::kUnverified;
  std::string_view bioavailability_source;
  // Absorption rate constant ka [min^-1]. REQUIRES: finite, > 0, and not within
  // 1e-6 (relative) of an eigenvalue of the model it is used with.
  double ka_per_min = 0.0;
  Evidence ka_evidence = Evidence::kUnverified;
  std::string_view ka_source;
};

// The documented defaults. Bioavailability is from the reference:
//   IM: "IM bioavailability >90 %" [R51] (V). kira uses F = 0.90, the stated
//       lower bound, so the default never overstates the dose reaching plasma.
//   IN: "nasal approx. 45 %" [R39] (V). F = 0.45.
// The absorption rate constant is NOT given by the reference. The defaults
// (IM 0.1 /min, absorption half-time 6.9 min; IN 0.05 /min, 13.9 min) are
// kira placeholders tagged U; every result that uses them lists them as
// unverified assumptions. Callers with a sourced value should set ka_per_min
// and ka_evidence. Route::kIntravenous returns F = 1 (by definition) and ka = 0
// (unused).
AbsorptionParameters DefaultAbsorption(Route route);

struct Infusion {
  units::Duration start;            // REQUIRES: finite, >= 0
  units::Duration duration;         // REQUIRES: finite, > 0
  units::MilligramsPerHour rate;    // REQUIRES: finite, >= 0
};

struct Dose {
  units::Duration time;      // REQUIRES: finite, >= 0
  units::Milligrams amount;  // REQUIRES: finite, > 0 (before bioavailability)
  Route route = Route::kIntravenous;
};

struct Regimen {
  // REQUIRES: sorted by start; an infusion starts no earlier than the previous
  // one ends (a pump runs one rate at a time).
  std::vector<Infusion> infusions;
  // REQUIRES: sorted by time (equal times allowed).
  std::vector<Dose> doses;
  AbsorptionParameters intramuscular = DefaultAbsorption(Route::kIntramuscular);
  AbsorptionParameters intranasal = DefaultAbsorption(Route::kIntranasal);
};

// Returns OK if `regimen` meets every REQUIRES above, else kInvalidArgument
// whose message names the offending field, e.g.
//   "infusions[2].start_min: overlaps infusions[1], which ends at 40 min".
// Absorption parameters are checked only for routes the regimen uses.
Status ValidateRegimen(const Regimen& regimen);

// As ValidateRegimen, plus the model-dependent checks (ka not coinciding with
// an eigenvalue of `model`).
Status ValidateRegimenForModel(const Model& model, const Regimen& regimen);

// Total mg given (before bioavailability) by time `until` (infusions pro rata).
units::Milligrams TotalDose(const Regimen& regimen, units::Duration until);

}  // namespace kira::pk

#endif  // KIRA_PK_REGIMEN_H_
