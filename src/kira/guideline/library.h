// The guideline library: kira's clinical content as data.
//
// Everything a rule needs -- indications, routes, protocol templates with
// smart-pump style soft/hard limits, contraindication rules, the medication
// catalogue and clinic settings -- lives in a versioned data file
// (guidelines/kira.json), loaded and validated once at start-up by
// kira/api/guideline_json.h. Each rule carries its grade, certainty, evidence
// tag (V/S/U/derived, from ../shared/clinical-reference.md) and citation.
// This header holds only plain value types; it does no I/O.
#ifndef KIRA_GUIDELINE_LIBRARY_H_
#define KIRA_GUIDELINE_LIBRARY_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kira/domain/decision.h"
#include "kira/units/units.h"

namespace kira::guideline {

// Provenance shared by every rule, limit and setting (the one type, domain::Provenance).
using RuleMeta = domain::Provenance;

struct Source {
  std::string id;        // "R1"
  std::string citation;
  std::string doi;
  std::string pmid;
};

// Indication kinds decide which outcome rules apply (depression vs pain).
struct Indication {
  std::string id;    // "trd", "crps", ...
  std::string name;
  std::string kind;  // "depression" | "suicidality" | "pain"
  std::string evidence_strength;  // e.g. "moderate", "weak", "none", "label"
  domain::Severity evidence_severity = domain::Severity::kInfo;
  std::string evidence_summary;
  RuleMeta meta;
};

struct Route {
  std::string id;  // "iv", "im", "intranasal", "oral"
  std::string name;
  bool supervised_only = true;
  RuleMeta meta;
};

// A soft/hard band on one quantity. Any bound may be absent.
template <class Q>
struct Range {
  std::optional<Q> soft_min, soft_max, hard_min, hard_max;
  RuleMeta meta;
  bool empty() const { return !soft_min && !soft_max && !hard_min && !hard_max; }
};

struct LimitSet {
  Range<units::MilligramsPerKilogram> mg_per_kg;
  Range<units::Milligrams> total_mg;
  Range<units::MilligramsPerKilogramPerHour> mg_per_kg_per_h;
  Range<units::MilligramsPerHour> mg_per_h;
  Range<units::Duration> duration;
};

// A label's dose for older adults (e.g. esketamine: day-1 dose 28 mg from
// age 65, then 28, 56 or 84 mg [R85]). Read by the dose check itself.
struct OlderAdultDose {
  std::string age_setting;  // id of the numeric setting giving the age
  double from_age_years = 0.0;  // resolved from age_setting by the loader
  double first_dose_mg = 0.0;   // the dose of the first session
  double min_dose_mg = 0.0;     // the lowest dose without an override at this age
  RuleMeta meta;
};

// How a protocol states its dose. Frozen strings in the data file:
// "mg_per_kg", "mg_per_kg_per_h", "mg_per_h", "fixed_mg".
enum class DoseMode { kMgPerKg, kMgPerKgPerH, kMgPerH, kFixedMg };

struct Protocol {
  std::string id;
  std::string name;
  std::string drug;        // "ketamine" (racemic) or "esketamine": a limit governs only its own drug
  std::string population;  // e.g. "adults"
  std::vector<std::string> indications;
  std::string route;       // Route id
  std::string care_area;   // "outpatient" | "inpatient"
  DoseMode mode = DoseMode::kMgPerKg;
  double dose_value = 0.0; // in the unit `mode` names
  std::optional<units::Duration> duration;  // absent for fixed_mg (non-infused) doses
  int sessions_in_series = 1;
  std::string schedule;    // human description, e.g. "5 consecutive days"
  std::vector<double> allowed_fixed_mg;  // fixed_mg only: device multiples
  // fixed_mg only: the dose one device delivers (esketamine nasal spray:
  // 28 mg per device, SPRAVATO label); the protocol's meta cites it.
  std::optional<double> mg_per_device;
  std::vector<double> standard_concentrations_mg_per_ml;  // pump library concentrations
  std::optional<double> hard_max_concentration_mg_per_ml;  // e.g. undiluted vials refused for IV
  RuleMeta hard_max_concentration_meta;
  LimitSet session;
  LimitSet day;
  // Intended plasma concentration band (ng/mL), for the PK safety check.
  std::optional<double> intended_band_low_ng_per_ml, intended_band_high_ng_per_ml;
  std::optional<OlderAdultDose> older_adult;
  RuleMeta meta;
};

// Facts a condition can read, resolved once when the library is loaded so
// evaluation does not compare strings. Not persisted.
enum class FactCode : unsigned char {
  kUnresolved,
  // boolean
  kPregnant, kMedUnknown, kTrialsKnown, kBenzoDoseKnown, kWeightEstimated,
  kHistory, kMedClass, kDiagnosis,  // keyed by Condition::key
  // numeric
  kAgeYears, kBmi, kWeightKg, kFailedTrials, kBenzoDoseDze, kSbp, kDbp, kHr, kSpo2,
};

// A boolean condition over patient facts; rules are trees of these.
struct Condition {
  enum class Kind { kFact, kCompare, kAll, kAny, kNot };
  // Frozen strings in the data file: "<", "<=", ">", ">=", "==".
  enum class Op { kLt, kLe, kGt, kGe, kEq };
  Kind kind = Kind::kFact;
  std::string fact;                  // kFact, kCompare
  Op op = Op::kGe;                   // kCompare
  std::optional<double> value;       // kCompare: a literal ...
  std::string setting;               // ... or the id of a numeric setting
  double setting_value = 0.0;        // the setting's value, resolved by the loader
  std::vector<Condition> children;   // kAll, kAny, kNot (exactly one)
  FactCode code = FactCode::kUnresolved;  // set by ResolveFact
  std::string key;                        // suffix for history./med.class./diagnosis. facts
};

// Resolves `c->fact` (not its children) to a FactCode and key. Returns false
// for an unknown fact name. Boolean facts: pregnant, med.unknown,
// failed_antidepressant_trials.known, med.benzodiazepine_dze_mg_per_day.known,
// weight.estimated, history.<condition>, med.class.<class>, diagnosis.<id>.
// Numeric facts: age_years, bmi, weight_kg, failed_antidepressant_trials,
// med.benzodiazepine_dze_mg_per_day, baseline.{sbp_mmhg,dbp_mmhg,hr_bpm,spo2_pct}.
bool ResolveFact(Condition* c);
bool IsNumericFact(FactCode code);

struct ScreeningRule {
  std::string id;        // "contra.pregnancy"
  std::string kind;      // "absolute" | "relative" | "caution" | "info" | "rescue"
  domain::Severity severity = domain::Severity::kInfo;
  Condition when;
  std::vector<std::string> routes;       // applies only for these routes (empty: all)
  std::vector<std::string> indications;  // applies only for these diagnoses (empty: all)
  std::string message;
  RuleMeta meta;
};

struct MedicationEntry {
  std::string name;                  // lower-case generic name
  std::vector<std::string> classes;  // "benzodiazepine", "hiv_protease_inhibitor", ...
};

// A clinic-configurable value with a documented default. Items the reference
// tags U are settings, never hard-coded facts.
struct Setting {
  std::string id;
  std::optional<double> number;  // numeric settings
  std::string text;              // enumerated settings (e.g. "ideal")
  std::vector<std::string> choices;  // allowed text values
  std::optional<double> min, max;    // allowed numeric range
  std::string unit;
  std::string description;
  RuleMeta meta;
};

// A numeric setting the engine reads, copied out of `settings` by the loader
// (which fails when it is missing): rules read typed fields, never a lookup
// that could silently return 0.
struct NumberSetting {
  std::string id;
  double value = 0.0;
  std::string unit;
  RuleMeta meta;  // rationale defaults to the setting's description
};

// Every setting the screening, dosing and plausibility rules read.
struct EngineSettings {
  // Dosing weight and dose.
  NumberSetting obesity_bmi, ibw_male_base_kg, ibw_female_base_kg, ibw_kg_per_inch, adjusted_weight_factor,
      estimate_uncertainty_pct, tenfold_ratio;
  std::string obesity_weight_basis;  // "actual" | "ideal" | "adjusted"
  RuleMeta obesity_weight_basis_meta;
  // Pounds-as-kilograms and BMI plausibility.
  NumberSetting bmi_implausible_high, bmi_implausible_low, pounds_suspect_bmi, pounds_stop_bmi, normal_bmi_low,
      normal_bmi_high;
  // Pump.
  NumberSetting default_concentration_mg_per_ml, rate_decimals;
  // Plausibility of the recorded facts (all U: clinic settings, confirm locally).
  NumberSetting adult_from_age_years, adult_weight_min_kg, adult_weight_max_kg, adult_height_min_cm,
      adult_height_max_cm, weight_change_pct, sbp_min_mmhg, sbp_max_mmhg, dbp_min_mmhg, dbp_max_mmhg, hr_min_bpm,
      hr_max_bpm, spo2_min_pct, rr_min_per_min, rr_max_per_min;
  // Recorded sessions: how far rate x concentration x duration may be from the recorded dose.
  NumberSetting record_consistency_tolerance_pct;
  // Age from which the esketamine label's older-adult day-1 dose applies.
  NumberSetting esketamine_older_age_years;
};

// Facts vocabulary for patient history (validated when parsing patients).
struct ConditionTerm {
  std::string id;     // "psychosis_active"
  std::string label;
};

struct Library {
  std::string id;
  std::string version;
  std::string effective_date;  // ISO date
  std::string overlay;         // clinic overlay name applied, or ""
  std::vector<Source> sources;
  std::vector<Indication> indications;
  std::vector<Route> routes;
  std::vector<Protocol> protocols;
  std::vector<ConditionTerm> conditions;
  std::vector<ScreeningRule> rules;
  std::vector<MedicationEntry> medications;
  std::map<std::string, Setting> settings;
  EngineSettings config;  // typed view of `settings`, filled and validated by the loader

  const Indication* FindIndication(const std::string& id) const;
  const Route* FindRoute(const std::string& id) const;
  const Protocol* FindProtocol(const std::string& id) const;
  const MedicationEntry* FindMedication(const std::string& name) const;
  const Setting* FindSetting(const std::string& id) const;
  bool HasConditionTerm(const std::string& id) const;
  domain::GuidelineRef Ref() const;
};

}  // namespace kira::guideline

#endif  // KIRA_GUIDELINE_LIBRARY_H_
