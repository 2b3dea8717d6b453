#include "kira/advisor/dose.h"

#include <algorithm>
#include <cmath>
#include <charconv>
#include <cstdio>
#include <string_view>

#include "kira/advisor/facts.h"
#include "kira/advisor/internal/finding.h"
#include "kira/advisor/internal/format.h"
#include "kira/advisor/internal/pk_predict.h"
#include "kira/advisor/pk_check.h"
#include "kira/advisor/plausibility.h"

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

using domain::Text;
using internal::NumberText;

// "70.00 (measured, entered as 70.00 kg)", rendered when read. A unit other
// than kg or lb (not accepted by the parsers) is rendered at once.
Text ActualWeightText(const domain::BodyWeight& w) {
  const std::string_view unit = w.entered_unit == "kg" ? "kg" : w.entered_unit == "lb" ? "lb" : "";
  domain::TextArgs a;
  a.n[0] = u::ToKg(w.value);
  a.n[1] = w.entered_value;
  a.s = {domain::WeightMethodName(w.method), unit, {}};
  Text t = Text::Deferred(
      [](const domain::TextArgs& x, std::string& out) {
        out += Num(x.n[0], 2);
        out += " (";
        out += x.s[0];
        out += ", entered as ";
        out += Num(x.n[1], 2);
        out += " ";
        out += x.s[1];
        out += ")";
      },
      a);
  if (unit.empty() && !w.entered_unit.empty()) {
    std::string s = t.str();
    s.insert(s.size() - 1, w.entered_unit);
    return s;
  }
  return t;
}

// 10^d: exact by multiplication for the small whole numbers a pump's
// precision takes, std::pow otherwise.
double Pow10(double d) {
  if (d >= 0 && d <= 9 && d == std::floor(d)) {
    double s = 1.0;
    for (int i = 0; i < static_cast<int>(d); ++i) s *= 10.0;
    return s;
  }
  return std::pow(10.0, d);
}

// "196 at 40.0 min", rendered when read.
Text PeakText(double ng_per_ml, double minutes) {
  domain::TextArgs a;
  a.n[0] = ng_per_ml;
  a.n[1] = minutes;
  return Text::Deferred(
      [](const domain::TextArgs& x, std::string& out) {
        out += Num(x.n[0], 0);
        out += " at ";
        out += Num(x.n[1], 1);
        out += " min";
      },
      a);
}

// The words a clinician reads for a limit's quantity.
const char* FieldLabel(std::string_view field) {
  if (field == "mg_per_kg") return "dose";
  if (field == "total_mg") return "total dose";
  if (field == "mg_per_kg_per_h" || field == "mg_per_h") return "rate";
  if (field == "duration") return "duration";
  return "value";
}

// Checks one value against one range; appends findings for each breach.
// `scope` is "session" or "day"; `field` the limit's name; `show` renders a value.
template <class Q, class Show>
void CheckRange(const Range<Q>& range, Q value, const std::string& protocol_id, const char* scope, const char* field,
                const char* unit, Show show, std::vector<Finding>* out) {
  auto add = [&](const char* bound, Severity sev, Q limit, const char* word) {
    std::string id = "dose." + protocol_id + "." + scope + "." + field + "." + bound;
    std::string msg = std::string(scope) + " " + FieldLabel(field) + " " + show(value) + " " + unit + " " + word + " the " +
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

// Whole devices a fixed dose takes (Protocol::mg_per_device); absent when the
// protocol is not given by device or the dose is not a whole number of them.
std::optional<int> DevicesFor(const Protocol& proto, u::Milligrams dose) {
  if (!proto.mg_per_device) return std::nullopt;
  const double n = u::ToMg(dose) / *proto.mg_per_device;
  if (!(n >= 1) || std::fabs(n - std::round(n)) > 1e-9) return std::nullopt;
  return static_cast<int>(std::lround(n));
}

}  // namespace

u::Kilograms IdealBodyWeight(const Library& lib, const domain::Patient& p) {
  // Devine-style: base at 60 in plus a per-inch increment (all settings, U).
  double base = p.sex == domain::Sex::kMale ? lib.config.ibw_male_base_kg.value
                                            : lib.config.ibw_female_base_kg.value;
  double inches = p.height ? u::ToCm(*p.height) / 2.54 : 60.0;
  return u::Kg(base + lib.config.ibw_kg_per_inch.value * (inches - 60.0));
}

namespace {

StatusOr<DoseResult> CheckDoseWith(const Library& lib, const domain::Patient& patient, const DoseRequest& req,
                                   const ScreenResult* screened) {
  const Protocol* proto = lib.FindProtocol(req.protocol_id);
  if (!proto) return NotFoundError("protocol: unknown protocol '" + req.protocol_id + "' (see `kira guideline list`)");
  if (req.concentration && !(u::ToMgPerMl(*req.concentration) > 0 && std::isfinite(u::ToMgPerMl(*req.concentration))))
    return InvalidArgumentError("concentration: must be a finite number > 0 mg/mL");
  if (req.ordered_dose && !(u::ToMg(*req.ordered_dose) > 0 && std::isfinite(u::ToMg(*req.ordered_dose))))
    return InvalidArgumentError("dose_mg: must be a finite number > 0");
  if (req.ordered_duration && !(u::ToMinutes(*req.ordered_duration) > 0 && std::isfinite(u::ToMinutes(*req.ordered_duration))))
    return InvalidArgumentError("duration_min: must be a finite number > 0");
  if (req.pump_rate && !(u::ToMlPerH(*req.pump_rate) > 0 && std::isfinite(u::ToMlPerH(*req.pump_rate))))
    return InvalidArgumentError("rate_ml_per_h: must be a finite number > 0");
  if (!(u::ToMg(req.given_today) >= 0 && std::isfinite(u::ToMg(req.given_today))))
    return InvalidArgumentError("given_today_mg: must be a finite number >= 0");
  const u::Kilograms actual = patient.weight.value;
  if (!(u::ToKg(actual) > 0 && std::isfinite(u::ToKg(actual))))
    return InvalidArgumentError("weight.value: must be a finite number > 0");

  DoseResult r;
  domain::Decision& d = r.decision;
  d.guideline = lib.Ref();
  d.inputs_used.reserve(20);  // one allocation for the dozen-odd inputs a dose decision lists
  d.findings.reserve(4);  // a typical dose check has one or two
  r.protocol_id = proto->id;
  r.actual_weight = actual;
  r.bmi = BodyMassIndex(patient);
  std::vector<Finding>& fs = d.findings;

  // 0. Screening hard stops carry over; the rest stay in `kira screen`.
  std::string_view screening;
  const ScreeningCarryOver* carry = screened ? &screened->carry_over : nullptr;
  if (carry && carry->Matches(lib, patient, proto->route)) {
    // The same findings ScreenOutcome would add, from the screening just made.
    for (const guideline::ScreeningRule* rule : carry->hard_stops)
      fs.push_back(domain::LibraryFinding(rule->id, rule->severity, Text::Borrow(rule->message), rule->meta));
    screening = carry->rules_outcome;
  } else {
    screening = ScreenOutcome(lib, patient, proto->route, Severity::kHardStop, &fs);
  }
  d.inputs_used.emplace_back(Text::Borrow("screening_outcome"), Text::Borrow(screening));

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
                             proto->name + " is not listed for the patient's diagnoses; using it is an "
                             "extrapolation that needs a documented reason.", m));
  }

  // 1. Plausibility of the facts (plausibility.h), then the weight's provenance.
  PlausibilityContext plausibility;
  plausibility.weight_based_dose =
      proto->mode == guideline::DoseMode::kMgPerKg || proto->mode == guideline::DoseMode::kMgPerKgPerH;
  plausibility.session_date = req.session_date;
  CheckPlausibility(lib, patient, plausibility, r.bmi, &fs);
  if (patient.weight.method != domain::WeightMethod::kMeasured) {
    RuleMeta m{"", "", domain::Evidence::kSecondary, "Aurora review [R49]; McClain case reports [R50]",
               "A dose computed from an estimated weight must be marked as such and shown beside the mg/kg it "
               "implies at plausible weights."};
    bool estimated = patient.weight.method == domain::WeightMethod::kEstimated;
    fs.push_back(MakeFinding(estimated ? "weight.estimated" : "weight.stated", Severity::kCaution,
                             std::string("Weight was ") + (estimated ? "estimated" : "stated by the patient") +
                                 ", not measured on a scale: weigh the patient before dosing.", m));
  }

  // 2. Dosing weight.
  r.dosing_weight = actual;
  r.weight_basis = "actual";
  std::string_view basis_suffix = " (actual)";
  if (r.bmi && *r.bmi >= lib.config.obesity_bmi.value) {
    const std::string& basis = lib.config.obesity_weight_basis;
    u::Kilograms ibw = IdealBodyWeight(lib, patient);
    // The Devine-style formula is defined from 60 in (152.4 cm) up; below
    // that it falls steeply and can go negative. There the actual weight is
    // used and the reason is said.
    if (basis != "actual" && u::ToCm(*patient.height) < 152.4) {
      RuleMeta m = lib.config.ibw_kg_per_inch.meta;
      fs.push_back(MakeFinding("dose.weight_basis.ibw_not_applicable", Severity::kCaution,
                               "Height " + Num(u::ToCm(*patient.height), 0) + " cm is below the 152.4 cm from which "
                               "the ideal-body-weight formula is defined: dosing on actual weight; review the basis.",
                               m));
      ibw = actual;
    }
    if (basis == "ideal" && ibw < actual) {
      r.dosing_weight = ibw;
      r.weight_basis = "ideal";
      basis_suffix = " (ideal)";
    } else if (basis == "adjusted" && ibw < actual) {
      r.dosing_weight = ibw + (actual - ibw) * lib.config.adjusted_weight_factor.value;
      r.weight_basis = "adjusted";
      basis_suffix = " (adjusted)";
    }
    RuleMeta m = lib.config.obesity_weight_basis_meta;
    fs.push_back(MakeFinding("dose.weight_basis.obesity", Severity::kInfo,
                             "BMI " + Num(*r.bmi, 1) + " >= " + Num(lib.config.obesity_bmi.value, 1) +
                                 ": dosing on " + r.weight_basis + " body weight " + Num(u::ToKg(r.dosing_weight), 1) +
                                 " kg (actual " + Num(u::ToKg(actual), 1) + " kg; ideal-weight formula is a clinic "
                                 "setting, U).", m));
  }
  d.inputs_used.emplace_back(Text::Borrow("actual_weight_kg"), ActualWeightText(patient.weight));
  d.inputs_used.emplace_back(Text::Borrow("dosing_weight_kg"), NumberText(u::ToKg(r.dosing_weight), 2, basis_suffix));
  if (r.bmi) d.inputs_used.emplace_back(Text::Borrow("bmi"), NumberText(*r.bmi, 1));

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
  // A label's older-adult dose (e.g. esketamine day 1 from age 65).
  const guideline::OlderAdultDose* older =
      proto->older_adult && patient.age_years >= proto->older_adult->from_age_years ? &*proto->older_adult : nullptr;
  if (older) {
    d.inputs_used.emplace_back(Text::Borrow("session_number"),
                               req.session_number ? std::to_string(*req.session_number) : "unknown");
    if (req.session_number == 1) {
      r.computed_dose = u::Mg(older->first_dose_mg);
      if (req.ordered_dose && u::ToMg(*req.ordered_dose) > older->first_dose_mg + 1e-9)
        fs.push_back(MakeFinding("dose." + proto->id + ".older_adult_first_dose", Severity::kSoftStop,
                                 "Age " + Num(patient.age_years, 0) + ": the labelled first dose from age " +
                                     Num(older->from_age_years, 0) + " is " + Num(older->first_dose_mg, 0) +
                                     " mg; " + Num(u::ToMg(*req.ordered_dose), 0) +
                                     " mg needs a documented reason.",
                                 older->meta));
    } else if (!req.session_number) {
      fs.push_back(MakeFinding("dose." + proto->id + ".older_adult_session_unknown", Severity::kCaution,
                               "Age " + Num(patient.age_years, 0) + ": the labelled first dose from age " +
                                   Num(older->from_age_years, 0) + " is " + Num(older->first_dose_mg, 0) +
                                   " mg; the session number was not given, so the first-dose rule could not be "
                                   "checked.",
                               older->meta));
    }
  }
  r.dose = req.ordered_dose ? *req.ordered_dose : r.computed_dose;
  r.dose_per_kg = r.dose / r.dosing_weight;
  d.inputs_used.emplace_back(Text::Borrow("protocol"), Text::Borrow(proto->id));
  d.inputs_used.emplace_back(Text::Borrow("computed_dose_mg"), NumberText(u::ToMg(r.computed_dose), 2));
  d.inputs_used.emplace_back(Text::Borrow("dose_mg"),
                             NumberText(u::ToMg(r.dose), 2, req.ordered_dose ? " (ordered)" : " (computed)"));
  d.inputs_used.emplace_back(Text::Borrow("dose_mg_per_kg"), NumberText(u::ToMgPerKg(r.dose_per_kg), 3));

  if (req.ordered_dose) {
    double ratio = r.dose / r.computed_dose;
    double tenfold = lib.config.tenfold_ratio.value;
    RuleMeta m = lib.config.tenfold_ratio.meta;
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
    r.devices = DevicesFor(*proto, r.dose);
  }

  // Estimated weight: the mg/kg this dose means if the true weight differs.
  if (patient.weight.method == domain::WeightMethod::kEstimated) {
    double pct = lib.config.estimate_uncertainty_pct.value / 100.0;
    for (double f : {1.0 - pct, 1.0 + pct}) {
      if (f <= 0) continue;
      u::Kilograms w = actual * f;
      r.at_plausible_weights.push_back({w, r.dose / w});
    }
  }

  // 4. Rates and pump settings (infusions only).
  if (duration) {
    u::MilligramsPerMillilitre conc =
        req.concentration ? *req.concentration : u::MgPerMl(lib.config.default_concentration_mg_per_ml.value);
    PumpSettings pump;
    pump.concentration = conc;
    pump.volume = r.dose / conc;
    if (req.pump_rate) {
      // What the pump actually ran: the rate limits judge it, not dose/duration.
      pump.rate = *req.pump_rate;
      r.rate_mg_per_h = *req.pump_rate * conc;
      d.inputs_used.emplace_back(Text::Borrow("pump_rate_ml_per_h"),
                                 NumberText(u::ToMlPerH(*req.pump_rate), 1, " (recorded)"));
    } else {
      double scale = Pow10(lib.config.rate_decimals.value);
      pump.rate = u::MlPerH(std::round(u::ToMlPerH(pump.volume / *duration) * scale) / scale);
      r.rate_mg_per_h = r.dose / *duration;
    }
    r.rate_mg_per_kg_per_h = *r.rate_mg_per_h / r.dosing_weight;
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
    d.inputs_used.emplace_back(Text::Borrow("concentration_mg_per_ml"), NumberText(u::ToMgPerMl(conc), 3));
    d.inputs_used.emplace_back(Text::Borrow("duration_min"), NumberText(u::ToMinutes(*duration), 1));
  }

  // 5. Limits: session, then the cumulative day.
  auto show2 = [](auto q) { return Num(q.canonical(), 2); };
  auto show3 = [](auto q) { return Num(q.canonical(), 3); };
  const guideline::LimitSet& s = proto->session;
  CheckRange(s.mg_per_kg, r.dose_per_kg, proto->id, "session", "mg_per_kg", "mg/kg", show3, &fs);
  if (older && s.total_mg.soft_min && u::ToMg(*s.total_mg.soft_min) > older->min_dose_mg) {
    guideline::Range<u::Milligrams> total = s.total_mg;  // the label's lower dose for older adults
    total.soft_min = u::Mg(older->min_dose_mg);
    CheckRange(total, r.dose, proto->id, "session", "total_mg", "mg", show2, &fs);
  } else {
    CheckRange(s.total_mg, r.dose, proto->id, "session", "total_mg", "mg", show2, &fs);
  }
  if (duration) {
    CheckRange(s.mg_per_kg_per_h, *r.rate_mg_per_kg_per_h, proto->id, "session", "mg_per_kg_per_h", "mg/kg/h", show3, &fs);
    CheckRange(s.mg_per_h, *r.rate_mg_per_h, proto->id, "session", "mg_per_h", "mg/h", show2, &fs);
    CheckRange(s.duration, *duration, proto->id, "session", "duration", "min", show2, &fs);
  }
  r.day_total = req.given_today + r.dose;
  d.inputs_used.emplace_back(Text::Borrow("given_today_mg"), NumberText(u::ToMg(req.given_today), 2));
  CheckRange(proto->day.mg_per_kg, r.day_total / r.dosing_weight, proto->id, "day", "mg_per_kg", "mg/kg", show3, &fs);
  CheckRange(proto->day.total_mg, r.day_total, proto->id, "day", "total_mg", "mg", show2, &fs);

  // 5b. Predicted plasma concentration against the protocol's intended band
  //     (pk_check.h, issue 7). Band-less and esketamine protocols are skipped.
  if (PkCheckApplies(*proto)) {
    PkRequest pk_request;
    pk_request.model = req.pk_model;
    pk_request.details = false;
    pk_request.render_text = false;  // the finding's text is rendered when read
    PkPrediction pk;  // filled in place (PredictForDose without the move)
    const Status pk_status = internal::PredictInto(*proto, patient, r, pk_request, pk);
    if (pk_status.code() == StatusCode::kNotFound) return pk_status;  // unknown model name
    if (!pk_status.ok()) {
      // The order itself is checked above; an unpredictable concentration is
      // said, not silently dropped, and never turns the order into bad input.
      RuleMeta m{"", "", domain::Evidence::kUnverified, "Pharmacokinetic prediction, Zanos 2018 [R30]",
                 "The predicted-peak check could not run for this order."};
      fs.push_back(MakeFinding("pk.prediction_unavailable", Severity::kCaution,
                               "No plasma-concentration prediction: " + std::string(pk_status.message()), m));
    } else {
      fs.push_back(std::move(pk.finding));
      d.inputs_used.emplace_back(Text::Borrow("pk_model"), Text::Borrow(pk.model.name));
      d.inputs_used.emplace_back(Text::Borrow("pk_predicted_peak_ng_per_ml"),
                                 PeakText(u::ToNgPerMl(pk.analysis.peak.concentration),
                                          u::ToMinutes(pk.analysis.peak.time)));
    }
  }

  // 6. Outcome and override.
  internal::SortBySeverity(fs);
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

}  // namespace

StatusOr<DoseResult> CheckDose(const Library& lib, const domain::Patient& patient, const DoseRequest& req) {
  return CheckDoseWith(lib, patient, req, nullptr);
}

StatusOr<DoseResult> CheckDose(const Library& lib, const domain::Patient& patient, const DoseRequest& req,
                               const ScreenResult& screening) {
  return CheckDoseWith(lib, patient, req, &screening);
}

StatusOr<DoseResult> CheckRecordedSession(const Library& lib, const domain::Patient& patient,
                                          const RecordedAdministration& given) {
  const Protocol* proto = lib.FindProtocol(given.protocol_id);
  if (!proto) return NotFoundError("protocol: unknown protocol '" + given.protocol_id + "'");
  if (!(u::ToMg(given.given_dose) > 0 && std::isfinite(u::ToMg(given.given_dose))))
    return InvalidArgumentError("given_dose_mg: must be a finite number > 0");
  if (given.devices && *given.devices < 1) return InvalidArgumentError("devices: must be a whole number >= 1");
  DoseRequest req;
  req.protocol_id = given.protocol_id;
  req.ordered_dose = given.given_dose;
  req.given_today = given.given_today;
  req.override_ = given.override_;
  req.pk_model = given.pk_model;
  req.session_number = given.session_number;
  req.session_date = given.session_date;
  const bool infusion = proto->mode != guideline::DoseMode::kFixedMg;
  if (infusion) {
    req.concentration = given.concentration;
    req.ordered_duration = given.duration;
    req.pump_rate = given.rate;
  }
  KIRA_ASSIGN_OR_RETURN(DoseResult r, CheckDose(lib, patient, req));

  std::vector<Finding> extra;
  const guideline::Route* route = lib.FindRoute(proto->route);
  const std::string route_name = route ? route->name : proto->route;
  if (!infusion) {
    // A device route (esketamine nasal spray): no pump, the dose is whole devices.
    if (given.concentration || given.rate)
      extra.push_back(MakeFinding("record.not_infused", Severity::kHardStop,
                                  route_name + " is not infused: a concentration or pump rate does not belong in "
                                  "its record. Correct the record.",
                                  proto->meta));
    if (given.devices) {
      r.decision.inputs_used.push_back({"devices", std::to_string(*given.devices) + " (recorded)"});
      if (proto->mg_per_device) {
        const double delivered = *given.devices * *proto->mg_per_device;
        if (std::fabs(delivered - u::ToMg(given.given_dose)) > 1e-9) {
          extra.push_back(MakeFinding(
              "record.inconsistent", Severity::kHardStop,
              std::to_string(*given.devices) + (*given.devices == 1 ? " device" : " devices") + " of " +
                  Num(*proto->mg_per_device, 0) + " mg deliver " + Num(delivered, 0) + " mg, not the recorded " +
                  Num(u::ToMg(given.given_dose), 0) + " mg: devices and dose disagree. Correct the record.",
              proto->meta));
        } else {
          r.devices = given.devices;
        }
      }
    }
  } else {
    if (given.devices)
      extra.push_back(MakeFinding("record.not_a_device_route", Severity::kHardStop,
                                  route_name + " is an infusion: devices do not belong in its record; record the "
                                  "concentration and pump rate. Correct the record.",
                                  proto->meta));
    guideline::RuleMeta m{"", "", domain::Evidence::kVerified, "ISMP smart-pump guidelines [R53]",
                          "A smart-pump limit can be checked only on the rate that was run."};
    if (!given.concentration)
      extra.push_back(MakeFinding("record.concentration_missing", Severity::kHardStop,
                                  "No concentration recorded for an infusion: the pump rate cannot be read as a dose "
                                  "per hour. Record the concentration that ran.",
                                  m));
    const guideline::NumberSetting& tol = lib.config.record_consistency_tolerance_pct;
    if (given.rate && given.duration && given.concentration && r.pump) {
      const u::Milligrams delivered = *given.rate * r.pump->concentration * *given.duration;
      const double off = 100.0 * std::fabs(u::ToMg(delivered) - u::ToMg(given.given_dose)) / u::ToMg(given.given_dose);
      if (off > tol.value) {
        extra.push_back(MakeFinding(
            "record.inconsistent", Severity::kHardStop,
            Num(u::ToMlPerH(*given.rate), 1) + " mL/h of " + Num(u::ToMgPerMl(r.pump->concentration), 2) +
                " mg/mL for " + Num(u::ToMinutes(*given.duration), 0) + " min delivers " + Num(u::ToMg(delivered), 1) +
                " mg, not the recorded " + Num(u::ToMg(given.given_dose), 1) + " mg (" + Num(off, 0) +
                " % apart; clinic tolerance " + Num(tol.value, 0) +
                " %): dose, rate, concentration and duration disagree. Correct the record.",
            tol.meta));
      }
    }
    if (!given.rate)
      extra.push_back(MakeFinding("record.rate_missing", Severity::kCaution,
                                  "No pump rate recorded: rate limits were judged on dose and duration only.", m));
    if (!given.duration)
      extra.push_back(MakeFinding("record.duration_missing", Severity::kCaution,
                                  "No infusion duration recorded: the protocol's " +
                                      Num(u::ToMinutes(*proto->duration), 0) + " min was assumed.",
                                  m));
  }
  if (!extra.empty()) {
    domain::Decision& d = r.decision;
    for (Finding& f : extra) d.findings.push_back(std::move(f));
    internal::SortBySeverity(d.findings);
    if (d.MaxSeverity() == Severity::kHardStop) {
      d.outcome = std::string(kDoseHardStop);
      d.override_.reset();
    }
  }
  return r;
}

}  // namespace kira::advisor
