#include "kira/research/research.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include <stdlib.h>

#include "kira/data/embedded.h"
#include "kira/evidence/evidence_json.h"
#include "kira/evidence/query.h"
#include "kira/interop/deidentify.h"
#include "kira/plot/svg_plots.h"

namespace kira::research {

namespace {

std::string Fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

// The bundled evidence base, parsed once (read-only data shipped in the binary).
StatusOr<const evidence::EvidenceBase*> Evidence() {
  static const StatusOr<evidence::EvidenceBase> base = []() -> StatusOr<evidence::EvidenceBase> {
    std::optional<std::string_view> text = data::EmbeddedFile("evidence.json");
    if (!text) return InternalError("no embedded evidence.json");
    auto b = evidence::ParseEvidenceBase(*text);
    if (!b.ok()) return b.status().WithContext("embedded evidence.json");
    return b;
  }();
  if (!base.ok()) return base.status();
  return &*base;
}

TrialsComparison Compare(const evidence::EvidenceBase& base, const std::string& outcome_id,
                         std::string registry_measure, const analytics::Rate& clinic, const ResearchQuery& q) {
  TrialsComparison t;
  t.outcome_id = outcome_id;
  t.registry_measure = std::move(registry_measure);
  t.clinic = clinic;
  if (const auto* o = base.FindOutcome(outcome_id)) t.outcome_label = o->label;
  evidence::EvidenceQuery eq;
  eq.outcome = outcome_id;
  // The same route as the registry filter, so like is compared with like.
  if (!q.route.empty()) eq.route = q.route;
  t.method = std::string(stats::Tau2EstimatorName(eq.options.method));
  auto pool = evidence::PoolEvidence(base, eq);
  if (!pool.ok()) {
    t.notes.push_back("the trials could not be pooled: " + std::string(pool.status().message()));
    return t;
  }
  for (const auto& note : pool->notes) t.notes.push_back(note);
  if (pool->included.empty()) {
    t.notes.push_back(q.route.empty() ? "no bundled trial reports this outcome with counts"
                                      : "no bundled trial of route '" + q.route + "' reports this outcome with counts");
  }
  const std::vector<double>* weights =
      pool->ketamine_arm_logit && pool->ketamine_arm_logit->weights_percent.size() == pool->included.size()
          ? &pool->ketamine_arm_logit->weights_percent
          : nullptr;
  for (std::size_t i = 0; i < pool->included.size(); ++i) {
    const auto& tr = pool->included[i];
    TrialArm a;
    a.trial_id = tr.trial_id;
    a.label = tr.label;
    a.responders = static_cast<std::int64_t>(tr.table.events_treated);
    a.n = static_cast<std::int64_t>(tr.table.events_treated + tr.table.non_events_treated);
    auto w = stats::WilsonInterval(tr.table.events_treated, tr.table.events_treated + tr.table.non_events_treated);
    if (!w.ok()) continue;
    a.wilson = *w;
    a.weight_percent = weights ? (*weights)[i] : 0.0;
    t.arms.push_back(std::move(a));
  }
  if (pool->ketamine_arm_logit) {
    const auto& fit = *pool->ketamine_arm_logit;
    t.method = std::string(stats::Tau2EstimatorName(fit.method));
    t.pooled = stats::ProportionInterval{evidence::InverseLogit(fit.pooled().estimate),
                                         evidence::InverseLogit(fit.pooled().ci_low),
                                         evidence::InverseLogit(fit.pooled().ci_high)};
    if (fit.prediction) {
      t.prediction_low = evidence::InverseLogit(fit.prediction->low);
      t.prediction_high = evidence::InverseLogit(fit.prediction->high);
    }
  }
  return t;
}

const analytics::GroupReport* FindGroup(const ResearchReport& r, std::string_view group) {
  if (group == "all") return &r.report.overall;
  for (const auto& g : r.report.groups) {
    if (g.group == group) return &g;
  }
  return nullptr;
}

StatusOr<std::string> RelapseSvg(const ResearchReport& r, std::string_view group) {
  const analytics::GroupReport* g = FindGroup(r, group);
  if (g == nullptr) return NotFoundError("group: no group '" + std::string(group) + "' in this report");
  const auto& rel = g->relapse;
  if (!rel.km) return NotFoundError("no responder after induction to follow for relapse");
  if (r.cells.Hidden(rel.responders)) {
    return NotFoundError("suppressed: fewer than " + std::to_string(r.cells.min_cell) + " responders");
  }
  plot::KaplanMeierSpec km;
  km.title = "Time to relapse after response (" + std::to_string(rel.responders) + " responders" +
             (group == "all" ? std::string() : ", " + std::string(group)) + ")";
  km.time_label = "Days since the post-induction response";
  km.points.push_back({0, 1, 1.0, 1.0, static_cast<int>(rel.responders)});
  for (const auto& s : rel.km->steps) {
    if (r.cells.Hidden(s.at_risk)) break;  // the same truncation as the JSON reply
    km.points.push_back({s.time, s.survival, s.ci_low, s.ci_high, s.at_risk});
  }
  return plot::KaplanMeierSvg(km);
}

StatusOr<std::string> TrajectoriesSvg(const ResearchReport& r) {
  const auto& rep = r.report;
  plot::TrajectoryPlotSpec tp;
  tp.title = "Mean " + rep.rule.instrument + " total by " + rep.dimension;
  tp.time_label = "Days since the first session";
  tp.value_label = rep.rule.instrument + " total";
  for (const auto& g : rep.groups) {
    if (g.patients_with_baseline == 0 || r.cells.Hidden(g.patients_with_baseline)) continue;
    plot::TrajectorySeries series;
    series.label = g.group + " (n = " + std::to_string(g.patients_with_baseline) + ")";
    series.points.push_back({0, g.baseline_mean_total});
    for (const auto& o : g.outcomes) {
      if (o.response.denominator > 0 && !r.cells.Hidden(o.response.denominator)) {
        series.points.push_back({o.mean_day, o.mean_total});
      }
    }
    std::stable_sort(series.points.begin(), series.points.end(),
                     [](const auto& a, const auto& b) { return a.time < b.time; });
    tp.series.push_back(std::move(series));
  }
  if (tp.series.empty()) {
    return NotFoundError("no group has " + std::string(r.cells.min_cell > 1 ? "enough " : "") +
                         "patients with a baseline score");
  }
  tp.references.push_back({std::string("remission (") + (rep.rule.remission_inclusive ? "<= " : "< ") +
                               Fmt("%g", rep.rule.remission_value) + ")",
                           rep.rule.remission_value});
  if (rep.rule.response_min_percent_fall && !r.cells.Hidden(rep.overall.patients_with_baseline)) {
    tp.references.push_back({"response: " + Fmt("%g", *rep.rule.response_min_percent_fall) +
                                 " % below the mean baseline",
                             rep.overall.baseline_mean_total * (1 - *rep.rule.response_min_percent_fall / 100)});
  }
  return plot::TrajectoryPlotSvg(tp);
}

StatusOr<std::string> AeByDoseSvg(const ResearchReport& r) {
  const auto& g = r.report.overall;
  plot::TrajectoryPlotSpec tp;
  tp.title = "Adverse events by dose (sessions with the event, per " +
             Fmt("%g", r.report.options.dose_band_mg_per_kg) + " mg/kg band)";
  tp.time_label = "Dose (mg/kg, band midpoint)";
  tp.value_label = "Sessions with the event (%)";
  for (std::size_t c = 0; c < g.adverse_events.size(); ++c) {
    plot::TrajectorySeries s;
    s.label = g.adverse_events[c].ae_class;
    for (const auto& b : g.ae_by_dose) {
      if (r.cells.Hidden(b.sessions) || c >= b.events.size()) continue;
      if (r.cells.Hidden(b.events[c]) || r.cells.Hidden(b.sessions - b.events[c])) continue;
      s.points.push_back({(b.low_mg_per_kg + b.high_mg_per_kg) / 2,
                          100.0 * static_cast<double>(b.events[c]) / static_cast<double>(b.sessions)});
    }
    if (!s.points.empty()) tp.series.push_back(std::move(s));
  }
  if (tp.series.empty()) return NotFoundError("no dose band with enough administered sessions and events to show");
  return plot::TrajectoryPlotSvg(tp);
}

StatusOr<std::string> TrialsSvg(const ResearchReport& r, const TrialsComparison& t) {
  if (t.arms.empty() || !t.pooled) return NotFoundError("no bundled trial to compare with");
  plot::ForestPlotSpec f;
  f.title = t.outcome_label.empty() ? t.outcome_id : t.outcome_label;
  f.effect_label = "Ketamine-arm rate (%)";
  f.null_value = 100 * t.pooled->estimate;  // the line marks the pooled trials' rate
  for (const auto& a : t.arms) {
    f.rows.push_back({a.label + " (" + std::to_string(a.responders) + "/" + std::to_string(a.n) + ")",
                      100 * a.wilson.estimate, 100 * a.wilson.low, 100 * a.wilson.high, a.weight_percent});
  }
  if (t.clinic.ci && !r.cells.Hidden(t.clinic)) {
    f.rows.push_back({"This registry, " + t.registry_measure + " (" + std::to_string(t.clinic.numerator) + "/" +
                          std::to_string(t.clinic.denominator) + "; not pooled)",
                      100 * t.clinic.ci->estimate, 100 * t.clinic.ci->low, 100 * t.clinic.ci->high, 0.0});
  }
  f.summary.label = "Trials pooled (" + t.method + ", logit)";
  f.summary.estimate = 100 * t.pooled->estimate;
  f.summary.ci_low = 100 * t.pooled->low;
  f.summary.ci_high = 100 * t.pooled->high;
  if (t.prediction_low && t.prediction_high) {
    f.summary.pi_low = 100 * *t.prediction_low;
    f.summary.pi_high = 100 * *t.prediction_high;
  }
  return plot::ForestPlotSvg(f);
}

}  // namespace

StatusOr<analytics::OutcomeRule> OutcomeRuleFor(const instruments::InstrumentLibrary& library, std::string_view id) {
  const instruments::Instrument* ins = library.Find(id);
  if (ins == nullptr) return InvalidArgumentError("instrument: no instrument '" + std::string(id) + "' in the library");
  if (!ins->response || !ins->remission) {
    return InvalidArgumentError("instrument: '" + std::string(id) + "' has no response and remission rule");
  }
  analytics::OutcomeRule r;
  r.instrument = ins->id;
  r.version = library.id + " " + library.version;
  r.response_min_percent_fall = ins->response->min_percent_fall;
  r.response_min_point_fall = ins->response->min_point_fall;
  r.remission_value = ins->remission->value;
  r.remission_inclusive = ins->remission->op == instruments::RemissionOp::kAtMost;
  return r;
}

StatusOr<ResearchReport> BuildResearchReport(storage::Store& store, const registry::Libraries& libs,
                                             const ResearchQuery& q) {
  if (libs.guideline == nullptr || libs.instruments == nullptr) {
    return FailedPreconditionError("the guideline and instrument libraries are not loaded");
  }
  if (q.min_cell < 1) return InvalidArgumentError("min_cell: must be at least 1");
  if (q.from && q.to && *q.from > *q.to) return InvalidArgumentError("from: is after 'to'");
  KIRA_ASSIGN_OR_RETURN(analytics::OutcomeRule rule, OutcomeRuleFor(*libs.instruments, q.instrument));
  registry::CohortQuery cq;
  cq.dimension = q.dimension;
  cq.instrument = rule.instrument;
  cq.clinic_id = q.all_clinics ? std::string() : q.clinic_id;
  cq.plans = libs.advisor;
  cq.indication = q.indication;
  cq.protocol = q.protocol;
  cq.route = q.route;
  if (q.from) cq.from_day = static_cast<double>(q.from->time_since_epoch().count());
  if (q.to) cq.to_day = static_cast<double>(q.to->time_since_epoch().count()) + 1.0;  // inclusive date
  KIRA_ASSIGN_OR_RETURN(analytics::Cohort cohort, registry::LoadCohort(store, *libs.guideline, cq));
  ResearchReport r;
  r.query = q;
  r.cells.min_cell = q.min_cell;
  KIRA_ASSIGN_OR_RETURN(r.report, analytics::ComputeCohortReport(cohort, rule));
  KIRA_ASSIGN_OR_RETURN(const evidence::EvidenceBase* base, Evidence());
  const auto& h24 = r.report.overall.outcomes[static_cast<int>(analytics::Timepoint::k24h)];
  r.trials.push_back(Compare(*base, "response-24h", "response at 24 h", h24.response, q));
  r.trials.push_back(Compare(*base, "remission-24h", "remission at 24 h", h24.remission, q));
  return r;
}

std::vector<FigureInfo> Figures(const ResearchReport& r) {
  std::vector<FigureInfo> out;
  auto add = [&](std::string name, std::string group, std::string title) {
    FigureInfo f{std::move(name), std::move(group), std::move(title), false, "", ""};
    auto svg = FigureSvg(r, f.name, f.group.empty() ? "all" : f.group);
    f.available = svg.ok();
    if (svg.ok()) {
      f.svg = std::move(svg).value();
    } else {
      f.reason = std::string(svg.status().message());
    }
    out.push_back(std::move(f));
  };
  add("relapse-km", "all", "Kaplan-Meier time to relapse, all patients");
  if (r.report.groups.size() > 1) {
    for (const auto& g : r.report.groups) add("relapse-km", g.group, "Kaplan-Meier time to relapse, " + g.group);
  }
  add("trajectories", "", "Outcome trajectories");
  add("ae-by-dose", "", "Adverse events by dose");
  for (const auto& t : r.trials) add("trials-" + t.outcome_id, "", "This registry beside the trials: " + t.registry_measure);
  return out;
}

StatusOr<std::string> FigureSvg(const ResearchReport& r, std::string_view name, std::string_view group) {
  if (name == "relapse-km") return RelapseSvg(r, group);
  if (name == "trajectories") return TrajectoriesSvg(r);
  if (name == "ae-by-dose") return AeByDoseSvg(r);
  for (const auto& t : r.trials) {
    if (name == "trials-" + t.outcome_id) return TrialsSvg(r, t);
  }
  return NotFoundError("figure: no figure '" + std::string(name) + "'");
}

StatusOr<std::string> DeidentifiedCsv(storage::Store& store, std::string_view clinic_id, std::string_view secret) {
  // The exporter writes a file (atomically); it goes into a private (0700)
  // temporary directory, is read back, and both are removed.
  std::error_code ec;
  const auto tmp = std::filesystem::temp_directory_path(ec);
  if (ec) return UnavailableError("no temporary directory: " + ec.message());
  std::string templ = (tmp / "kira-deid-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) return UnavailableError("cannot create a private temporary directory");
  const std::filesystem::path dir(templ);
  struct Remove {
    std::filesystem::path p;
    ~Remove() {
      std::error_code e;
      std::filesystem::remove_all(p, e);
    }
  } cleanup{dir};
  const auto path = dir / "deidentified.csv";
  interop::DeidentifyOptions o;  // strict Safe Harbor, no aggregate file
  auto n = interop::ExportDeidentified(store, clinic_id, secret, path.string(), o);
  if (!n.ok()) return n.status();
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return InternalError("cannot read back the de-identified export");
  return text.str();
}

}  // namespace kira::research
