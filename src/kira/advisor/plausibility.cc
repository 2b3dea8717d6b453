#include "kira/advisor/plausibility.h"

#include <cmath>
#include <string>

#include "kira/advisor/internal/format.h"
#include "kira/advisor/screen.h"

namespace kira::advisor {

using domain::Finding;
using domain::Severity;
using guideline::NumberSetting;
namespace u = units;

namespace {

std::string Num(double v, int decimals = 1) { return internal::Fixed(v, decimals); }

// The clinician's re-entered weight matches the entered one, on a scale.
bool ConfirmedAsMeasured(const domain::BodyWeight& w) {
  return w.method == domain::WeightMethod::kMeasured && w.implausible_confirmed_value &&
         std::fabs(*w.implausible_confirmed_value - w.entered_value) < 1e-9 && !w.implausible_confirmed_by.empty();
}

std::string EnteredWeight(const domain::BodyWeight& w) { return Num(w.entered_value, 1) + " " + w.entered_unit; }

void CheckVital(const char* name, const char* unit, const std::optional<double>& v, const NumberSetting* lo,
                const NumberSetting* hi, std::vector<Finding>* out) {
  if (!v) return;
  const bool low = lo && *v < lo->value;
  const bool high = hi && *v > hi->value;
  if (!low && !high) return;
  const NumberSetting& s = low ? *lo : *hi;
  out->push_back(MakeFinding("vitals.implausible", Severity::kHardStop,
                             std::string("Baseline ") + name + " " + Num(*v, 0) + " " + unit + " is " +
                                 (low ? "below" : "above") + " the physiological range (clinic setting " +
                                 Num(s.value, 0) + " " + unit + "): re-measure before treatment.",
                             s.meta));
}

}  // namespace

bool IsAdult(const guideline::Library& lib, const domain::Patient& p) {
  return p.age_years >= lib.config.adult_from_age_years.value;
}

void CheckPlausibility(const guideline::Library& lib, const domain::Patient& p, const PlausibilityContext& ctx,
                       std::optional<double> bmi, std::vector<Finding>* out) {
  const guideline::EngineSettings& c = lib.config;
  const double kg = u::ToKg(p.weight.value);
  const bool adult = IsAdult(lib, p);

  // Weight: adult bounds first, then BMI when a height is known.
  const NumberSetting* breached = nullptr;
  std::string why;
  if (adult && kg < c.adult_weight_min_kg.value) {
    breached = &c.adult_weight_min_kg;
    why = "below the adult minimum of " + Num(c.adult_weight_min_kg.value, 0) + " kg";
  } else if (adult && kg > c.adult_weight_max_kg.value) {
    breached = &c.adult_weight_max_kg;
    why = "above the adult maximum of " + Num(c.adult_weight_max_kg.value, 0) + " kg";
  } else if (bmi && *bmi > c.bmi_implausible_high.value) {
    breached = &c.bmi_implausible_high;
    why = "with height " + Num(u::ToCm(*p.height), 0) + " cm an implausible BMI of " + Num(*bmi, 1);
  } else if (bmi && *bmi < c.bmi_implausible_low.value) {
    breached = &c.bmi_implausible_low;
    why = "with height " + Num(u::ToCm(*p.height), 0) + " cm an implausible BMI of " + Num(*bmi, 1);
  }
  if (breached) {
    const std::string weight = "Weight " + EnteredWeight(p.weight) +
                               (p.weight.entered_unit == "kg" ? "" : " (" + Num(kg, 1) + " kg)") + " is " + why;
    if (ConfirmedAsMeasured(p.weight)) {
      out->push_back(MakeFinding("weight.implausible_confirmed", Severity::kCaution,
                                 weight + "; confirmed as measured on a scale by " + p.weight.implausible_confirmed_by +
                                     ". Dose limits still apply.",
                                 breached->meta));
    } else {
      std::string msg = weight + ". Stop: re-enter the weight, or re-weigh and confirm the measured value.";
      if (p.weight.implausible_confirmed_value) {
        msg += p.weight.method != domain::WeightMethod::kMeasured
                   ? " A confirmation counts only for a weight measured on a scale."
                   : " The confirmed value " + Num(*p.weight.implausible_confirmed_value, 1) +
                         " does not match the entered weight.";
      }
      out->push_back(MakeFinding("weight.implausible", Severity::kHardStop, std::move(msg), breached->meta));
    }
  }

  // Height (adults).
  if (p.height && adult) {
    const double cm = u::ToCm(*p.height);
    const NumberSetting* h = cm < c.adult_height_min_cm.value   ? &c.adult_height_min_cm
                             : cm > c.adult_height_max_cm.value ? &c.adult_height_max_cm
                                                                : nullptr;
    if (h)
      out->push_back(MakeFinding("height.implausible", Severity::kHardStop,
                                 "Height " + Num(cm, 0) + " cm is outside the adult range " +
                                     Num(c.adult_height_min_cm.value, 0) + "-" + Num(c.adult_height_max_cm.value, 0) +
                                     " cm: re-measure.",
                                 h->meta));
  }
  if (!p.height && ctx.weight_based_dose) {
    guideline::RuleMeta m{"", "", domain::Evidence::kUnverified,
                          "Clinic data-quality policy (U), after the weight errors reviewed by Aurora [R49] and "
                          "McClain [R50]",
                          "A weight can be checked only against a height (BMI); a dose per kilogram of an unchecked "
                          "weight can be many times too high."};
    out->push_back(MakeFinding("weight.height_missing", adult ? Severity::kHardStop : Severity::kCaution,
                               adult ? "No height recorded: the weight cannot be checked (BMI), so a weight-based "
                                       "dose is refused. Measure and record the height."
                                     : "No height recorded: weight plausibility and BMI cannot be checked.",
                               m));
  }

  // Pounds entered as kilograms: a kg value that reads as a normal BMI in pounds.
  if (bmi && p.weight.entered_unit == "kg" && *bmi >= c.pounds_suspect_bmi.value) {
    const double as_lb_bmi = *bmi * u::kKgPerPound;
    if (as_lb_bmi >= c.normal_bmi_low.value && as_lb_bmi < c.normal_bmi_high.value) {
      const bool stop = *bmi >= c.pounds_stop_bmi.value;
      out->push_back(MakeFinding(
          stop ? "weight.unit.pounds_as_kg" : "weight.unit.pounds_as_kg_possible",
          stop ? Severity::kSoftStop : Severity::kCaution,
          "Weight " + Num(kg, 1) + " kg at " + Num(u::ToCm(*p.height), 0) + " cm gives BMI " + Num(*bmi, 1) +
              "; read as " + Num(kg, 1) + " lb it would be " + Num(kg * u::kKgPerPound, 1) + " kg (BMI " +
              Num(as_lb_bmi, 1) + "). " +
              (stop ? "Stop and ask: confirm the unit and re-weigh before dosing."
                    : "Confirm the weight was entered in kilograms."),
          stop ? c.pounds_stop_bmi.meta : c.pounds_suspect_bmi.meta));
    }
  }

  // Change since the previous visit.
  if (p.previous_weight) {
    const double before = u::ToKg(p.previous_weight->value);
    const double pct = before > 0 ? 100.0 * (kg - before) / before : 0.0;
    if (std::fabs(pct) > c.weight_change_pct.value) {
      out->push_back(MakeFinding("weight.change_since_last_visit", Severity::kSoftStop,
                                 "Weight " + Num(kg, 1) + " kg is " + Num(std::fabs(pct), 0) + " % " +
                                     (pct > 0 ? "above" : "below") + " the previous visit's " + Num(before, 1) +
                                     " kg" +
                                     (p.previous_weight->measured_at.empty()
                                          ? ""
                                          : " (" + p.previous_weight->measured_at + ")") +
                                     "; more than the clinic's " + Num(c.weight_change_pct.value, 0) +
                                     " %: re-weigh and give the reason.",
                                 c.weight_change_pct.meta));
    }
  }

  // Birth before the session (ISO dates compare as strings).
  if (!p.birth_date.empty() && ctx.session_date.size() >= 10 && p.birth_date > ctx.session_date.substr(0, 10)) {
    guideline::RuleMeta m{"", "", domain::Evidence::kDerived, "Calendar check",
                          "A patient cannot be treated before birth: the birth date or session date is wrong."};
    out->push_back(MakeFinding("patient.birth_after_session", Severity::kHardStop,
                               "Birth date " + p.birth_date + " is after the session date " +
                                   std::string(ctx.session_date.substr(0, 10)) + ": correct the dates.",
                               m));
  }

  // Baseline vitals in physiological ranges.
  if (p.baseline_vitals) {
    const domain::BaselineVitals& v = *p.baseline_vitals;
    CheckVital("systolic BP", "mmHg", v.sbp_mmhg, &c.sbp_min_mmhg, &c.sbp_max_mmhg, out);
    CheckVital("diastolic BP", "mmHg", v.dbp_mmhg, &c.dbp_min_mmhg, &c.dbp_max_mmhg, out);
    CheckVital("heart rate", "beats/min", v.hr_bpm, &c.hr_min_bpm, &c.hr_max_bpm, out);
    CheckVital("SpO2", "%", v.spo2_pct, &c.spo2_min_pct, nullptr, out);
    CheckVital("respiratory rate", "breaths/min", v.rr_per_min, &c.rr_min_per_min, &c.rr_max_per_min, out);
  }
}

}  // namespace kira::advisor
