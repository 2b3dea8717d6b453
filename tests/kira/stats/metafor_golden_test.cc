// Every kira::stats estimator against R metafor 3.8-1 reference values
// (tests/golden/metafor/metafor_reference.json; provenance and the tight
// convergence controls are in tests/golden/metafor/README.md). Tolerance:
// relative 1e-6 (absolute floor 1e-10), as issue 6 requires; the fixture is
// converged to ~1e-12 so the tolerance measures kira, not metafor.
#include <gtest/gtest.h>

#include <algorithm>
#include <iomanip>
#include <string>
#include <vector>

#include "kira/stats/descriptive.h"
#include "kira/stats/effect_size.h"
#include "kira/stats/mantel_haenszel.h"
#include "kira/stats/meta_analysis.h"
#include "kira/stats/multilevel.h"
#include "kira/stats/network.h"
#include "kira/stats/publication_bias.h"
#include "kira/stats/golden_fixture.h"
#include "testing/status_matchers.h"

namespace kira::stats {
namespace {

using ::kira::stats::testing::AsVector;
using ::kira::stats::testing::MetaforFixture;
using ::kira::testing::IsOk;
using json = nlohmann::json;

std::vector<TwoByTwoTable> Tables(const std::string& dataset) {
  const json& d = MetaforFixture()["datasets"][dataset];
  const auto ai = AsVector(d["ai"]), bi = AsVector(d["bi"]), ci = AsVector(d["ci"]),
             di = AsVector(d["di"]);
  std::vector<TwoByTwoTable> out;
  for (std::size_t i = 0; i < ai.size(); ++i) out.push_back({ai[i], bi[i], ci[i], di[i]});
  return out;
}

EffectSizes Effects(const std::string& dataset, const std::string& measure_name) {
  const json& d = MetaforFixture()["datasets"][dataset];
  auto measure = ParseEffectMeasure(measure_name);
  EXPECT_THAT(measure, IsOk());
  StatusOr<EffectSizes> es = InvalidArgumentError("unset");
  if (d.contains("ai")) {
    es = EffectSizesFromTables(Tables(dataset), *measure);
  } else if (d.contains("m1i")) {
    const auto m1 = AsVector(d["m1i"]), s1 = AsVector(d["sd1i"]), n1 = AsVector(d["n1i"]);
    const auto m2 = AsVector(d["m2i"]), s2 = AsVector(d["sd2i"]), n2 = AsVector(d["n2i"]);
    std::vector<MeansComparison> studies;
    for (std::size_t i = 0; i < m1.size(); ++i) {
      studies.push_back({{m1[i], s1[i], n1[i]}, {m2[i], s2[i], n2[i]}});
    }
    es = EffectSizesFromMeans(studies, *measure);
  } else {
    const auto xi = AsVector(d["xi"]), ni = AsVector(d["ni"]);
    std::vector<Proportion> groups;
    for (std::size_t i = 0; i < xi.size(); ++i) groups.push_back({xi[i], ni[i]});
    es = EffectSizesFromProportions(groups, *measure);
  }
  EXPECT_THAT(es, IsOk());
  return es.ok() ? *es : EffectSizes{};
}

MetaOptions Options(const json& row) {
  MetaOptions o;
  o.method = *ParseTau2Estimator(row["method"].get<std::string>());
  o.test = *ParseInferenceTest(row["test"].get<std::string>());
  if (row.contains("level")) o.level = row["level"].get<double>() / 100.0;
  return o;
}

std::string Label(const json& row) {
  std::string s = row["dataset"].get<std::string>() + "/" + row["measure"].get<std::string>();
  if (row.contains("method")) s += "/" + row["method"].get<std::string>();
  if (row.contains("test")) s += "/" + row["test"].get<std::string>();
  if (row.contains("level")) s += "/level " + std::to_string(row["level"].get<int>());
  return s;
}

// metafor's fit.stats column (ll, dev, AIC, BIC, AICc) against ours.
void ExpectFitStatistics(const FitStatistics& f, const json& column) {
  const auto v = AsVector(column);
  ASSERT_EQ(v.size(), 5u);
  EXPECT_METAFOR(f.log_likelihood, v[0]);
  EXPECT_METAFOR(f.deviance, v[1]);
  EXPECT_METAFOR(f.aic, v[2]);
  EXPECT_METAFOR(f.bic, v[3]);
  EXPECT_METAFOR(f.aicc, v[4]);
}

// vt, s2w, vcov and both fit-statistics columns (issue 14 parity items).
void ExpectModelSummaries(const MetaAnalysisResult& fit, const json& row) {
  EXPECT_METAFOR(fit.vt, row["vt"].get<double>());
  EXPECT_METAFOR(fit.s2w, row["s2w"].get<double>());
  const auto vcov = AsVector(row["vcov"]);
  ASSERT_EQ(fit.vcov.size(), vcov.size());
  for (std::size_t i = 0; i < vcov.size(); ++i) EXPECT_METAFOR(fit.vcov[i], vcov[i]);
  {
    SCOPED_TRACE("fit statistics, ML");
    ExpectFitStatistics(fit.fit_ml, row["fit_ml"]);
  }
  {
    SCOPED_TRACE("fit statistics, REML");
    ExpectFitStatistics(fit.fit_reml, row["fit_reml"]);
  }
}

void ExpectHeterogeneity(const Heterogeneity& h, const json& row) {
  EXPECT_METAFOR(h.q, row["QE"].get<double>());
  EXPECT_METAFOR(h.p_value, row["QEp"].get<double>());
  EXPECT_METAFOR(h.i2_percent, row["I2"].get<double>());
  EXPECT_METAFOR(h.h2, row["H2"].get<double>());
}

TEST(MetaforGolden, EscalcEffectSizesMatch) {
  for (const json& row : MetaforFixture()["escalc"]) {
    SCOPED_TRACE(Label(row));
    const EffectSizes es = Effects(row["dataset"], row["measure"]);
    const auto yi = AsVector(row["yi"]), vi = AsVector(row["vi"]);
    ASSERT_EQ(es.yi.size(), yi.size());
    for (std::size_t i = 0; i < yi.size(); ++i) {
      SCOPED_TRACE("study " + std::to_string(i));
      EXPECT_METAFOR(es.yi[i], yi[i]);
      EXPECT_METAFOR(es.vi[i], vi[i]);
    }
  }
}

// One instantiation per tau^2 estimator, so a failure names it.
class RmaGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(RmaGolden, PooledEstimateHeterogeneityAndIntervalsMatch) {
  int checked = 0;
  for (const json& row : MetaforFixture()["rma"]) {
    if (row["method"] != GetParam()) continue;
    SCOPED_TRACE(Label(row));
    const EffectSizes es = Effects(row["dataset"], row["measure"]);
    auto fit = MetaAnalyze(es.yi, es.vi, Options(row));
    ASSERT_THAT(fit, IsOk());
    const Coefficient& c = fit->pooled();
    EXPECT_METAFOR(c.estimate, row["beta"].get<double>());
    EXPECT_METAFOR(c.se, row["se"].get<double>());
    EXPECT_METAFOR(c.statistic, row["zval"].get<double>());
    EXPECT_METAFOR(c.p_value, row["pval"].get<double>());
    EXPECT_METAFOR(c.ci_low, row["ci_lb"].get<double>());
    EXPECT_METAFOR(c.ci_high, row["ci_ub"].get<double>());
    EXPECT_METAFOR(fit->tau2, row["tau2"].get<double>());
    ExpectHeterogeneity(fit->heterogeneity, row);
    ASSERT_TRUE(fit->prediction.has_value());
    if (AsVector(row["pi_lb"]).empty()) {
      // metafor reports no PI for a common-effect model; ours equals the CI.
      EXPECT_METAFOR(fit->prediction->low, row["ci_lb"].get<double>());
      EXPECT_METAFOR(fit->prediction->high, row["ci_ub"].get<double>());
    } else {
      EXPECT_METAFOR(fit->prediction->low, row["pi_lb"].get<double>());
      EXPECT_METAFOR(fit->prediction->high, row["pi_ub"].get<double>());
    }
    ExpectModelSummaries(*fit, row);
    ASSERT_TRUE(fit->prediction_riley.has_value());
    if (!AsVector(row["pi_riley_lb"]).empty()) {  // metafor gives none for FE
      EXPECT_METAFOR(fit->prediction_riley->low, row["pi_riley_lb"].get<double>());
      EXPECT_METAFOR(fit->prediction_riley->high, row["pi_riley_ub"].get<double>());
    }
    if (row.contains("se_tau2")) {
      ASSERT_TRUE(fit->se_tau2.has_value());
      EXPECT_METAFOR(*fit->se_tau2, row["se_tau2"].get<double>());
    }
    if (row.contains("tau2_lb")) {
      auto ci = QProfileTau2Interval(es.yi, es.vi, {}, Options(row).level);
      ASSERT_THAT(ci, IsOk());
      EXPECT_METAFOR(ci->tau2_low, row["tau2_lb"].get<double>());
      EXPECT_METAFOR(ci->tau2_high, row["tau2_ub"].get<double>());
      EXPECT_METAFOR(ci->i2_low_percent, row["I2_lb"].get<double>());
      EXPECT_METAFOR(ci->i2_high_percent, row["I2_ub"].get<double>());
      EXPECT_METAFOR(ci->h2_low, row["H2_lb"].get<double>());
      EXPECT_METAFOR(ci->h2_high, row["H2_ub"].get<double>());
    }
    ++checked;
  }
  EXPECT_GT(checked, 0) << "no fixture rows for " << GetParam();
}

INSTANTIATE_TEST_SUITE_P(AllEstimators, RmaGolden,
                         ::testing::Values("FE", "DL", "REML", "ML", "PM", "SJ", "HE", "EB", "HS"),
                         [](const auto& param_info) { return param_info.param; });

void ExpectSeries(const std::vector<MetaAnalysisResult>& fits, std::size_t offset, const json& row) {
  const auto est = AsVector(row["estimate"]), se = AsVector(row["se"]), z = AsVector(row["zval"]),
             p = AsVector(row["pval"]), lb = AsVector(row["ci_lb"]), ub = AsVector(row["ci_ub"]),
             q = AsVector(row["QE"]), qp = AsVector(row["QEp"]),
             i2 = AsVector(row["I2"]), h2 = AsVector(row["H2"]);
  std::vector<double> tau2 = AsVector(row["tau2"]);
  ASSERT_EQ(fits.size() + offset, est.size());
  // leave1out/cumul of a common-effect model report no tau2 (it is 0).
  if (tau2.empty()) tau2.assign(est.size(), 0.0);
  ASSERT_EQ(tau2.size(), est.size());
  for (std::size_t j = 0; j < fits.size(); ++j) {
    const std::size_t i = j + offset;
    SCOPED_TRACE("row " + std::to_string(i));
    const MetaAnalysisResult& f = fits[j];
    EXPECT_METAFOR(f.pooled().estimate, est[i]);
    EXPECT_METAFOR(f.pooled().se, se[i]);
    EXPECT_METAFOR(f.pooled().statistic, z[i]);
    EXPECT_METAFOR(f.pooled().p_value, p[i]);
    EXPECT_METAFOR(f.pooled().ci_low, lb[i]);
    EXPECT_METAFOR(f.pooled().ci_high, ub[i]);
    EXPECT_METAFOR(f.heterogeneity.q, q[i]);
    EXPECT_METAFOR(f.heterogeneity.p_value, qp[i]);
    EXPECT_METAFOR(f.tau2, tau2[i]);
    EXPECT_METAFOR(f.heterogeneity.i2_percent, i2[i]);
    EXPECT_METAFOR(f.heterogeneity.h2, h2[i]);
  }
}

TEST(MetaforGolden, LeaveOneOutMatches) {
  for (const json& row : MetaforFixture()["leave1out"]) {
    SCOPED_TRACE(Label(row));
    const EffectSizes es = Effects(row["dataset"], row["measure"]);
    auto loo = LeaveOneOut(es.yi, es.vi, Options(row));
    ASSERT_THAT(loo, IsOk());
    ExpectSeries(*loo, 0, row);
  }
}

TEST(MetaforGolden, CumulativeMatches) {
  for (const json& row : MetaforFixture()["cumul"]) {
    SCOPED_TRACE(Label(row));
    const EffectSizes es = Effects(row["dataset"], row["measure"]);
    auto cum = CumulativeMetaAnalysis(es.yi, es.vi, Options(row));
    ASSERT_THAT(cum, IsOk());
    ExpectSeries(cum->steps, static_cast<std::size_t>(cum->first_k - 1), row);
  }
}

TEST(MetaforGolden, EggerRegressionTestMatches) {
  for (const json& row : MetaforFixture()["regtest"]) {
    SCOPED_TRACE(Label(row));
    const EffectSizes es = Effects(row["dataset"], row["measure"]);
    auto egger = EggerTest(es.yi, es.vi, Options(row));
    ASSERT_THAT(egger, IsOk());
    EXPECT_METAFOR(egger->statistic, row["zval"].get<double>());
    EXPECT_METAFOR(egger->p_value, row["pval"].get<double>());
    EXPECT_METAFOR(egger->limit_estimate, row["est"].get<double>());
    EXPECT_METAFOR(egger->limit_ci_low, row["ci_lb"].get<double>());
    EXPECT_METAFOR(egger->limit_ci_high, row["ci_ub"].get<double>());
  }
}

TEST(MetaforGolden, TrimAndFillMatches) {
  for (const json& row : MetaforFixture()["trimfill"]) {
    SCOPED_TRACE(Label(row));
    const EffectSizes es = Effects(row["dataset"], row["measure"]);
    const TrimFillEstimator estimator =
        row.value("estimator", "L0") == "R0" ? TrimFillEstimator::kR0 : TrimFillEstimator::kL0;
    SCOPED_TRACE(row.value("estimator", "L0"));
    auto tf = TrimAndFill(es.yi, es.vi, Options(row), estimator);
    ASSERT_THAT(tf, IsOk());
    EXPECT_EQ(tf->k0, row["k0"].get<int>());
    EXPECT_EQ(tf->side == FunnelSide::kLeft ? "left" : "right", row["side"].get<std::string>());
    EXPECT_METAFOR(tf->se_k0, row["se_k0"].get<double>());
    EXPECT_EQ(tf->adjusted.k, row["k"].get<int>());
    EXPECT_METAFOR(tf->adjusted.pooled().estimate, row["beta"].get<double>());
    // metafor 3.8-1 refits the filled data without passing `test` on, so with
    // test = "knha" and k0 > 0 its SE, CI and p are the z-test ones. kira keeps
    // the requested test (documented in publication_bias.h); only the
    // test-independent values are compared in that case.
    const bool metafor_drops_knha = row["test"] == "knha" && row["k0"].get<int>() > 0;
    if (!metafor_drops_knha) {
      EXPECT_METAFOR(tf->adjusted.pooled().se, row["se"].get<double>());
      EXPECT_METAFOR(tf->adjusted.pooled().ci_low, row["ci_lb"].get<double>());
      EXPECT_METAFOR(tf->adjusted.pooled().ci_high, row["ci_ub"].get<double>());
      EXPECT_METAFOR(tf->adjusted.pooled().p_value, row["pval"].get<double>());
    }
    EXPECT_METAFOR(tf->adjusted.tau2, row["tau2"].get<double>());
    EXPECT_METAFOR(tf->adjusted.heterogeneity.q, row["QE"].get<double>());
    const auto fy = AsVector(row["yi_filled"]), fv = AsVector(row["vi_filled"]);
    ASSERT_EQ(tf->filled_yi.size(), fy.size());
    for (std::size_t i = 0; i < fy.size(); ++i) {
      EXPECT_METAFOR(tf->filled_yi[i], fy[i]);
      EXPECT_METAFOR(tf->filled_vi[i], fv[i]);
    }
  }
}

TEST(MetaforGolden, MetaRegressionMatches) {
  const json& bcg = MetaforFixture()["datasets"]["bcg"];
  for (const json& row : MetaforFixture()["metareg"]) {
    std::vector<std::string> mod_names;
    if (row["mods"].is_array()) {
      for (const auto& m : row["mods"]) mod_names.push_back(m.get<std::string>());
    } else {
      mod_names.push_back(row["mods"].get<std::string>());
    }
    SCOPED_TRACE(Label(row) + " mods=" + std::to_string(mod_names.size()));
    const EffectSizes es = Effects(row["dataset"], row["measure"]);
    std::vector<Moderator> mods;
    for (const std::string& name : mod_names) mods.push_back({name, AsVector(bcg[name])});
    auto fit = MetaRegress(es.yi, es.vi, mods, Options(row));
    ASSERT_THAT(fit, IsOk());
    const auto beta = AsVector(row["beta"]), se = AsVector(row["se"]), z = AsVector(row["zval"]),
               p = AsVector(row["pval"]), lb = AsVector(row["ci_lb"]), ub = AsVector(row["ci_ub"]);
    ASSERT_EQ(fit->coefficients.size(), beta.size());
    for (std::size_t j = 0; j < beta.size(); ++j) {
      SCOPED_TRACE("coefficient " + std::to_string(j));
      EXPECT_METAFOR(fit->coefficients[j].estimate, beta[j]);
      EXPECT_METAFOR(fit->coefficients[j].se, se[j]);
      EXPECT_METAFOR(fit->coefficients[j].statistic, z[j]);
      EXPECT_METAFOR(fit->coefficients[j].p_value, p[j]);
      EXPECT_METAFOR(fit->coefficients[j].ci_low, lb[j]);
      EXPECT_METAFOR(fit->coefficients[j].ci_high, ub[j]);
    }
    EXPECT_METAFOR(fit->tau2, row["tau2"].get<double>());
    ExpectModelSummaries(*fit, row);
    ASSERT_TRUE(fit->moderator_test.has_value());
    EXPECT_METAFOR(fit->moderator_test->statistic, row["QM"].get<double>());
    EXPECT_METAFOR(fit->moderator_test->p_value, row["QMp"].get<double>());
    ExpectHeterogeneity(fit->heterogeneity, row);
    if (row.contains("R2")) {
      ASSERT_TRUE(fit->r2_percent.has_value());
      EXPECT_METAFOR(*fit->r2_percent, row["R2"].get<double>());
    }
    if (row.contains("se_tau2")) {
      ASSERT_TRUE(fit->se_tau2.has_value());
      EXPECT_METAFOR(*fit->se_tau2, row["se_tau2"].get<double>());
    }
    if (row.contains("tau2_lb")) {
      auto ci = QProfileTau2Interval(es.yi, es.vi, mods);
      ASSERT_THAT(ci, IsOk());
      EXPECT_METAFOR(ci->tau2_low, row["tau2_lb"].get<double>());
      EXPECT_METAFOR(ci->tau2_high, row["tau2_ub"].get<double>());
    }
  }
}

void ExpectTablePooling(const TablePoolingResult& r, const json& row) {
  EXPECT_METAFOR(r.estimate, row["beta"].get<double>());
  EXPECT_METAFOR(r.se, row["se"].get<double>());
  EXPECT_METAFOR(r.z, row["zval"].get<double>());
  EXPECT_METAFOR(r.p_value, row["pval"].get<double>());
  EXPECT_METAFOR(r.ci_low, row["ci_lb"].get<double>());
  EXPECT_METAFOR(r.ci_high, row["ci_ub"].get<double>());
  ExpectHeterogeneity(r.heterogeneity, row);
}

TEST(MetaforGolden, MantelHaenszelMatches) {
  for (const json& row : MetaforFixture()["mh"]) {
    SCOPED_TRACE(Label(row));
    auto r = MantelHaenszel(Tables(row["dataset"]), *ParseEffectMeasure(row["measure"].get<std::string>()));
    ASSERT_THAT(r, IsOk());
    ExpectTablePooling(*r, row);
    if (row.contains("CMH")) {
      ASSERT_TRUE(r->cmh_statistic.has_value());
      EXPECT_METAFOR(*r->cmh_statistic, row["CMH"].get<double>());
      EXPECT_METAFOR(*r->cmh_p_value, row["CMHp"].get<double>());
    }
    if (row.contains("TA")) {
      ASSERT_TRUE(r->tarone_statistic.has_value());
      EXPECT_METAFOR(*r->breslow_day_statistic, row["BD"].get<double>());
      EXPECT_METAFOR(*r->breslow_day_p_value, row["BDp"].get<double>());
      EXPECT_METAFOR(*r->tarone_statistic, row["TA"].get<double>());
      EXPECT_METAFOR(*r->tarone_p_value, row["TAp"].get<double>());
    }
  }
}

// k = 2 studies closer together than their standard errors: ML and REML
// have their optimum on the boundary, and kira reports tau^2 = 0 exactly
// (issue 14: Fisher scoring used to stop at ~1e-13).
TEST(MetaforGolden, BoundaryOptimumIsExactlyZero) {
  for (const json& row : MetaforFixture()["boundary"]) {
    SCOPED_TRACE(row["method"].get<std::string>());
    MetaOptions o;
    o.method = *ParseTau2Estimator(row["method"].get<std::string>());
    const auto yi = AsVector(row["yi"]), vi = AsVector(row["vi"]);
    auto fit = MetaAnalyze(yi, vi, o);
    ASSERT_THAT(fit, IsOk());
    // metafor itself stops at ~3e-13 on the third case (within the
    // absolute floor); kira must give 0 exactly.
    EXPECT_EQ(fit->tau2, 0.0);
    EXPECT_METAFOR(fit->tau2, row["tau2"].get<double>());
    EXPECT_METAFOR(fit->pooled().estimate, row["beta"].get<double>());
    EXPECT_METAFOR(fit->pooled().se, row["se"].get<double>());
    ExpectFitStatistics(fit->fit_ml, row["fit_ml"]);
    ExpectFitStatistics(fit->fit_reml, row["fit_reml"]);
  }
}

TEST(MetaforGolden, PetoMatches) {
  for (const json& row : MetaforFixture()["peto"]) {
    SCOPED_TRACE(Label(row));
    auto r = PetoOddsRatio(Tables(row["dataset"]));
    ASSERT_THAT(r, IsOk());
    ExpectTablePooling(*r, row);
  }
}

std::vector<std::string> Labels(const json& column) {
  std::vector<std::string> out;
  for (const json& v : column) {
    out.push_back(v.is_string() ? v.get<std::string>() : std::to_string(v.get<long long>()));
  }
  return out;
}

Moderator Ones(std::size_t k) { return Moderator{"intercept", std::vector<double>(k, 1.0)}; }

StatusOr<MvResult> FitRmaMvRow(const json& row) {
  const std::string name = row["name"].get<std::string>();
  const json& d = MetaforFixture()["datasets"][name];
  MvOptions o;
  o.reml = row["method"] == "REML";
  o.test = row["test"] == "t" ? MvTest::kT : MvTest::kZ;
  const auto yi = AsVector(d["yi"]), vi = AsVector(d["vi"]);
  if (name == "konstantopoulos2011" || name == "assink2016") {
    std::vector<Moderator> cols = {Ones(yi.size())};
    if (row.contains("mods")) {
      std::vector<double> year = AsVector(d["year"]);
      for (double& y : year) y -= 1980;
      cols.push_back({"year", year});
    }
    std::vector<GroupingLevel> levels;
    if (name == "konstantopoulos2011") {
      levels = {{"district", Labels(d["district"])}, {"school", Labels(d["school"])}};
    } else {
      levels = {{"study", Labels(d["study"])}, {"esid", Labels(d["esid"])}};
    }
    return FitNestedModel(yi, vi, cols, levels, o);
  }
  // berkey1998: V from v1i/v2i (the trial's rows in order PD, AL), outcome
  // indicators without an intercept, ~ outcome | trial.
  MultivariateInput in;
  in.yi = yi;
  in.vi = vi;
  in.study = Labels(d["trial"]);
  in.outcome = Labels(d["outcome"]);
  const auto v1 = AsVector(d["v1i"]);
  for (std::size_t i = 0; i + 1 < yi.size(); i += 2) in.covariances.push_back({i, i + 1, v1[i + 1]});
  std::vector<Moderator> cols = {{"AL", {}}, {"PD", {}}};
  for (const std::string& o2 : in.outcome) {
    cols[0].values.push_back(o2 == "AL" ? 1.0 : 0.0);
    cols[1].values.push_back(o2 == "PD" ? 1.0 : 0.0);
  }
  const auto structure = row["struct"] == "UN" ? CovarianceStructure::kUnstructured
                                               : CovarianceStructure::kCompoundSymmetric;
  return FitMultivariateModel(in, cols, structure, std::nullopt, o);
}

// metafor's rma.mv on its documented examples: dat.konstantopoulos2011
// (~ 1 | district/school, with and without a moderator), dat.assink2016
// (~ 1 | study/esid) and dat.berkey1998 (~ outcome | trial, UN and CS), by
// ML and REML, z and t tests.
TEST(MetaforGolden, RmaMvMatches) {
  int checked = 0;
  for (const json& row : MetaforFixture()["rma_mv"]) {
    SCOPED_TRACE(row["name"].get<std::string>() + "/" + row["method"].get<std::string>() + "/" +
                 row["test"].get<std::string>() + (row.contains("struct") ? "/" + row["struct"].get<std::string>() : "") +
                 (row.contains("mods") ? "/mods" : ""));
    auto fit = FitRmaMvRow(row);
    ASSERT_THAT(fit, IsOk());
    // The UN likelihood of dat.berkey1998 is so flat that double-precision
    // log-likelihoods pin its maximiser down only to ~1e-6 (kira's and
    // metafor's optima agree in log-likelihood to 1e-12); those rows use 5e-6.
    const double rel = row.value("struct", "") == "UN" ? 5e-6 : testing::kRelTol;
#undef EXPECT_METAFOR
#define EXPECT_METAFOR(actual, expected) \
  EXPECT_PRED_FORMAT2(([rel](const char* a, const char* e, double x, double y) { \
                        return ::kira::stats::testing::CloseWithin(a, e, x, y, rel); }), \
                      actual, expected)
    const auto beta = AsVector(row["beta"]), se = AsVector(row["se"]), z = AsVector(row["zval"]),
               p = AsVector(row["pval"]), lb = AsVector(row["ci_lb"]), ub = AsVector(row["ci_ub"]);
    ASSERT_EQ(fit->coefficients.size(), beta.size());
    for (std::size_t j = 0; j < beta.size(); ++j) {
      SCOPED_TRACE("coefficient " + std::to_string(j));
      EXPECT_METAFOR(fit->coefficients[j].estimate, beta[j]);
      EXPECT_METAFOR(fit->coefficients[j].se, se[j]);
      EXPECT_METAFOR(fit->coefficients[j].statistic, z[j]);
      EXPECT_METAFOR(fit->coefficients[j].p_value, p[j]);
      EXPECT_METAFOR(fit->coefficients[j].ci_low, lb[j]);
      EXPECT_METAFOR(fit->coefficients[j].ci_high, ub[j]);
    }
    const auto vcov = AsVector(row["vcov"]);
    ASSERT_EQ(fit->vcov.size(), vcov.size());
    for (std::size_t i = 0; i < vcov.size(); ++i) EXPECT_METAFOR(fit->vcov[i], vcov[i]);
    EXPECT_METAFOR(fit->qe, row["QE"].get<double>());
    EXPECT_METAFOR(fit->qe_p_value, row["QEp"].get<double>());
    if (fit->moderator_test) {
      EXPECT_METAFOR(fit->moderator_test->statistic, row["QM"].get<double>());
      EXPECT_METAFOR(fit->moderator_test->p_value, row["QMp"].get<double>());
    }
    ExpectFitStatistics(fit->fit_ml, row["fit_ml"]);
    ExpectFitStatistics(fit->fit_reml, row["fit_reml"]);
    if (row.contains("sigma2") && !row["sigma2"].is_object()) {
      const auto s2 = AsVector(row["sigma2"]);
      ASSERT_EQ(fit->components.size(), s2.size());
      const auto s2_lb = AsVector(row["sigma2_lb"]), s2_ub = AsVector(row["sigma2_ub"]);
      for (std::size_t j = 0; j < s2.size(); ++j) {
        SCOPED_TRACE(fit->components[j].name);
        EXPECT_METAFOR(fit->components[j].estimate, s2[j]);
        // metafor leaves a bound NA when its own profiling fails; compare the rest.
        if (j < s2_lb.size() && !std::isnan(s2_lb[j])) {
          ASSERT_TRUE(fit->components[j].ci_low.has_value());
          EXPECT_METAFOR(*fit->components[j].ci_low, s2_lb[j]);
        }
        if (j < s2_ub.size() && !std::isnan(s2_ub[j])) {
          ASSERT_TRUE(fit->components[j].ci_high.has_value());
          EXPECT_METAFOR(*fit->components[j].ci_high, s2_ub[j]);
        }
      }
    } else {
      const auto tau2 = AsVector(row["tau2"]), rho = AsVector(row["rho"]);
      ASSERT_EQ(fit->components.size(), tau2.size() + rho.size());
      for (std::size_t j = 0; j < tau2.size(); ++j) EXPECT_METAFOR(fit->components[j].estimate, tau2[j]);
      for (std::size_t j = 0; j < rho.size(); ++j) EXPECT_METAFOR(fit->components[tau2.size() + j].estimate, rho[j]);
      if (row.contains("tau2_lb") && !AsVector(row["tau2_lb"]).empty() && !std::isnan(AsVector(row["tau2_lb"])[0])) {
        ASSERT_TRUE(fit->components[0].ci_low.has_value());
        EXPECT_METAFOR(*fit->components[0].ci_low, AsVector(row["tau2_lb"])[0]);
      }
      if (row.contains("tau2_ub") && !AsVector(row["tau2_ub"]).empty() && !std::isnan(AsVector(row["tau2_ub"])[0])) {
        ASSERT_TRUE(fit->components[0].ci_high.has_value());
        EXPECT_METAFOR(*fit->components[0].ci_high, AsVector(row["tau2_ub"])[0]);
      }
    }
    ++checked;
  }
  EXPECT_EQ(checked, 12);
}

#undef EXPECT_METAFOR
#define EXPECT_METAFOR(actual, expected) EXPECT_PRED_FORMAT2(::kira::stats::testing::Close, actual, expected)

// Contrast-based network meta-analysis of dat.hasselblad1998 (smoking
// cessation; 24 studies, 4 treatments, 2 three-arm studies) against metafor's
// rma.mv with random = ~ comp | study, rho = 1/2; P-scores and the
// design-by-treatment Q decomposition computed in R from metafor's fits.
TEST(MetaforGolden, NetworkMetaAnalysisMatches) {
  const json& d = MetaforFixture()["datasets"]["hasselblad1998"];
  const auto xi = AsVector(d["xi"]), ni = AsVector(d["ni"]);
  const auto study = Labels(d["study"]), trt = Labels(d["trt"]);
  std::vector<NetworkArm> arms;
  for (std::size_t i = 0; i < xi.size(); ++i) arms.push_back({study[i], trt[i], xi[i], ni[i]});
  int checked = 0;
  for (const json& row : MetaforFixture()["network"]) {
    SCOPED_TRACE(row["method"].get<std::string>());
    NetworkOptions o;
    o.reference = row["reference"].get<std::string>();
    o.correction = {0.5, CorrectionScope::kAll};
    o.model.reml = row["method"] == "REML";
    auto r = NetworkMetaAnalysis(arms, o);
    ASSERT_THAT(r, IsOk());
    const auto beta = AsVector(row["beta"]), se = AsVector(row["se"]), vcov = AsVector(row["vcov"]);
    ASSERT_EQ(r->treatments.size(), row["treatments"].size());
    for (std::size_t t = 0; t < r->treatments.size(); ++t) EXPECT_EQ(r->treatments[t], row["treatments"][t]);
    ASSERT_EQ(r->fit.coefficients.size(), beta.size());
    for (std::size_t j = 0; j < beta.size(); ++j) {
      EXPECT_METAFOR(r->fit.coefficients[j].estimate, beta[j]);
      EXPECT_METAFOR(r->fit.coefficients[j].se, se[j]);
    }
    for (std::size_t i = 0; i < vcov.size(); ++i) EXPECT_METAFOR(r->fit.vcov[i], vcov[i]);
    EXPECT_METAFOR(r->fit.components[0].estimate, row["tau2"].get<double>());
    EXPECT_METAFOR(r->fit.qe, row["QE"].get<double>());
    ExpectFitStatistics(r->fit.fit_ml, row["fit_ml"]);
    ExpectFitStatistics(r->fit.fit_reml, row["fit_reml"]);
    const auto ps = AsVector(row["pscore"]);
    for (std::size_t t = 0; t < ps.size(); ++t) EXPECT_METAFOR(r->p_scores[t], ps[t]);
    EXPECT_METAFOR(r->q_total, row["Q_total"].get<double>());
    EXPECT_METAFOR(r->q_within, row["Q_within"].get<double>());
    ASSERT_TRUE(r->q_between.has_value());
    EXPECT_METAFOR(*r->q_between, row["Q_between"].get<double>());
    EXPECT_EQ(r->q_between_df, row["Q_between_df"].get<int>());
    // Every pairwise contrast is the difference of the basic parameters.
    for (const PairwiseContrast& c : r->contrasts) {
      if (c.comparator == r->reference) {
        const auto it = std::find(r->treatments.begin(), r->treatments.end(), c.treatment);
        EXPECT_METAFOR(c.estimate, beta[static_cast<std::size_t>(it - r->treatments.begin()) - 1]);
      }
    }
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

TEST(RGolden, WilsonIntervalMatchesPropTest) {
  for (const json& row : MetaforFixture()["wilson"]) {
    SCOPED_TRACE(row.dump());
    auto ci = WilsonInterval(row["x"].get<double>(), row["n"].get<double>());
    ASSERT_THAT(ci, IsOk());
    EXPECT_METAFOR(ci->low, row["low"].get<double>());
    EXPECT_METAFOR(ci->high, row["high"].get<double>());
  }
}

TEST(RGolden, KaplanMeierMatchesSurvfit) {
  for (const json& row : MetaforFixture()["kaplan_meier"]) {
    const std::string ct = row["conf_type"].get<std::string>();
    SCOPED_TRACE(ct);
    const auto t_in = AsVector(row["time_in"]), s_in = AsVector(row["status_in"]);
    std::vector<SurvivalObservation> obs;
    for (std::size_t i = 0; i < t_in.size(); ++i) obs.push_back({t_in[i], s_in[i] == 1});
    const KaplanMeierInterval type = ct == "plain" ? KaplanMeierInterval::kPlain
                                     : ct == "log" ? KaplanMeierInterval::kLog
                                                   : KaplanMeierInterval::kLogLog;
    auto km = KaplanMeier(obs, 0.95, type);
    ASSERT_THAT(km, IsOk());
    const auto time = AsVector(row["time"]), risk = AsVector(row["n_risk"]), ev = AsVector(row["n_event"]),
               surv = AsVector(row["surv"]), se = AsVector(row["std_err"]), lo = AsVector(row["lower"]),
               hi = AsVector(row["upper"]);
    ASSERT_EQ(km->steps.size(), time.size());
    for (std::size_t i = 0; i < time.size(); ++i) {
      SCOPED_TRACE("step " + std::to_string(i));
      const KaplanMeierStep& s = km->steps[i];
      EXPECT_EQ(s.time, time[i]);
      EXPECT_EQ(s.at_risk, static_cast<int>(risk[i]));
      EXPECT_EQ(s.events, static_cast<int>(ev[i]));
      EXPECT_METAFOR(s.survival, surv[i]);
      ASSERT_TRUE(s.std_error.has_value());
      EXPECT_METAFOR(*s.std_error, se[i]);
      EXPECT_METAFOR(*s.ci_low, lo[i]);
      EXPECT_METAFOR(*s.ci_high, hi[i]);
    }
    ASSERT_TRUE(km->median_time.has_value());
    EXPECT_EQ(*km->median_time, row["median"].get<double>());
  }
}

}  // namespace
}  // namespace kira::stats
