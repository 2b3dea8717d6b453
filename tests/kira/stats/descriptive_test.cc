#include "kira/stats/descriptive.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "testing/status_matchers.h"

namespace kira::stats {
namespace {

using ::kira::testing::StatusIs;
using ::testing::HasSubstr;

TEST(WilsonInterval, AllOrNoneGivesExactBounds) {
  KIRA_ASSERT_OK_AND_ASSIGN(ProportionInterval none, WilsonInterval(0, 10));
  KIRA_ASSERT_OK_AND_ASSIGN(ProportionInterval all, WilsonInterval(10, 10));

  EXPECT_EQ(none.low, 0.0);
  EXPECT_EQ(all.high, 1.0);
  EXPECT_GT(none.high, 0.0);
  EXPECT_LT(all.low, 1.0);
}

TEST(WilsonInterval, RejectsIllegalCounts) {
  EXPECT_THAT(WilsonInterval(1, 0), StatusIs(StatusCode::kInvalidArgument, HasSubstr("n: must be")));
  EXPECT_THAT(WilsonInterval(11, 10), StatusIs(StatusCode::kInvalidArgument, HasSubstr("successes")));
  EXPECT_THAT(WilsonInterval(-1, 10), StatusIs(StatusCode::kInvalidArgument, HasSubstr("successes")));
  EXPECT_THAT(WilsonInterval(std::numeric_limits<double>::quiet_NaN(), 10),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("successes")));
  EXPECT_THAT(WilsonInterval(1, 10, 1.5), StatusIs(StatusCode::kInvalidArgument, HasSubstr("level")));
}

TEST(KaplanMeier, SurvivalReachingZeroHasNoGreenwoodIntervalInsteadOfNaN) {
  const std::vector<SurvivalObservation> obs = {{1, true}, {2, false}, {3, true}};

  KIRA_ASSERT_OK_AND_ASSIGN(KaplanMeierResult km, KaplanMeier(obs));

  ASSERT_EQ(km.steps.size(), 2u);
  EXPECT_DOUBLE_EQ(km.steps[0].survival, 2.0 / 3);
  EXPECT_TRUE(km.steps[0].std_error.has_value());
  EXPECT_EQ(km.steps[1].survival, 0.0);
  EXPECT_FALSE(km.steps[1].std_error.has_value());
  EXPECT_FALSE(km.steps[1].ci_low.has_value());
  ASSERT_TRUE(km.median_time.has_value());
  EXPECT_EQ(*km.median_time, 3.0);
}

TEST(KaplanMeier, NoEventsMeansNoStepsAndNoMedian) {
  const std::vector<SurvivalObservation> obs = {{5, false}, {9, false}};

  KIRA_ASSERT_OK_AND_ASSIGN(KaplanMeierResult km, KaplanMeier(obs));

  EXPECT_TRUE(km.steps.empty());
  EXPECT_FALSE(km.median_time.has_value());
}

TEST(KaplanMeier, RejectsBadTimes) {
  EXPECT_THAT(KaplanMeier(std::vector<SurvivalObservation>{}), StatusIs(StatusCode::kInvalidArgument, HasSubstr("observations")));
  EXPECT_THAT(KaplanMeier(std::vector<SurvivalObservation>{{1, true}, {-2, true}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("observations[1].time")));
}

}  // namespace
}  // namespace kira::stats
