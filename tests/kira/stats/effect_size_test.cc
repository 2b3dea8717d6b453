#include "kira/stats/effect_size.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "testing/status_matchers.h"

namespace kira::stats {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TwoByTwoTable Swapped(const TwoByTwoTable& t) {
  return {t.events_control, t.non_events_control, t.events_treated, t.non_events_treated};
}

TEST(EffectSizesFromTables, SwappingArmsFlipsTheSignAndKeepsTheVariance) {
  const std::vector<TwoByTwoTable> tables = {{4, 119, 11, 128}, {0, 20, 3, 17}, {62, 13536, 248, 12619}};
  std::vector<TwoByTwoTable> swapped;
  for (const auto& t : tables) swapped.push_back(Swapped(t));

  for (EffectMeasure m : {EffectMeasure::kLogOddsRatio, EffectMeasure::kLogRiskRatio,
                          EffectMeasure::kRiskDifference}) {
    SCOPED_TRACE(std::string(EffectMeasureName(m)));
    KIRA_ASSERT_OK_AND_ASSIGN(EffectSizes a, EffectSizesFromTables(tables, m));
    KIRA_ASSERT_OK_AND_ASSIGN(EffectSizes b, EffectSizesFromTables(swapped, m));
    for (std::size_t i = 0; i < tables.size(); ++i) {
      EXPECT_NEAR(a.yi[i], -b.yi[i], 1e-14 * (1 + std::fabs(a.yi[i])));
      // RR's variance is not symmetric in the arms; OR's and RD's are.
      if (m != EffectMeasure::kLogRiskRatio) {
        EXPECT_NEAR(a.vi[i], b.vi[i], 1e-14 * a.vi[i]);
      }
    }
  }
}

TEST(EffectSizesFromTables, LogOddsRatioOfAKnownTable) {
  // Aronson 1948 (dat.bcg row 1): log((4/119)/(11/128)), 1/4+1/119+1/11+1/128.
  const std::vector<TwoByTwoTable> t = {{4, 119, 11, 128}};

  KIRA_ASSERT_OK_AND_ASSIGN(EffectSizes es, EffectSizesFromTables(t, EffectMeasure::kLogOddsRatio));

  EXPECT_NEAR(es.yi[0], std::log((4.0 / 119) / (11.0 / 128)), 1e-15);
  EXPECT_NEAR(es.vi[0], 1.0 / 4 + 1.0 / 119 + 1.0 / 11 + 1.0 / 128, 1e-15);
}

TEST(EffectSizesFromTables, OnlyTablesWithAZeroCellAreCorrectedByDefault) {
  const std::vector<TwoByTwoTable> t = {{0, 10, 5, 5}, {2, 8, 5, 5}};

  KIRA_ASSERT_OK_AND_ASSIGN(EffectSizes es, EffectSizesFromTables(t, EffectMeasure::kLogOddsRatio));

  EXPECT_NEAR(es.yi[0], std::log((0.5 / 10.5) / (5.5 / 5.5)), 1e-14);
  EXPECT_NEAR(es.yi[1], std::log((2.0 / 8) / (5.0 / 5)), 1e-14);
}

TEST(EffectSizesFromTables, IfAnyZeroCorrectsEveryTable) {
  const std::vector<TwoByTwoTable> t = {{0, 10, 5, 5}, {2, 8, 5, 5}};

  KIRA_ASSERT_OK_AND_ASSIGN(
      EffectSizes es, EffectSizesFromTables(t, EffectMeasure::kLogOddsRatio,
                                            {0.5, CorrectionScope::kIfAnyZero}));

  EXPECT_NEAR(es.yi[1], std::log((2.5 / 8.5) / (5.5 / 5.5)), 1e-14);
}

TEST(EffectSizesFromTables, UncorrectedZeroCellIsAnErrorNotInfinity) {
  const std::vector<TwoByTwoTable> t = {{4, 10, 5, 5}, {0, 10, 5, 5}};

  EXPECT_THAT(EffectSizesFromTables(t, EffectMeasure::kLogOddsRatio, {0.5, CorrectionScope::kNone}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("tables[1]")));
  EXPECT_THAT(EffectSizesFromTables(t, EffectMeasure::kLogRiskRatio, {0.0, CorrectionScope::kOnlyZero}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("tables[1]")));
}

TEST(EffectSizesFromTables, RiskDifferenceWithAllOrNoneAndNoCorrectionIsAnError) {
  const std::vector<TwoByTwoTable> t = {{0, 10, 0, 10}};

  EXPECT_THAT(EffectSizesFromTables(t, EffectMeasure::kRiskDifference, {0.5, CorrectionScope::kNone}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("variance is 0")));
}

struct BadTable {
  const char* name;
  TwoByTwoTable table;
  const char* message;
};

TEST(EffectSizesFromTables, RejectsIllegalCounts) {
  const BadTable cases[] = {
      {"negative ai", {-1, 10, 5, 5}, "tables.events_treated[0]"},
      {"NaN bi", {1, kNaN, 5, 5}, "tables.non_events_treated[0]"},
      {"inf ci", {1, 10, kInf, 5}, "tables.events_control[0]"},
      {"negative di", {1, 10, 5, -2}, "tables.non_events_control[0]"},
      {"empty treated arm", {0, 0, 5, 5}, "treated arm has no participants"},
      {"empty control arm", {1, 1, 0, 0}, "control arm has no participants"},
  };
  for (const BadTable& c : cases) {
    SCOPED_TRACE(c.name);
    const std::vector<TwoByTwoTable> t = {c.table};
    EXPECT_THAT(EffectSizesFromTables(t, EffectMeasure::kLogOddsRatio),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

TEST(EffectSizesFromTables, RejectsAMeasureThatIsNotForTables) {
  const std::vector<TwoByTwoTable> t = {{1, 1, 1, 1}};

  EXPECT_THAT(EffectSizesFromTables(t, EffectMeasure::kMeanDifference),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("measure")));
  EXPECT_THAT(EffectSizesFromTables(t, EffectMeasure::kLogOddsRatio, {-0.5, CorrectionScope::kAll}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("correction.add")));
}

TEST(EffectSizesFromMeans, HedgesCorrectionShrinksCohensD) {
  const std::vector<MeansComparison> s = {{{10, 2, 10}, {8, 2, 10}}};

  KIRA_ASSERT_OK_AND_ASSIGN(EffectSizes es,
                            EffectSizesFromMeans(s, EffectMeasure::kStandardizedMeanDifference));

  // d = 1; exact J(18) = Gamma(9) / (3 Gamma(8.5)) ~ 0.9576 (approx 1 - 3/(4*18-1) = 0.9577).
  const double j = std::exp(std::lgamma(9.0) - std::log(3.0) - std::lgamma(8.5));
  EXPECT_NEAR(es.yi[0], j, 1e-14);
  EXPECT_NEAR(es.yi[0], 1 - 3.0 / 71, 2e-4);
  EXPECT_NEAR(es.vi[0], 0.2 + j * j / 40, 1e-14);
}

TEST(EffectSizesFromMeans, RejectsIllegalSummaries) {
  struct Case {
    const char* name;
    MeansComparison study;
    EffectMeasure measure;
    const char* message;
  };
  const Case cases[] = {
      {"NaN mean", {{kNaN, 1, 10}, {0, 1, 10}}, EffectMeasure::kMeanDifference, "studies.treated.mean[0]"},
      {"negative sd", {{0, 1, 10}, {0, -1, 10}}, EffectMeasure::kMeanDifference, "studies.control.sd[0]"},
      {"zero n", {{0, 1, 0}, {0, 1, 10}}, EffectMeasure::kMeanDifference, "studies.treated.n[0]"},
      {"zero variance", {{0, 0, 5}, {1, 0, 5}}, EffectMeasure::kMeanDifference, "variance is 0"},
      {"SMD too small", {{0, 1, 1}, {1, 1, 2}}, EffectMeasure::kStandardizedMeanDifference, "n1 + n2 - 2 > 1"},
      {"SMD sd 0", {{0, 0, 5}, {1, 0, 5}}, EffectMeasure::kStandardizedMeanDifference, "pooled sd is 0"},
      {"wrong measure", {{0, 1, 5}, {1, 1, 5}}, EffectMeasure::kRawProportion, "measure"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::vector<MeansComparison> s = {c.study};
    EXPECT_THAT(EffectSizesFromMeans(s, c.measure),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

TEST(EffectSizesFromProportions, ZeroEventsAreCorrectedSoTheLogitIsFinite) {
  const std::vector<Proportion> g = {{0, 10}, {10, 10}, {3, 10}};

  KIRA_ASSERT_OK_AND_ASSIGN(EffectSizes es,
                            EffectSizesFromProportions(g, EffectMeasure::kLogitProportion));

  EXPECT_NEAR(es.yi[0], std::log(0.5 / 10.5), 1e-14);
  EXPECT_NEAR(es.yi[1], std::log(10.5 / 0.5), 1e-14);
  EXPECT_NEAR(es.yi[2], std::log(3.0 / 7), 1e-14);
  EXPECT_NEAR(es.vi[2], 1.0 / 3 + 1.0 / 7, 1e-14);
}

TEST(EffectSizesFromProportions, RejectsIllegalCounts) {
  EXPECT_THAT(EffectSizesFromProportions(std::vector<Proportion>{{11, 10}}, EffectMeasure::kRawProportion),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("groups.events[0]: exceeds")));
  EXPECT_THAT(EffectSizesFromProportions(std::vector<Proportion>{{1, 0}}, EffectMeasure::kRawProportion),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("groups.n[0]")));
  EXPECT_THAT(EffectSizesFromProportions(std::vector<Proportion>{{-1, 5}}, EffectMeasure::kRawProportion),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("groups.events[0]")));
  EXPECT_THAT(EffectSizesFromProportions(std::vector<Proportion>{{0, 5}}, EffectMeasure::kLogitProportion,
                                         {0.5, CorrectionScope::kNone}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("groups[0]")));
}

TEST(EffectMeasureNames, RoundTrip) {
  for (const char* name : {"OR", "RR", "RD", "MD", "SMD", "PR", "PLO"}) {
    KIRA_ASSERT_OK_AND_ASSIGN(EffectMeasure m, ParseEffectMeasure(name));
    EXPECT_EQ(EffectMeasureName(m), name);
  }
  EXPECT_THAT(ParseEffectMeasure("HR"), StatusIs(StatusCode::kInvalidArgument, HasSubstr("HR")));
}

}  // namespace
}  // namespace kira::stats
