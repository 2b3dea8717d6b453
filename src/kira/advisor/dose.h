// Weight-based dosing and smart-pump limit checks:
// (library, patient, request) -> DoseResult (a Decision plus the numbers).
//
// Steps, each recorded in the decision's inputs_used or findings:
//  1. Plausibility of the facts (plausibility.h: weight for an adult, BMI,
//     height required for a weight-based adult dose, pounds-as-kilograms,
//     change since the last visit, birth before the session, baseline vitals);
//     an estimated weight is a caution showing the mg/kg implied at plausible
//     true weights.
//  2. Dosing weight: actual, or at BMI >= dosing.obesity_bmi the clinic's
//     obesity basis (ideal or adjusted body weight; formula as settings).
//  3. Dose: from the protocol (mg/kg, mg/kg/h, mg/h or fixed mg), or the
//     clinician's ordered dose, checked for a ten-fold error against the
//     computed dose. A label's older-adult dose (Protocol::older_adult, e.g.
//     esketamine 28 mg on day 1 from age 65) sets the first dose and the
//     lowest dose for those patients.
//  4. Pump: volume and mL/h at the concentration (standard concentrations of
//     the drug library; undiluted vials refused for IV).
//  5. Limits: every session and cumulative-day limit of the protocol
//     (mg/kg, total mg, mg/kg/h, mg/h, duration). Hard breaches cannot be
//     overridden; soft breaches need an override reason, which is recorded.
//  6. Screening hard stops carry over (a not-eligible patient is a hard stop).
//  7. Predicted plasma concentration: the peak the dose reaches (kira_pk)
//     against the protocol's intended band (pk_check.h).
// Outcome: "ok", "ok_with_override", "soft_limit" (blocked until a reason is
// given) or "hard_stop". Pure: no clock; the override's time comes in.
#ifndef KIRA_ADVISOR_DOSE_H_
#define KIRA_ADVISOR_DOSE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kira/base/statusor.h"
#include "kira/domain/decision.h"
#include "kira/domain/patient.h"
#include "kira/guideline/library.h"
#include "kira/advisor/screen.h"
#include "kira/units/units.h"

namespace kira::advisor {

struct DoseRequest {
  std::string protocol_id;
  std::optional<units::MilligramsPerMillilitre> concentration;  // default: pump.default_concentration_mg_per_ml
  std::optional<units::Milligrams> ordered_dose;                // absent: compute the protocol dose
  std::optional<units::Duration> ordered_duration;              // absent: the protocol's duration
  units::Milligrams given_today = units::Mg(0.0);                // already given today (cumulative check)
  bool self_administered_at_home = false;                        // always refused
  std::optional<domain::Override> override_;                     // reason + who + when for soft stops
  std::string pk_model;  // model for the predicted-peak check (pk_check.h); empty: pk::kDefaultModelName
  // 1-based number of this session in the patient's series (1 = the first
  // dose, "day 1" of a label); absent when unknown. Age-specific label doses
  // (e.g. the esketamine day-1 dose from age 65) depend on it.
  std::optional<int> session_number;
  // ISO date of the session ("" unknown): plausibility checks birth before it.
  std::string session_date;
  // The rate the pump actually ran (recorded sessions): the rate limits judge
  // it instead of dose / duration. Absent: computed from dose and duration.
  std::optional<units::MillilitresPerHour> pump_rate;
};

struct ImpliedDose {
  units::Kilograms weight;
  units::MilligramsPerKilogram dose_per_kg;
};

struct PumpSettings {
  units::MilligramsPerMillilitre concentration;
  units::Millilitres volume;
  units::MillilitresPerHour rate;  // rounded to the pump's precision
  units::Duration duration;
};

struct DoseResult {
  domain::Decision decision;
  std::string protocol_id;
  units::Kilograms actual_weight;
  units::Kilograms dosing_weight;
  std::string weight_basis;                 // "actual", "ideal", "adjusted"
  std::optional<double> bmi;
  units::Milligrams computed_dose;          // what the protocol gives at the dosing weight
  units::Milligrams dose;                   // the dose checked (ordered or computed)
  units::MilligramsPerKilogram dose_per_kg; // per kg of dosing weight
  std::optional<units::MilligramsPerHour> rate_mg_per_h;
  std::optional<units::MilligramsPerKilogramPerHour> rate_mg_per_kg_per_h;
  std::optional<PumpSettings> pump;         // infusions only
  std::optional<int> devices;               // device protocols (nasal spray): devices the dose takes
  std::vector<ImpliedDose> at_plausible_weights;  // when the weight was estimated
  units::Milligrams day_total;              // given today + this dose
};

inline constexpr std::string_view kDoseOk = "ok";
inline constexpr std::string_view kDoseOkWithOverride = "ok_with_override";
inline constexpr std::string_view kDoseSoftLimit = "soft_limit";
inline constexpr std::string_view kDoseHardStop = "hard_stop";

// Returns kNotFound for an unknown protocol and kInvalidArgument for an
// ill-formed request (non-positive concentration or dose). Everything
// clinical is in the returned decision.
StatusOr<DoseResult> CheckDose(const guideline::Library& lib, const domain::Patient& patient,
                               const DoseRequest& request);
// The same decision, carrying over the screening just made on the same facts
// (Screen(lib, advisor, patient, protocol's route)) instead of evaluating the
// screening rules again. A screening of another library, patient object or
// route, or one read back from storage, is not used: the rules are evaluated
// again. REQUIRES: `patient` unchanged since `screening` was made.
StatusOr<DoseResult> CheckDose(const guideline::Library& lib, const domain::Patient& patient,
                               const DoseRequest& request, const ScreenResult& screening);

// What was actually given in a session, as recorded.
struct RecordedAdministration {
  std::string protocol_id;
  units::Milligrams given_dose;
  std::optional<units::MilligramsPerMillilitre> concentration;  // infusions
  std::optional<units::MillilitresPerHour> rate;                 // infusions: the pump rate run
  std::optional<units::Duration> duration;                       // infusions: start to end of dose
  std::optional<int> devices;                                    // device routes (nasal spray): devices used
  units::Milligrams given_today = units::Mg(0.0);                // other sessions of the same day
  std::optional<int> session_number;                             // 1-based in the series
  std::string session_date;                                      // ISO date
  std::optional<domain::Override> override_;
  std::string pk_model;
};

// The recorded-session check: the same dose-limit rules as CheckDose, run on
// what was given, plus what the protocol's route needs recorded and the
// mutual consistency of what was recorded. Infusions (IV, IM by pump) are
// judged on the dose, the pump rate actually run, the concentration and the
// duration; a device route (esketamine nasal spray) on the dose in mg and the
// devices used (Protocol::mg_per_device, from the label):
//   record.inconsistent       hard_stop  rate x concentration x duration, or
//                                        devices x mg per device, does not
//                                        deliver the recorded dose (infusions:
//                                        beyond the clinic's
//                                        record.consistency_tolerance_pct, U)
//   record.concentration_missing  hard_stop  an infusion recorded without the
//                                        concentration that ran (its pump rate
//                                        cannot be read as mg/h)
//   record.not_infused        hard_stop  a concentration or pump rate recorded
//                                        for a route that is not infused
//   record.not_a_device_route hard_stop  devices recorded for an infusion
//   record.rate_missing / record.duration_missing  caution  an infusion recorded
//                                        without its pump rate or duration (the
//                                        protocol's duration is assumed)
// A rate or dose that is a hard stop at order time is a hard stop here.
// Errors as CheckDose (kNotFound protocol; kInvalidArgument named fields,
// and "devices" below 1).
StatusOr<DoseResult> CheckRecordedSession(const guideline::Library& lib, const domain::Patient& patient,
                                          const RecordedAdministration& given);

// Ideal body weight by the clinic's configured formula (Devine by default, U).
units::Kilograms IdealBodyWeight(const guideline::Library& lib, const domain::Patient& patient);

}  // namespace kira::advisor

#endif  // KIRA_ADVISOR_DOSE_H_
