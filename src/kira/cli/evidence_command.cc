#include "kira/cli/evidence_command.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "kira/cli/common.h"
#include "kira/cli/meta_data_command.h"
#include "kira/evidence/evidence.h"
#include "kira/evidence/evidence_json.h"
#include "kira/evidence/query.h"
#include "kira/plot/svg_plots.h"
#include "kira/stats/descriptive.h"
#include "kira/stats/distributions.h"
#include "kira/stats/effect_size.h"
#include "kira/stats/meta_analysis.h"
#include "kira/stats/publication_bias.h"

namespace kira::cli {
namespace {

StatusOr<evidence::EvidenceBase> LoadEvidence(const std::string& path) {
  KIRA_ASSIGN_OR_RETURN(std::string text, ReadDataFile(path, "evidence.json"));
  auto base = evidence::ParseEvidenceBase(text);
  if (!base.ok()) {
    return base.status().WithContext(path.empty() ? std::string("embedded evidence.json") : path);
  }
  return base;
}

std::string Arm(const std::optional<evidence::ArmCounts>& a) {
  if (!a) return "-";
  std::string s;
  if (a->HasCounts()) {
    s = fmt::format("{}/{}", *a->responders, *a->n);
  } else if (a->percent) {
    s = fmt::format("{} %", *a->percent);
    if (a->n) s += fmt::format(" of {}", *a->n);
  } else {
    s = "?";
  }
  return s + " (" + std::string(evidence::SourceTagName(a->tag)) + ")";
}

// Two decimals, or two significant digits for small ratios (0.0025, not 0.00).
std::string Display(double v, bool exponentiate) {
  const double x = exponentiate ? std::exp(v) : v;
  if (exponentiate && x < 0.01) return fmt::format("{:.2g}", x);
  return fmt::format("{:.2f}", x);
}

std::string Interval(double est, double lo, double hi, bool exponentiate) {
  return fmt::format("{} [{}, {}]", Display(est, exponentiate), Display(lo, exponentiate), Display(hi, exponentiate));
}

std::string PValue(double p) { return p < 0.0001 ? "< 0.0001" : fmt::format("{:.4f}", p); }

void PrintList(std::ostream& os, const evidence::EvidenceBase& b) {
  os << fmt::format("Evidence base {} version {} ({} trials, {} pooled reference figures)\n", b.id, b.version,
                    b.trials.size(), b.pooled_references.size());
  os << "Counts carry the clinical reference's tag: V verified, S secondary, U unverified, derived = % x arm size.\n";
  for (const evidence::Trial& t : b.trials) {
    std::string ids = t.pmid.empty() ? "" : "PMID " + t.pmid;
    if (!t.doi.empty()) ids += (ids.empty() ? "" : "; ") + std::string("DOI ") + t.doi;
    if (!t.pmcid.empty()) ids += (ids.empty() ? "" : "; ") + t.pmcid;
    os << fmt::format("\n{} [{}] {}, {} vs {}, route {}\n  {}\n  {}\n", t.id, t.reference,
                      evidence::TrialDesignName(t.design), t.dose ? *t.dose : "dose not given", t.comparator, t.route,
                      t.citation, ids);
    if (t.outcomes.empty()) os << "  (no outcome counts in the reference)\n";
    for (const evidence::TrialOutcome& o : t.outcomes) {
      os << fmt::format("  {:<22} {:<16} ketamine {:<18} control {:<18} {}\n", o.outcome_id, o.timepoint,
                        Arm(o.ketamine), Arm(o.control),
                        o.poolable ? "poolable" : "not pooled: " + o.exclusion_reason);
    }
  }
  os << "\nPublished pooled figures:\n";
  for (const evidence::PooledReference& r : b.pooled_references) {
    std::string fig = r.estimate ? fmt::format("{} {:.2f} [{:.2f}, {:.2f}]", r.measure ? *r.measure : "", *r.estimate,
                                               r.ci_low.value_or(NAN), r.ci_high.value_or(NAN))
                                 : r.summary;
    os << fmt::format("  {:<26} [{}] {:<16} vs {:<20} {} ({})\n", r.id, r.reference, r.outcome_id, r.comparator, fig,
                      evidence::SourceTagName(r.tag));
  }
}

void PrintPool(std::ostream& os, const evidence::EvidenceBase& b, const evidence::EvidenceQuery& q,
               const evidence::EvidencePool& pool) {
  const bool expo = stats::IsLogScale(q.measure);
  const std::string measure(stats::EffectMeasureName(q.measure));
  os << fmt::format("Meta-analysis of {}: {}\n", pool.outcome.id, pool.outcome.label);
  os << fmt::format("Evidence base {} {}; measure {}; tau^2 {}; test {}{}{}\n", b.id, b.version, measure,
                    stats::Tau2EstimatorName(q.options.method),
                    pool.result ? stats::InferenceTestName(pool.result->test) : stats::InferenceTestName(q.options.test),
                    q.route ? "; route " + *q.route : "", q.comparator ? "; comparator ~ " + *q.comparator : "");
  if (!pool.included.empty()) {
    os << fmt::format("\n  {:<16} {:<18} {:<18} {:<26} {:>7}\n", "Study", "Ketamine", "Control",
                      measure + " [95% CI]", "Weight");
    const double z = stats::NormalQuantile(0.975);
    for (std::size_t i = 0; i < pool.included.size(); ++i) {
      const auto& t = pool.included[i];
      const double y = pool.effects.yi[i], se = std::sqrt(pool.effects.vi[i]);
      os << fmt::format("  {:<16} {:<18} {:<18} {:<26} {:>6.1f}%\n", t.label,
                        fmt::format("{:.0f}/{:.0f} ({})", t.table.events_treated,
                                    t.table.events_treated + t.table.non_events_treated,
                                    evidence::SourceTagName(t.ketamine_tag)),
                        fmt::format("{:.0f}/{:.0f} ({})", t.table.events_control,
                                    t.table.events_control + t.table.non_events_control,
                                    evidence::SourceTagName(t.control_tag)),
                        Interval(y, y - z * se, y + z * se, expo),
                        pool.result ? pool.result->weights_percent[i] : 0.0);
    }
  }
  if (pool.result) {
    const auto& r = *pool.result;
    const auto& c = r.pooled();
    os << fmt::format("\n  Pooled {:<10} {}   p = {}   (k = {}{})\n", measure, Interval(c.estimate, c.ci_low, c.ci_high, expo),
                      PValue(c.p_value), r.k, r.t_df ? fmt::format(", t on {} df", *r.t_df) : "");
    if (r.prediction) {
      os << fmt::format("  Prediction interval [{}, {}]\n", Display(r.prediction->low, expo),
                        Display(r.prediction->high, expo));
    }
    const auto& h = r.heterogeneity;
    os << fmt::format("  Heterogeneity: tau^2 = {:.4f}, I^2 = {:.1f} %, H^2 = {:.2f}, Q = {:.2f} (df {}, p = {})\n",
                      r.tau2, h.i2_percent, h.h2, h.q, h.df, PValue(h.p_value));
  }
  if (!pool.excluded.empty()) {
    os << "\nListed but not pooled:\n";
    for (const auto& e : pool.excluded) os << fmt::format("  {:<18} {}\n", e.trial_id, e.reason);
  }
  for (const std::string& n : pool.notes) os << "Note: " << n << "\n";
  if (!pool.references.empty()) {
    os << "\nPublished figures for this outcome:\n";
    for (const auto& r : pool.references) {
      std::string fig = r.estimate ? fmt::format("{} {:.2f} [{:.2f}, {:.2f}]", r.measure ? *r.measure : "", *r.estimate,
                                                 r.ci_low.value_or(NAN), r.ci_high.value_or(NAN))
                                   : std::string();
      os << fmt::format("  [{}] {} vs {}: {}{}{} ({})\n", r.reference, r.id, r.comparator, fig,
                        fig.empty() ? "" : "; ", r.summary, evidence::SourceTagName(r.tag));
    }
  }
}

StatusOr<std::string> ForestSvg(const evidence::EvidenceQuery& q, const evidence::EvidencePool& pool) {
  if (!pool.result) return FailedPreconditionError("--svg: no pooled estimate to plot");
  const bool expo = stats::IsLogScale(q.measure);
  const double z = stats::NormalQuantile(0.975);
  plot::ForestPlotSpec spec;
  spec.title = pool.outcome.label;
  spec.effect_label = expo ? (q.measure == stats::EffectMeasure::kLogOddsRatio ? "Odds ratio" : "Risk ratio")
                           : "Risk difference";
  spec.exponentiate = expo;
  spec.favours_left = "Favours control";
  spec.favours_right = "Favours ketamine";
  for (std::size_t i = 0; i < pool.included.size(); ++i) {
    const double y = pool.effects.yi[i], se = std::sqrt(pool.effects.vi[i]);
    spec.rows.push_back({pool.included[i].label, y, y - z * se, y + z * se, pool.result->weights_percent[i]});
  }
  const auto& r = *pool.result;
  spec.summary.label = fmt::format("Pooled ({}, {})", stats::Tau2EstimatorName(r.method), stats::InferenceTestName(r.test));
  spec.summary.estimate = r.pooled().estimate;
  spec.summary.ci_low = r.pooled().ci_low;
  spec.summary.ci_high = r.pooled().ci_high;
  if (r.prediction) {
    spec.summary.pi_low = r.prediction->low;
    spec.summary.pi_high = r.prediction->high;
  }
  return plot::ForestPlotSvg(spec);
}

// Funnel plot of the pooled trials; with k >= 3 the trim-and-fill imputed
// studies are drawn hollow and the adjusted estimate is the centre line.
StatusOr<std::string> FunnelSvg(const evidence::EvidenceQuery& q, const evidence::EvidencePool& pool) {
  if (!pool.result) return FailedPreconditionError("--funnel: no pooled estimate to plot");
  plot::FunnelPlotSpec spec;
  spec.title = "Funnel plot: " + pool.outcome.id;
  spec.effect_label = stats::IsLogScale(q.measure) ? "log " + std::string(stats::EffectMeasureName(q.measure))
                                                   : std::string(stats::EffectMeasureName(q.measure));
  spec.pooled_estimate = pool.result->pooled().estimate;
  for (std::size_t i = 0; i < pool.effects.yi.size(); ++i) {
    spec.points.push_back({pool.effects.yi[i], std::sqrt(pool.effects.vi[i]), false});
  }
  if (pool.effects.yi.size() >= 3) {
    stats::MetaOptions o = q.options;
    o.test = stats::InferenceTest::kZ;
    auto tf = stats::TrimAndFill(pool.effects.yi, pool.effects.vi, o);
    if (tf.ok()) {
      for (std::size_t i = 0; i < tf->filled_yi.size(); ++i) {
        spec.points.push_back({tf->filled_yi[i], std::sqrt(tf->filled_vi[i]), true});
      }
    }
  }
  return plot::FunnelPlotSvg(spec);
}

Status WriteFile(const std::string& option, const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  out.close();
  if (!out) return InvalidArgumentError(option + ": cannot write '" + path + "'");
  return Status::Ok();
}

struct MetaArgs {
  std::string evidence_path;
  std::string outcome;
  std::string route;
  std::string comparator;
  std::string method = "REML";
  std::string test = "knha";
  std::string measure = "OR";
  bool include_crossover = false;
  bool verified_only = false;
  std::string svg;
  std::string funnel;
  std::string clinic;  // "responders/n", e.g. "45/100"
  bool json = false;
};

struct ClinicRate {
  double responders = 0;
  double n = 0;
  stats::ProportionInterval wilson;
};

// "45/100" -> 45 of 100 with its Wilson interval.
StatusOr<ClinicRate> ParseClinic(const std::string& text) {
  const std::size_t slash = text.find('/');
  auto bad = [&] { return InvalidArgumentError("--clinic: expected responders/n, e.g. 45/100, got '" + text + "'"); };
  if (slash == std::string::npos) return bad();
  ClinicRate c;
  try {
    std::size_t used = 0;
    c.responders = std::stod(text.substr(0, slash), &used);
    if (used != slash) return bad();
    const std::string rest = text.substr(slash + 1);
    c.n = std::stod(rest, &used);
    if (used != rest.size()) return bad();
  } catch (const std::exception&) {
    return bad();
  }
  if (std::floor(c.responders) != c.responders || std::floor(c.n) != c.n) return bad();
  auto w = stats::WilsonInterval(c.responders, c.n);
  if (!w.ok()) return InvalidArgumentError("--clinic: " + std::string(w.status().message()));
  c.wilson = *w;
  return c;
}

void PrintClinicComparison(std::ostream& os, const evidence::EvidencePool& pool, const std::optional<ClinicRate>& clinic) {
  if (!pool.ketamine_arm_logit) return;
  const auto& a = *pool.ketamine_arm_logit;
  auto pct = [](double logit) { return 100.0 * evidence::InverseLogit(logit); };
  os << fmt::format("\nKetamine-arm rate across these trials (logit, {}): {:.1f} % [{:.1f}, {:.1f}]",
                    stats::Tau2EstimatorName(a.method), pct(a.pooled().estimate), pct(a.pooled().ci_low),
                    pct(a.pooled().ci_high));
  if (a.prediction) os << fmt::format("; prediction interval [{:.1f}, {:.1f}]", pct(a.prediction->low), pct(a.prediction->high));
  os << "\n";
  if (clinic) {
    const bool inside = a.prediction && clinic->wilson.estimate >= evidence::InverseLogit(a.prediction->low) &&
                        clinic->wilson.estimate <= evidence::InverseLogit(a.prediction->high);
    os << fmt::format("Your clinic: {:.0f}/{:.0f} = {:.1f} % [{:.1f}, {:.1f}] (Wilson 95 %){}\n", clinic->responders,
                      clinic->n, 100 * clinic->wilson.estimate, 100 * clinic->wilson.low, 100 * clinic->wilson.high,
                      a.prediction ? (inside ? ", inside the trials' prediction interval"
                                             : ", outside the trials' prediction interval")
                                   : "");
  }
}

Status RunMeta(Context& ctx, const MetaArgs& a) {
  std::optional<ClinicRate> clinic;
  if (!a.clinic.empty()) {
    KIRA_ASSIGN_OR_RETURN(ClinicRate c, ParseClinic(a.clinic));
    clinic = c;
  }
  evidence::EvidenceQuery q;
  q.outcome = a.outcome;
  if (!a.route.empty()) q.route = a.route;
  if (!a.comparator.empty()) q.comparator = a.comparator;
  q.include_crossover = a.include_crossover;
  q.verified_only = a.verified_only;
  auto method = stats::ParseTau2Estimator(a.method);
  if (!method.ok()) return InvalidArgumentError("--" + std::string(method.status().message()));
  auto test = stats::ParseInferenceTest(a.test);
  if (!test.ok()) return InvalidArgumentError("--" + std::string(test.status().message()));
  auto measure = stats::ParseEffectMeasure(a.measure);
  if (!measure.ok() || !(*measure == stats::EffectMeasure::kLogOddsRatio || *measure == stats::EffectMeasure::kLogRiskRatio ||
                         *measure == stats::EffectMeasure::kRiskDifference)) {
    return InvalidArgumentError("--measure: must be OR, RR or RD, got '" + a.measure + "'");
  }
  q.options.method = *method;
  q.options.test = *test;
  q.measure = *measure;
  KIRA_ASSIGN_OR_RETURN(evidence::EvidenceBase base, LoadEvidence(a.evidence_path));
  auto pool = evidence::PoolEvidence(base, q);
  if (!pool.ok()) {
    // An unknown outcome is bad input here, not a missing resource.
    return InvalidArgumentError("--" + std::string(pool.status().message()));
  }
  if (!a.svg.empty()) {
    KIRA_ASSIGN_OR_RETURN(std::string svg, ForestSvg(q, *pool));
    KIRA_RETURN_IF_ERROR(WriteFile("--svg", a.svg, svg));
  }
  if (!a.funnel.empty()) {
    KIRA_ASSIGN_OR_RETURN(std::string svg, FunnelSvg(q, *pool));
    KIRA_RETURN_IF_ERROR(WriteFile("--funnel", a.funnel, svg));
  }
  if (a.json) {
    std::string doc = evidence::EvidencePoolToJson(base, q, *pool);
    if (clinic) {
      // Append the clinic's own rate without re-parsing: the document is an
      // object, so replace its closing brace.
      const std::size_t close = doc.rfind('}');
      doc = doc.substr(0, close) +
            fmt::format(",\n  \"clinic\": {{\"responders\": {:.0f}, \"n\": {:.0f}, \"rate\": {}, \"wilson_low\": {}, "
                        "\"wilson_high\": {}}}\n}}",
                        clinic->responders, clinic->n, clinic->wilson.estimate, clinic->wilson.low, clinic->wilson.high);
    }
    *ctx.out << doc << "\n";
  } else {
    PrintPool(*ctx.out, base, q, *pool);
    PrintClinicComparison(*ctx.out, *pool, clinic);
    if (!a.svg.empty()) *ctx.out << "\nForest plot written to " << a.svg << "\n";
    if (!a.funnel.empty()) *ctx.out << "Funnel plot written to " << a.funnel << "\n";
  }
  return Status::Ok();
}

}  // namespace

Status PrintClinicBesideTrials(std::ostream& os, const std::string& outcome, std::int64_t responders,
                               std::int64_t n) {
  KIRA_ASSIGN_OR_RETURN(ClinicRate clinic, ParseClinic(std::to_string(responders) + "/" + std::to_string(n)));
  const MetaArgs defaults;
  evidence::EvidenceQuery q;
  q.outcome = outcome;
  auto method = stats::ParseTau2Estimator(defaults.method);
  auto test = stats::ParseInferenceTest(defaults.test);
  auto measure = stats::ParseEffectMeasure(defaults.measure);
  if (!method.ok() || !test.ok() || !measure.ok()) return InternalError("meta defaults do not parse");
  q.options.method = *method;
  q.options.test = *test;
  q.measure = *measure;
  KIRA_ASSIGN_OR_RETURN(evidence::EvidenceBase base, LoadEvidence(""));
  auto pool = evidence::PoolEvidence(base, q);
  if (!pool.ok()) return pool.status();
  os << fmt::format("Trials pooled for '{}': {} ({} excluded)", outcome, pool->included.size(), pool->excluded.size());
  PrintClinicComparison(os, *pool, clinic);
  return Status::Ok();
}

void AddEvidenceCommands(CLI::App& app, Context& ctx) {
  auto* ev = app.add_subcommand("evidence", "The bundled evidence base of ketamine trials (guidelines/evidence.json)");
  ev->require_subcommand(1);
  auto list_json = std::make_shared<bool>(false);
  auto list_path = std::make_shared<std::string>();
  auto* list = ev->add_subcommand("list", "List trials, outcome counts with their V/S/U/derived tags, and pooled figures");
  list->add_flag("--json", *list_json, "Machine-readable output");
  list->add_option("--evidence", *list_path, "Evidence JSON file (default: the one built in)");
  list->callback([&ctx, list_json, list_path] {
    auto base = LoadEvidence(*list_path);
    if (!base.ok()) return ctx.BadInput(base.status());
    if (*list_json) {
      *ctx.out << evidence::EvidenceListToJson(*base) << "\n";
    } else {
      PrintList(*ctx.out, *base);
    }
  });

  auto a = std::make_shared<MetaArgs>();
  auto d = std::make_shared<MetaDataArgs>();
  auto* meta = app.add_subcommand(
      "meta", "Meta-analysis: the bundled trials for one outcome (--outcome), or your own studies (--data FILE)");
  meta->add_option("--outcome", a->outcome, "Outcome id of the bundled evidence, e.g. response-24h (see `kira evidence list`)");
  meta->add_option("--data", d->data_path,
                   "Your studies as CSV or JSON: columns ai,bi,ci,di | ai,n1i,ci,n2i | m1i,sd1i,n1i,m2i,sd2i,n2i | "
                   "xi,ni | yi,vi | yi,sei (docs/meta-analysis.md)");
  meta->add_option("--mods", d->mods, "With --data: moderator columns for meta-regression (comma-separated)");
  meta->add_option("--cluster", d->cluster, "With --data: cluster column; estimates nest in clusters (~ 1 | cluster/row)");
  meta->add_option("--random", d->random,
                   "With --data: nested random intercepts a/b (~ 1 | a/b) or a multivariate model outcome|study");
  meta->add_option("--struct", d->structure, "With --random outcome|study: CS or UN between-study covariance")
      ->capture_default_str();
  meta->add_flag("--network", d->network,
                 "With --data: network meta-analysis of arm-level counts (columns study, treatment, xi, ni)");
  meta->add_option("--reference", d->reference, "With --network: the reference treatment");
  meta->add_flag("--smaller-better", d->smaller_better, "With --network: rank smaller odds as better (P-scores)");
  meta->add_flag("--no-profile", [d](std::int64_t) { d->profile = false; },
                 "With --cluster/--random: skip the profile-likelihood intervals of the variance components");
  meta->add_option("--level", d->level, "With --data: confidence level in percent")->capture_default_str();
  meta->add_option("--add", d->add, "With --data: continuity correction added to zero cells")->capture_default_str();
  meta->add_option("--to", d->to, "With --data: which tables get --add: only0, all, if0all, none")->capture_default_str();
  meta->add_option("--route", a->route, "Only trials with this route (iv, im, intranasal, oral)");
  meta->add_option("--comparator", a->comparator, "Only trials whose comparator contains this text, e.g. midazolam");
  meta->add_option("--method", a->method, "tau^2 estimator: FE, DL, REML, ML, PM, SJ, HE, EB, HS")->capture_default_str();
  meta->add_option("--test", a->test, "z or knha (Hartung-Knapp); t for multilevel models (with --data the default is z)")
      ->capture_default_str();
  meta->add_option("--measure", a->measure,
                   "OR, RR or RD (bundled); with --data also PETO, MD, SMD, PR, PLO (default per input type)")
      ->capture_default_str();
  meta->add_flag("--include-crossover", a->include_crossover, "Also pool crossover trials (not advised)");
  meta->add_flag("--verified-only", a->verified_only, "Pool only counts tagged V (drop derived and S)");
  meta->add_option("--svg", a->svg, "Write a forest plot (SVG) to this file");
  meta->add_option("--funnel", a->funnel, "Write a funnel plot (SVG) to this file");
  meta->add_option("--clinic", a->clinic, "Your clinic's responders/n (e.g. 45/100) to show beside the trials' ketamine-arm rate");
  meta->add_flag("--json", a->json, "Machine-readable output");
  meta->add_option("--evidence", a->evidence_path, "Evidence JSON file (default: the one built in)");
  meta->callback([&ctx, a, d, meta] {
    if (!d->data_path.empty()) {
      if (!a->outcome.empty()) return ctx.BadInput(InvalidArgumentError("--outcome: not with --data (pick one)"));
      // metafor's defaults for the researcher's data: measure per input type, REML, z test.
      d->measure = meta->get_option("--measure")->count() > 0 ? a->measure : "";
      d->method = a->method;
      d->test = meta->get_option("--test")->count() > 0 ? a->test : "z";
      d->svg = a->svg;
      d->funnel = a->funnel;
      d->json = a->json;
      Status s = RunMetaOnData(ctx, *d);
      if (!s.ok()) ctx.BadInput(s);
      return;
    }
    if (a->outcome.empty()) return ctx.BadInput(InvalidArgumentError("--outcome or --data: one is required"));
    Status s = RunMeta(ctx, *a);
    if (!s.ok()) ctx.BadInput(s);
  });
}

}  // namespace kira::cli
