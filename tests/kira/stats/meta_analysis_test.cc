#include "kira/stats/meta_analysis.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "kira/stats/effect_size.h"
#include "kira/stats/mantel_haenszel.h"
#include "kira/stats/publication_bias.h"
#include "testing/status_matchers.h"

namespace kira::stats {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const Tau2Estimator kAllEstimators[] = {
    Tau2Estimator::kCommonEffect, Tau2Estimator::kDerSimonianLaird,
    Tau2Estimator::kRestrictedMaximumLikelihood, Tau2Estimator::kMaximumLikelihood,
    Tau2Estimator::kPauleMandel, Tau2Estimator::kSidikJonkman, Tau2Estimator::kHedges,
    Tau2Estimator::kEmpiricalBayes, Tau2Estimator::kHunterSchmidt};

// dat.bcg log odds ratios (escalc), rounded; enough for identity tests.
const std::vector<double> kYi = {-0.9387, -1.6662, -1.3863, -1.4564, -0.2191, -0.9581, -1.6338,
                                 0.0120,  -0.4717, -1.4012, -0.3408, 0.4466,  -0.0173};
const std::vector<double> kVi = {0.3571, 0.2081, 0.4334, 0.0203, 0.0520, 0.0099, 0.2270,
                                 0.0040, 0.0570, 0.0754, 0.0125, 0.5253, 0.0714};

MetaOptions With(Tau2Estimator m, InferenceTest t = InferenceTest::kZ) {
  MetaOptions o;
  o.method = m;
  o.test = t;
  return o;
}

TEST(MetaAnalyze, PoolingOneStudyReturnsThatStudyForEveryEstimator) {
  const std::vector<double> yi = {0.42}, vi = {0.09};
  for (Tau2Estimator m : kAllEstimators) {
    SCOPED_TRACE(std::string(Tau2EstimatorName(m)));

    KIRA_ASSERT_OK_AND_ASSIGN(MetaAnalysisResult r, MetaAnalyze(yi, vi, With(m)));

    EXPECT_DOUBLE_EQ(r.pooled().estimate, 0.42);
    EXPECT_DOUBLE_EQ(r.pooled().se, 0.3);
    EXPECT_EQ(r.tau2, 0.0);
    EXPECT_EQ(r.heterogeneity.q, 0.0);
    EXPECT_EQ(r.heterogeneity.p_value, 1.0);
    EXPECT_EQ(r.heterogeneity.i2_percent, 0.0);
    EXPECT_EQ(r.heterogeneity.h2, 1.0);
    EXPECT_FALSE(r.se_tau2.has_value());
    EXPECT_DOUBLE_EQ(r.weights_percent[0], 100.0);
  }
}

TEST(MetaAnalyze, KnappHartungWithOneStudyIsAFailedPrecondition) {
  EXPECT_THAT(MetaAnalyze(std::vector<double>{0.1}, std::vector<double>{0.1},
                          With(Tau2Estimator::kRestrictedMaximumLikelihood, InferenceTest::kKnappHartung)),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("Knapp-Hartung")));
}

TEST(MetaAnalyze, HomogeneousStudiesGiveTauSquaredZeroForEveryEstimator) {
  const std::vector<double> yi = {0.3, 0.3, 0.3, 0.3}, vi = {0.1, 0.2, 0.05, 0.4};
  for (Tau2Estimator m : kAllEstimators) {
    SCOPED_TRACE(std::string(Tau2EstimatorName(m)));

    KIRA_ASSERT_OK_AND_ASSIGN(MetaAnalysisResult r, MetaAnalyze(yi, vi, With(m)));

    EXPECT_NEAR(r.tau2, 0.0, 1e-12);
    EXPECT_NEAR(r.pooled().estimate, 0.3, 1e-14);
    EXPECT_NEAR(r.heterogeneity.i2_percent, 0.0, 1e-9);
    EXPECT_FALSE(std::isnan(r.pooled().p_value));
  }
}

TEST(MetaAnalyze, KnappHartungWithZeroResidualIsAFailedPrecondition) {
  const std::vector<double> yi = {0.3, 0.3, 0.3}, vi = {0.1, 0.2, 0.05};

  EXPECT_THAT(MetaAnalyze(yi, vi, With(Tau2Estimator::kDerSimonianLaird, InferenceTest::kKnappHartung)),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("scale is 0")));
}

TEST(MetaAnalyze, ResultDoesNotDependOnStudyOrder) {
  std::vector<double> yi = kYi, vi = kVi;
  std::reverse(yi.begin(), yi.end());
  std::reverse(vi.begin(), vi.end());
  for (Tau2Estimator m : kAllEstimators) {
    SCOPED_TRACE(std::string(Tau2EstimatorName(m)));
    KIRA_ASSERT_OK_AND_ASSIGN(MetaAnalysisResult a, MetaAnalyze(kYi, kVi, With(m)));
    KIRA_ASSERT_OK_AND_ASSIGN(MetaAnalysisResult b, MetaAnalyze(yi, vi, With(m)));

    EXPECT_NEAR(a.pooled().estimate, b.pooled().estimate, 1e-10);
    EXPECT_NEAR(a.tau2, b.tau2, 1e-10);
  }
}

TEST(MetaAnalyze, RescalingEffectsRescalesEstimateAndTauSquared) {
  // y -> c y, v -> c^2 v: beta -> c beta, tau2 -> c^2 tau2, I2 unchanged.
  constexpr double c = -3.0;
  std::vector<double> yi = kYi, vi = kVi;
  for (double& y : yi) y *= c;
  for (double& v : vi) v *= c * c;
  for (Tau2Estimator m : kAllEstimators) {
    SCOPED_TRACE(std::string(Tau2EstimatorName(m)));
    KIRA_ASSERT_OK_AND_ASSIGN(MetaAnalysisResult a, MetaAnalyze(kYi, kVi, With(m)));
    KIRA_ASSERT_OK_AND_ASSIGN(MetaAnalysisResult b, MetaAnalyze(yi, vi, With(m)));

    EXPECT_NEAR(b.pooled().estimate, c * a.pooled().estimate, 1e-9);
    EXPECT_NEAR(b.tau2, c * c * a.tau2, 1e-9);
    EXPECT_NEAR(b.heterogeneity.i2_percent, a.heterogeneity.i2_percent, 1e-7);
  }
}

TEST(MetaAnalyze, TauSquaredIsContinuousWhereTruncationAtZeroSwitchesOn) {
  // Shrinking the spread of yi moves every estimator across its switch to
  // tau2 = 0 (moment estimators truncate, Fisher scoring hits the boundary);
  // tau2 must approach 0 continuously, with no jump on either side.
  const std::vector<double> vi = {0.1, 0.2, 0.05, 0.3, 0.15, 0.08};
  const std::vector<double> base = {-0.9, 0.4, 0.1, 1.2, -0.3, 0.6};
  for (Tau2Estimator m : kAllEstimators) {
    SCOPED_TRACE(std::string(Tau2EstimatorName(m)));
    double previous = -1;
    for (int step = 0; step <= 400; ++step) {
      const double s = 1.0 - step / 400.0;
      std::vector<double> yi = base;
      for (double& y : yi) y *= s;
      KIRA_ASSERT_OK_AND_ASSIGN(MetaAnalysisResult r, MetaAnalyze(yi, vi, With(m)));
      EXPECT_GE(r.tau2, 0.0);
      if (previous >= 0) {
        EXPECT_LT(std::fabs(r.tau2 - previous), 0.02) << "s = " << s;
      }
      previous = r.tau2;
    }
    EXPECT_EQ(previous, 0.0);
  }
}

TEST(MetaAnalyze, WeightsSumToOneHundredPercent) {
  KIRA_ASSERT_OK_AND_ASSIGN(MetaAnalysisResult r, MetaAnalyze(kYi, kVi));
  double sum = 0;
  for (double w : r.weights_percent) sum += w;

  EXPECT_NEAR(sum, 100.0, 1e-10);
}

TEST(MetaAnalyze, PredictionIntervalContainsConfidenceInterval) {
  KIRA_ASSERT_OK_AND_ASSIGN(MetaAnalysisResult r, MetaAnalyze(kYi, kVi));

  ASSERT_TRUE(r.prediction.has_value());
  EXPECT_LT(r.prediction->low, r.pooled().ci_low);
  EXPECT_GT(r.prediction->high, r.pooled().ci_high);
}

TEST(MetaAnalyze, NonConvergenceIsReportedNotReturned) {
  MetaOptions o = With(Tau2Estimator::kRestrictedMaximumLikelihood);
  o.max_iterations = 1;

  EXPECT_THAT(MetaAnalyze(kYi, kVi, o),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("did not converge")));
}

TEST(MetaAnalyze, RejectsIllegalArguments) {
  struct Case {
    const char* name;
    std::vector<double> yi;
    std::vector<double> vi;
    MetaOptions options;
    const char* message;
  };
  MetaOptions bad_level;
  bad_level.level = 1.0;
  MetaOptions nan_level;
  nan_level.level = kNaN;
  MetaOptions bad_tol;
  bad_tol.tolerance = 0;
  MetaOptions bad_iter;
  bad_iter.max_iterations = 0;
  const Case cases[] = {
      {"empty", {}, {}, {}, "yi: needs at least 1"},
      {"size mismatch", {0.1, 0.2}, {0.1}, {}, "vi: has 1 elements but yi has 2"},
      {"NaN yi", {0.1, kNaN}, {0.1, 0.1}, {}, "yi[1]: must be finite"},
      {"inf yi", {kInf, 0.1}, {0.1, 0.1}, {}, "yi[0]: must be finite"},
      {"zero vi", {0.1, 0.2}, {0.1, 0.0}, {}, "vi[1]: must be finite and > 0"},
      {"negative vi", {0.1, 0.2}, {-0.1, 0.1}, {}, "vi[0]: must be finite and > 0"},
      {"NaN vi", {0.1, 0.2}, {0.1, kNaN}, {}, "vi[1]"},
      {"inf vi", {0.1, 0.2}, {kInf, 0.1}, {}, "vi[0]"},
      {"level 1", {0.1, 0.2}, {0.1, 0.1}, bad_level, "level: must be in (0, 1)"},
      {"level NaN", {0.1, 0.2}, {0.1, 0.1}, nan_level, "level"},
      {"tolerance 0", {0.1, 0.2}, {0.1, 0.1}, bad_tol, "options.tolerance"},
      {"max_iterations 0", {0.1, 0.2}, {0.1, 0.1}, bad_iter, "options.max_iterations"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(MetaAnalyze(c.yi, c.vi, c.options),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

TEST(MetaRegress, RejectsBadModerators) {
  const std::vector<double> yi = {0.1, 0.2, 0.3, 0.4}, vi = {0.1, 0.1, 0.1, 0.1};

  EXPECT_THAT(MetaRegress(yi, vi, std::vector<Moderator>{{"dose", {1, 2, 3}}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("(dose): has 3 elements")));
  EXPECT_THAT(MetaRegress(yi, vi, std::vector<Moderator>{{"dose", {1, 2, kNaN, 4}}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("(dose)[2]")));
  EXPECT_THAT(MetaRegress(yi, vi, std::vector<Moderator>{{"constant", {1, 1, 1, 1}}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not of full rank")));
  EXPECT_THAT(MetaRegress(yi, vi, std::vector<Moderator>{{"a", {1, 2, 3, 4}}, {"b", {2, 1, 2, 5}},
                                                        {"c", {0, 1, 0, 1}}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("need more than 4 studies")));
}

TEST(MetaRegress, WithoutModeratorsEqualsMetaAnalyze) {
  KIRA_ASSERT_OK_AND_ASSIGN(MetaAnalysisResult a, MetaAnalyze(kYi, kVi));
  KIRA_ASSERT_OK_AND_ASSIGN(MetaAnalysisResult b, MetaRegress(kYi, kVi, {}));

  EXPECT_DOUBLE_EQ(a.pooled().estimate, b.pooled().estimate);
  EXPECT_DOUBLE_EQ(a.tau2, b.tau2);
}

TEST(QProfileTau2Interval, BracketsThePauleMandelEstimate) {
  // PM solves Q(tau2) = k - 1, which lies between the chi-square quantiles.
  KIRA_ASSERT_OK_AND_ASSIGN(MetaAnalysisResult pm, MetaAnalyze(kYi, kVi, With(Tau2Estimator::kPauleMandel)));
  KIRA_ASSERT_OK_AND_ASSIGN(Tau2Interval ci, QProfileTau2Interval(kYi, kVi));

  EXPECT_LE(ci.tau2_low, pm.tau2);
  EXPECT_GE(ci.tau2_high, pm.tau2);
}

TEST(QProfileTau2Interval, HomogeneousStudiesGiveZeroWidthAtZero) {
  const std::vector<double> yi = {0.3, 0.3, 0.3, 0.3}, vi = {0.1, 0.2, 0.05, 0.4};

  KIRA_ASSERT_OK_AND_ASSIGN(Tau2Interval ci, QProfileTau2Interval(yi, vi));

  EXPECT_EQ(ci.tau2_low, 0.0);
  EXPECT_EQ(ci.tau2_high, 0.0);
}

TEST(QProfileTau2Interval, NeedsTwoStudies) {
  EXPECT_THAT(QProfileTau2Interval(std::vector<double>{0.1}, std::vector<double>{0.1}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("k > p")));
}

TEST(LeaveOneOut, EachFitOmitsOneStudy) {
  KIRA_ASSERT_OK_AND_ASSIGN(auto loo, LeaveOneOut(kYi, kVi, With(Tau2Estimator::kDerSimonianLaird)));

  ASSERT_EQ(loo.size(), kYi.size());
  for (const auto& r : loo) EXPECT_EQ(r.k, static_cast<int>(kYi.size()) - 1);
}

TEST(CumulativeMetaAnalysis, LastStepEqualsTheFullAnalysis) {
  KIRA_ASSERT_OK_AND_ASSIGN(CumulativeResult cum, CumulativeMetaAnalysis(kYi, kVi));
  KIRA_ASSERT_OK_AND_ASSIGN(MetaAnalysisResult all, MetaAnalyze(kYi, kVi));

  EXPECT_EQ(cum.first_k, 1);
  ASSERT_EQ(cum.steps.size(), kYi.size());
  EXPECT_DOUBLE_EQ(cum.steps.back().pooled().estimate, all.pooled().estimate);
  EXPECT_DOUBLE_EQ(cum.steps.front().pooled().estimate, kYi[0]);
}

TEST(CumulativeMetaAnalysis, KnappHartungStartsAtTwoStudies) {
  KIRA_ASSERT_OK_AND_ASSIGN(
      CumulativeResult cum,
      CumulativeMetaAnalysis(kYi, kVi, With(Tau2Estimator::kDerSimonianLaird, InferenceTest::kKnappHartung)));

  EXPECT_EQ(cum.first_k, 2);
  EXPECT_EQ(cum.steps.size(), kYi.size() - 1);
}

TEST(EggerTest, NeedsThreeStudiesAndDistinctVariances) {
  EXPECT_THAT(EggerTest(std::vector<double>{0.1, 0.2}, std::vector<double>{0.1, 0.2}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("at least 3")));
  EXPECT_THAT(EggerTest(std::vector<double>{0.1, 0.2, 0.4}, std::vector<double>{0.1, 0.1, 0.1}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not of full rank")));
}

TEST(TrimAndFill, NearlySymmetricFunnelFillsNothing) {
  // metafor 3.8-1 trimfill(rma(yi, vi)) gives k0 = 0, side "right" here.
  const std::vector<double> yi = {-0.52, 0.5, -0.23, 0.2, -0.11, 0.1, 0.0};
  const std::vector<double> vi = {0.2, 0.2, 0.1, 0.1, 0.05, 0.05, 0.02};

  KIRA_ASSERT_OK_AND_ASSIGN(TrimAndFillResult tf, TrimAndFill(yi, vi));

  EXPECT_EQ(tf.k0, 0);
  EXPECT_EQ(tf.side, FunnelSide::kRight);
  EXPECT_TRUE(tf.filled_yi.empty());
  EXPECT_EQ(tf.adjusted.k, 7);
}

TEST(TrimAndFill, TiedRanksAreBrokenByPositionAsMetaforDoes) {
  // An exactly mirror-symmetric funnel still gets k0 = 1 on the left: the
  // L0 ranks of tied |yi - beta| are assigned "first", as R's rank() does;
  // metafor 3.8-1 gives the same (k0 = 1, side "left").
  const std::vector<double> yi = {-0.5, 0.5, -0.2, 0.2, -0.1, 0.1}, vi = {0.2, 0.2, 0.1, 0.1, 0.05, 0.05};

  KIRA_ASSERT_OK_AND_ASSIGN(TrimAndFillResult tf, TrimAndFill(yi, vi));

  EXPECT_EQ(tf.k0, 1);
  EXPECT_EQ(tf.side, FunnelSide::kLeft);
  EXPECT_EQ(tf.adjusted.k, 7);
}

TEST(MantelHaenszel, SwappingArmsFlipsTheSign) {
  const std::vector<TwoByTwoTable> t = {{4, 119, 11, 128}, {6, 300, 29, 274}, {3, 228, 11, 209}};
  std::vector<TwoByTwoTable> s;
  for (const auto& x : t) s.push_back({x.events_control, x.non_events_control, x.events_treated, x.non_events_treated});

  KIRA_ASSERT_OK_AND_ASSIGN(TablePoolingResult a, MantelHaenszel(t, EffectMeasure::kLogOddsRatio));
  KIRA_ASSERT_OK_AND_ASSIGN(TablePoolingResult b, MantelHaenszel(s, EffectMeasure::kLogOddsRatio));
  KIRA_ASSERT_OK_AND_ASSIGN(TablePoolingResult pa, PetoOddsRatio(t));
  KIRA_ASSERT_OK_AND_ASSIGN(TablePoolingResult pb, PetoOddsRatio(s));

  EXPECT_NEAR(a.estimate, -b.estimate, 1e-14);
  EXPECT_NEAR(a.se, b.se, 1e-14);
  EXPECT_NEAR(pa.estimate, -pb.estimate, 1e-14);
}

TEST(MantelHaenszel, NoEventsAnywhereIsAFailedPrecondition) {
  const std::vector<TwoByTwoTable> t = {{0, 10, 0, 10}, {0, 5, 0, 7}};

  EXPECT_THAT(MantelHaenszel(t, EffectMeasure::kLogOddsRatio),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("odds ratio is 0 or infinite")));
  EXPECT_THAT(MantelHaenszel(t, EffectMeasure::kLogRiskRatio),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("risk ratio")));
  EXPECT_THAT(PetoOddsRatio(t), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("zero variance")));
  EXPECT_THAT(MantelHaenszel(t, EffectMeasure::kRiskDifference),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("risk difference has variance 0")));
  EXPECT_THAT(MantelHaenszel(t, EffectMeasure::kMeanDifference),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("measure")));
}

TEST(EstimatorNames, RoundTrip) {
  for (Tau2Estimator m : kAllEstimators) {
    KIRA_ASSERT_OK_AND_ASSIGN(Tau2Estimator parsed, ParseTau2Estimator(Tau2EstimatorName(m)));
    EXPECT_EQ(parsed, m);
  }
  EXPECT_THAT(ParseTau2Estimator("GENQ"), StatusIs(StatusCode::kInvalidArgument, HasSubstr("GENQ")));
  EXPECT_THAT(ParseInferenceTest("t"), StatusIs(StatusCode::kInvalidArgument, HasSubstr("'t'")));
}

}  // namespace
}  // namespace kira::stats
