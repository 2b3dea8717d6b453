// The pharmacokinetic safety check (issue 7 part 3): the plasma
// concentration a dose is predicted to reach, against the intended band the
// protocol declares (guideline Protocol::intended_band_*).
//
// Adapter between the guideline/dose vocabulary and kira_pk: it builds the
// pk::Regimen a DoseResult describes, runs the model, classifies the peak
// (pk::ClassifyPeak) and maps the result into the decision record's Finding:
//   pk.peak.within_band   info
//   pk.peak.outside_band  soft_stop  (the peak leaves the intended band)
//   pk.peak.anaesthetic   hard_stop  (>= 1200 ng/mL [R30] for a protocol whose
//                                    band lies below the anaesthetic range)
// The finding names the model and parameter set, and its evidence tag is the
// weakest of the inputs behind the prediction (model rows are S; a default
// absorption rate constant is U). Pure: no I/O, no clock.
#ifndef KIRA_ADVISOR_PK_CHECK_H_
#define KIRA_ADVISOR_PK_CHECK_H_

#include <optional>
#include <string>

#include "kira/base/statusor.h"
#include "kira/domain/decision.h"
#include "kira/guideline/library.h"
#include "kira/pk/bands.h"
#include "kira/pk/model.h"
#include "kira/pk/regimen.h"
#include "kira/pk/simulate.h"
#include "kira/pk/tci.h"
#include "kira/advisor/dose.h"

namespace kira::advisor {

inline constexpr int kMaxPkSessions = 1000;

struct PkRequest {
  // pk::kKetamineModels name; empty: pk::kDefaultModelName.
  std::string model;
  // "iv", "im" or "intranasal" (racemic ketamine); empty: the protocol's route.
  std::string route;
  // Overrides the default absorption (ka, F) of the extravascular route used.
  std::optional<pk::AbsorptionParameters> absorption;
  // If set, also report the concentration this long after the dose starts.
  std::optional<units::Duration> discharge_after;
  // A series: the same dose `sessions` times, one every `interval` (the
  // plan view). REQUIRES: 1 <= sessions <= kMaxPkSessions; interval finite and
  // no shorter than the infusion. The finding judges the highest peak of the
  // series, so accumulation between sessions counts.
  int sessions = 1;
  units::Duration interval = units::Hours(24.0);
  // If false, compute only what the finding needs (the peak): no threshold
  // crossings, no awakening time. The dose check uses false to stay cheap.
  bool details = true;
  // If false (the dose check), the finding's text is rendered when read
  // (domain/text.h) and PkPrediction::check, intended_band_text and
  // analysis.assumptions are left empty. REQUIRES: route empty (the text
  // views the protocol's route in the loaded library).
  bool render_text = true;
};

struct PkPrediction {
  std::string route;
  pk::ModelParameters model;
  pk::Regimen regimen;
  units::Duration horizon;
  pk::Analysis analysis;  // peak; crossings of the anaesthetic threshold if details; sessions if a series
  std::optional<pk::ThresholdCrossings> above_awakening;  // above approx. 640 ng/mL [R36], if details
  std::optional<units::NanogramsPerMillilitre> at_discharge;
  std::string intended_band_text;  // "70-250 ng/mL"
  pk::PeakFinding check;
  domain::Finding finding;
};

// Errors: kFailedPrecondition when the protocol declares no intended band or
// is an esketamine protocol (the models are for racemic ketamine);
// kNotFound for an unknown model; kInvalidArgument for an unknown route or
// malformed absorption parameters or series (named: "sessions", "interval_h").
StatusOr<PkPrediction> PredictForDose(const guideline::Protocol& protocol, const domain::Patient& patient,
                                      const DoseResult& dose, const PkRequest& request);

// Target-concentration mode within a protocol's limits (issue 7 part 2): the
// pump schedule that reaches and holds `target` for `hold`, capped by the
// protocol's session limits that can be given without an override: the rate
// cap is mg_per_kg_per_h soft_max (else hard_max), the cumulative cap is
// mg_per_kg soft_max (else hard_max) x the dosing weight, or total_mg.
struct TargetPlan {
  pk::TargetControlPlan plan;
  pk::ModelParameters model;
  std::string rate_cap_source;   // "session mg_per_kg_per_h soft_max 1.125 (citation)"
  std::string total_cap_source;  // "" when the protocol has no cumulative cap
};
// Errors: kFailedPrecondition if the protocol has no rate limit or is
// esketamine; kNotFound for an unknown model; kInvalidArgument from
// pk::PlanTargetConcentration (named fields).
StatusOr<TargetPlan> PlanTargetForProtocol(const guideline::Protocol& protocol, const domain::Patient& patient,
                                           units::Kilograms dosing_weight, units::NanogramsPerMillilitre target,
                                           units::Duration hold, const std::string& model_name);

// True when PredictForDose applies to `protocol` (a band is declared and the
// drug is racemic ketamine).
bool PkCheckApplies(const guideline::Protocol& protocol);

}  // namespace kira::advisor

#endif  // KIRA_ADVISOR_PK_CHECK_H_
