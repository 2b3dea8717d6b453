#include "kira/cli/meta_data_command.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <algorithm>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "kira/cli/common.h"
#include "kira/evidence/study_data.h"
#include "kira/plot/network_plot.h"
#include "kira/plot/svg_plots.h"
#include "kira/stats/distributions.h"
#include "kira/stats/mantel_haenszel.h"
#include "kira/stats/meta_analysis.h"
#include "kira/stats/multilevel.h"
#include "kira/stats/network.h"
#include "kira/stats/publication_bias.h"

namespace kira::cli {
namespace {

using Json = nlohmann::json;

// NaN/inf never reach JSON as invalid tokens: null instead.
Json Num(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

Json FitJson(const stats::FitStatistics& f) {
  return {{"log_likelihood", Num(f.log_likelihood)}, {"deviance", Num(f.deviance)}, {"aic", Num(f.aic)},
          {"bic", Num(f.bic)}, {"aicc", Num(f.aicc)}};
}

Json CoefficientsJson(const std::vector<stats::Coefficient>& cs) {
  Json a = Json::array();
  for (const auto& c : cs) {
    a.push_back({{"name", c.name}, {"estimate", Num(c.estimate)}, {"se", Num(c.se)}, {"statistic", Num(c.statistic)},
                 {"p_value", Num(c.p_value)}, {"ci_low", Num(c.ci_low)}, {"ci_high", Num(c.ci_high)}});
  }
  return a;
}

Json VcovJson(const std::vector<double>& v, std::size_t p) {
  Json m = Json::array();
  for (std::size_t i = 0; i < p; ++i) {
    Json row = Json::array();
    for (std::size_t j = 0; j < p; ++j) row.push_back(Num(v[i * p + j]));
    m.push_back(row);
  }
  return m;
}

Json ModeratorTestJson(const std::optional<stats::ModeratorTest>& mt) {
  if (!mt) return nullptr;
  Json j = {{"statistic", Num(mt->statistic)}, {"df1", mt->df1}, {"p_value", Num(mt->p_value)}};
  if (mt->df2) j["df2"] = *mt->df2;
  return j;
}

Json PoolingJson(const stats::TablePoolingResult& r) {
  Json j = {{"estimate", Num(r.estimate)}, {"se", Num(r.se)}, {"z", Num(r.z)}, {"p_value", Num(r.p_value)},
            {"ci_low", Num(r.ci_low)}, {"ci_high", Num(r.ci_high)}, {"q", Num(r.heterogeneity.q)},
            {"q_df", r.heterogeneity.df}, {"q_p_value", Num(r.heterogeneity.p_value)}};
  if (r.cmh_statistic) j["cmh"] = {{"statistic", Num(*r.cmh_statistic)}, {"p_value", Num(*r.cmh_p_value)}};
  if (r.tarone_statistic) {
    j["tarone"] = {{"statistic", Num(*r.tarone_statistic)}, {"df", *r.tarone_df},
                   {"p_value", r.tarone_p_value ? Num(*r.tarone_p_value) : Json(nullptr)}};
    j["breslow_day"] = {{"statistic", Num(*r.breslow_day_statistic)},
                        {"p_value", r.breslow_day_p_value ? Num(*r.breslow_day_p_value) : Json(nullptr)}};
  }
  return j;
}

std::string Display(double v, bool expo) {
  const double x = expo ? std::exp(v) : v;
  if (std::fabs(x) < 0.01 && x != 0) return fmt::format("{:.2g}", x);
  return fmt::format("{:.4f}", x);
}

std::string Interval(double est, double lo, double hi, bool expo) {
  return fmt::format("{} [{}, {}]", Display(est, expo), Display(lo, expo), Display(hi, expo));
}

std::string PValue(double p) { return p < 0.0001 ? "< 0.0001" : fmt::format("= {:.4f}", p); }
// For a table column: no "=".
std::string PColumn(double p) { return p < 0.0001 ? "< 0.0001" : fmt::format("{:.4f}", p); }

Status WriteText(const std::string& option, const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  out.close();
  if (!out) return InvalidArgumentError(option + ": cannot write '" + path + "'");
  return Status::Ok();
}

StatusOr<stats::CorrectionScope> ParseTo(const std::string& to) {
  if (to == "only0") return stats::CorrectionScope::kOnlyZero;
  if (to == "all") return stats::CorrectionScope::kAll;
  if (to == "if0all") return stats::CorrectionScope::kIfAnyZero;
  if (to == "none") return stats::CorrectionScope::kNone;
  return InvalidArgumentError("--to: expected only0, all, if0all or none, got '" + to + "'");
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

struct Plan {
  bool multilevel = false;
  bool multivariate = false;
  std::vector<std::string> levels;  // nested grouping columns, outermost first ("" = row)
  std::string outcome_column, study_column;
};

StatusOr<Plan> PlanModel(const MetaDataArgs& a) {
  Plan plan;
  if (a.random.find('|') != std::string::npos) {
    const auto parts = Split(a.random, '|');
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
      return InvalidArgumentError("--random: expected outcome|study or a/b, got '" + a.random + "'");
    }
    if (!a.cluster.empty()) return InvalidArgumentError("--cluster: not with --random outcome|study (the study is the cluster)");
    plan.multivariate = true;
    plan.outcome_column = parts[0];
    plan.study_column = parts[1];
    return plan;
  }
  if (!a.cluster.empty()) plan.levels.push_back(a.cluster);
  if (!a.random.empty()) {
    for (const std::string& l : Split(a.random, '/')) {
      if (l.empty()) return InvalidArgumentError("--random: empty level in '" + a.random + "'");
      if (l != a.cluster || plan.levels.empty()) plan.levels.push_back(l);
    }
  } else if (!a.cluster.empty()) {
    plan.levels.push_back("");  // estimates within clusters: ~ 1 | cluster/row
  }
  plan.multilevel = !plan.levels.empty();
  return plan;
}

Json InputJson(const MetaDataArgs& a, const evidence::StudyTable& t) {
  Json rows = Json::array();
  for (const auto& r : t.rows) rows.push_back(r.cells);
  return {{"file", a.data_path}, {"format", t.format}, {"columns", t.columns}, {"rows", rows}};
}

Json OptionsJson(const MetaDataArgs& a, const evidence::StudyData& d) {
  return {{"measure", d.measure}, {"method", a.method}, {"test", a.test}, {"level", a.level},
          {"mods", a.mods}, {"cluster", a.cluster}, {"random", a.random}, {"struct", a.structure},
          {"add", a.add}, {"to", a.to}};
}

void PrintStudies(std::ostream& os, const evidence::StudyData& d, const std::vector<double>* weights, bool expo) {
  const double z = stats::NormalQuantile(0.975);
  os << fmt::format("  {:<24} {:<30} {:>8}\n", "Study", d.measure + " [95% CI]", weights ? "Weight" : "");
  for (std::size_t i = 0; i < d.yi.size(); ++i) {
    const double se = std::sqrt(d.vi[i]);
    os << fmt::format("  {:<24} {:<30} {:>8}\n", d.labels[i].substr(0, 24),
                      Interval(d.yi[i], d.yi[i] - z * se, d.yi[i] + z * se, expo),
                      weights ? fmt::format("{:.1f}%", (*weights)[i]) : "");
  }
}

StatusOr<std::string> Forest(const evidence::StudyData& d, const std::vector<double>& weights, bool expo,
                             const std::string& summary_label, const stats::Coefficient* pooled,
                             const std::optional<stats::PredictionInterval>& pi) {
  const double z = stats::NormalQuantile(0.975);
  plot::ForestPlotSpec spec;
  spec.title = "Meta-analysis (" + d.measure + ")";
  spec.effect_label = expo ? (d.measure == "RR" ? "Risk ratio" : "Odds ratio") : d.measure;
  spec.exponentiate = expo;
  spec.favours_left = "Favours control";
  spec.favours_right = "Favours treatment";
  for (std::size_t i = 0; i < d.yi.size(); ++i) {
    const double se = std::sqrt(d.vi[i]);
    spec.rows.push_back({d.labels[i], d.yi[i], d.yi[i] - z * se, d.yi[i] + z * se, weights[i]});
  }
  if (pooled != nullptr) {
    spec.summary.label = summary_label;
    spec.summary.estimate = pooled->estimate;
    spec.summary.ci_low = pooled->ci_low;
    spec.summary.ci_high = pooled->ci_high;
    if (pi) {
      spec.summary.pi_low = pi->low;
      spec.summary.pi_high = pi->high;
    }
  }
  return plot::ForestPlotSvg(spec);
}

Status RunUnivariate(Context& ctx, const MetaDataArgs& a, const evidence::StudyTable& table,
                     const evidence::StudyData& d, Json& doc) {
  stats::MetaOptions o;
  auto method = stats::ParseTau2Estimator(a.method);
  if (!method.ok()) return InvalidArgumentError("--" + std::string(method.status().message()));
  auto test = stats::ParseInferenceTest(a.test);
  if (!test.ok()) return InvalidArgumentError("--" + std::string(test.status().message()) + " (or t for multilevel models)");
  o.method = *method;
  o.test = *test;
  o.level = a.level / 100;
  auto fit = d.moderators.empty() ? stats::MetaAnalyze(d.yi, d.vi, o) : stats::MetaRegress(d.yi, d.vi, d.moderators, o);
  if (!fit.ok()) {
    return fit.status().code() == StatusCode::kInvalidArgument
               ? InvalidArgumentError(std::string(fit.status().message()))
               : FailedPreconditionError(std::string(fit.status().message()));
  }
  const stats::MetaAnalysisResult& r = *fit;
  const bool expo = evidence::MeasureIsLogScale(d.measure) && d.moderators.empty();
  Json m = {{"model", d.moderators.empty() ? "random-effects (rma)" : "meta-regression (rma, mods)"},
            {"k", r.k},
            {"p", r.p},
            {"method", stats::Tau2EstimatorName(r.method)},
            {"test", stats::InferenceTestName(r.test)},
            {"coefficients", CoefficientsJson(r.coefficients)},
            {"vcov", VcovJson(r.vcov, static_cast<std::size_t>(r.p))},
            {"tau2", Num(r.tau2)},
            {"se_tau2", r.se_tau2 ? Num(*r.se_tau2) : Json(nullptr)},
            {"heterogeneity",
             {{"q", Num(r.heterogeneity.q)}, {"df", r.heterogeneity.df}, {"p_value", Num(r.heterogeneity.p_value)},
              {"i2_percent", Num(r.heterogeneity.i2_percent)}, {"h2", Num(r.heterogeneity.h2)}}},
            {"vt", Num(r.vt)},
            {"s2w", Num(r.s2w)},
            {"parameters", r.parameters},
            {"fit_ml", FitJson(r.fit_ml)},
            {"fit_reml", FitJson(r.fit_reml)},
            {"moderator_test", ModeratorTestJson(r.moderator_test)},
            {"r2_percent", r.r2_percent ? Num(*r.r2_percent) : Json(nullptr)},
            {"weights_percent", r.weights_percent}};
  if (r.t_df) m["t_df"] = *r.t_df;
  if (r.prediction) m["prediction"] = {{"low", Num(r.prediction->low)}, {"high", Num(r.prediction->high)}};
  if (r.prediction_riley) {
    m["prediction_riley"] = {{"low", Num(r.prediction_riley->low)}, {"high", Num(r.prediction_riley->high)},
                             {"df", *r.riley_df}};
  }
  std::optional<stats::Tau2Interval> tau2_ci;
  if (r.method != stats::Tau2Estimator::kCommonEffect && r.k > r.p) {
    auto ci = stats::QProfileTau2Interval(d.yi, d.vi, d.moderators, o.level);
    if (ci.ok()) {
      tau2_ci = *ci;
      m["tau2_ci"] = {{"low", Num(ci->tau2_low)}, {"high", Num(ci->tau2_high)}, {"i2_low", Num(ci->i2_low_percent)},
                      {"i2_high", Num(ci->i2_high_percent)}, {"method", "Q-profile"}};
    }
  }
  std::optional<stats::EggerTestResult> egger;
  std::optional<stats::TrimAndFillResult> tf;
  if (d.moderators.empty() && r.k >= 3) {
    auto e = stats::EggerTest(d.yi, d.vi, o);
    if (e.ok()) {
      egger = *e;
      m["egger"] = {{"statistic", Num(e->statistic)}, {"p_value", Num(e->p_value)},
                    {"limit_estimate", Num(e->limit_estimate)}};
    }
    for (auto est : {stats::TrimFillEstimator::kL0, stats::TrimFillEstimator::kR0}) {
      auto t = stats::TrimAndFill(d.yi, d.vi, o, est);
      if (!t.ok()) continue;
      const char* name = est == stats::TrimFillEstimator::kL0 ? "trim_and_fill_L0" : "trim_and_fill_R0";
      m[name] = {{"k0", t->k0}, {"se_k0", Num(t->se_k0)},
                 {"side", t->side == stats::FunnelSide::kLeft ? "left" : "right"},
                 {"estimate", Num(t->adjusted.pooled().estimate)}, {"ci_low", Num(t->adjusted.pooled().ci_low)},
                 {"ci_high", Num(t->adjusted.pooled().ci_high)}, {"filled_yi", t->filled_yi},
                 {"filled_vi", t->filled_vi}};
      if (est == stats::TrimFillEstimator::kL0) tf = *t;
    }
  }
  std::optional<stats::TablePoolingResult> mh, peto;
  if (!d.tables.empty() && d.moderators.empty()) {
    const std::string mh_measure = d.measure == "PETO" ? "OR" : d.measure;
    auto mm = stats::ParseEffectMeasure(mh_measure);
    if (mm.ok()) {
      auto res = stats::MantelHaenszel(d.tables, *mm, o.level);
      if (res.ok()) {
        mh = *res;
        m["mantel_haenszel"] = PoolingJson(*res);
      }
    }
    if (d.measure == "OR" || d.measure == "PETO") {
      auto res = stats::PetoOddsRatio(d.tables, o.level);
      if (res.ok()) {
        peto = *res;
        m["peto"] = PoolingJson(*res);
      }
    }
  }
  if (!a.svg.empty()) {
    const std::string label = fmt::format("Pooled ({}, {})", stats::Tau2EstimatorName(r.method), stats::InferenceTestName(r.test));
    KIRA_ASSIGN_OR_RETURN(std::string svg, Forest(d, r.weights_percent, evidence::MeasureIsLogScale(d.measure), label,
                                                  d.moderators.empty() ? &r.pooled() : nullptr, r.prediction));
    KIRA_RETURN_IF_ERROR(WriteText("--svg", a.svg, svg));
  }
  if (!a.funnel.empty()) {
    plot::FunnelPlotSpec spec;
    spec.title = "Funnel plot (" + d.measure + ")";
    spec.effect_label = evidence::MeasureIsLogScale(d.measure) ? "log " + d.measure : d.measure;
    spec.pooled_estimate = r.pooled().estimate;
    for (std::size_t i = 0; i < d.yi.size(); ++i) spec.points.push_back({d.yi[i], std::sqrt(d.vi[i]), false});
    if (tf) {
      for (std::size_t i = 0; i < tf->filled_yi.size(); ++i) {
        spec.points.push_back({tf->filled_yi[i], std::sqrt(tf->filled_vi[i]), true});
      }
    }
    auto svg = plot::FunnelPlotSvg(spec);
    if (!svg.ok()) return svg.status();
    KIRA_RETURN_IF_ERROR(WriteText("--funnel", a.funnel, *svg));
  }
  if (a.json) {
    doc["model"] = m;
    Json studies = Json::array();
    for (std::size_t i = 0; i < d.yi.size(); ++i) {
      studies.push_back({{"label", d.labels[i]}, {"yi", Num(d.yi[i])}, {"vi", Num(d.vi[i])},
                         {"weight_percent", Num(r.weights_percent[i])}});
    }
    doc["data"]["studies"] = studies;
    return Status::Ok();
  }
  std::ostream& os = *ctx.out;
  os << fmt::format("{} of {} studies ({} input, measure {}); tau^2 estimator {}; test {}\n\n",
                    d.moderators.empty() ? "Random-effects meta-analysis" : "Meta-regression", r.k,
                    evidence::StudyDataKindName(d.kind), d.measure, stats::Tau2EstimatorName(r.method),
                    stats::InferenceTestName(r.test));
  PrintStudies(os, d, &r.weights_percent, evidence::MeasureIsLogScale(d.measure));
  os << "\n";
  const int lvl = static_cast<int>(std::lround(a.level));
  if (d.moderators.empty()) {
    const auto& c = r.pooled();
    os << fmt::format("  Pooled {:<8} {}  ({}% CI)  {} = {:.4f}, p {}{}\n", d.measure,
                      Interval(c.estimate, c.ci_low, c.ci_high, expo), lvl, r.t_df ? "t" : "z", c.statistic,
                      PValue(c.p_value), r.t_df ? fmt::format(" (df {})", *r.t_df) : "");
    if (r.prediction) {
      os << fmt::format("  Prediction interval   [{}, {}]; Riley t(k-2): [{}, {}]\n", Display(r.prediction->low, expo),
                        Display(r.prediction->high, expo), Display(r.prediction_riley->low, expo),
                        Display(r.prediction_riley->high, expo));
    }
  } else {
    os << fmt::format("  {:<16} {:>10} {:>10} {:>9} {:>10} {:>22}\n", "Coefficient", "estimate", "se",
                      r.t_df ? "t" : "z", "p", fmt::format("{}% CI", lvl));
    for (const auto& c : r.coefficients) {
      os << fmt::format("  {:<16} {:>10.4f} {:>10.4f} {:>9.3f} {:>10} {:>22}\n", c.name.substr(0, 16), c.estimate, c.se,
                        c.statistic, PColumn(c.p_value), fmt::format("[{:.4f}, {:.4f}]", c.ci_low, c.ci_high));
    }
    if (r.moderator_test) {
      os << fmt::format("  Test of moderators: {} = {:.4f}, p {}\n", r.moderator_test->df2 ? "F" : "QM",
                        r.moderator_test->statistic, PValue(r.moderator_test->p_value));
    }
    if (r.r2_percent) os << fmt::format("  R^2 (heterogeneity accounted for): {:.2f} %\n", *r.r2_percent);
  }
  const auto& h = r.heterogeneity;
  os << fmt::format("  tau^2 = {:.6f}{}, I^2 = {:.2f} %, H^2 = {:.4f}\n", r.tau2,
                    tau2_ci ? fmt::format(" [{:.6f}, {:.6f}]", tau2_ci->tau2_low, tau2_ci->tau2_high) : "",
                    h.i2_percent, h.h2);
  os << fmt::format("  Q = {:.4f} (df {}, p {}); vt = {:.6f}; s2w = {:.4f}\n", h.q, h.df, PValue(h.p_value), r.vt, r.s2w);
  const auto& f = r.fit();
  os << fmt::format("  {} logLik = {:.4f}, deviance = {:.4f}, AIC = {:.4f}, BIC = {:.4f}, AICc = {:.4f}\n",
                    r.method == stats::Tau2Estimator::kRestrictedMaximumLikelihood ? "REML" : "ML", f.log_likelihood,
                    f.deviance, f.aic, f.bic, f.aicc);
  if (egger) {
    os << fmt::format("  Egger's regression test: {} = {:.4f}, p {}\n", egger->t_df ? "t" : "z", egger->statistic,
                      PValue(egger->p_value));
  }
  if (tf) {
    os << fmt::format("  Trim-and-fill (L0): {} missing on the {}; adjusted {}\n", tf->k0,
                      tf->side == stats::FunnelSide::kLeft ? "left" : "right",
                      Interval(tf->adjusted.pooled().estimate, tf->adjusted.pooled().ci_low,
                               tf->adjusted.pooled().ci_high, expo));
  }
  if (mh) {
    os << fmt::format("  Mantel-Haenszel {}: {}", mh->measure == stats::EffectMeasure::kRiskDifference ? "RD" : d.measure == "PETO" ? "OR" : d.measure,
                      Interval(mh->estimate, mh->ci_low, mh->ci_high, mh->measure != stats::EffectMeasure::kRiskDifference));
    if (mh->tarone_statistic && mh->tarone_p_value) {
      os << fmt::format("; Tarone's test = {:.4f} (df {}, p {})", *mh->tarone_statistic, *mh->tarone_df,
                        PValue(*mh->tarone_p_value));
    }
    os << "\n";
  }
  if (peto) os << fmt::format("  Peto OR: {}\n", Interval(peto->estimate, peto->ci_low, peto->ci_high, true));
  (void)table;
  return Status::Ok();
}

Status RunMultilevel(Context& ctx, const MetaDataArgs& a, const Plan& plan, const evidence::StudyTable& table,
                     const evidence::StudyData& d, Json& doc) {
  stats::MvOptions o;
  if (a.method == "REML") {
    o.reml = true;
  } else if (a.method == "ML") {
    o.reml = false;
  } else {
    return InvalidArgumentError("--method: multilevel and multivariate models take REML or ML, got '" + a.method + "'");
  }
  if (a.test == "z") {
    o.test = stats::MvTest::kZ;
  } else if (a.test == "t" || a.test == "knha") {
    o.test = stats::MvTest::kT;
  } else {
    return InvalidArgumentError("--test: expected z or t, got '" + a.test + "'");
  }
  o.level = a.level / 100;
  o.profile_intervals = a.profile;
  const std::size_t k = d.yi.size();
  StatusOr<stats::MvResult> fit = InvalidArgumentError("unset");
  std::string model;
  if (plan.multivariate) {
    if (a.structure != "CS" && a.structure != "UN") {
      return InvalidArgumentError("--struct: expected CS or UN, got '" + a.structure + "'");
    }
    stats::MultivariateInput in;
    in.yi = d.yi;
    in.vi = d.vi;
    in.study = d.groupings.at(plan.study_column);
    in.outcome = d.groupings.at(plan.outcome_column);
    std::set<std::string> levels(in.outcome.begin(), in.outcome.end());
    // Known covariances: column cov_<level> of a row is its covariance with
    // the same study's estimate of outcome <level>.
    for (const std::string& lvl : levels) {
      const std::string col = "cov_" + lvl;
      bool present = false;
      for (const std::string& c : table.columns) present = present || c == col;
      if (!present) continue;
      KIRA_ASSIGN_OR_RETURN(std::vector<double> cov, evidence::NumericColumn(table, col));
      for (std::size_t i = 0; i < k; ++i) {
        for (std::size_t j = 0; j < k; ++j) {
          if (i != j && in.study[j] == in.study[i] && in.outcome[j] == lvl && in.outcome[i] < lvl) {
            in.covariances.push_back({i, j, cov[i]});
          }
        }
      }
    }
    std::vector<stats::Moderator> cols;
    for (const std::string& lvl : levels) {
      stats::Moderator c{lvl, {}};
      for (const std::string& o2 : in.outcome) c.values.push_back(o2 == lvl ? 1.0 : 0.0);
      cols.push_back(std::move(c));
    }
    for (const auto& mod : d.moderators) cols.push_back(mod);
    fit = stats::FitMultivariateModel(in, cols,
                                      a.structure == "UN" ? stats::CovarianceStructure::kUnstructured
                                                          : stats::CovarianceStructure::kCompoundSymmetric,
                                      std::nullopt, o);
    model = "multivariate (rma.mv, ~ " + plan.outcome_column + " | " + plan.study_column + ", struct " + a.structure + ")";
  } else {
    std::vector<stats::GroupingLevel> levels;
    std::string formula;
    for (const std::string& l : plan.levels) {
      if (l.empty()) {
        stats::GroupingLevel row{"row", {}};
        for (std::size_t i = 0; i < k; ++i) row.labels.push_back(std::to_string(i + 1));
        levels.push_back(std::move(row));
      } else {
        levels.push_back({l, d.groupings.at(l)});
      }
      formula += (formula.empty() ? "" : "/") + (l.empty() ? std::string("row") : l);
    }
    std::vector<stats::Moderator> cols = {{"intercept", std::vector<double>(k, 1.0)}};
    for (const auto& mod : d.moderators) cols.push_back(mod);
    fit = stats::FitNestedModel(d.yi, d.vi, cols, levels, o);
    model = "multilevel (rma.mv, ~ 1 | " + formula + ")";
  }
  if (!fit.ok()) {
    return fit.status().code() == StatusCode::kInvalidArgument ? InvalidArgumentError(std::string(fit.status().message()))
                                                               : fit.status();
  }
  const stats::MvResult& r = *fit;
  Json comps = Json::array();
  for (const auto& c : r.components) {
    comps.push_back({{"name", c.name}, {"estimate", Num(c.estimate)}, {"levels", c.levels}, {"fixed", c.fixed},
                     {"ci_low", c.ci_low ? Num(*c.ci_low) : Json(nullptr)},
                     {"ci_high", c.ci_high ? Num(*c.ci_high) : Json(nullptr)}});
  }
  Json m = {{"model", model},
            {"k", r.k},
            {"p", r.p},
            {"method", r.reml ? "REML" : "ML"},
            {"test", r.test == stats::MvTest::kT ? "t" : "z"},
            {"coefficients", CoefficientsJson(r.coefficients)},
            {"vcov", VcovJson(r.vcov, static_cast<std::size_t>(r.p))},
            {"variance_components", comps},
            {"qe", {{"statistic", Num(r.qe)}, {"df", r.qe_df}, {"p_value", Num(r.qe_p_value)}}},
            {"moderator_test", ModeratorTestJson(r.moderator_test)},
            {"parameters", r.parameters},
            {"fit_ml", FitJson(r.fit_ml)},
            {"fit_reml", FitJson(r.fit_reml)}};
  if (r.t_df) m["t_df"] = *r.t_df;
  // Forest plot rows weighted by 1/vi (the marginal weights are not diagonal).
  std::vector<double> w(k);
  double sw = 0;
  for (std::size_t i = 0; i < k; ++i) sw += 1 / d.vi[i];
  for (std::size_t i = 0; i < k; ++i) w[i] = 100 / d.vi[i] / sw;
  if (!a.svg.empty()) {
    const bool intercept_only = plan.multilevel && r.p == 1;
    KIRA_ASSIGN_OR_RETURN(std::string svg, Forest(d, w, evidence::MeasureIsLogScale(d.measure), "Pooled (" + model + ")",
                                                  intercept_only ? &r.coefficients[0] : nullptr, std::nullopt));
    KIRA_RETURN_IF_ERROR(WriteText("--svg", a.svg, svg));
  }
  if (!a.funnel.empty()) return InvalidArgumentError("--funnel: only for models without --cluster/--random");
  if (a.json) {
    doc["model"] = m;
    Json studies = Json::array();
    for (std::size_t i = 0; i < k; ++i) {
      studies.push_back({{"label", d.labels[i]}, {"yi", Num(d.yi[i])}, {"vi", Num(d.vi[i])}});
    }
    doc["data"]["studies"] = studies;
    return Status::Ok();
  }
  std::ostream& os = *ctx.out;
  os << fmt::format("{} of {} estimates ({} input, measure {}); {}; test {}\n\n", model, r.k,
                    evidence::StudyDataKindName(d.kind), d.measure, r.reml ? "REML" : "ML",
                    r.test == stats::MvTest::kT ? "t" : "z");
  const int lvl = static_cast<int>(std::lround(a.level));
  os << fmt::format("  {:<28} {:>10} {:>8} {:>24}\n", "Variance component", "estimate", "levels",
                    fmt::format("{}% profile CI", lvl));
  for (const auto& c : r.components) {
    os << fmt::format("  {:<28} {:>10.6f} {:>8} {:>24}\n", c.name.substr(0, 28), c.estimate, c.levels,
                      c.fixed ? std::string("fixed")
                      : (c.ci_low || c.ci_high)
                          ? fmt::format("[{}, {}]", c.ci_low ? fmt::format("{:.6f}", *c.ci_low) : "?",
                                        c.ci_high ? fmt::format("{:.6f}", *c.ci_high) : "?")
                          : std::string());
  }
  os << fmt::format("\n  {:<16} {:>10} {:>10} {:>9} {:>10} {:>22}\n", "Coefficient", "estimate", "se",
                    r.test == stats::MvTest::kT ? "t" : "z", "p", fmt::format("{}% CI", lvl));
  for (const auto& c : r.coefficients) {
    os << fmt::format("  {:<16} {:>10.4f} {:>10.4f} {:>9.3f} {:>10} {:>22}\n", c.name.substr(0, 16), c.estimate, c.se,
                      c.statistic, PColumn(c.p_value), fmt::format("[{:.4f}, {:.4f}]", c.ci_low, c.ci_high));
  }
  if (r.moderator_test) {
    os << fmt::format("  Test of moderators: {} = {:.4f}, p {}\n", r.moderator_test->df2 ? "F" : "QM",
                      r.moderator_test->statistic, PValue(r.moderator_test->p_value));
  }
  os << fmt::format("  Q_E = {:.4f} (df {}, p {})\n", r.qe, r.qe_df, PValue(r.qe_p_value));
  const auto& f = r.fit();
  os << fmt::format("  {} logLik = {:.4f}, deviance = {:.4f}, AIC = {:.4f}, BIC = {:.4f}, AICc = {:.4f}\n",
                    r.reml ? "REML" : "ML", f.log_likelihood, f.deviance, f.aic, f.bic, f.aicc);
  return Status::Ok();
}

// Arm-level counts -> contrast-based network meta-analysis.
Status RunNetwork(Context& ctx, const MetaDataArgs& a, const evidence::StudyTable& t, stats::CorrectionScope scope) {
  if (!a.mods.empty() || !a.cluster.empty() || !a.random.empty()) {
    return InvalidArgumentError("--network: not with --mods, --cluster or --random");
  }
  if (!a.measure.empty() && a.measure != "OR") return InvalidArgumentError("--measure: --network pools log odds ratios (OR)");
  int study_col = -1, trt_col = -1;
  for (std::size_t j = 0; j < t.columns.size(); ++j) {
    if (t.columns[j] == "study") study_col = static_cast<int>(j);
    if (t.columns[j] == "treatment") trt_col = static_cast<int>(j);
  }
  if (study_col < 0) return InvalidArgumentError(a.data_path + ": column study: missing (a network needs study, treatment, xi, ni)");
  if (trt_col < 0) return InvalidArgumentError(a.data_path + ": column treatment: missing (a network needs study, treatment, xi, ni)");
  auto xi = evidence::NumericColumn(t, "xi");
  if (!xi.ok()) return InvalidArgumentError(a.data_path + ": " + std::string(xi.status().message()));
  auto ni = evidence::NumericColumn(t, "ni");
  if (!ni.ok()) return InvalidArgumentError(a.data_path + ": " + std::string(ni.status().message()));
  std::vector<stats::NetworkArm> arms;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const std::string& study = t.rows[r].cells[static_cast<std::size_t>(study_col)];
    const std::string& trt = t.rows[r].cells[static_cast<std::size_t>(trt_col)];
    const std::string where = a.data_path + ": " + evidence::RowName(t, r);
    if (study.empty()) return InvalidArgumentError(where + ", column study: missing value");
    if (trt.empty()) return InvalidArgumentError(where + ", column treatment: missing value");
    if ((*ni)[r] <= 0) return InvalidArgumentError(where + ", column ni: group size must be > 0");
    if ((*xi)[r] < 0 || (*xi)[r] > (*ni)[r]) return InvalidArgumentError(where + ", column xi: events must lie in [0, ni]");
    arms.push_back({study, trt, (*xi)[r], (*ni)[r]});
  }
  if (!a.reference.empty() && std::none_of(arms.begin(), arms.end(), [&](const stats::NetworkArm& arm) {
        return arm.treatment == a.reference;
      })) {
    return InvalidArgumentError("--reference: treatment '" + a.reference + "' is not in " + a.data_path);
  }
  stats::NetworkOptions o;
  o.reference = a.reference;
  o.correction = {a.add, scope};
  o.larger_is_better = !a.smaller_better;
  o.model.reml = a.method != "ML";
  if (a.method != "REML" && a.method != "ML") return InvalidArgumentError("--method: --network takes REML or ML");
  if (a.test != "z" && a.test != "t") return InvalidArgumentError("--test: --network takes z or t");
  o.model.test = a.test == "t" ? stats::MvTest::kT : stats::MvTest::kZ;
  o.model.level = a.level / 100;
  o.model.profile_intervals = a.profile;
  auto res = stats::NetworkMetaAnalysis(arms, o);
  if (!res.ok()) {
    std::string msg(res.status().message());
    // "arms[i]" is data row i + 1.
    const std::size_t open = msg.find("arms[");
    if (open != std::string::npos) {
      const std::size_t close = msg.find(']', open);
      const std::string digits = msg.substr(open + 5, close - open - 5);
      char* end = nullptr;
      const unsigned long row = std::strtoul(digits.c_str(), &end, 10);
      if (row < t.rows.size() && end != digits.c_str()) {
        msg = evidence::RowName(t, row) + msg.substr(close + 1);
      }
    }
    return res.status().code() == StatusCode::kInvalidArgument ? InvalidArgumentError(a.data_path + ": " + msg)
                                                               : res.status();
  }
  const stats::NetworkResult& r = *res;
  const std::size_t n = r.treatments.size();
  auto contrast = [&](std::size_t i, std::size_t j) -> const stats::PairwiseContrast& {
    for (const auto& c : r.contrasts) {
      if (c.treatment == r.treatments[i] && c.comparator == r.treatments[j]) return c;
    }
    return r.contrasts.front();
  };
  std::vector<std::size_t> rank(n);
  for (std::size_t i = 0; i < n; ++i) rank[i] = i;
  std::sort(rank.begin(), rank.end(), [&](std::size_t x, std::size_t y) { return r.p_scores[x] > r.p_scores[y]; });
  if (!a.svg.empty()) {
    plot::NetworkPlotSpec spec;
    spec.title = "Network of treatments (" + std::to_string(r.studies) + " studies)";
    spec.treatments = r.treatments;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = i + 1; j < n; ++j) {
        const int s = contrast(i, j).direct_studies;
        if (s > 0) spec.edges.push_back({i, j, s});
      }
    }
    KIRA_ASSIGN_OR_RETURN(std::string svg, plot::NetworkPlotSvg(spec));
    KIRA_RETURN_IF_ERROR(WriteText("--svg", a.svg, svg));
  }
  if (a.json) {
    Json doc = {{"kira_version", kKiraVersion}, {"command", "meta --data --network"}, {"input", InputJson(a, t)},
                {"options", {{"measure", "OR"}, {"method", a.method}, {"test", a.test}, {"level", a.level},
                             {"reference", r.reference}, {"smaller_better", a.smaller_better}, {"add", a.add},
                             {"to", a.to}}}};
    Json contrasts = Json::array();
    for (const auto& c : r.contrasts) {
      contrasts.push_back({{"treatment", c.treatment}, {"comparator", c.comparator}, {"log_or", Num(c.estimate)},
                           {"se", Num(c.se)}, {"ci_low", Num(c.ci_low)}, {"ci_high", Num(c.ci_high)},
                           {"p_value", Num(c.p_value)}, {"direct_studies", c.direct_studies}});
    }
    Json ps = Json::object();
    for (std::size_t i = 0; i < n; ++i) ps[r.treatments[i]] = Num(r.p_scores[i]);
    doc["model"] = {{"model", "network meta-analysis (rma.mv, ~ comparison | study, rho = 1/2)"},
                    {"reference", r.reference},
                    {"treatments", r.treatments},
                    {"studies", r.studies},
                    {"designs", r.designs},
                    {"coefficients", CoefficientsJson(r.fit.coefficients)},
                    {"vcov", VcovJson(r.fit.vcov, r.fit.coefficients.size())},
                    {"tau2", Num(r.fit.components[0].estimate)},
                    {"tau2_ci", {{"low", r.fit.components[0].ci_low ? Num(*r.fit.components[0].ci_low) : Json(nullptr)},
                                 {"high", r.fit.components[0].ci_high ? Num(*r.fit.components[0].ci_high) : Json(nullptr)}}},
                    {"contrasts", contrasts},
                    {"p_scores", ps},
                    {"consistency",
                     {{"test", "design-by-treatment interaction (fixed effect, Q between designs)"},
                      {"q_total", Num(r.q_total)}, {"q_total_df", r.q_total_df},
                      {"q_within", Num(r.q_within)}, {"q_within_df", r.q_within_df},
                      {"q_between", r.q_between ? Num(*r.q_between) : Json(nullptr)},
                      {"q_between_df", r.q_between_df},
                      {"p_value", r.q_between_p_value ? Num(*r.q_between_p_value) : Json(nullptr)}}},
                    {"fit_ml", FitJson(r.fit.fit_ml)},
                    {"fit_reml", FitJson(r.fit.fit_reml)}};
    *ctx.out << doc.dump(2) << "\n";
    return Status::Ok();
  }
  std::ostream& os = *ctx.out;
  os << fmt::format("Network meta-analysis of {} studies ({} designs), {} treatments; log odds ratios; {}; "
                    "tau^2 shared by all comparisons (rho = 1/2)\n\n",
                    r.studies, r.designs, n, r.fit.reml ? "REML" : "ML");
  const int lvl = static_cast<int>(std::lround(a.level));
  os << fmt::format("  {:<22} {:>34} {:>9} {:>6}\n", "Treatment vs " + r.reference.substr(0, 10),
                    fmt::format("OR [{}% CI]", lvl), "P-score", "rank");
  for (std::size_t pos = 0; pos < n; ++pos) {
    const std::size_t i = rank[pos];
    const std::string eff = i == 0 ? std::string("reference")
                                   : Interval(r.fit.coefficients[i - 1].estimate, r.fit.coefficients[i - 1].ci_low,
                                              r.fit.coefficients[i - 1].ci_high, true);
    os << fmt::format("  {:<22} {:>34} {:>9.4f} {:>6}\n", r.treatments[i].substr(0, 22), eff, r.p_scores[i], pos + 1);
  }
  os << fmt::format("\n  tau^2 = {:.6f}", r.fit.components[0].estimate);
  if (r.fit.components[0].ci_low && r.fit.components[0].ci_high) {
    os << fmt::format(" [{:.6f}, {:.6f}] (profile)", *r.fit.components[0].ci_low, *r.fit.components[0].ci_high);
  }
  os << fmt::format("; Q_E = {:.4f} (df {})\n", r.fit.qe, r.fit.qe_df);
  if (r.q_between) {
    os << fmt::format("  Consistency (design-by-treatment, fixed effect): Q between designs = {:.4f} (df {}, p {}); "
                      "Q within designs = {:.4f} (df {})\n",
                      *r.q_between, r.q_between_df, PValue(*r.q_between_p_value), r.q_within, r.q_within_df);
  } else {
    os << "  Consistency: not testable (no loop and no design overlap in this network)\n";
  }
  os << "\n  League table: OR of the row treatment vs the column treatment [" << lvl << "% CI], ranked by P-score\n";
  os << fmt::format("  {:<16}", "");
  for (std::size_t pos = 0; pos < n; ++pos) os << fmt::format(" {:>26}", r.treatments[rank[pos]].substr(0, 26));
  os << "\n";
  for (std::size_t pi = 0; pi < n; ++pi) {
    const std::size_t i = rank[pi];
    os << fmt::format("  {:<16}", r.treatments[i].substr(0, 16));
    for (std::size_t pj = 0; pj < n; ++pj) {
      const std::size_t j = rank[pj];
      if (i == j) {
        os << fmt::format(" {:>26}", r.treatments[i].substr(0, 26));
      } else {
        const auto& c = contrast(i, j);
        os << fmt::format(" {:>26}", fmt::format("{:.2f} [{:.2f}, {:.2f}]", std::exp(c.estimate), std::exp(c.ci_low),
                                                  std::exp(c.ci_high)));
      }
    }
    os << "\n";
  }
  if (!a.svg.empty()) os << "\nNetwork plot written to " << a.svg << "\n";
  return Status::Ok();
}

}  // namespace

Status RunMetaOnData(Context& ctx, const MetaDataArgs& a) {
  if (!(a.level > 0 && a.level < 100)) return InvalidArgumentError("--level: must be in (0, 100), e.g. 95");
  if (!(a.add >= 0) || !std::isfinite(a.add)) return InvalidArgumentError("--add: must be >= 0");
  KIRA_ASSIGN_OR_RETURN(stats::CorrectionScope scope, ParseTo(a.to));
  KIRA_ASSIGN_OR_RETURN(Plan plan, PlanModel(a));
  KIRA_ASSIGN_OR_RETURN(std::string text, ReadInput(a.data_path));
  auto table = evidence::ParseStudyTable(text);
  if (!table.ok()) return InvalidArgumentError(a.data_path + ": " + std::string(table.status().message()));
  if (a.network) return RunNetwork(ctx, a, *table, scope);
  evidence::StudyDataOptions so;
  so.measure = a.measure;
  so.correction = {a.add, scope};
  for (const std::string& m : a.mods) {
    for (const std::string& part : Split(m, ',')) {
      if (!part.empty()) so.moderators.push_back(part);
    }
  }
  for (const std::string& l : plan.levels) {
    if (!l.empty()) so.groupings.push_back(l);
  }
  if (plan.multivariate) so.groupings = {plan.outcome_column, plan.study_column};
  auto data = evidence::PrepareStudyData(*table, so);
  if (!data.ok()) return InvalidArgumentError(a.data_path + ": " + std::string(data.status().message()));
  Json doc = {{"kira_version", kKiraVersion},
              {"command", "meta --data"},
              {"input", InputJson(a, *table)},
              {"options", OptionsJson(a, *data)},
              {"data", {{"kind", evidence::StudyDataKindName(data->kind)}, {"measure", data->measure}}}};
  if (plan.multilevel || plan.multivariate) {
    KIRA_RETURN_IF_ERROR(RunMultilevel(ctx, a, plan, *table, *data, doc));
  } else {
    KIRA_RETURN_IF_ERROR(RunUnivariate(ctx, a, *table, *data, doc));
  }
  if (a.json) *ctx.out << doc.dump(2) << "\n";
  if (!a.json && !a.svg.empty()) *ctx.out << "\nForest plot written to " << a.svg << "\n";
  if (!a.json && !a.funnel.empty()) *ctx.out << "Funnel plot written to " << a.funnel << "\n";
  return Status::Ok();
}

}  // namespace kira::cli
