#include "kira/advisor/pk_check.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "kira/advisor/internal/format.h"
#include "kira/advisor/internal/pk_predict.h"

namespace kira::advisor {

namespace {

namespace u = units;

// After the last input, how long the prediction window runs: long enough for
// the peak of any absorption (ka >= 0.005 /min peaks within hours) and for the
// concentration to fall below the awakening level.
constexpr double kHorizonAfterDoseMin = 12.0 * 60.0;

std::string Num(double v, int decimals) { return internal::Fixed(v, decimals, false); }

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

// The finding's text, rendered when read. Message args: n = {peak ng/mL,
// time of peak min, band low, band high, position, severity}; s = {model
// name, protocol name, route}. Citation args: s = {model name, protocol name,
// protocol citation}. Every view is of the model table, the loaded library
// or a literal.
void RenderPkMessage(const domain::TextArgs& a, std::string& out) {
  const StatusOr<pk::ModelParameters> model = pk::FindModel(a.s[0]);
  if (!model.ok()) return;  // unreachable: the name came from the table
  pk::PeakLevel level;
  level.position = static_cast<pk::BandPosition>(static_cast<int>(a.n[4]));
  level.severity = static_cast<pk::FindingSeverity>(static_cast<int>(a.n[5]));
  const pk::ConcentrationBand intended{"intended", a.s[1], u::NgPerMl(a.n[2]), u::NgPerMl(a.n[3]),
                                       domain::Evidence::kUnverified, ""};
  pk::AppendPeakMessage(out, level, u::NgPerMl(a.n[0]), u::Minutes(a.n[1]), *model, intended);
  out += " [route ";
  out += a.s[2];
  out += "]";
}

void RenderPkCitation(const domain::TextArgs& a, std::string& out) {
  const StatusOr<pk::ModelParameters> model = pk::FindModel(a.s[0]);
  if (model.ok()) out += model->citation;
  out += "; band: intended band of ";
  out += a.s[1];
  out += ": ";
  out += a.s[2];
  out += "; anaesthetic range ";
  out += pk::kGeneralAnaesthesiaBand.citation;
}

constexpr std::string_view kPkRationale =
    "A mg/kg limit is a proxy: plasma concentration separates analgesia, dissociation and anaesthesia, and "
    "depends on weight, route, rate and time.";

// The one builder of the predicted-peak finding. `route` must outlive the
// finding unless the caller renders its text at once.
domain::Finding PeakFinding(const guideline::Protocol& protocol, const pk::ModelParameters& model,
                            std::string_view route, const pk::PeakLevel& level, const pk::Peak& peak,
                            pk::Evidence weakest, const std::string& unverified) {
  domain::Finding f;
  f.rule_id = std::string(level.rule_id);
  switch (level.severity) {
    case pk::FindingSeverity::kNone: f.severity = domain::Severity::kInfo; break;
    case pk::FindingSeverity::kSoft: f.severity = domain::Severity::kSoftStop; break;
    case pk::FindingSeverity::kHard: f.severity = domain::Severity::kHardStop; break;
  }
  domain::TextArgs m;
  m.n = {u::ToNgPerMl(peak.concentration), u::ToMinutes(peak.time), *protocol.intended_band_low_ng_per_ml,
         *protocol.intended_band_high_ng_per_ml, static_cast<double>(static_cast<int>(level.position)),
         static_cast<double>(static_cast<int>(level.severity))};
  m.s = {model.name, protocol.name, route};
  f.message = domain::Text::Deferred(RenderPkMessage, m);
  // The message names the protocol's band as "intended"; say whose it is.
  if (!unverified.empty()) f.message = f.message + "; assumes " + unverified + " (U: not a published value)";
  f.evidence = weakest;
  domain::TextArgs c;
  c.s = {model.name, protocol.name, protocol.meta.citation};
  f.citation = domain::Text::Deferred(RenderPkCitation, c);
  f.rationale = domain::Text::Borrow(kPkRationale);
  return f;
}

bool IsEsketamine(const guideline::Protocol& p) {
  // Racemic intranasal ketamine is asked for explicitly with PkRequest::route.
  return p.drug == "esketamine";
}

}  // namespace

bool PkCheckApplies(const guideline::Protocol& protocol) {
  return protocol.intended_band_low_ng_per_ml && protocol.intended_band_high_ng_per_ml && !IsEsketamine(protocol);
}

namespace internal {

Status PredictInto(const guideline::Protocol& protocol, const domain::Patient& patient, const DoseResult& dose,
                   const PkRequest& request, PkPrediction& out) {
  if (!protocol.intended_band_low_ng_per_ml || !protocol.intended_band_high_ng_per_ml) {
    return FailedPreconditionError("protocol '" + protocol.id + "' declares no intended_band_ng_per_ml");
  }
  if (IsEsketamine(protocol) && request.route.empty()) {
    return FailedPreconditionError("protocol '" + protocol.id +
                                   "' is esketamine; the published pharmacokinetic models are for racemic ketamine");
  }
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
  KIRA_ASSIGN_OR_RETURN(out.analysis, pk::Analyse(model, out.regimen,
                                                  {out.horizon, threshold, request.sessions > 1, request.render_text}));
  if (request.details) {
    KIRA_ASSIGN_OR_RETURN(pk::ThresholdCrossings awake,
                          pk::TimeAbove(model, out.regimen, pk::kAwakeningConcentration, out.horizon));
    out.above_awakening = awake;
  }
  if (request.discharge_after) {
    KIRA_ASSIGN_OR_RETURN(out.at_discharge, pk::ConcentrationAt(model, out.regimen, *request.discharge_after));
  }

  const double lo = *protocol.intended_band_low_ng_per_ml, hi = *protocol.intended_band_high_ng_per_ml;
  const pk::ProtocolIntent intent =
      u::NgPerMl(hi) < anaesthetic.low ? pk::ProtocolIntent::kSubAnaesthetic : pk::ProtocolIntent::kAnaesthetic;
  pk::PeakLevel level;
  if (request.render_text) {
    out.intended_band_text = Num(lo, 0) + "-" + Num(hi, 0) + " ng/mL";
    const std::string band_citation = "intended band of " + protocol.name + ": " + protocol.meta.citation;
    const pk::ConcentrationBand intended{"intended", protocol.name, u::NgPerMl(lo), u::NgPerMl(hi),
                                         protocol.meta.evidence, band_citation};
    out.check = pk::ClassifyPeak(out.analysis, model, intended, intent, anaesthetic);
    level = {out.check.rule_id, out.check.severity, out.check.position};
  } else {
    const pk::ConcentrationBand intended{"intended", protocol.name, u::NgPerMl(lo), u::NgPerMl(hi),
                                         protocol.meta.evidence, ""};
    level = pk::ClassifyPeakLevel(out.analysis.peak.concentration, intended, intent, anaesthetic);
  }

  // Evidence: the weakest of the parameter set and every assumption; the
  // unverified ones are named (their text built only when there are some).
  pk::Evidence tags[pk::kMaxAssumptions];
  const int n_tags = pk::AssumptionEvidence(model, out.regimen, tags);
  pk::Evidence weakest = out.model.evidence;
  bool any_unverified = false;
  for (int i = 0; i < n_tags; ++i) {
    if (Strength(tags[i]) < Strength(weakest)) weakest = tags[i];
    any_unverified |= tags[i] == pk::Evidence::kUnverified;
  }
  std::string unverified;
  if (any_unverified) {
    for (const pk::Assumption& a : pk::ListAssumptions(model, out.regimen)) {
      if (a.evidence == pk::Evidence::kUnverified) unverified += (unverified.empty() ? "" : "; ") + a.what;
    }
  }
  const std::string_view route = request.route.empty() ? std::string_view(protocol.route) : std::string_view(out.route);
  out.finding = PeakFinding(protocol, out.model, route, level, out.analysis.peak, weakest, unverified);
  if (request.render_text) {
    // The caller's route and this result may not outlive the finding.
    out.finding.message = out.finding.message.str();
    out.finding.citation = out.finding.citation.str();
  }
  return Status::Ok();
}

}  // namespace internal

StatusOr<PkPrediction> PredictForDose(const guideline::Protocol& protocol, const domain::Patient& patient,
                                      const DoseResult& dose, const PkRequest& request) {
  PkPrediction out;
  KIRA_RETURN_IF_ERROR(internal::PredictInto(protocol, patient, dose, request, out));
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
