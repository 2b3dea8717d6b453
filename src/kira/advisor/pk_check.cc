#include "kira/advisor/pk_check.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "kira/advisor/internal/format.h"

namespace kira::advisor {

namespace {

namespace u = units;

// After the last input, how long the prediction window runs: long enough for
// the peak of any absorption (ka >= 0.005 /min peaks within hours) and for the
// concentration to fall below the awakening level.
constexpr double kHorizonAfterDoseMin = 12.0 * 60.0;

std::string Num(double v, int decimals) { return internal::Fixed(v, decimals, false); }

domain::Evidence ToDomain(pk::Evidence e) {
  // The enums share the frozen values of clinical-reference.md §0.
  switch (e) {
    case pk::Evidence::kVerified: return domain::Evidence::kVerified;
    case pk::Evidence::kSecondary: return domain::Evidence::kSecondary;
    case pk::Evidence::kUnverified: return domain::Evidence::kUnverified;
    case pk::Evidence::kDerived: return domain::Evidence::kDerived;
  }
  return domain::Evidence::kUnverified;
}

pk::Evidence FromDomain(domain::Evidence e) {
  switch (e) {
    case domain::Evidence::kVerified: return pk::Evidence::kVerified;
    case domain::Evidence::kSecondary: return pk::Evidence::kSecondary;
    case domain::Evidence::kUnverified: return pk::Evidence::kUnverified;
    case domain::Evidence::kDerived: return pk::Evidence::kDerived;
  }
  return pk::Evidence::kUnverified;
}

// Weakest first: U, then S, derived, V.
int Strength(pk::Evidence e) {
  switch (e) {
    case pk::Evidence::kUnverified: return 0;
    case pk::Evidence::kSecondary: return 1;
    case pk::Evidence::kDerived: return 2;
    case pk::Evidence::kVerified: return 3;
  }
  return 0;
}

bool IsEsketamine(const guideline::Protocol& p) {
  // The library's "intranasal" route is esketamine (SPRAVATO); racemic
  // intranasal ketamine is asked for explicitly with PkRequest::route.
  return p.route == "intranasal";
}

}  // namespace

bool PkCheckApplies(const guideline::Protocol& protocol) {
  return protocol.intended_band_low_ng_per_ml && protocol.intended_band_high_ng_per_ml && !IsEsketamine(protocol);
}

StatusOr<PkPrediction> PredictForDose(const guideline::Protocol& protocol, const domain::Patient& patient,
                                      const DoseResult& dose, const PkRequest& request) {
  if (!protocol.intended_band_low_ng_per_ml || !protocol.intended_band_high_ng_per_ml) {
    return FailedPreconditionError("protocol '" + protocol.id + "' declares no intended_band_ng_per_ml");
  }
  if (IsEsketamine(protocol) && request.route.empty()) {
    return FailedPreconditionError("protocol '" + protocol.id +
                                   "' is esketamine; the pharmacokinetic models of clinical-reference.md 7.1 are "
                                   "for racemic ketamine");
  }
  PkPrediction out;
  out.route = request.route.empty() ? protocol.route : request.route;
  KIRA_ASSIGN_OR_RETURN(out.model,
                        pk::FindModel(request.model.empty() ? pk::kDefaultModelName : request.model));
  // Published volumes are per kg of body weight: the actual weight, whatever
  // weight the dose was computed on.
  KIRA_ASSIGN_OR_RETURN(pk::Model model, pk::Model::Create(out.model, patient.weight.value));

  if (request.sessions < 1 || request.sessions > kMaxPkSessions) {
    return InvalidArgumentError("sessions: must be between 1 and " + std::to_string(kMaxPkSessions) + " (got " +
                                std::to_string(request.sessions) + ")");
  }
  const double every_min = u::ToMinutes(request.interval);
  if (request.sessions > 1 && !(std::isfinite(every_min) && every_min > 0.0)) {
    return InvalidArgumentError("interval_h: must be a finite number > 0");
  }
  if (request.sessions > 1 && dose.pump && out.route == "iv" && every_min < u::ToMinutes(dose.pump->duration)) {
    return InvalidArgumentError("interval_h: " + Num(every_min / 60.0, 2) + " h is shorter than the infusion (" +
                                Num(u::ToMinutes(dose.pump->duration), 0) + " min)");
  }
  double last_input_min = 0.0;
  for (int k = 0; k < request.sessions; ++k) {
    const u::Duration at = u::Minutes(every_min * k);
    if (out.route == "iv") {
      if (dose.pump) {
        const u::Duration d = dose.pump->duration;
        out.regimen.infusions.push_back({at, d, dose.dose / d});
        last_input_min = u::ToMinutes(at + d);
      } else {
        out.regimen.doses.push_back({at, dose.dose, pk::Route::kIntravenous});
        last_input_min = u::ToMinutes(at);
      }
    } else if (out.route == "im" || out.route == "intranasal") {
      const bool im = out.route == "im";
      out.regimen.doses.push_back({at, dose.dose, im ? pk::Route::kIntramuscular : pk::Route::kIntranasal});
      if (request.absorption) (im ? out.regimen.intramuscular : out.regimen.intranasal) = *request.absorption;
      last_input_min = u::ToMinutes(at);
    } else {
      return InvalidArgumentError("route: no pharmacokinetic route '" + out.route + "' (iv, im, intranasal)");
    }
  }
  out.horizon = u::Minutes(last_input_min + kHorizonAfterDoseMin);
  if (request.discharge_after) {
    out.horizon = std::max(out.horizon, *request.discharge_after);
  }

  const pk::ConcentrationBand& anaesthetic = pk::kGeneralAnaesthesiaBand;
  std::optional<u::NanogramsPerMillilitre> threshold;
  if (request.details) threshold = anaesthetic.low;
  KIRA_ASSIGN_OR_RETURN(out.analysis,
                        pk::Analyse(model, out.regimen, {out.horizon, threshold, request.sessions > 1}));
  if (request.details) {
    KIRA_ASSIGN_OR_RETURN(pk::ThresholdCrossings awake,
                          pk::TimeAbove(model, out.regimen, pk::kAwakeningConcentration, out.horizon));
    out.above_awakening = awake;
  }
  if (request.discharge_after) {
    KIRA_ASSIGN_OR_RETURN(out.at_discharge, pk::ConcentrationAt(model, out.regimen, *request.discharge_after));
  }

  const double lo = *protocol.intended_band_low_ng_per_ml, hi = *protocol.intended_band_high_ng_per_ml;
  out.intended_band_text = Num(lo, 0) + "-" + Num(hi, 0) + " ng/mL";
  const std::string band_name = "protocol " + protocol.id;
  const std::string band_citation = "protocol " + protocol.id + " intended_band_ng_per_ml; " + protocol.meta.citation;
  const pk::ConcentrationBand intended{"intended", band_name, u::NgPerMl(lo), u::NgPerMl(hi),
                                       FromDomain(protocol.meta.evidence), band_citation};
  const pk::ProtocolIntent intent =
      u::NgPerMl(hi) < anaesthetic.low ? pk::ProtocolIntent::kSubAnaesthetic : pk::ProtocolIntent::kAnaesthetic;
  out.check = pk::ClassifyPeak(out.analysis, model, intended, intent, anaesthetic);

  domain::Finding& f = out.finding;
  f.rule_id = out.check.rule_id;
  switch (out.check.severity) {
    case pk::FindingSeverity::kNone: f.severity = domain::Severity::kInfo; break;
    case pk::FindingSeverity::kSoft: f.severity = domain::Severity::kSoftStop; break;
    case pk::FindingSeverity::kHard: f.severity = domain::Severity::kHardStop; break;
  }
  // The message names the protocol's band as "intended"; say whose it is.
  f.message = out.check.message + " [protocol " + protocol.id + ", route " + out.route + "]";
  pk::Evidence weakest = out.check.model_evidence;
  std::string unverified;
  for (const pk::Assumption& a : out.analysis.assumptions) {
    if (Strength(a.evidence) < Strength(weakest)) weakest = a.evidence;
    if (a.evidence == pk::Evidence::kUnverified) unverified += (unverified.empty() ? "" : "; ") + a.what;
  }
  if (!unverified.empty()) f.message += "; assumes " + unverified + " (U: not a published value)";
  f.evidence = ToDomain(weakest);
  f.citation = out.check.model_citation + "; band: " + band_citation + "; anaesthetic range " +
               std::string(anaesthetic.citation);
  f.rationale =
      "A mg/kg limit is a proxy: plasma concentration separates analgesia, dissociation and anaesthesia, and "
      "depends on weight, route, rate and time (issue 7).";
  return out;
}

StatusOr<TargetPlan> PlanTargetForProtocol(const guideline::Protocol& protocol, const domain::Patient& patient,
                                           u::Kilograms dosing_weight, u::NanogramsPerMillilitre target,
                                           u::Duration hold, const std::string& model_name) {
  if (IsEsketamine(protocol)) {
    return FailedPreconditionError("protocol '" + protocol.id + "' is esketamine; no racemic-ketamine target mode");
  }
  TargetPlan out;
  KIRA_ASSIGN_OR_RETURN(out.model, pk::FindModel(model_name.empty() ? pk::kDefaultModelName : model_name));
  KIRA_ASSIGN_OR_RETURN(pk::Model model, pk::Model::Create(out.model, patient.weight.value));

  const auto& rate = protocol.session.mg_per_kg_per_h;
  const bool rate_soft = rate.soft_max.has_value();
  if (!rate_soft && !rate.hard_max) {
    return FailedPreconditionError("protocol '" + protocol.id +
                                   "' declares no session mg_per_kg_per_h limit to cap a target-controlled infusion");
  }
  // The caps are per kg of the dosing weight (as the dose check applies them);
  // the model uses the actual weight.
  const double cap_per_dosing_kg = u::ToMgPerKgPerH(rate_soft ? *rate.soft_max : *rate.hard_max);
  const double actual_kg = u::ToKg(patient.weight.value);
  pk::TargetControlOptions o{target, hold,
                             u::MgPerKgPerH(cap_per_dosing_kg * u::ToKg(dosing_weight) / actual_kg), std::nullopt};
  out.rate_cap_source = std::string("session mg_per_kg_per_h ") + (rate_soft ? "soft_max " : "hard_max ") +
                        Num(cap_per_dosing_kg, 3) + " mg/kg/h (" + rate.meta.citation + ")";
  const auto& per_kg = protocol.session.mg_per_kg;
  const auto& total = protocol.session.total_mg;
  if (per_kg.soft_max || per_kg.hard_max) {
    const bool soft = per_kg.soft_max.has_value();
    const double v = u::ToMgPerKg(soft ? *per_kg.soft_max : *per_kg.hard_max);
    o.max_total = u::MgPerKg(v) * dosing_weight;
    out.total_cap_source = std::string("session mg_per_kg ") + (soft ? "soft_max " : "hard_max ") + Num(v, 3) +
                           " mg/kg x " + Num(u::ToKg(dosing_weight), 1) + " kg (" + per_kg.meta.citation + ")";
  } else if (total.soft_max || total.hard_max) {
    const bool soft = total.soft_max.has_value();
    o.max_total = soft ? *total.soft_max : *total.hard_max;
    out.total_cap_source = std::string("session total_mg ") + (soft ? "soft_max " : "hard_max ") +
                           Num(u::ToMg(*o.max_total), 1) + " mg (" + total.meta.citation + ")";
  }
  KIRA_ASSIGN_OR_RETURN(out.plan, pk::PlanTargetConcentration(model, o));
  return out;
}

}  // namespace kira::advisor
