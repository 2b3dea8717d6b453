// Weight-based dosing and smart-pump limit checks:
// (library, patient, request) -> DoseResult (a Decision plus the numbers).
//
// Steps, each recorded in the decision's inputs_used or findings:
//  1. Weight plausibility: implausible BMI is a hard stop (re-measure); a kg
//     value that reads as a normal BMI in pounds is a suspected
//     pounds-as-kilograms entry (soft stop: confirm); an estimated weight is a
//     caution showing the mg/kg implied at plausible true weights.
//  2. Dosing weight: actual, or at BMI >= dosing.obesity_bmi the clinic's
//     obesity basis (ideal or adjusted body weight; formula as settings).
//  3. Dose: from the protocol (mg/kg, mg/kg/h, mg/h or fixed mg), or the
//     clinician's ordered dose, checked for a ten-fold error against the
//     computed dose.
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

// Ideal body weight by the clinic's configured formula (Devine by default, U).
units::Kilograms IdealBodyWeight(const guideline::Library& lib, const domain::Patient& patient);

}  // namespace kira::advisor

#endif  // KIRA_ADVISOR_DOSE_H_
