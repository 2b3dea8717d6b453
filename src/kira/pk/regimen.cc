#include "kira/pk/regimen.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "kira/pk/internal/checks.h"

namespace kira::pk {

namespace {

using internal::CheckNonNegativeFinite;
using internal::CheckPositiveFinite;
using internal::FormatNumber;

// ka may not sit this close (relative) to a disposition eigenvalue: the
// exponential-sum coefficients ka/(ka - lambda) used by the peak and threshold
// solvers would lose more than 6 digits.
constexpr double kMinKaSeparation = 1e-6;

std::string Indexed(std::string_view list, size_t i, std::string_view field) {
  return std::string(list) + "[" + std::to_string(i) + "]." + std::string(field);
}

Status CheckAbsorption(std::string_view field, const AbsorptionParameters& a) {
  const std::string f(field);
  const double bio = a.bioavailability;
  if (!(std::isfinite(bio) && bio > 0.0 && bio <= 1.0)) {
    return InvalidArgumentError(f + ".bioavailability: must be a finite number in (0, 1] (got " +
                                FormatNumber(bio) + ")");
  }
  return CheckPositiveFinite(f + ".ka_per_min", a.ka_per_min, "/min");
}

}  // namespace

std::string_view RouteName(Route r) {
  switch (r) {
    case Route::kIntravenous: return "iv";
    case Route::kIntramuscular: return "im";
    case Route::kIntranasal: return "in";
  }
  return "?";
}

AbsorptionParameters DefaultAbsorption(Route route) {
  static constexpr std::string_view kKaSource =
      "kira default; clinical-reference.md gives no absorption rate constant (not a published value)";
  switch (route) {
    case Route::kIntramuscular:
      return {0.90, Evidence::kVerified,
              "IM bioavailability >90 % [R51]; 0.90 is the stated lower bound", 0.1,
              Evidence::kUnverified, kKaSource};
    case Route::kIntranasal:
      return {0.45, Evidence::kVerified, "nasal bioavailability approx. 45 % [R39]", 0.05,
              Evidence::kUnverified, kKaSource};
    case Route::kIntravenous:
      break;
  }
  return {1.0, Evidence::kVerified, "intravenous: complete by definition", 0.0, Evidence::kVerified, ""};
}

Status ValidateRegimen(const Regimen& regimen) {
  // Field names are built only on failure: this runs on every prediction.
  auto positive = [](double v) { return std::isfinite(v) && v > 0.0; };
  auto non_negative = [](double v) { return std::isfinite(v) && v >= 0.0; };
  double prev_end = 0.0;
  for (size_t i = 0; i < regimen.infusions.size(); ++i) {
    const Infusion& inf = regimen.infusions[i];
    const double start = units::ToMinutes(inf.start);
    const double dur = units::ToMinutes(inf.duration);
    const double rate = units::ToMgPerH(inf.rate);
    if (!non_negative(start)) return CheckNonNegativeFinite(Indexed("infusions", i, "start_min"), start, "min");
    if (!positive(dur)) return CheckPositiveFinite(Indexed("infusions", i, "duration_min"), dur, "min");
    if (!non_negative(rate)) return CheckNonNegativeFinite(Indexed("infusions", i, "rate_mg_per_h"), rate, "mg/h");
    if (i > 0) {
      const double prev_start = units::ToMinutes(regimen.infusions[i - 1].start);
      if (start < prev_start) {
        return InvalidArgumentError(Indexed("infusions", i, "start_min") +
                                    ": infusions must be sorted by start (" + FormatNumber(start) +
                                    " min is before infusions[" + std::to_string(i - 1) + "] at " +
                                    FormatNumber(prev_start) + " min)");
      }
      if (start < prev_end) {
        return InvalidArgumentError(Indexed("infusions", i, "start_min") + ": overlaps infusions[" +
                                    std::to_string(i - 1) + "], which ends at " +
                                    FormatNumber(prev_end) + " min");
      }
    }
    prev_end = start + dur;
    if (!std::isfinite(prev_end)) {
      return InvalidArgumentError(Indexed("infusions", i, "duration_min") + ": end time overflows");
    }
  }
  bool uses_im = false, uses_in = false;
  for (size_t i = 0; i < regimen.doses.size(); ++i) {
    const Dose& d = regimen.doses[i];
    const double t = units::ToMinutes(d.time);
    const double mg = units::ToMg(d.amount);
    if (!non_negative(t)) return CheckNonNegativeFinite(Indexed("doses", i, "time_min"), t, "min");
    if (!positive(mg)) return CheckPositiveFinite(Indexed("doses", i, "amount_mg"), mg, "mg");
    if (i > 0 && t < units::ToMinutes(regimen.doses[i - 1].time)) {
      return InvalidArgumentError(Indexed("doses", i, "time_min") + ": doses must be sorted by time (" +
                                  FormatNumber(t) + " min is before doses[" + std::to_string(i - 1) +
                                  "])");
    }
    switch (d.route) {
      case Route::kIntravenous: break;
      case Route::kIntramuscular: uses_im = true; break;
      case Route::kIntranasal: uses_in = true; break;
      default:
        return InvalidArgumentError(Indexed("doses", i, "route") + ": unknown route");
    }
  }
  if (uses_im) KIRA_RETURN_IF_ERROR(CheckAbsorption("intramuscular", regimen.intramuscular));
  if (uses_in) KIRA_RETURN_IF_ERROR(CheckAbsorption("intranasal", regimen.intranasal));
  return Status::Ok();
}

Status ValidateRegimenForModel(const Model& model, const Regimen& regimen) {
  KIRA_RETURN_IF_ERROR(ValidateRegimen(regimen));
  bool uses_im = false, uses_in = false;
  for (const Dose& d : regimen.doses) {
    uses_im |= d.route == Route::kIntramuscular;
    uses_in |= d.route == Route::kIntranasal;
  }
  auto check = [&](std::string_view field, const AbsorptionParameters& a) -> Status {
    for (int i = 0; i < model.modes(); ++i) {
      const double l = model.lambda_per_min(i);
      if (std::abs(a.ka_per_min - l) <= kMinKaSeparation * l) {
        return InvalidArgumentError(std::string(field) + ".ka_per_min: " + FormatNumber(a.ka_per_min) +
                                    " /min coincides with disposition rate " + FormatNumber(l) +
                                    " /min of model '" + std::string(model.parameters().name) +
                                    "'; use a value differing by more than 1e-6 relative");
      }
    }
    return Status::Ok();
  };
  if (uses_im) KIRA_RETURN_IF_ERROR(check("intramuscular", regimen.intramuscular));
  if (uses_in) KIRA_RETURN_IF_ERROR(check("intranasal", regimen.intranasal));
  return Status::Ok();
}

units::Milligrams TotalDose(const Regimen& regimen, units::Duration until) {
  const double t = units::ToMinutes(until);
  double mg = 0.0;
  for (const Infusion& inf : regimen.infusions) {
    const double s = units::ToMinutes(inf.start);
    const double e = s + units::ToMinutes(inf.duration);
    if (t > s) mg += units::ToMgPerH(inf.rate) / 60.0 * (std::min(t, e) - s);
  }
  for (const Dose& d : regimen.doses) {
    if (units::ToMinutes(d.time) <= t) mg += units::ToMg(d.amount);
  }
  return units::Mg(mg);
}

}  // namespace kira::pk
