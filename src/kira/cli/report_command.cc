#include "kira/cli/report_command.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "kira/analytics/cohort_report.h"
#include "kira/api/advisor_json.h"
#include "kira/api/analytics_json.h"
#include "kira/api/instruments_json.h"
#include "kira/cli/common.h"
#include "kira/cli/evidence_command.h"
#include "kira/registry/analytics_source.h"
#include "kira/research/research.h"
#include "kira/storage/open_store.h"

namespace kira::cli {

namespace {

struct ReportArgs {
  std::string db = storage::kDefaultDatabase;
  std::string by = "indication";
  std::string clinic;
  std::string instrument = "phq9";
  std::string trials_outcome = "response-24h";
  std::string svg_dir;
  bool json = false;
  std::string read_db;          // read from here instead of --db (a standby)
  bool prefer_standby = false;  // add target_session_attrs=prefer-standby to the PostgreSQL DSN
};

// The connection string a report reads from: --read-db if given, else --db;
// with --prefer-standby, libpq picks a standby among the DSN's hosts when
// one is up and falls back to the primary.
StatusOr<std::string> ReadSource(const ReportArgs& a) {
  std::string url = a.read_db.empty() ? a.db : a.read_db;
  if (!a.prefer_standby) return url;
  if (!storage::IsPostgresUrl(url)) {
    return InvalidArgumentError("--prefer-standby: needs a PostgreSQL --db or --read-db, got '" + url + "'");
  }
  if (url.find("target_session_attrs") != std::string::npos) {
    return InvalidArgumentError("--prefer-standby: the connection string already sets target_session_attrs");
  }
  if (url.rfind("postgres", 0) == 0) return url + (url.find('?') == std::string::npos ? "?" : "&") +
                                            "target_session_attrs=prefer-standby";
  return url + " target_session_attrs=prefer-standby";
}

// "12/40 = 30.0 % [17.9, 45.6]" or "0/0 (no denominator)".
std::string RateText(const analytics::Rate& r) {
  if (!r.ci) return fmt::format("{}/{} (no denominator)", r.numerator, r.denominator);
  return fmt::format("{}/{} = {:.1f} % [{:.1f}, {:.1f}]", r.numerator, r.denominator, 100 * r.ci->estimate,
                     100 * r.ci->low, 100 * r.ci->high);
}

std::string TimepointLabel(analytics::Timepoint t) {
  switch (t) {
    case analytics::Timepoint::k24h: return "24 h";
    case analytics::Timepoint::kAfterInduction: return "after induction";
    case analytics::Timepoint::kMonth3: return "3 months";
    case analytics::Timepoint::kMonth6: return "6 months";
  }
  return "?";
}

StatusOr<analytics::OutcomeRule> RuleFor(const std::string& id) {
  KIRA_ASSIGN_OR_RETURN(std::string text, ReadDataFile("", "instruments.json"));
  auto lib = api::ParseInstrumentLibrary(text);
  if (!lib.ok()) return lib.status().WithContext("embedded instruments.json");
  auto rule = research::OutcomeRuleFor(*lib, id);
  if (!rule.ok()) return InvalidArgumentError("--" + std::string(rule.status().message()));
  return rule;
}

std::string RuleText(const analytics::OutcomeRule& r) {
  std::string resp;
  if (r.response_min_percent_fall) resp = fmt::format(">= {:g} % fall from baseline", *r.response_min_percent_fall);
  if (r.response_min_point_fall) {
    resp += (resp.empty() ? "" : " or ") + fmt::format(">= {:g}-point fall", *r.response_min_point_fall);
  }
  return fmt::format("{} (instruments {}): response {}; remission total {} {:g}", r.instrument, r.version, resp,
                     r.remission_inclusive ? "<=" : "<", r.remission_value);
}

void PrintGroup(std::ostream& os, const analytics::GroupReport& g) {
  os << fmt::format("\n== {} ==\n", g.group);
  os << fmt::format("  patients started a series   {}\n", g.patients_started);
  os << fmt::format("  series completed            {}   (completed / started)\n", RateText(g.series_completion));
  os << fmt::format("  returned after the series   {}   (returned / completed)\n", RateText(g.returned));
  os << fmt::format("  sessions                    {} ({} administered)\n", g.sessions, g.administered_sessions);
  os << fmt::format("  patients with a baseline    {}\n", g.patients_with_baseline);
  os << fmt::format("  {:<16} {:<34} {:<34}\n", "time point", "response (of assessed)", "remission (of assessed)");
  for (const auto& o : g.outcomes) {
    os << fmt::format("  {:<16} {:<34} {:<34}\n", TimepointLabel(o.timepoint), RateText(o.response),
                      RateText(o.remission));
  }
  os << fmt::format("  relapse after response      {} responders", g.relapse.responders);
  if (g.relapse.km) {
    const auto& km = *g.relapse.km;
    os << fmt::format(", {} relapsed; median {}\n", km.events,
                      km.median_time ? fmt::format("{:.0f} days", *km.median_time) : std::string("not reached"));
    if (!km.steps.empty()) {
      os << fmt::format("    {:>8} {:>8} {:>7} {:>9} {:>17}\n", "day", "at risk", "events", "S(t)", "95 % CI (log)");
    }
    for (const auto& s : km.steps) {
      os << fmt::format("    {:>8.1f} {:>8} {:>7} {:>9.3f} {:>17}\n", s.time, s.at_risk, s.events, s.survival,
                        s.ci_low ? fmt::format("[{:.3f}, {:.3f}]", *s.ci_low, *s.ci_high) : std::string("-"));
    }
  } else {
    os << "\n";
  }
  os << "  adverse events per administered session\n";
  for (const auto& a : g.adverse_events) os << fmt::format("    {:<22} {}\n", a.ae_class, RateText(a.per_session));
  os << "  dose-response (logistic regression on mg/kg; OR per +0.1 mg/kg, Wald and profile 95 % CI)\n";
  for (const auto& d : g.dose_response) {
    if (!d.fit) {
      os << fmt::format("    {:<22} {} events / {} sessions: not estimable ({})\n", d.ae_class, d.events, d.sessions,
                        d.not_estimable_reason);
      continue;
    }
    const auto& b = d.fit->slope;
    auto or01 = [](double x) { return std::exp(0.1 * x); };
    os << fmt::format("    {:<22} {} events / {} sessions: OR {:.3f} Wald [{:.3f}, {:.3f}] profile {} p = {:.3g}\n",
                      d.ae_class, d.events, d.sessions, or01(b.estimate), or01(b.wald_low), or01(b.wald_high),
                      d.fit->slope_profile_low && d.fit->slope_profile_high
                          ? fmt::format("[{:.3f}, {:.3f}]", or01(*d.fit->slope_profile_low),
                                        or01(*d.fit->slope_profile_high))
                          : std::string("[-]"),
                      b.p_value);
  }
  os << fmt::format("  annual-cap exceptions       {}   (sessions with an override / administered)\n",
                    RateText(g.cap_exceptions));
}

Status WriteSvg(const std::filesystem::path& path, const std::string& svg) {
  std::ofstream out(path, std::ios::binary);
  out << svg;
  out.close();
  if (!out) return InvalidArgumentError("--svg-dir: cannot write '" + path.string() + "'");
  return Status::Ok();
}

// relapse_km.svg (overall) and trajectories.svg (mean score per group at
// baseline and each time point, with the remission cut-off and the response
// threshold for the overall baseline as reference lines): the research
// dashboard's figures, with no cell suppressed.
StatusOr<std::vector<std::string>> WritePlots(const std::string& dir, const analytics::CohortReport& r) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return InvalidArgumentError("--svg-dir: cannot create '" + dir + "': " + ec.message());
  research::ResearchReport rr;
  rr.report = r;
  std::vector<std::string> written;
  for (const auto& [figure, file] : {std::pair{"relapse-km", "relapse_km.svg"}, std::pair{"trajectories", "trajectories.svg"}}) {
    auto svg = research::FigureSvg(rr, figure);
    if (!svg.ok()) {
      if (svg.status().code() == StatusCode::kNotFound) continue;  // nothing to draw
      return svg.status();
    }
    const auto path = std::filesystem::path(dir) / file;
    KIRA_RETURN_IF_ERROR(WriteSvg(path, *svg));
    written.push_back(path.string());
  }
  return written;
}

Status RunReport(Context& ctx, const ReportArgs& a) {
  if (a.by != "indication" && a.by != "protocol" && a.by != "route" && a.by != "clinic") {
    return InvalidArgumentError("--by: must be indication, protocol, route or clinic, got '" + a.by + "'");
  }
  KIRA_ASSIGN_OR_RETURN(analytics::OutcomeRule rule, RuleFor(a.instrument));
  KIRA_ASSIGN_OR_RETURN(const guideline::Library* lib, ctx.Library());
  KIRA_ASSIGN_OR_RETURN(const std::string source, ReadSource(a));
  const char* flag = a.read_db.empty() ? "--db" : "--read-db";
  // A report only reads: read-only opening (a standby will do; a missing
  // SQLite path is an error, not a new empty registry).
  auto store = storage::OpenReadOnlyStore(source);
  if (!store.ok()) return store.status().WithContext(std::string(flag) + " " + source);
  // How fresh the data is, measured before reading it (a standby only moves forward).
  KIRA_ASSIGN_OR_RETURN(std::optional<storage::ReadPosition> position, storage::ReadPositionOf(**store));
  registry::CohortQuery q;
  q.dimension = a.by;
  q.instrument = rule.instrument;
  q.clinic_id = a.clinic;
  KIRA_ASSIGN_OR_RETURN(std::string plans_text, ReadDataFile("", "advisor.json"));
  auto plans = api::ParseAdvisorLibrary(plans_text);
  if (!plans.ok()) return plans.status().WithContext("embedded advisor.json");
  q.plans = &*plans;
  auto cohort = registry::LoadCohort(**store, *lib, q);
  if (!cohort.ok()) {
    if (cohort.status().code() == StatusCode::kNotFound) return InvalidArgumentError("--clinic: " + std::string(cohort.status().message()));
    return cohort.status().WithContext("reading " + source);
  }
  KIRA_ASSIGN_OR_RETURN(analytics::CohortReport report, analytics::ComputeCohortReport(*cohort, rule));
  std::vector<std::string> plots;
  if (!a.svg_dir.empty()) {
    KIRA_ASSIGN_OR_RETURN(plots, WritePlots(a.svg_dir, report));
  }
  if (a.json) {
    std::string json = api::CohortReportToJson(report);
    if (position) {
      // One more top-level member: where the data was read and how stale it is.
      auto doc = nlohmann::ordered_json::parse(json);
      doc["data_source"] = {{"standby", position->standby},
                            {"last_replayed_commit_us", position->last_replayed_commit_us},
                            {"seconds_since_last_replayed_commit", position->seconds_since_last_replayed_commit},
                            {"replay_backlog_bytes", position->replay_backlog_bytes},
                            {"description", storage::DescribeReadPosition(*position)}};
      json = doc.dump();
    }
    *ctx.out << json << "\n";
    return Status::Ok();
  }
  std::ostream& os = *ctx.out;
  os << fmt::format("Registry report for {} by {}{}\n", a.read_db.empty() ? a.db : a.read_db, a.by,
                    a.clinic.empty() ? "" : " (clinic " + a.clinic + ")");
  if (position) os << "Data read from the " << storage::DescribeReadPosition(*position) << "\n";
  os << "Outcome rule: " << RuleText(rule) << "\n";
  const auto& o = report.options;
  os << fmt::format(
      "Windows (days from the first session): baseline [-{:g}, 0]; 24 h nearest 1 in [{:g}, {:g}]; after induction "
      "(series within {:g} days) up to {:g} after its last session; 3 months {:g} +/- {:g}; 6 months {:g} +/- {:g}.\n"
      "Intervals: Wilson 95 %; relapse: Kaplan-Meier with Greenwood 95 % CI. Every rate shows numerator/denominator.\n",
      o.baseline_window_days, o.h24_low_days, o.h24_high_days, o.induction_window_days, o.after_induction_days,
      o.month3_day, o.month3_halfwidth_days, o.month6_day, o.month6_halfwidth_days);
  for (const auto& g : report.groups) PrintGroup(os, g);
  if (report.groups.size() != 1) PrintGroup(os, report.overall);

  const auto& h24 = report.overall.outcomes[0].response;
  os << "\n== Your 24-h response beside the trials (as `kira meta --outcome " << a.trials_outcome << " --clinic "
     << h24.numerator << "/" << h24.denominator << "`) ==\n";
  if (h24.denominator == 0) {
    os << "No patient has a baseline and a 24-h score: nothing to compare.\n";
  } else {
    Status s = PrintClinicBesideTrials(os, a.trials_outcome, h24.numerator, h24.denominator);
    if (!s.ok()) return s.WithContext("--trials-outcome");
  }
  for (const auto& p : plots) os << "Plot written to " << p << "\n";
  return Status::Ok();
}

}  // namespace

void AddReportCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("report", "Registry analytics: outcomes, relapse, adverse events, dose-response, "
                                           "completion and cap exceptions, with denominators");
  auto a = std::make_shared<ReportArgs>();
  cmd->add_option("--db", a->db, "Registry database: a SQLite file path, or postgres://...")->capture_default_str();
  cmd->add_option("--by", a->by, "Group by indication, protocol, route or clinic")->capture_default_str();
  cmd->add_option("--clinic", a->clinic, "Only this clinic (default: every clinic in the registry)");
  cmd->add_option("--instrument", a->instrument, "Outcome instrument (rules from instruments.json)")->capture_default_str();
  cmd->add_option("--trials-outcome", a->trials_outcome, "Evidence-base outcome to compare the 24-h response with")
      ->capture_default_str();
  cmd->add_option("--svg-dir", a->svg_dir, "Write relapse_km.svg and trajectories.svg here");
  cmd->add_flag("--json", a->json, "Print the report as JSON");
  cmd->add_option("--read-db", a->read_db,
                  "Read from this database instead of --db, e.g. a PostgreSQL standby; the report says how stale it is");
  cmd->add_flag("--prefer-standby", a->prefer_standby,
                "PostgreSQL: read from a standby among the connection string's hosts when one is up");
  cmd->callback([&ctx, a] {
    Status s = RunReport(ctx, *a);
    if (!s.ok()) ctx.BadInput(s);
  });
}

}  // namespace kira::cli
