#include "kira/pk/tci.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "kira/pk/internal/checks.h"
#include "kira/pk/internal/kernel.h"

namespace kira::pk {

namespace {

using internal::FormatNumber;

// Concentrations within this relative distance of the target count as on it.
constexpr double kOnTarget = 1e-6;
// More pump intervals than this is a caller error (e.g. a 10 s cycle for a year).
constexpr double kMaxIntervals = 10'000'000.0;

std::string Round(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

Regimen TargetControlPlan::AsRegimen() const {
  Regimen r;
  r.infusions = schedule;
  return r;
}

StatusOr<TargetControlPlan> PlanTargetConcentration(const Model& model, const TargetControlOptions& options) {
  const double target = units::ToNgPerMl(options.target);
  const double duration = units::ToMinutes(options.duration);
  const double h = units::ToMinutes(options.update_interval);
  const double weight = units::ToKg(model.weight());
  const double max_rate_per_kg_h = units::ToMgPerKgPerH(options.max_rate);
  KIRA_RETURN_IF_ERROR(internal::CheckPositiveFinite("target_ng_per_ml", target, "ng/mL"));
  KIRA_RETURN_IF_ERROR(internal::CheckPositiveFinite("duration_min", duration, "min"));
  KIRA_RETURN_IF_ERROR(internal::CheckPositiveFinite("update_interval_min", h, "min"));
  KIRA_RETURN_IF_ERROR(internal::CheckPositiveFinite("max_rate_mg_per_kg_per_h", max_rate_per_kg_h, "mg/kg/h"));
  double max_total = std::numeric_limits<double>::infinity();
  if (options.max_total) {
    max_total = units::ToMg(*options.max_total);
    KIRA_RETURN_IF_ERROR(internal::CheckPositiveFinite("max_total_mg", max_total, "mg"));
  }
  if (!(duration / h <= kMaxIntervals)) {
    return OutOfRangeError("duration_min / update_interval_min gives more than " + FormatNumber(kMaxIntervals) +
                           " pump intervals");
  }

  const Regimen none;
  const internal::Kernel k(model, none);
  const double max_rate = max_rate_per_kg_h * weight / 60.0;  // mg/min
  const double cl_ml_per_min = units::ToMlPerH(model.clearance()) / 60.0;
  // ng/mL * mL/min = ng/min; 1e-6 mg/ng.
  const double ss_rate = target * cl_ml_per_min * 1e-6;  // mg/min

  TargetControlPlan plan;
  plan.maintenance_rate_steady_state = units::MgPerKgPerH(ss_rate * 60.0 / weight);
  plan.central_volume_bolus = units::Mg(target * units::ToMl(model.central_volume()) * 1e-6);
  plan.rate_cap_prevents_holding = ss_rate > max_rate;

  const double u_full = k.UnitRateResponse(h);
  internal::State s;
  double t = 0.0, total = 0.0, last_rate = 0.0;
  double lowest_after_reach = target;
  while (t < duration) {
    const double len = std::min(h, duration - t);
    const double u = len == h ? u_full : k.UnitRateResponse(len);
    internal::State free = s;
    free.rate_mg_per_min = 0.0;
    k.Advance(free, len);
    const double wanted = std::max(0.0, (target - k.Concentration(free)) / u);
    double rate = wanted;
    if (rate > max_rate) {
      rate = max_rate;
      plan.rate_cap_binding = true;
    }
    if (total + rate * len > max_total) {
      rate = std::max(0.0, (max_total - total) / len);
      if (!plan.total_cap_reached_at) plan.total_cap_reached_at = units::Minutes(t + len);
    }
    s.rate_mg_per_min = rate;
    k.Advance(s, len);
    total += rate * len;
    if (rate > 0.0) {
      Infusion* last = plan.schedule.empty() ? nullptr : &plan.schedule.back();
      const bool contiguous =
          last != nullptr && std::abs(units::ToMinutes(last->start + last->duration) - t) <= 1e-9 * std::max(1.0, t);
      if (contiguous && units::ToMgPerH(last->rate) == rate * 60.0) {
        last->duration = units::Minutes(t + len) - last->start;
      } else {
        plan.schedule.push_back({units::Minutes(t), units::Minutes(len), units::MgPerH(rate * 60.0)});
      }
    }
    last_rate = rate;
    t += len;
    const double c = k.Concentration(s);
    if (!plan.time_to_target && c >= target * (1.0 - kOnTarget)) {
      plan.time_to_target = units::Minutes(t);
      plan.loading_dose = units::Mg(total);
    } else if (plan.time_to_target) {
      lowest_after_reach = std::min(lowest_after_reach, c);
    }
  }
  if (!plan.time_to_target) plan.loading_dose = units::Mg(total);
  plan.target_lost = lowest_after_reach < target * (1.0 - kOnTarget);
  plan.final_rate = units::MgPerKgPerH(last_rate * 60.0 / weight);
  plan.total_dose = units::Mg(total);
  plan.concentration_at_end = units::NgPerMl(k.Concentration(s));

  const std::string cap = Round(max_rate_per_kg_h, 3) + " mg/kg/h";
  if (!plan.time_to_target) {
    plan.notes.push_back("target " + Round(target, 0) + " ng/mL not reached within " + Round(duration, 1) +
                         " min; the limits allow " + Round(units::ToNgPerMl(plan.concentration_at_end), 0) +
                         " ng/mL at the end (max rate " + cap + ")");
  }
  if (plan.rate_cap_prevents_holding) {
    plan.notes.push_back("holding " + Round(target, 0) + " ng/mL needs " +
                         Round(units::ToMgPerKgPerH(plan.maintenance_rate_steady_state), 3) +
                         " mg/kg/h at steady state (target x clearance), above the max rate " + cap);
  }
  if (plan.target_lost) {
    plan.notes.push_back("the concentration fell to " + Round(lowest_after_reach, 0) +
                         " ng/mL after reaching the target because a limit stopped the pump from holding it");
  }
  if (plan.total_cap_reached_at) {
    plan.notes.push_back("cumulative cap " + Round(max_total, 1) + " mg reached at " +
                         Round(units::ToMinutes(*plan.total_cap_reached_at), 1) + " min; infusion stops there");
  }
  return plan;
}

}  // namespace kira::pk
