#include "kira/advisor/facts.h"

#include <algorithm>

namespace kira::advisor {

std::optional<double> BodyMassIndex(const domain::Patient& patient) {
  if (!patient.height) return std::nullopt;
  double m = units::ToCm(*patient.height) / 100.0;
  if (m <= 0) return std::nullopt;
  return units::ToKg(patient.weight.value) / (m * m);
}

Facts::Facts(const guideline::Library& lib, const domain::Patient& patient) : patient_(patient) {
  bmi_ = BodyMassIndex(patient);
  double dze = 0.0;
  bool any_dze = false;
  // Only a complete total is a fact: with one benzodiazepine dose missing, the
  // sum would understate the exposure.
  bool all_known = true;
  for (const domain::Medication& m : patient.medications) {
    const guideline::MedicationEntry* e = lib.FindMedication(m.name);
    if (!e) {
      unknown_meds_.push_back(m.name);
      continue;
    }
    for (const std::string& c : e->classes) {
      if (n_med_classes_ < kInline) {
        med_classes_[n_med_classes_++] = c;
      } else {
        more_med_classes_.push_back(c);
      }
      if (c == "benzodiazepine") {
        has_benzo_ = true;
        if (m.diazepam_equivalent_mg_per_day) {
          dze += *m.diazepam_equivalent_mg_per_day;
          any_dze = true;
        } else {
          all_known = false;
        }
      }
    }
  }
  if (any_dze && all_known) benzo_dze_ = dze;
  for (const auto& [id, present] : patient.history) {
    if (!present) continue;
    if (n_conditions_ < kInline) {
      conditions_[n_conditions_++] = id;
    } else {
      more_conditions_ = true;
    }
  }
}

bool Facts::Flag(guideline::FactCode code, std::string_view key) const {
  using F = guideline::FactCode;
  switch (code) {
    case F::kPregnant: return patient_.pregnant;
    case F::kMedUnknown: return !unknown_meds_.empty();
    case F::kTrialsKnown: return patient_.failed_antidepressant_trials.has_value();
    case F::kBenzoDoseKnown: return benzo_dze_.has_value() || !has_benzo_;
    case F::kWeightEstimated: return patient_.weight.method == domain::WeightMethod::kEstimated;
    case F::kHistory: return HasCondition(key);
    case F::kMedClass: return HasMedClass(key);
    case F::kDiagnosis:
      return std::find(patient_.diagnoses.begin(), patient_.diagnoses.end(), key) != patient_.diagnoses.end();
    default: return false;
  }
}

std::optional<double> Facts::Number(guideline::FactCode code) const {
  using F = guideline::FactCode;
  switch (code) {
    case F::kAgeYears: return patient_.age_years;
    case F::kBmi: return bmi_;
    case F::kWeightKg: return units::ToKg(patient_.weight.value);
    case F::kFailedTrials:
      if (!patient_.failed_antidepressant_trials) return std::nullopt;
      return static_cast<double>(*patient_.failed_antidepressant_trials);
    case F::kBenzoDoseDze: return benzo_dze_;
    default: break;
  }
  if (!patient_.baseline_vitals) return std::nullopt;
  const domain::BaselineVitals& v = *patient_.baseline_vitals;
  switch (code) {
    case F::kSbp: return v.sbp_mmhg;
    case F::kDbp: return v.dbp_mmhg;
    case F::kHr: return v.hr_bpm;
    case F::kSpo2: return v.spo2_pct;
    default: return std::nullopt;
  }
}

bool Facts::Flag(std::string_view name) const {
  if (name == "pregnant") return patient_.pregnant;
  if (name == "med.unknown") return !unknown_meds_.empty();
  if (name == "failed_antidepressant_trials.known") return patient_.failed_antidepressant_trials.has_value();
  if (name == "med.benzodiazepine_dze_mg_per_day.known") return benzo_dze_.has_value() || !has_benzo_;
  if (name == "weight.estimated") return patient_.weight.method == domain::WeightMethod::kEstimated;
  if (name.substr(0, 8) == "history.") return HasCondition(name.substr(8));
  if (name.substr(0, 10) == "med.class.") {
    return HasMedClass(name.substr(10));
  }
  if (name.substr(0, 10) == "diagnosis.") {
    std::string_view d = name.substr(10);
    return std::find(patient_.diagnoses.begin(), patient_.diagnoses.end(), d) != patient_.diagnoses.end();
  }
  return false;
}

std::optional<double> Facts::Number(std::string_view name) const {
  if (name == "age_years") return patient_.age_years;
  if (name == "bmi") return bmi_;
  if (name == "weight_kg") return units::ToKg(patient_.weight.value);
  if (name == "failed_antidepressant_trials") {
    if (!patient_.failed_antidepressant_trials) return std::nullopt;
    return static_cast<double>(*patient_.failed_antidepressant_trials);
  }
  if (name == "med.benzodiazepine_dze_mg_per_day") return benzo_dze_;
  if (patient_.baseline_vitals) {
    const domain::BaselineVitals& v = *patient_.baseline_vitals;
    if (name == "baseline.sbp_mmhg") return v.sbp_mmhg;
    if (name == "baseline.dbp_mmhg") return v.dbp_mmhg;
    if (name == "baseline.hr_bpm") return v.hr_bpm;
    if (name == "baseline.spo2_pct") return v.spo2_pct;
  }
  return std::nullopt;
}

bool Facts::Eval(const guideline::Condition& c, const guideline::Library& lib) const {
  using K = guideline::Condition::Kind;
  switch (c.kind) {
    case K::kFact:
      // The commonest facts first, without a call.
      if (c.code == guideline::FactCode::kHistory) return HasCondition(c.key);
      if (c.code == guideline::FactCode::kMedClass) return HasMedClass(c.key);
      return c.code == guideline::FactCode::kUnresolved ? Flag(c.fact) : Flag(c.code, c.key);
    case K::kCompare: {
      std::optional<double> x = c.code == guideline::FactCode::kUnresolved ? Number(c.fact) : Number(c.code);
      if (!x) return false;
      double y = c.value ? *c.value : c.setting_value;
      switch (c.op) {
        case guideline::Condition::Op::kLt: return *x < y;
        case guideline::Condition::Op::kLe: return *x <= y;
        case guideline::Condition::Op::kGt: return *x > y;
        case guideline::Condition::Op::kGe: return *x >= y;
        case guideline::Condition::Op::kEq: return *x == y;
      }
      return false;
    }
    case K::kAll:
      return std::all_of(c.children.begin(), c.children.end(), [&](const auto& ch) { return Test(ch, lib); });
    case K::kAny:
      return std::any_of(c.children.begin(), c.children.end(), [&](const auto& ch) { return Test(ch, lib); });
    case K::kNot:
      return !Test(c.children.front(), lib);
  }
  return false;
}

}  // namespace kira::advisor
