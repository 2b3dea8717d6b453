#include "kira/cli/advisor_commands.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "kira/advisor/discharge.h"
#include "kira/advisor/monitor.h"
#include "kira/advisor/plan.h"
#include "kira/api/advisor_json.h"
#include "kira/api/decision_json.h"
#include "kira/api/instruments_json.h"
#include "kira/api/patient_json.h"
#include "kira/cli/common.h"
#include "kira/cli/text.h"
#include "kira/instruments/scoring.h"

namespace kira::cli {
namespace {

StatusOr<advisor::AdvisorLibrary> LoadAdvisor(const std::string& path) {
  KIRA_ASSIGN_OR_RETURN(std::string text, ReadDataFile(path, "advisor.json"));
  StatusOr<advisor::AdvisorLibrary> lib = api::ParseAdvisorLibrary(text);
  if (!lib.ok()) return lib.status().WithContext("advisor library " + (path.empty() ? std::string("(embedded advisor.json)") : path));
  return lib;
}

StatusOr<instruments::InstrumentLibrary> LoadInstruments(const std::string& path) {
  KIRA_ASSIGN_OR_RETURN(std::string text, ReadDataFile(path, "instruments.json"));
  StatusOr<instruments::InstrumentLibrary> lib = api::ParseInstrumentLibrary(text);
  if (!lib.ok()) {
    return lib.status().WithContext("instrument library " + (path.empty() ? std::string("(embedded instruments.json)") : path));
  }
  return lib;
}

StatusOr<advisor::SessionTimeline> LoadSession(const std::string& path) {
  KIRA_ASSIGN_OR_RETURN(std::string text, ReadInput(path));
  StatusOr<advisor::SessionTimeline> tl = api::ParseSessionTimeline(text);
  if (!tl.ok()) return tl.status().WithContext("session " + path);
  return tl;
}

// "2,1,3" -> items; an empty entry or "-" is a missing item.
StatusOr<std::vector<std::optional<int>>> ParseItems(const std::string& s) {
  std::vector<std::optional<int>> out;
  size_t pos = 0;
  for (size_t index = 0;; ++index) {
    const size_t comma = s.find(',', pos);
    std::string tok = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    while (!tok.empty() && tok.front() == ' ') tok.erase(tok.begin());
    while (!tok.empty() && tok.back() == ' ') tok.pop_back();
    if (tok.empty() || tok == "-") {
      out.push_back(std::nullopt);
    } else {
      char* end = nullptr;
      const long v = std::strtol(tok.c_str(), &end, 10);
      if (*end != '\0' || v < -1000 || v > 1000) {
        return InvalidArgumentError("--items[" + std::to_string(index) + "]: '" + tok + "' is not an integer");
      }
      out.push_back(static_cast<int>(v));
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

void PrintRescue(std::ostream& os, const domain::Decision& d) {
  os << fmt::format("  rescue advice: {}\n", d.outcome);
  for (const auto& f : d.findings) {
    if (f.severity != domain::Severity::kInfo || f.rule_id == "rescue.dose.setting") {
      os << fmt::format("    {:<10} {:<38} [{}] {}\n", domain::SeverityName(f.severity), f.rule_id,
                        domain::EvidenceName(f.evidence), f.message.str());
    }
  }
}

}  // namespace

void AddScoreCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("score", "Score an outcome instrument (PHQ-9, MADRS, QIDS-SR16, GAD-7, C-SSRS, CADSS, ...)");
  struct Args {
    std::string instrument, items, library, ack_by, ack_reason;
    std::optional<double> baseline;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("instrument", a->instrument, "Instrument id (phq9, madrs, qids_sr16, gad7, cssrs_screen, cadss, "
                                               "bprs_positive, pain_nrs, bpi_severity, bpi_interference)")
      ->required();
  cmd->add_option("--items", a->items, "Item scores in order, comma-separated; empty or - for a missing item")->required();
  cmd->add_option("--instruments-library", a->library, "Instrument definitions JSON (default: built in)");
  cmd->add_option("--baseline", a->baseline,
                  "Baseline (pre-treatment) total: also report the change, response and remission by the "
                  "instrument's rules");
  cmd->add_option("--ack-by", a->ack_by, "Clinician acknowledging any suicidality alert (recorded)");
  cmd->add_option("--ack-reason", a->ack_reason, "Acknowledgement note (recorded)");
  cmd->add_flag("--json", a->json, "Machine-readable output");
  cmd->callback([&ctx, a] {
    auto lib = LoadInstruments(a->library);
    if (!lib.ok()) return ctx.BadInput(lib.status());
    const instruments::Instrument* ins = lib->Find(a->instrument);
    if (!ins) {
      std::string ids;
      for (const auto& i : lib->instruments) ids += (ids.empty() ? "" : ", ") + i.id;
      return ctx.BadInput(InvalidArgumentError("instrument: unknown '" + a->instrument + "' (one of " + ids + ")"));
    }
    auto items = ParseItems(a->items);
    if (!items.ok()) return ctx.BadInput(items.status());
    std::optional<instruments::Acknowledgement> ack;
    if (!a->ack_by.empty()) ack = instruments::Acknowledgement{a->ack_by, NowUtcIso8601(), a->ack_reason};
    auto r = instruments::Score(*lib, *ins, *items, ack);
    if (!r.ok()) return ctx.BadInput(r.status().WithContext("--items"));
    std::optional<instruments::ResponseResult> change;
    if (a->baseline) {
      auto rr = instruments::AssessResponse(*ins, *a->baseline, r->total);
      if (!rr.ok()) return ctx.BadInput(rr.status().WithContext("--baseline"));
      change = *rr;
      instruments::ExplainResponse(*ins, *rr, &r->decision);
    }
    if (a->json) {
      nlohmann::json j = nlohmann::json::parse(api::ScoreResultToJson(*r, *ins));
      if (change) {
        j["change"] = {{"baseline", *a->baseline},
                       {"point_fall", change->point_fall},
                       {"percent_fall", change->percent_fall},
                       {"response", change->response},
                       {"remission", change->remission ? nlohmann::json(*change->remission) : nlohmann::json(nullptr)}};
      }
      *ctx.out << j.dump(2) << "\n";
    } else {
      *ctx.out << fmt::format("{} total {} (range {}-{}){}\n", ins->name, r->total, ins->total_min, ins->total_max,
                              r->band.empty() ? "" : "  band: " + r->band);
      if (change) {
        *ctx.out << fmt::format("Change from baseline {}: {} points ({:.0f} %); response: {}; remission: {}\n",
                                *a->baseline, -change->point_fall, -change->percent_fall,
                                change->response ? "yes" : "no",
                                change->remission ? (*change->remission ? "yes" : "no") : "no rule");
      }
      PrintDecision(*ctx.out, r->decision);
      if (r->alert_pending()) {
        *ctx.out << "ALERT: a clinician must acknowledge this (re-run with --ack-by NAME --ack-reason TEXT).\n";
      }
    }
    ctx.exit_code = r->alert_pending() ? kExitDecision : kExitOk;
  });
}

void AddPlanCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("plan", "Recommend the next step and a dated schedule (induction, maintenance, annual cap)");
  struct Args {
    std::string patient, indication, start, history, route, library, instruments, today, override_reason, clinician;
    int utc_offset_min = 0;
    int horizon = 3;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--patient", a->patient, "Patient JSON file")->required();
  cmd->add_option("--indication", a->indication, "Indication id (see `kira guideline list`)")->required();
  cmd->add_option("--start", a->start, "Earliest date to schedule, YYYY-MM-DD")->required();
  cmd->add_option("--history", a->history, "Session history JSON (dates, phases, scores)");
  cmd->add_option("--route", a->route, "iv or intranasal (default: the indication's first template)");
  cmd->add_option("--today", a->today, "Clinic-local date to plan from, YYYY-MM-DD (default: from the clock)");
  cmd->add_option("--utc-offset-min", a->utc_offset_min, "Clinic's UTC offset in minutes, e.g. 60 or -300 (no tz database on this platform)");
  cmd->add_option("--maintenance-horizon", a->horizon, "How many maintenance dates to list")->capture_default_str();
  cmd->add_option("--override-reason", a->override_reason, "Exceptional circumstance for exceeding the annual cap (recorded)");
  cmd->add_option("--clinician", a->clinician, "Who overrides (default: $USER)");
  cmd->add_option("--advisor-library", a->library, "Advisor data JSON (default: built in)");
  cmd->add_option("--instruments-library", a->instruments, "Instrument definitions JSON (default: built in)");
  cmd->add_flag("--json", a->json, "Machine-readable output");
  cmd->callback([&ctx, a] {
    auto glib = ctx.Library();
    if (!glib.ok()) return ctx.BadInput(glib.status());
    if (!(*glib)->FindIndication(a->indication)) {
      return ctx.BadInput(InvalidArgumentError("--indication: unknown '" + a->indication + "'"));
    }
    auto ptext = ReadInput(a->patient);
    if (!ptext.ok()) return ctx.BadInput(ptext.status());
    auto patient = api::ParsePatient(*ptext, **glib);
    if (!patient.ok()) return ctx.BadInput(patient.status().WithContext("patient " + a->patient));
    auto lib = LoadAdvisor(a->library);
    if (!lib.ok()) return ctx.BadInput(lib.status());
    auto ilib = LoadInstruments(a->instruments);
    if (!ilib.ok()) return ctx.BadInput(ilib.status());
    auto start = api::ParseIsoDate(a->start, "--start");
    if (!start.ok()) return ctx.BadInput(start.status());
    if (a->utc_offset_min < -14 * 60 || a->utc_offset_min > 14 * 60) {
      return ctx.BadInput(InvalidArgumentError("--utc-offset-min: must be within -840..840"));
    }
    if (a->horizon < 0 || a->horizon > 52) return ctx.BadInput(InvalidArgumentError("--maintenance-horizon: 0..52"));
    advisor::PlanHistory history;
    if (!a->history.empty()) {
      auto htext = ReadInput(a->history);
      if (!htext.ok()) return ctx.BadInput(htext.status());
      auto h = api::ParsePlanHistory(*htext);
      if (!h.ok()) return ctx.BadInput(h.status().WithContext("history " + a->history));
      history = std::move(h).value();
    }
    advisor::PlanClock clock;
    clock.utc_offset = std::chrono::minutes(a->utc_offset_min);
    if (!a->today.empty()) {
      auto today = api::ParseIsoDate(a->today, "--today");
      if (!today.ok()) return ctx.BadInput(today.status());
      // Noon local on that date, expressed in UTC.
      clock.now = std::chrono::sys_seconds{*today} + std::chrono::hours(12) - clock.utc_offset;
    } else {
      clock.now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    }
    advisor::PlanRequest req;
    req.indication = a->indication;
    req.route = a->route;
    req.start = *start;
    req.maintenance_horizon = a->horizon;
    if (!a->override_reason.empty()) {
      const char* user = std::getenv("USER");
      req.cap_override = domain::Override{!a->clinician.empty() ? a->clinician : (user ? user : "unknown"),
                                          NowUtcIso8601(), a->override_reason, {}};
    }
    auto r = advisor::PlanNext(*lib, *ilib, req, history, clock);
    if (!r.ok()) return ctx.BadInput(r.status());
    bool has_dx = false;
    for (const auto& dx : patient->diagnoses) has_dx = has_dx || dx == a->indication;
    if (!has_dx) {
      domain::Finding f;
      f.rule_id = "plan.indication_not_in_diagnoses";
      f.severity = domain::Severity::kCaution;
      f.message = "patient " + patient->id + " has no diagnosis '" + a->indication + "'";
      f.citation = "patient file";
      r->decision.findings.push_back(std::move(f));
    }
    r->decision.inputs_used.push_back({"patient", patient->id});
    if (a->json) {
      *ctx.out << api::PlanResultToJson(*r) << "\n";
    } else {
      std::ostream& os = *ctx.out;
      os << fmt::format("Plan for {} ({}), template {}: next step {}\n", patient->id, a->indication, r->template_id,
                        Banner(r->decision.outcome));
      os << fmt::format("Annual cap: {} in a rolling window; {} counted up to today\n", r->cap, r->used_in_window);
      if (!r->schedule.empty()) os << "Schedule:\n";
      for (const auto& s : r->schedule) {
        os << fmt::format("  {}  {:<12} #{:<2} {:>2} in window{}\n", advisor::FormatDate(s.date), s.phase, s.number,
                          s.counted_in_window, s.exceeds_cap ? "  EXCEEDS CAP (override required)" : "");
      }
      PrintDecision(os, r->decision);
    }
    const domain::Severity worst = r->decision.MaxSeverity();
    ctx.exit_code = (worst >= domain::Severity::kSoftStop) ? kExitDecision : kExitOk;
  });
}

void AddMonitorCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("monitor", "Replay a session timeline: pre-session gate, action per observation, rescue advice");
  struct Args {
    std::string session, library;
    bool json = false, all = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--session", a->session, "Session timeline JSON file, or - for standard input")->required();
  cmd->add_option("--advisor-library", a->library, "Advisor data JSON (default: built in)");
  cmd->add_flag("--all", a->all, "List every observation, not only those that call for action");
  cmd->add_flag("--json", a->json, "Machine-readable output");
  cmd->callback([&ctx, a] {
    auto lib = LoadAdvisor(a->library);
    if (!lib.ok()) return ctx.BadInput(lib.status());
    auto tl = LoadSession(a->session);
    if (!tl.ok()) return ctx.BadInput(tl.status());
    advisor::MonitorResult r = advisor::Monitor(*lib, *tl);
    if (a->json) {
      *ctx.out << api::MonitorResultToJson(r) << "\n";
    } else {
      std::ostream& os = *ctx.out;
      os << fmt::format("Session {} ({}): final state {}\n", tl->session_id, tl->route,
                        advisor::SessionStateName(r.final_state));
      os << "Pre-session gate:\n";
      PrintDecision(os, r.gate);
      os << "Observations:\n";
      for (const auto& o : r.observations) {
        if (!o.rule && !a->all) continue;
        os << fmt::format("  t={:>5} min  {:<8}", o.t_min, advisor::ActionName(o.action));
        if (o.rule) {
          os << fmt::format(" {} value {} threshold {} [{}] {}", o.rule->rule_id, o.value, *o.rule->value,
                            domain::EvidenceName(o.rule->source.evidence), o.rule->source.citation);
        }
        os << "\n";
      }
      for (const auto& d : r.rescues) PrintRescue(os, d);
      os << "Session monitoring:\n";
      PrintDecision(os, r.decision);
    }
    const bool bad = r.gate.outcome != "pass" || r.decision.outcome == "stop" ||
                     r.decision.MaxSeverity() >= domain::Severity::kHardStop;
    ctx.exit_code = bad ? kExitDecision : kExitOk;
  });
}

void AddDischargeCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("discharge", "Check the discharge checklist for a session timeline");
  struct Args {
    std::string session, library;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--session", a->session, "Session timeline JSON file with a discharge record")->required();
  cmd->add_option("--advisor-library", a->library, "Advisor data JSON (default: built in)");
  cmd->add_flag("--json", a->json, "Machine-readable output");
  cmd->callback([&ctx, a] {
    auto lib = LoadAdvisor(a->library);
    if (!lib.ok()) return ctx.BadInput(lib.status());
    auto tl = LoadSession(a->session);
    if (!tl.ok()) return ctx.BadInput(tl.status());
    auto d = advisor::EvaluateDischarge(*lib, *tl);
    if (!d.ok()) return ctx.BadInput(d.status().WithContext("session " + a->session));
    if (a->json) {
      *ctx.out << api::DecisionToJson(*d) << "\n";
    } else {
      *ctx.out << fmt::format("Discharge check for session {} ({})\n", tl->session_id, tl->route);
      PrintDecision(*ctx.out, *d);
    }
    ctx.exit_code = d->outcome == "ready" ? kExitOk : kExitDecision;
  });
}

}  // namespace kira::cli
