// Target-concentration mode: the infusion schedule that brings the predicted
// plasma concentration to a target and holds it there, as a target-controlled
// infusion (TCI) pump computes it, within the caller's dosing limits.
//
// Algorithm (plasma targeting, after Shafer & Gregg, J Pharmacokinet Biopharm
// 1992;20:147-169, the STANPUMP method): time is cut into update intervals of
// length h. At the start of each interval the pump predicts where the
// concentration would be at the end of the interval with no drug,
// C_free(h), and sets the constant rate that lands exactly on the target:
//   rate = (target - C_free(h)) / U(h),  U(h) = C(h) per unit rate from zero,
// clipped to [0, max_rate] and to what remains of an optional cumulative cap.
// Early intervals run at the cap (the loading phase); later rates fall towards
// the maintenance rate target * CL as the peripheral compartments fill.
//
// Everything is computed with the same closed form as simulate.h; the result is
// an ordinary Regimen that can be fed back to Analyse or SimulateCurve.
// Thread safety: pure function.
#ifndef KIRA_PK_TCI_H_
#define KIRA_PK_TCI_H_

#include <optional>
#include <string>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/pk/model.h"
#include "kira/pk/regimen.h"
#include "kira/units/units.h"

namespace kira::pk {

struct TargetControlOptions {
  // Target plasma concentration. REQUIRES: finite, > 0.
  units::NanogramsPerMillilitre target;
  // How long to run the pump from t = 0 (no drug on board). REQUIRES: finite, > 0.
  units::Duration duration;
  // The highest rate the protocol or pump library allows. No default: the
  // caller must pass its dosing limit. REQUIRES: finite, > 0.
  units::MilligramsPerKilogramPerHour max_rate;
  // Optional cap on the cumulative dose. REQUIRES: finite, > 0 if set.
  std::optional<units::Milligrams> max_total;
  // Pump update interval. Default 10 s, a common TCI pump cycle (an
  // engineering choice, not a clinical figure). REQUIRES: finite, > 0.
  units::Duration update_interval = units::Minutes(10.0 / 60.0);
};

struct TargetControlPlan {
  // Back-to-back constant-rate steps from t = 0 (steps of equal rate merged;
  // zero-rate stretches omitted).
  std::vector<Infusion> schedule;
  Regimen AsRegimen() const;

  // When the concentration at an interval end first reaches the target
  // (within 1e-6 relative); absent if it never does within `duration`.
  std::optional<units::Duration> time_to_target;
  // What was given up to time_to_target (or over the whole plan if never reached).
  units::Milligrams loading_dose;
  // The rate that holds the target at true steady state: target * CL.
  units::MilligramsPerKilogramPerHour maintenance_rate_steady_state;
  // The rate in the last interval.
  units::MilligramsPerKilogramPerHour final_rate;
  // For comparison only: the IV bolus that would fill V1 at once, target * V1.
  units::Milligrams central_volume_bolus;
  units::Milligrams total_dose;
  units::NanogramsPerMillilitre concentration_at_end;

  // The rate cap was binding in at least one interval (the pump wanted more).
  bool rate_cap_binding = false;
  // target * CL exceeds max_rate: the target cannot be held indefinitely.
  bool rate_cap_prevents_holding = false;
  // After first reaching the target, an interval ended below it because of a cap.
  bool target_lost = false;
  std::optional<units::Duration> total_cap_reached_at;

  // One sentence per limitation, naming the limit and the numbers.
  std::vector<std::string> notes;
};

// Errors: kInvalidArgument naming the field ("target_ng_per_ml", "duration_min",
// "max_rate_mg_per_kg_per_h", "max_total_mg", "update_interval_min").
// A cap that prevents reaching or holding the target is not an error: it is
// reported in the plan's flags and notes.
StatusOr<TargetControlPlan> PlanTargetConcentration(const Model& model, const TargetControlOptions& options);

}  // namespace kira::pk

#endif  // KIRA_PK_TCI_H_
