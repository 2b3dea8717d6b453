#include "kira/cli/pk_command.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kira/api/patient_json.h"
#include "kira/api/pk_json.h"
#include "kira/cli/common.h"
#include "kira/cli/text.h"
#include "kira/pk/bands.h"
#include "kira/pk/simulate.h"
#include "kira/pk/svg.h"
#include "kira/advisor/dose.h"
#include "kira/advisor/pk_check.h"

namespace kira::cli {

namespace {

namespace u = units;

struct Args {
  std::string patient, protocol, model = std::string(pk::kDefaultModelName), route, svg;
  std::optional<double> dose_mg, duration_min, ka_per_min, discharge_min, every_h, target_ng_per_ml, hold_min;
  int sessions = 1;
  bool json = false;
};

Status CheckPositive(const char* flag, const std::optional<double>& v) {
  if (v && !(std::isfinite(*v) && *v > 0)) return InvalidArgumentError(std::string(flag) + ": must be a finite number > 0");
  return Status::Ok();
}

std::string Ng(u::NanogramsPerMillilitre c) { return fmt::format("{:.0f} ng/mL", u::ToNgPerMl(c)); }
std::string Min(u::Duration d) { return fmt::format("{:.1f} min", u::ToMinutes(d)); }

void PrintText(std::ostream& os, const Args& a, const guideline::Protocol& proto, const domain::Patient& patient,
               const advisor::DoseResult& dose,
               const advisor::PkPrediction& p, const std::vector<advisor::PkPrediction>& all) {
  const std::string given = p.regimen.infusions.empty()
                                ? fmt::format("{:.1f} mg {} at t = 0", u::ToMg(dose.dose), p.route)
                                : fmt::format("{:.1f} mg IV over {} ({:.2f} mg/h)", u::ToMg(dose.dose),
                                              Min(p.regimen.infusions[0].duration),
                                              u::ToMgPerH(p.regimen.infusions[0].rate));
  os << fmt::format("PK prediction: {}; protocol {}; patient {} ({:.1f} kg)\n", given, dose.protocol_id,
                    patient.id.empty() ? "(no id)" : patient.id, u::ToKg(patient.weight.value));
  os << fmt::format("  Model          {} [{}]\n                 {}\n", p.model.display_name,
                    pk::EvidenceTag(p.model.evidence), p.model.citation);
  os << fmt::format("  Peak           {} at {}\n", Ng(p.analysis.peak.concentration), Min(p.analysis.peak.time));
  if (const auto& x = p.analysis.crossings; x && x->first_above) {
    os << fmt::format("  >= {:<11} general anaesthesia [R30]: from {} to {} ({} in all)\n", Ng(x->threshold),
                      Min(*x->first_above), Min(*x->last_above), Min(x->time_above));
  } else if (x) {
    os << fmt::format("  >= {:<11} general anaesthesia [R30]: never reached\n", Ng(x->threshold));
  }
  if (const auto& x = p.above_awakening; x && x->last_above) {
    os << fmt::format("  >= {:<11} awakening level (derived from [R36]): until {}\n", Ng(x->threshold),
                      Min(*x->last_above));
  }
  if (p.at_discharge) {
    os << fmt::format("  At discharge   {} at {:.0f} min\n", Ng(*p.at_discharge), *a.discharge_min);
  }
  os << fmt::format("  Intended band  {} (protocol {}): peak {}\n", p.intended_band_text, dose.protocol_id,
                    pk::BandPositionName(p.check.position));
  if (!p.analysis.sessions.empty()) {
    os << fmt::format("  Series         {} sessions, one every {:.1f} h\n", p.analysis.sessions.size(),
                      a.every_h ? *a.every_h : 24.0);
    for (size_t i = 0; i < p.analysis.sessions.size(); ++i) {
      const pk::SessionSummary& s = p.analysis.sessions[i];
      os << fmt::format("    session {:>3}  start {:>7.1f} h  peak {:>10} at +{:<9}  before next {}\n", i + 1,
                        u::ToHours(s.start), Ng(s.peak.concentration), Min(s.peak.time - s.start),
                        Ng(s.before_next));
    }
  }
  bool first = true;
  // The first assumption is the parameter set, already shown on the Model line.
  for (size_t i = 1; i < p.analysis.assumptions.size(); ++i) {
    const pk::Assumption& as = p.analysis.assumptions[i];
    os << fmt::format("  {:<14} [{}] {}: {}\n", first ? "Assumptions" : "", pk::EvidenceTag(as.evidence), as.what,
                      as.source);
    first = false;
  }
  os << "  All models    ";
  for (const advisor::PkPrediction& c : all) {
    os << fmt::format(" {} {} at {} ({});", c.model.name, Ng(c.analysis.peak.concentration),
                      Min(c.analysis.peak.time), domain::SeverityName(c.finding.severity));
  }
  os << "\n";
  domain::Decision pk_decision;
  // The dose check's outcome vocabulary (rules/dose.h).
  switch (p.finding.severity) {
    case domain::Severity::kHardStop: pk_decision.outcome = std::string(advisor::kDoseHardStop); break;
    case domain::Severity::kSoftStop: pk_decision.outcome = std::string(advisor::kDoseSoftLimit); break;
    default: pk_decision.outcome = std::string(advisor::kDoseOk); break;
  }
  pk_decision.findings.push_back(p.finding);
  pk_decision.guideline = dose.decision.guideline;
  pk_decision.inputs_used.push_back({"pk_model", std::string(p.model.name)});
  pk_decision.inputs_used.push_back({"route", p.route});
  pk_decision.inputs_used.push_back({"weight_kg", fmt::format("{:.2f}", u::ToKg(patient.weight.value))});
  PrintDecision(os, pk_decision);
  os << fmt::format("\nDose check of the same order by `kira dose` (protocol route {}; --route is not part of it):\n",
                    proto.route);
  PrintDecision(os, dose.decision);
}

std::string RateAt(const pk::TargetControlPlan& p, double t_min, double weight_kg) {
  double rate = 0.0;
  for (const pk::Infusion& i : p.schedule) {
    if (u::ToMinutes(i.start) <= t_min && t_min < u::ToMinutes(i.start + i.duration)) rate = u::ToMgPerH(i.rate);
  }
  return fmt::format("{:.2f} mg/h ({:.3f} mg/kg/h)", rate, rate / weight_kg);
}

void RunTargetMode(Context& ctx, const Args& a, const guideline::Protocol& proto, const domain::Patient& patient,
                   const advisor::DoseResult& dose) {
  const u::Duration hold = a.hold_min ? u::Minutes(*a.hold_min)
                                      : (proto.duration ? *proto.duration : u::Minutes(40.0));
  StatusOr<advisor::TargetPlan> t = advisor::PlanTargetForProtocol(proto, patient, dose.dosing_weight,
                                                               u::NgPerMl(*a.target_ng_per_ml), hold, a.model);
  if (!t.ok()) return ctx.BadInput(t.status());
  const pk::TargetControlPlan& p = t->plan;
  if (a.json) {
    *ctx.out << api::TargetPlanToJson(*t, u::NgPerMl(*a.target_ng_per_ml)) << "\n";
  } else {
    std::ostream& os = *ctx.out;
    const double w = u::ToKg(patient.weight.value);
    os << fmt::format("Target-controlled infusion: {:.0f} ng/mL for {}; protocol {}; patient {} ({:.1f} kg)\n",
                      *a.target_ng_per_ml, Min(hold), proto.id, patient.id.empty() ? "(no id)" : patient.id, w);
    os << fmt::format("  Model          {} [{}] {}\n", t->model.display_name, pk::EvidenceTag(t->model.evidence),
                      t->model.citation);
    os << fmt::format("  Rate cap       {}\n", t->rate_cap_source);
    if (!t->total_cap_source.empty()) os << fmt::format("  Total cap      {}\n", t->total_cap_source);
    if (p.time_to_target) {
      os << fmt::format("  Time to target {}; loading {:.1f} mg\n", Min(*p.time_to_target), u::ToMg(p.loading_dose));
    } else {
      os << "  Time to target not reached within the hold time\n";
    }
    const double end = u::ToMinutes(hold);
    for (double at : {0.0, 2.0, 5.0, 10.0, 20.0, 40.0, 60.0, 120.0, 240.0}) {
      if (at < end) os << fmt::format("  Rate at {:>5.0f} min {}\n", at, RateAt(p, at, w));
    }
    os << fmt::format("  Final rate     {:.3f} mg/kg/h; at steady state target x CL = {:.3f} mg/kg/h\n",
                      u::ToMgPerKgPerH(p.final_rate), u::ToMgPerKgPerH(p.maintenance_rate_steady_state));
    os << fmt::format("  Total          {:.1f} mg; {} at the end; {} pump steps\n", u::ToMg(p.total_dose),
                      Ng(p.concentration_at_end), p.schedule.size());
    for (const std::string& n : p.notes) os << "  Note           " << n << "\n";
  }
  const bool limited = !p.time_to_target || p.target_lost || p.rate_cap_prevents_holding;
  ctx.exit_code = limited ? kExitDecision : kExitOk;
}

}  // namespace

void AddPkCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "pk", "Predict the plasma ketamine concentration of a protocol dose, check it against the protocol's band, "
            "and draw the curve");
  auto a = std::make_shared<Args>();
  cmd->add_option("--patient", a->patient, "Patient JSON file, or - for standard input")->required();
  cmd->add_option("--protocol", a->protocol, "Protocol id (its intended_band_ng_per_ml is the band checked)")
      ->required();
  cmd->add_option("--model", a->model, "PK parameter set: domino (3-compartment), clements, hijazi")
      ->capture_default_str();
  cmd->add_option("--dose-mg", a->dose_mg, "Predict this ordered dose instead of the protocol dose");
  cmd->add_option("--duration-min", a->duration_min, "Ordered infusion duration (default: the protocol's)");
  cmd->add_option("--route", a->route,
                  "Route actually given if not the protocol's: iv, im, intranasal (racemic ketamine)");
  cmd->add_option("--ka", a->ka_per_min,
                  "Absorption rate constant for im/intranasal, per min (default: a kira placeholder tagged U)");
  cmd->add_option("--discharge-min", a->discharge_min, "Also report the concentration this many minutes after the start");
  cmd->add_option("--sessions", a->sessions, "Plan view: the same dose this many times (see --every-h)")
      ->capture_default_str();
  cmd->add_option("--every-h", a->every_h, "Hours between sessions of the series (default 24)");
  cmd->add_option("--target-ng-per-ml", a->target_ng_per_ml,
                  "Target-concentration mode: the pump schedule that reaches and holds this plasma level, capped by "
                  "the protocol's session limits");
  cmd->add_option("--hold-min", a->hold_min, "Target mode: how long to hold the target (default: the protocol's duration)");
  cmd->add_option("--svg", a->svg, "Write the concentration curve with the bands shaded to this SVG file");
  cmd->add_flag("--json", a->json, "Machine-readable output");
  cmd->callback([&ctx, a] {
    for (const auto& [flag, v] : {std::pair{"--dose-mg", a->dose_mg}, {"--duration-min", a->duration_min},
                                  {"--ka", a->ka_per_min}, {"--discharge-min", a->discharge_min},
                                  {"--every-h", a->every_h}, {"--target-ng-per-ml", a->target_ng_per_ml},
                                  {"--hold-min", a->hold_min}}) {
      if (Status s = CheckPositive(flag, v); !s.ok()) return ctx.BadInput(s);
    }
    StatusOr<const guideline::Library*> lib = ctx.Library();
    if (!lib.ok()) return ctx.BadInput(lib.status());
    StatusOr<std::string> text = ReadInput(a->patient);
    if (!text.ok()) return ctx.BadInput(text.status());
    StatusOr<domain::Patient> patient = api::ParsePatient(*text, **lib);
    if (!patient.ok()) return ctx.BadInput(patient.status().WithContext("patient " + a->patient));
    const guideline::Protocol* proto = (*lib)->FindProtocol(a->protocol);
    if (!proto) return ctx.BadInput(NotFoundError("--protocol: unknown protocol '" + a->protocol + "'"));

    advisor::DoseRequest req;
    req.protocol_id = a->protocol;
    if (a->dose_mg) req.ordered_dose = u::Mg(*a->dose_mg);
    if (a->duration_min) req.ordered_duration = u::Minutes(*a->duration_min);
    req.pk_model = a->model;
    StatusOr<advisor::DoseResult> dose = advisor::CheckDose(**lib, *patient, req);
    if (!dose.ok()) return ctx.BadInput(dose.status());

    if (a->target_ng_per_ml) return RunTargetMode(ctx, *a, *proto, *patient, *dose);

    advisor::PkRequest pk_req;
    pk_req.model = a->model;
    pk_req.route = a->route;
    if (a->discharge_min) pk_req.discharge_after = u::Minutes(*a->discharge_min);
    pk_req.sessions = a->sessions;
    if (a->every_h) pk_req.interval = u::Hours(*a->every_h);
    if (a->ka_per_min) {
      const std::string route = a->route.empty() ? proto->route : a->route;
      pk::AbsorptionParameters abs =
          pk::DefaultAbsorption(route == "im" ? pk::Route::kIntramuscular : pk::Route::kIntranasal);
      abs.ka_per_min = *a->ka_per_min;
      abs.ka_evidence = pk::Evidence::kUnverified;
      abs.ka_source = "supplied with --ka on the command line";
      pk_req.absorption = abs;
    }
    StatusOr<advisor::PkPrediction> p = advisor::PredictForDose(*proto, *patient, *dose, pk_req);
    if (!p.ok()) return ctx.BadInput(p.status());
    std::vector<advisor::PkPrediction> all;
    for (const pk::ModelParameters& m : pk::kKetamineModels) {
      advisor::PkRequest other = pk_req;
      other.model = std::string(m.name);
      StatusOr<advisor::PkPrediction> q = advisor::PredictForDose(*proto, *patient, *dose, other);
      if (!q.ok()) return ctx.BadInput(q.status());
      all.push_back(std::move(q).value());
    }

    if (!a->svg.empty()) {
      StatusOr<pk::Model> model = pk::Model::Create(p->model, patient->weight.value);
      if (!model.ok()) return ctx.BadInput(model.status());
      StatusOr<pk::Curve> curve = pk::SimulateCurve(*model, p->regimen, p->horizon, u::Minutes(1.0));
      if (!curve.ok()) return ctx.BadInput(curve.status());
      pk::SvgOptions o;
      o.title = fmt::format("{} {}: {:.0f} mg {}{}, peak {} ({} model); intended band {}", patient->id, proto->id,
                            u::ToMg(dose->dose), p->route,
                            a->sessions > 1 ? fmt::format(" x {}", a->sessions) : std::string(),
                            Ng(p->analysis.peak.concentration), p->model.name, p->intended_band_text);
      o.peak = p->analysis.peak;
      if (a->discharge_min) o.discharge_time = u::Minutes(*a->discharge_min);
      std::ofstream f(a->svg, std::ios::binary | std::ios::trunc);
      f << pk::RenderCurveSvg(*curve, pk::kReferenceBands, o);
      f.close();
      if (!f) return ctx.BadInput(InvalidArgumentError("--svg: cannot write " + a->svg));
    }

    if (a->json) {
      *ctx.out << api::PkPredictionToJson(*dose, *p, all) << "\n";
    } else {
      PrintText(*ctx.out, *a, *proto, *patient, *dose, *p, all);
      if (!a->svg.empty()) *ctx.out << "Curve written to " << a->svg << "\n";
    }
    ctx.exit_code = p->finding.severity == domain::Severity::kInfo ? kExitOk : kExitDecision;
  });
}

}  // namespace kira::cli
