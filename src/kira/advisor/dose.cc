#include "kira/advisor/dose.h"

#include <algorithm>
#include <cmath>
#include <charconv>
#include <cstdio>

#include "kira/advisor/facts.h"
#include "kira/advisor/internal/format.h"
#include "kira/advisor/pk_check.h"

namespace kira::advisor {

using domain::Finding;
using domain::Severity;
using guideline::Library;
using guideline::Protocol;
using guideline::Range;
using guideline::RuleMeta;
namespace u = units;

namespace {

std::string Num(double v, int decimals = 2) { return internal::Fixed(v, decimals); }

RuleMeta SettingMeta(const Library& lib, const std::string& id) {
  const guideline::Setting* s = lib.FindSetting(id);
  RuleMeta m = s ? s->meta : RuleMeta{};
  if (s && m.rationale.empty()) m.rationale = s->description;
  return m;
}

// Checks one value against one range; appends findings for each breach.
// `scope` is "session" or "day"; `field` the limit's name; `show` renders a value.
template <class Q, class Show>
void CheckRange(const Range<Q>& range, Q value, const std::string& protocol_id, const char* scope, const char* field,
                const char* unit, Show show, std::vector<Finding>* out) {
  auto add = [&](const char* bound, Severity sev, Q limit, const char* word) {
    std::string id = "dose." + protocol_id + "." + scope + "." + field + "." + bound;
    std::string msg = std::string(scope) + " " + field + " " + show(value) + " " + unit + " " + word + " the " +
                      (sev == Severity::kHardStop ? "hard" : "soft") + " limit " + show(limit) + " " + unit;
    msg += sev == Severity::kHardStop ? "; cannot be overridden." : "; needs a documented override reason.";
    out->push_back(MakeFinding(std::move(id), sev, std::move(msg), range.meta));
  };
  // A value equal to a limit is inside it. The relative tolerance keeps
  // floating-point noise (0.5 mg/kg x w / w) from reading as a breach.
  constexpr double kRel = 1e-9;
  auto above = [&](Q limit) { return value.canonical() > limit.canonical() * (1 + kRel) + 1e-12; };
  auto below = [&](Q limit) { return value.canonical() < limit.canonical() * (1 - kRel) - 1e-12; };
  // A hard breach makes the soft breach on the same side redundant.
  if (range.hard_max && above(*range.hard_max)) add("hard_max", Severity::kHardStop, *range.hard_max, "exceeds");
  else if (range.soft_max && above(*range.soft_max)) add("soft_max", Severity::kSoftStop, *range.soft_max, "exceeds");
  if (range.hard_min && below(*range.hard_min)) add("hard_min", Severity::kHardStop, *range.hard_min, "is below");
  else if (range.soft_min && below(*range.soft_min)) add("soft_min", Severity::kSoftStop, *range.soft_min, "is below");
}

}  // namespace

u::Kilograms IdealBodyWeight(const Library& lib, const domain::Patient& p) {
  // Devine-style: base at 60 in plus a per-inch increment (all settings, U).
  double base = p.sex == domain::Sex::kMale ? lib.Number("dosing.ibw_male_base_kg")
                                            : lib.Number("dosing.ibw_female_base_kg");
  double inches = p.height ? u::ToCm(*p.height) / 2.54 : 60.0;
  return u::Kg(base + lib.Number("dosing.ibw_kg_per_inch") * (inches - 60.0));
}

StatusOr<DoseResult> CheckDose(const Library& lib, const domain::Patient& patient, const DoseRequest& req) {
  const Protocol* proto = lib.FindProtocol(req.protocol_id);
  if (!proto) return NotFoundError("protocol: unknown protocol '" + req.protocol_id + "' (see `kira guideline list`)");
  if (req.concentration && !(u::ToMgPerMl(*req.concentration) > 0 && std::isfinite(u::ToMgPerMl(*req.concentration))))
    return InvalidArgumentError("concentration: must be a finite number > 0 mg/mL");
  if (req.ordered_dose && !(u::ToMg(*req.ordered_dose) > 0 && std::isfinite(u::ToMg(*req.ordered_dose))))
    return InvalidArgumentError("dose_mg: must be a finite number > 0");
  if (req.ordered_duration && !(u::ToMinutes(*req.ordered_duration) > 0 && std::isfinite(u::ToMinutes(*req.ordered_duration))))
    return InvalidArgumentError("duration_min: must be a finite number > 0");
  if (!(u::ToMg(req.given_today) >= 0 && std::isfinite(u::ToMg(req.given_today))))
    return InvalidArgumentError("given_today_mg: must be a finite number >= 0");
  const u::Kilograms actual = patient.weight.value;
  if (!(u::ToKg(actual) > 0 && std::isfinite(u::ToKg(actual))))
    return InvalidArgumentError("weight.value: must be a finite number > 0");

  DoseResult r;
  domain::Decision& d = r.decision;
  d.guideline = lib.Ref();
  r.protocol_id = proto->id;
  r.actual_weight = actual;
  r.bmi = BodyMassIndex(patient);
  std::vector<Finding>& fs = d.findings;

  // 0. Screening hard stops carry over; the rest stay in `kira screen`.
  std::string_view screening = ScreenOutcome(lib, patient, proto->route, Severity::kHardStop, &fs);
  d.inputs_used.push_back({"screening_outcome", std::string(screening)});

  // Route: never self-administered at home.
  const guideline::Route* route = lib.FindRoute(proto->route);
  if (req.self_administered_at_home && route && route->supervised_only)
    fs.push_back(MakeFinding("route." + route->id + ".supervised_only", Severity::kHardStop,
                             route->name + " is given under medical supervision only, never self-administered at home.",
                             route->meta));
  // Protocol for another indication: extrapolation is possible but deliberate.
  bool indicated = std::any_of(patient.diagnoses.begin(), patient.diagnoses.end(), [&](const std::string& dx) {
    return std::find(proto->indications.begin(), proto->indications.end(), dx) != proto->indications.end();
  });
  if (!indicated) {
    RuleMeta m{"", "", domain::Evidence::kVerified, "Cohen 2018 [R1-seed]",
               "Dosing for an under-studied condition may reasonably be extrapolated from a well-studied one."};
    fs.push_back(MakeFinding("dose.protocol.indication_mismatch", Severity::kSoftStop,
                             "Protocol '" + proto->id + "' is not listed for the patient's diagnoses; using it is an "
                             "extrapolation that needs a documented reason.", m));
  }

  // 1. Weight plausibility and provenance.
  if (r.bmi) {
    double bmi = *r.bmi;
    double as_lb_bmi = bmi * u::kKgPerPound;  // the same number read as pounds
    if (patient.weight.entered_unit == "kg" && bmi >= lib.Number("weight.pounds_suspect_bmi") &&
        as_lb_bmi >= lib.Number("weight.normal_bmi_low") && as_lb_bmi < lib.Number("weight.normal_bmi_high")) {
      bool stop = bmi >= lib.Number("weight.pounds_stop_bmi");
      fs.push_back(MakeFinding(
          stop ? "weight.unit.pounds_as_kg" : "weight.unit.pounds_as_kg_possible",
          stop ? Severity::kSoftStop : Severity::kCaution,
          "Weight " + Num(u::ToKg(actual), 1) + " kg at " + Num(u::ToCm(*patient.height), 0) + " cm gives BMI " +
              Num(bmi, 1) + "; read as " + Num(u::ToKg(actual), 1) + " lb it would be " +
              Num(u::ToKg(u::Pounds(u::ToKg(actual))), 1) + " kg (BMI " + Num(as_lb_bmi, 1) + "). " +
              (stop ? "Stop and ask: confirm the unit and re-weigh before dosing."
                    : "Confirm the weight was entered in kilograms."),
          SettingMeta(lib, stop ? "weight.pounds_stop_bmi" : "weight.pounds_suspect_bmi")));
    }
    if (bmi > lib.Number("weight.bmi_implausible_high") || bmi < lib.Number("weight.bmi_implausible_low")) {
      fs.push_back(MakeFinding("weight.implausible", Severity::kHardStop,
                               "Weight " + Num(u::ToKg(actual), 1) + " kg and height " + Num(u::ToCm(*patient.height), 0) +
                                   " cm give an implausible BMI of " + Num(bmi, 1) +
                                   ". Stop: re-measure weight and height.",
                               SettingMeta(lib, "weight.bmi_implausible_high")));
    }
  } else {
    RuleMeta m{"", "", domain::Evidence::kUnverified, "kira data-quality rule", "BMI needs a height."};
    fs.push_back(MakeFinding("weight.height_missing", Severity::kCaution,
                             "No height recorded: weight plausibility, BMI and ideal body weight cannot be checked; "
                             "dosing on actual weight.", m));
  }
  if (patient.weight.method != domain::WeightMethod::kMeasured) {
    RuleMeta m{"", "", domain::Evidence::kSecondary, "Aurora review [R49]; McClain case reports [R50]",
               "A dose computed from an estimated weight must be marked as such and shown beside the mg/kg it "
               "implies at plausible weights (clinical-reference.md 8.1)."};
    bool estimated = patient.weight.method == domain::WeightMethod::kEstimated;
    fs.push_back(MakeFinding(estimated ? "weight.estimated" : "weight.stated", Severity::kCaution,
                             std::string("Weight was ") + (estimated ? "estimated" : "stated by the patient") +
                                 ", not measured on a scale: weigh the patient before dosing.", m));
  }

  // 2. Dosing weight.
  r.dosing_weight = actual;
  r.weight_basis = "actual";
  if (r.bmi && *r.bmi >= lib.Number("dosing.obesity_bmi")) {
    const std::string& basis = lib.Text("dosing.obesity_weight_basis");
    u::Kilograms ibw = IdealBodyWeight(lib, patient);
    // The Devine-style formula is defined from 60 in (152.4 cm) up; below
    // that it falls steeply and can go negative. There the actual weight is
    // used and the reason is said.
    if (basis != "actual" && u::ToCm(*patient.height) < 152.4) {
      RuleMeta m = SettingMeta(lib, "dosing.ibw_kg_per_inch");
      fs.push_back(MakeFinding("dose.weight_basis.ibw_not_applicable", Severity::kCaution,
                               "Height " + Num(u::ToCm(*patient.height), 0) + " cm is below the 152.4 cm from which "
                               "the ideal-body-weight formula is defined: dosing on actual weight; review the basis.",
                               m));
      ibw = actual;
    }
    if (basis == "ideal" && ibw < actual) {
      r.dosing_weight = ibw;
      r.weight_basis = "ideal";
    } else if (basis == "adjusted" && ibw < actual) {
      r.dosing_weight = ibw + (actual - ibw) * lib.Number("dosing.adjusted_weight_factor");
      r.weight_basis = "adjusted";
    }
    RuleMeta m = SettingMeta(lib, "dosing.obesity_weight_basis");
    fs.push_back(MakeFinding("dose.weight_basis.obesity", Severity::kInfo,
                             "BMI " + Num(*r.bmi, 1) + " >= " + Num(lib.Number("dosing.obesity_bmi"), 1) +
                                 ": dosing on " + r.weight_basis + " body weight " + Num(u::ToKg(r.dosing_weight), 1) +
                                 " kg (actual " + Num(u::ToKg(actual), 1) + " kg; ideal-weight formula is a clinic "
                                 "setting, U).", m));
  }
  d.inputs_used.push_back({"actual_weight_kg", Num(u::ToKg(actual), 2) + " (" +
                                                   std::string(domain::WeightMethodName(patient.weight.method)) +
                                                   ", entered as " + Num(patient.weight.entered_value, 2) + " " +
                                                   patient.weight.entered_unit + ")"});
  d.inputs_used.push_back({"dosing_weight_kg", Num(u::ToKg(r.dosing_weight), 2) + " (" + r.weight_basis + ")"});
  if (r.bmi) d.inputs_used.push_back({"bmi", Num(*r.bmi, 1)});

  // 3. The protocol dose at the dosing weight, and the dose to check.
  std::optional<u::Duration> duration;
  if (proto->mode != guideline::DoseMode::kFixedMg && proto->duration) {
    duration = req.ordered_duration ? *req.ordered_duration : *proto->duration;
  }
  switch (proto->mode) {
    case guideline::DoseMode::kMgPerKg: r.computed_dose = u::MgPerKg(proto->dose_value) * r.dosing_weight; break;
    case guideline::DoseMode::kMgPerKgPerH: r.computed_dose = u::MgPerKgPerH(proto->dose_value) * r.dosing_weight * *duration; break;
    case guideline::DoseMode::kMgPerH: r.computed_dose = u::MgPerH(proto->dose_value) * *duration; break;
    case guideline::DoseMode::kFixedMg: r.computed_dose = u::Mg(proto->dose_value); break;
  }
  r.dose = req.ordered_dose ? *req.ordered_dose : r.computed_dose;
  r.dose_per_kg = r.dose / r.dosing_weight;
  d.inputs_used.push_back({"protocol", proto->id});
  d.inputs_used.push_back({"computed_dose_mg", Num(u::ToMg(r.computed_dose), 2)});
  d.inputs_used.push_back({"dose_mg", Num(u::ToMg(r.dose), 2) + (req.ordered_dose ? " (ordered)" : " (computed)")});
  d.inputs_used.push_back({"dose_mg_per_kg", Num(u::ToMgPerKg(r.dose_per_kg), 3)});

  if (req.ordered_dose) {
    double ratio = r.dose / r.computed_dose;
    double tenfold = lib.Number("dosing.tenfold_ratio");
    RuleMeta m = SettingMeta(lib, "dosing.tenfold_ratio");
    if (ratio >= tenfold)
      fs.push_back(MakeFinding("dose.tenfold_error.high", Severity::kHardStop,
                               "Ordered " + Num(u::ToMg(r.dose), 1) + " mg is " + Num(ratio, 1) + "x the protocol dose " +
                                   Num(u::ToMg(r.computed_dose), 1) + " mg: probable decimal or unit error.", m));
    else if (ratio <= 1.0 / tenfold)
      fs.push_back(MakeFinding("dose.tenfold_error.low", Severity::kSoftStop,
                               "Ordered " + Num(u::ToMg(r.dose), 2) + " mg is 1/" + Num(1.0 / ratio, 1) +
                                   " of the protocol dose " + Num(u::ToMg(r.computed_dose), 1) +
                                   " mg: probable decimal or unit error.", m));
  }
  if (proto->mode == guideline::DoseMode::kFixedMg) {
    bool allowed = std::any_of(proto->allowed_fixed_mg.begin(), proto->allowed_fixed_mg.end(),
                               [&](double a) { return std::fabs(a - u::ToMg(r.dose)) < 1e-9; });
    if (!allowed) {
      std::string list;
      for (double a : proto->allowed_fixed_mg) list += (list.empty() ? "" : ", ") + Num(a, 0);
      fs.push_back(MakeFinding("dose." + proto->id + ".fixed_mg", Severity::kHardStop,
                               Num(u::ToMg(r.dose), 1) + " mg is not a dose this protocol can give (allowed: " + list +
                                   " mg).", proto->meta));
    }
  }

  // Estimated weight: the mg/kg this dose means if the true weight differs.
  if (patient.weight.method == domain::WeightMethod::kEstimated) {
    double pct = lib.Number("dosing.estimate_uncertainty_pct") / 100.0;
    for (double f : {1.0 - pct, 1.0 + pct}) {
      if (f <= 0) continue;
      u::Kilograms w = actual * f;
      r.at_plausible_weights.push_back({w, r.dose / w});
    }
  }

  // 4. Rates and pump settings (infusions only).
  if (duration) {
    r.rate_mg_per_h = r.dose / *duration;
    r.rate_mg_per_kg_per_h = *r.rate_mg_per_h / r.dosing_weight;
    u::MilligramsPerMillilitre conc =
        req.concentration ? *req.concentration : u::MgPerMl(lib.Number("pump.default_concentration_mg_per_ml"));
    PumpSettings pump;
    pump.concentration = conc;
    pump.volume = r.dose / conc;
    double scale = std::pow(10.0, lib.Number("pump.rate_decimals"));
    pump.rate = u::MlPerH(std::round(u::ToMlPerH(pump.volume / *duration) * scale) / scale);
    pump.duration = *duration;
    r.pump = pump;
    if (proto->hard_max_concentration_mg_per_ml && u::ToMgPerMl(conc) > *proto->hard_max_concentration_mg_per_ml)
      fs.push_back(MakeFinding("pump.concentration.undiluted", Severity::kHardStop,
                               Num(u::ToMgPerMl(conc), 1) + " mg/mL exceeds " +
                                   Num(*proto->hard_max_concentration_mg_per_ml, 0) +
                                   " mg/mL: dilute before IV use.", proto->hard_max_concentration_meta));
    else if (!proto->standard_concentrations_mg_per_ml.empty() &&
             std::none_of(proto->standard_concentrations_mg_per_ml.begin(),
                          proto->standard_concentrations_mg_per_ml.end(),
                          [&](double c) { return std::fabs(c - u::ToMgPerMl(conc)) < 1e-9; })) {
      RuleMeta m{"", "", domain::Evidence::kVerified, "ISMP smart-pump guidelines [R53]; BD Guardrails [R54]",
                 "Drug libraries use standard concentrations."};
      fs.push_back(MakeFinding("pump.concentration.nonstandard", Severity::kSoftStop,
                               Num(u::ToMgPerMl(conc), 2) + " mg/mL is not a standard concentration of this protocol's "
                               "drug library entry.", m));
    }
    d.inputs_used.push_back({"concentration_mg_per_ml", Num(u::ToMgPerMl(conc), 3)});
    d.inputs_used.push_back({"duration_min", Num(u::ToMinutes(*duration), 1)});
  }

  // 5. Limits: session, then the cumulative day.
  auto show2 = [](auto q) { return Num(q.canonical(), 2); };
  auto show3 = [](auto q) { return Num(q.canonical(), 3); };
  const guideline::LimitSet& s = proto->session;
  CheckRange(s.mg_per_kg, r.dose_per_kg, proto->id, "session", "mg_per_kg", "mg/kg", show3, &fs);
  CheckRange(s.total_mg, r.dose, proto->id, "session", "total_mg", "mg", show2, &fs);
  if (duration) {
    CheckRange(s.mg_per_kg_per_h, *r.rate_mg_per_kg_per_h, proto->id, "session", "mg_per_kg_per_h", "mg/kg/h", show3, &fs);
    CheckRange(s.mg_per_h, *r.rate_mg_per_h, proto->id, "session", "mg_per_h", "mg/h", show2, &fs);
    CheckRange(s.duration, *duration, proto->id, "session", "duration", "min", show2, &fs);
  }
  r.day_total = req.given_today + r.dose;
  d.inputs_used.push_back({"given_today_mg", Num(u::ToMg(req.given_today), 2)});
  CheckRange(proto->day.mg_per_kg, r.day_total / r.dosing_weight, proto->id, "day", "mg_per_kg", "mg/kg", show3, &fs);
  CheckRange(proto->day.total_mg, r.day_total, proto->id, "day", "total_mg", "mg", show2, &fs);

  // 5b. Predicted plasma concentration against the protocol's intended band
  //     (pk_check.h, issue 7). Band-less and esketamine protocols are skipped.
  if (PkCheckApplies(*proto)) {
    PkRequest pk_request;
    pk_request.model = req.pk_model;
    pk_request.details = false;
    StatusOr<PkPrediction> pk = PredictForDose(*proto, patient, r, pk_request);
    if (!pk.ok() && pk.status().code() == StatusCode::kNotFound) return pk.status();  // unknown model name
    if (!pk.ok()) {
      // The order itself is checked above; an unpredictable concentration is
      // said, not silently dropped, and never turns the order into bad input.
      RuleMeta m{"", "", domain::Evidence::kUnverified, "kira pharmacokinetic check (issue 7)",
                 "The predicted-peak check could not run for this order."};
      fs.push_back(MakeFinding("pk.prediction_unavailable", Severity::kCaution,
                               "No plasma-concentration prediction: " + std::string(pk.status().message()), m));
    } else {
      fs.push_back(std::move(pk->finding));
      d.inputs_used.push_back({"pk_model", std::string(pk->model.name)});
    d.inputs_used.push_back({"pk_predicted_peak_ng_per_ml",
                             Num(u::ToNgPerMl(pk->analysis.peak.concentration), 0) + " at " +
                                 Num(u::ToMinutes(pk->analysis.peak.time), 1) + " min"});
    }
  }

  // 6. Outcome and override.
  std::stable_sort(fs.begin(), fs.end(), [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
  Severity worst = d.MaxSeverity();
  if (worst == Severity::kHardStop) {
    d.outcome = std::string(kDoseHardStop);
  } else if (worst == Severity::kSoftStop) {
    if (req.override_ && !req.override_->reason.empty()) {
      domain::Override ov = *req.override_;
      ov.rule_ids.clear();
      for (const Finding& f : fs)
        if (f.severity == Severity::kSoftStop) ov.rule_ids.push_back(f.rule_id);
      d.override_ = std::move(ov);
      d.outcome = std::string(kDoseOkWithOverride);
    } else {
      d.outcome = std::string(kDoseSoftLimit);
    }
  } else {
    d.outcome = std::string(kDoseOk);
  }
  return r;
}

}  // namespace kira::advisor
