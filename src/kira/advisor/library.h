// The advisor's guideline data (guidelines/advisor.json, loaded by
// kira/api/advisor_json.h): plan templates per indication, the annual cap,
// monitoring thresholds, rescue options and the discharge checklist.
//
// Every number is a clinic setting carrying its source and the clinical
// reference's V/S/U tag. U settings have a documented default, or no value at
// all (std::nullopt) where the reference gives no number to default to; every
// decision lists the setting values it used in `inputs_used`.
// Indications and protocols are named by the ids of the main guideline library
// (guidelines/kira.json); nothing here duplicates that file.
#ifndef KIRA_ADVISOR_LIBRARY_H_
#define KIRA_ADVISOR_LIBRARY_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kira/domain/decision.h"

namespace kira::advisor {

// Provenance of a setting (the one type, domain::Provenance; JSON "note" is
// read into `rationale`).
using SettingSource = domain::Provenance;

// One numeric setting. `value` is nullopt when the shipped default is "not
// configured" because the reference gives no number.
struct NumericSetting {
  std::string id;  // stable, e.g. "monitoring.min_observation_min.iv"
  std::optional<double> value;
  std::string unit;
  SettingSource source;
};

// ---- Plans -------------------------------------------------------------

// One phase of a plan template: `sessions` sessions whose gaps cycle through
// `gaps_days` (e.g. {2, 2, 3} = Mon/Wed/Fri).
struct PlanPhase {
  std::string name;  // "induction", "continuation"
  int sessions = 0;
  std::vector<int> gaps_days;
  SettingSource source;
};

struct PlanTemplate {
  std::string id;          // e.g. "trd_iv_series"
  std::vector<std::string> indications;  // indication ids in guidelines/kira.json, e.g. "trd"
  std::string protocol;    // protocol id in guidelines/kira.json (dose and limits live there)
  std::string route;       // "iv" or "intranasal"
  std::vector<PlanPhase> induction;  // phases run in order before maintenance
  NumericSetting min_interval_days;
  // Maintenance interval range and default; nullopt values mean no maintenance
  // phase is defined (e.g. esketamine for acute suicidal ideation).
  NumericSetting maintenance_min_days;
  NumericSetting maintenance_max_days;
  NumericSetting maintenance_default_days;
  // "Stop after N sessions without response".
  NumericSetting evaluate_after_sessions;
  // Instruments the template tailors response on, in order of preference
  // (e.g. {"madrs", "phq9"}): a plan uses whichever the clinic recorded.
  std::vector<std::string> response_instruments;

  int InductionSessions() const;
};

// The annual cap: at most `cap` counted sessions in any rolling window of
// `window_days` days ending on a session's date (inclusive).
struct AnnualCap {
  NumericSetting cap;         // clinic setting; REQUIRES allowed_min <= cap <= allowed_max
  double allowed_min = 6;     // the guideline's range, V [R1-seed]
  double allowed_max = 12;
  NumericSetting window_days; // 365 (rolling year)
  std::string counting_unit;  // "session" or "series" (U: the reference leaves it open)
  SettingSource counting_unit_source;
};

// ---- Monitoring --------------------------------------------------------

// What a measurement is compared against. Frozen (JSON strings).
enum class Measure { kSbp = 0, kDbp = 1, kHr = 2, kSpo2 = 3, kRr = 4, kSedation = 5, kCadss = 6 };
std::string_view MeasureName(Measure m);
// The name a clinician reads ("SpO2", "systolic BP", ...).
std::string_view MeasureLabel(Measure m);
bool ParseMeasure(std::string_view s, Measure* out);

// Per-observation action. Ordered by severity. Frozen (JSON strings).
enum class Action { kContinue = 0, kSlow = 1, kPause = 2, kStop = 3 };
std::string_view ActionName(Action a);

// Frozen: ">=", "<=", ">", "<".
enum class Comparison { kAtLeast = 0, kAtMost = 1, kAbove = 2, kBelow = 3 };
std::string_view ComparisonText(Comparison c);
bool ParseComparison(std::string_view s, Comparison* out);
bool Compare(Comparison op, double value, double threshold);

// A threshold rule: when `measure` (absolute, or its rise from baseline)
// compares true against `value`, recommend `action`. value nullopt = not
// configured (never fires; reported once per session).
struct ThresholdRule {
  std::string rule_id;  // e.g. "monitor.sbp.rise_pause"
  Measure measure = Measure::kSbp;
  bool rise_from_baseline = false;
  Comparison op = Comparison::kAtLeast;
  std::optional<double> value;
  Action action = Action::kContinue;
  SettingSource source;
};

// Start gate on baseline vitals: caution (or block) when a baseline value
// compares true against the threshold.
struct StartRule {
  std::string rule_id;
  Measure measure = Measure::kSbp;
  Comparison op = Comparison::kAtLeast;
  std::optional<double> value;
  domain::Severity severity = domain::Severity::kCaution;
  SettingSource source;
};

struct MonitoringSettings {
  NumericSetting bp_check_at_min;          // ~40 min after start (V [R10])
  NumericSetting bp_check_window_min;      // +/- window around it (U)
  NumericSetting bp_interval_during_min;   // max gap between BPs while running
  NumericSetting min_observation_iv_min;   // after end of infusion (U)
  NumericSetting min_observation_esketamine_min;  // from first device (V [R10])
  SettingSource bp_schedule_source;        // BP before start, ~40 min, before discharge (V [R10])
  SettingSource resuscitation_source;      // grade A, low certainty [R1-seed]
  SettingSource pulse_oximetry_source;
  SettingSource rems_source;
  std::vector<StartRule> start_rules;
  std::vector<ThresholdRule> thresholds;
};

// ---- Rescue --------------------------------------------------------------

struct RescueAgent {
  std::string id;         // "midazolam"
  std::string drug_class; // "benzodiazepine", "alpha2_agonist"
  std::string route;      // "IV", "oral"
  NumericSetting dose_mg; // not in the reference: clinic setting, U
  // Screening rule ids (from the main screening) that exclude this agent.
  std::vector<std::string> excluded_by;
};

struct RescueSettings {
  std::vector<std::string> symptoms;      // accepted symptom ids
  std::vector<RescueAgent> agents;        // in order of preference
  SettingSource preference_source;        // the order itself (U)
  SettingSource choice_source;            // benzodiazepine or clonidine (V [R1-seed])
  std::vector<std::string> antipsychotics;  // names flagged when proposed
  SettingSource antipsychotic_source;

  const RescueAgent* Find(std::string_view id) const;
};

// ---- Discharge -----------------------------------------------------------

struct DischargeItem {
  std::string id;           // e.g. "no_driving_advised"
  std::string description;  // what the clinician attests
  domain::Severity severity_if_missing = domain::Severity::kSoftStop;
  std::vector<std::string> routes;  // empty = all routes
  SettingSource source;
};

struct DischargeSettings {
  std::vector<DischargeItem> attestations;
  NumericSetting sbp_near_baseline_mmhg;  // tolerance; nullopt = clinician attests
  NumericSetting dbp_near_baseline_mmhg;
  SettingSource bp_before_discharge_source;
  NumericSetting rems_form_due_days;      // esketamine (V [R11])
};

struct AdvisorLibrary {
  std::string id;
  std::string version;
  std::string effective_date;
  AnnualCap annual_cap;
  std::vector<PlanTemplate> templates;
  MonitoringSettings monitoring;
  RescueSettings rescue;
  DischargeSettings discharge;

  const PlanTemplate* FindTemplate(std::string_view id) const;
  // The first template (in file order) listing `indication` (and on `route`
  // when non-empty); nullptr when none.
  const PlanTemplate* TemplateFor(std::string_view indication, std::string_view route) const;
};

// Renders "value unit [tag]" or "not configured [U]" for inputs_used.
std::string RenderSetting(const NumericSetting& s);

}  // namespace kira::advisor

#endif  // KIRA_ADVISOR_LIBRARY_H_
