#include "kira/cli/advisor_basic_commands.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <regex>

#include "kira/api/decision_json.h"
#include "kira/api/guideline_json.h"
#include "kira/api/patient_json.h"
#include "kira/cli/common.h"
#include "kira/cli/text.h"
#include "kira/advisor/dose.h"
#include "kira/advisor/screen.h"

namespace kira::cli {

namespace {

StatusOr<domain::Patient> LoadPatient(Context& ctx, const std::string& path, const guideline::Library& lib) {
  KIRA_ASSIGN_OR_RETURN(std::string text, ReadInput(path));
  StatusOr<domain::Patient> p = api::ParsePatient(text, lib);
  if (!p.ok()) return p.status().WithContext("patient " + path);
  (void)ctx;
  return p;
}

// "10mg/mL", "10 mg/mL", "10" -> 10 mg/mL.
StatusOr<units::MilligramsPerMillilitre> ParseConcentration(const std::string& s) {
  static const std::regex kRe(R"(\s*([0-9]*\.?[0-9]+)\s*(mg/ml|mg/mL)?\s*)");
  std::smatch m;
  if (!std::regex_match(s, m, kRe)) return InvalidArgumentError("--concentration: expected e.g. 10mg/mL, got '" + s + "'");
  double v = std::strtod(m[1].str().c_str(), nullptr);
  if (!(v > 0) || !std::isfinite(v)) return InvalidArgumentError("--concentration: must be > 0 mg/mL");
  return units::MgPerMl(v);
}

std::string Fixed(double v, int decimals) { return fmt::format("{:.{}f}", v, decimals); }

void PrintDoseText(std::ostream& os, const advisor::DoseResult& r, const guideline::Protocol& p) {
  using namespace units;  // NOLINT: local, for the accessors
  os << fmt::format("Dose check: {} ({})\n", p.id, p.name);
  os << fmt::format("  Weight       {} kg actual; dosing weight {} kg ({}){}\n", Fixed(ToKg(r.actual_weight), 1),
                    Fixed(ToKg(r.dosing_weight), 1), r.weight_basis,
                    r.bmi ? fmt::format("; BMI {}", Fixed(*r.bmi, 1)) : std::string());
  os << fmt::format("  Dose         {} mg = {} mg/kg{}\n", Fixed(ToMg(r.dose), 1), Fixed(ToMgPerKg(r.dose_per_kg), 3),
                    std::fabs(ToMg(r.dose) - ToMg(r.computed_dose)) > 1e-9
                        ? fmt::format("   (protocol would give {} mg)", Fixed(ToMg(r.computed_dose), 1))
                        : std::string());
  if (r.rate_mg_per_h)
    os << fmt::format("  Rate         {} mg/h = {} mg/kg/h\n", Fixed(ToMgPerH(*r.rate_mg_per_h), 2),
                      Fixed(ToMgPerKgPerH(*r.rate_mg_per_kg_per_h), 3));
  if (r.pump)
    os << fmt::format("  Pump         {} mL of {} mg/mL at {} mL/h over {} min\n", Fixed(ToMl(r.pump->volume), 1),
                      Fixed(ToMgPerMl(r.pump->concentration), 1), Fixed(ToMlPerH(r.pump->rate), 1),
                      Fixed(ToMinutes(r.pump->duration), 0));
  if (r.devices)
    os << fmt::format("  Devices      {} nasal spray {} (not infused, no pump)\n", *r.devices,
                      *r.devices == 1 ? "device" : "devices");
  os << fmt::format("  Today        {} mg including this dose\n", Fixed(ToMg(r.day_total), 1));
  for (const auto& i : r.at_plausible_weights)
    os << fmt::format("  If weight {} kg: {} mg/kg\n", Fixed(ToKg(i.weight), 1), Fixed(ToMgPerKg(i.dose_per_kg), 3));
}

}  // namespace

void AddScreenCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("screen", "Screen a patient for ketamine treatment (contraindications, cautions, rescue plan)");
  auto file = std::make_shared<std::string>();
  auto route = std::make_shared<std::string>("iv");
  auto json = std::make_shared<bool>(false);
  cmd->add_option("file", *file, "Patient JSON file, or - for standard input")->required();
  cmd->add_option("--route", *route, "Route to screen for (iv, im, intranasal, oral)")->capture_default_str();
  cmd->add_flag("--json", *json, "Machine-readable output");
  cmd->callback([&ctx, file, route, json] {
    StatusOr<const guideline::Library*> lib = ctx.Library();
    if (!lib.ok()) return ctx.BadInput(lib.status());
    if (!(*lib)->FindRoute(*route)) return ctx.BadInput(InvalidArgumentError("--route: unknown route '" + *route + "'"));
    StatusOr<domain::Patient> p = LoadPatient(ctx, *file, **lib);
    if (!p.ok()) return ctx.BadInput(p.status());
    StatusOr<const advisor::AdvisorLibrary*> alib = ctx.Advisor();
    if (!alib.ok()) return ctx.BadInput(alib.status());
    advisor::ScreenResult r = advisor::Screen(**lib, **alib, *p, *route);
    if (*json) {
      *ctx.out << api::ScreenResultToJson(r) << "\n";
    } else {
      *ctx.out << fmt::format("Screening {} for route {}\n", p->id.empty() ? "(no id)" : p->id, *route);
      PrintDecision(*ctx.out, r.decision);
      *ctx.out << "Rescue plan: "
               << (r.rescue.usable.empty() ? std::string("no usable agent: seek senior review")
                                           : fmt::format("{}", fmt::join(r.rescue.usable, ", then ")))
               << "\n";
      for (const auto& a : r.rescue.avoid) *ctx.out << fmt::format("  avoid {}: {}\n", a.agent, a.reason.str());
    }
    ctx.exit_code = r.decision.outcome == advisor::kNotEligible ? kExitDecision : kExitOk;
  });
}

void AddDoseCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("dose", "Compute or check a dose and pump settings against the protocol's limits");
  struct Args {
    std::string patient, protocol, concentration, override_reason, clinician;
    std::optional<double> dose_mg, duration_min, given_rate;
    std::optional<int> session_number;
    std::string session_date;
    double given_today_mg = 0.0;
    bool at_home = false, json = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--patient", a->patient, "Patient JSON file, or - for standard input")->required();
  cmd->add_option("--protocol", a->protocol, "Protocol id (see `kira guideline list`)")->required();
  cmd->add_option("--concentration", a->concentration, "Infusion concentration, e.g. 10mg/mL (default: clinic setting)");
  cmd->add_option("--dose-mg", a->dose_mg, "Check this ordered dose instead of computing the protocol dose");
  cmd->add_option("--duration-min", a->duration_min, "Ordered infusion duration (default: the protocol's)");
  cmd->add_option("--given-today-mg", a->given_today_mg, "Ketamine already given today, for the cumulative limit");
  cmd->add_option("--session-number", a->session_number,
                  "Number of this session in the series (1 = first dose; age-specific label doses depend on it)");
  cmd->add_option("--session-date", a->session_date, "Date of the session, YYYY-MM-DD (checked against the birth date)");
  cmd->add_option("--given-rate-ml-h", a->given_rate,
                  "Check a RECORDED administration: the pump rate that was run (mL/h), with --dose-mg given, "
                  "--duration-min and --concentration; dose, rate, duration and concentration must agree");
  cmd->add_option("--override-reason", a->override_reason, "Reason for passing a soft limit (recorded)");
  cmd->add_option("--clinician", a->clinician, "Who overrides (default: $USER)");
  cmd->add_flag("--at-home", a->at_home, "Self-administration at home (always refused)");
  cmd->add_flag("--json", a->json, "Machine-readable output");
  cmd->callback([&ctx, a] {
    StatusOr<const guideline::Library*> lib = ctx.Library();
    if (!lib.ok()) return ctx.BadInput(lib.status());
    StatusOr<domain::Patient> p = LoadPatient(ctx, a->patient, **lib);
    if (!p.ok()) return ctx.BadInput(p.status());
    advisor::DoseRequest req;
    req.protocol_id = a->protocol;
    if (!a->concentration.empty()) {
      auto c = ParseConcentration(a->concentration);
      if (!c.ok()) return ctx.BadInput(c.status());
      req.concentration = *c;
    }
    if (a->dose_mg) {
      if (!(*a->dose_mg > 0) || !std::isfinite(*a->dose_mg))
        return ctx.BadInput(InvalidArgumentError("--dose-mg: must be a finite number > 0"));
      req.ordered_dose = units::Mg(*a->dose_mg);
    }
    if (a->duration_min) {
      if (!(*a->duration_min > 0) || !std::isfinite(*a->duration_min))
        return ctx.BadInput(InvalidArgumentError("--duration-min: must be a finite number > 0"));
      req.ordered_duration = units::Minutes(*a->duration_min);
    }
    if (!(a->given_today_mg >= 0) || !std::isfinite(a->given_today_mg))
      return ctx.BadInput(InvalidArgumentError("--given-today-mg: must be a finite number >= 0"));
    req.given_today = units::Mg(a->given_today_mg);
    req.self_administered_at_home = a->at_home;
    if (!a->override_reason.empty()) {
      domain::Override ov;
      const char* user = std::getenv("USER");
      ov.who = !a->clinician.empty() ? a->clinician : (user ? user : "unknown");
      ov.when = NowUtcIso8601();
      ov.reason = a->override_reason;
      req.override_ = ov;
    }
    if (a->session_number) {
      if (*a->session_number < 1) return ctx.BadInput(InvalidArgumentError("--session-number: must be >= 1"));
      req.session_number = *a->session_number;
    }
    req.session_date = a->session_date;
    StatusOr<advisor::DoseResult> r = InvalidArgumentError("unreachable");
    std::optional<advisor::ScreenResult> screening;
    if (a->given_rate) {
      if (!(*a->given_rate > 0) || !std::isfinite(*a->given_rate))
        return ctx.BadInput(InvalidArgumentError("--given-rate-ml-h: must be a finite number > 0"));
      if (!req.ordered_dose)
        return ctx.BadInput(InvalidArgumentError("--dose-mg: required with --given-rate-ml-h (the dose given)"));
      advisor::RecordedAdministration rec;
      rec.protocol_id = req.protocol_id;
      rec.given_dose = *req.ordered_dose;
      rec.concentration = req.concentration;
      rec.rate = units::MlPerH(*a->given_rate);
      rec.duration = req.ordered_duration;
      rec.given_today = req.given_today;
      rec.session_number = req.session_number;
      rec.session_date = req.session_date;
      rec.override_ = req.override_;
      r = advisor::CheckRecordedSession(**lib, *p, rec);
    } else {
      // Screened for the protocol's route first; the dose check carries that
      // screening's hard stops over, and the dose sheet names the rescue plan.
      const guideline::Protocol* proto = (*lib)->FindProtocol(req.protocol_id);
      StatusOr<const advisor::AdvisorLibrary*> alib = ctx.Advisor();
      if (proto && alib.ok()) {
        screening = advisor::Screen(**lib, **alib, *p, proto->route);
        r = advisor::CheckDose(**lib, *p, req, *screening);
      } else {
        r = advisor::CheckDose(**lib, *p, req);
      }
    }
    if (!r.ok()) return ctx.BadInput(r.status());
    if (a->json) {
      *ctx.out << api::DoseResultToJson(*r) << "\n";
    } else {
      PrintDoseText(*ctx.out, *r, *(*lib)->FindProtocol(a->protocol));
      PrintDecision(*ctx.out, r->decision);
      if (screening) {
        *ctx.out << fmt::format("Screening for this route: {}. Rescue plan: {}\n", screening->decision.outcome,
                                screening->rescue.usable.empty()
                                    ? std::string("no usable agent: seek senior review")
                                    : fmt::format("{}", fmt::join(screening->rescue.usable, ", then ")));
      }
      if (r->decision.outcome == advisor::kDoseSoftLimit)
        *ctx.out << "A soft limit was passed: give --override-reason to proceed (recorded), or change the order.\n";
      if (r->decision.outcome == advisor::kDoseHardStop)
        *ctx.out << "HARD STOP: this order cannot be given and cannot be overridden. Reprogram.\n";
    }
    const std::string& o = r->decision.outcome;
    ctx.exit_code = (o == advisor::kDoseOk || o == advisor::kDoseOkWithOverride) ? kExitOk : kExitDecision;
  });
}

void AddGuidelineCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("guideline", "Inspect and validate the guideline library");
  cmd->require_subcommand(1);
  auto json = std::make_shared<bool>(false);
  auto* list = cmd->add_subcommand("list", "List indications, protocols, rules and settings");
  list->add_flag("--json", *json, "Machine-readable output");
  list->callback([&ctx, json] {
    StatusOr<const guideline::Library*> lib = ctx.Library();
    if (!lib.ok()) return ctx.BadInput(lib.status());
    const guideline::Library& l = **lib;
    if (*json) {
      *ctx.out << api::GuidelineSummaryJson(l) << "\n";
      return;
    }
    std::ostream& os = *ctx.out;
    os << fmt::format("Guideline library {} version {} (effective {}){}\n", l.id, l.version, l.effective_date,
                      l.overlay.empty() ? "" : " with clinic overlay " + l.overlay);
    os << "\nIndications:\n";
    for (const auto& i : l.indications)
      os << fmt::format("  {:<26} {:<10} EV {:<7} {}\n", i.id, i.evidence_strength, domain::EvidenceName(i.meta.evidence), i.meta.citation);
    os << "\nProtocols:\n";
    for (const auto& p : l.protocols) os << fmt::format("  {:<30} {:<10} {}\n", p.id, p.route, p.name);
    os << "\nRules:\n";
    for (const auto& r : l.rules) {
      std::string grade = r.meta.grade.empty() ? "-" : r.meta.grade + "/" + r.meta.certainty;
      os << fmt::format("  {:<48} {:<9} {:<10} EV {:<7} {}\n", r.id, r.kind, grade, domain::EvidenceName(r.meta.evidence), r.meta.citation);
    }
    os << "\nClinic settings (U = not found in the reference: confirm locally):\n";
    for (const auto& [id, s] : l.settings)
      os << fmt::format("  {:<40} {:>8} {:<26} EV {}\n", id, s.number ? fmt::format("{}", *s.number) : s.text, s.unit,
                        domain::EvidenceName(s.meta.evidence));
  });
  auto id = std::make_shared<std::string>();
  auto* show = cmd->add_subcommand("show", "Show one protocol, rule, indication or setting as JSON");
  show->add_option("id", *id, "Id to show")->required();
  show->callback([&ctx, id] {
    StatusOr<const guideline::Library*> lib = ctx.Library();
    if (!lib.ok()) return ctx.BadInput(lib.status());
    StatusOr<std::string> s = api::GuidelineItemJson(**lib, *id);
    if (!s.ok()) return ctx.BadInput(s.status());
    *ctx.out << *s << "\n";
  });
  auto file = std::make_shared<std::string>();
  auto* check = cmd->add_subcommand("check", "Validate a guideline file (or a clinic overlay with --overlay)");
  check->add_option("file", *file, "Guideline JSON file to validate")->required();
  check->callback([&ctx, file] {
    ctx.guideline_path = *file;
    StatusOr<const guideline::Library*> lib = ctx.Library();
    if (!lib.ok()) return ctx.BadInput(lib.status());
    *ctx.out << fmt::format("OK: {} version {}: {} indications, {} protocols, {} rules, {} settings{}\n", (*lib)->id,
                            (*lib)->version, (*lib)->indications.size(), (*lib)->protocols.size(), (*lib)->rules.size(),
                            (*lib)->settings.size(),
                            (*lib)->overlay.empty() ? "" : "; overlay " + (*lib)->overlay + " applied");
  });
}

}  // namespace kira::cli
