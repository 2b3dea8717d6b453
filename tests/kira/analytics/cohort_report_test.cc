// ComputeCohortReport on a hand-built four-patient cohort. Every expected
// figure below was counted by hand from the cohort drawn in MakeCohort()
// (the comments show the arithmetic); Wilson intervals are checked against
// the closed form, the dose-response against FitLogistic on one 0/1 row per
// session (the ungrouped model, glm(y ~ x) in R terms).
#include "kira/analytics/cohort_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "testing/status_matchers.h"

namespace kira::analytics {
namespace {

using ::kira::testing::StatusIs;
using ::testing::HasSubstr;

constexpr std::uint64_t kDissociation = 1;  // bit 0
constexpr std::uint64_t kNausea = 2;        // bit 1

OutcomeRule Phq9() {
  OutcomeRule r;
  r.instrument = "phq9";
  r.version = "test";
  r.response_min_percent_fall = 50;
  r.remission_value = 5;
  r.remission_inclusive = false;
  return r;
}

CohortSession S(double day, double mg_per_kg, bool completed, std::uint64_t ae = 0, bool cap = false) {
  return {day, mg_per_kg, true, completed, cap, ae};
}

// Group "a": P0 (series of 3, completed, returned once) and P1 (stopped at
// the third session). Group "b": P2 (series of 1, no scores) and P3 (no
// sessions: not started).
Cohort MakeCohort() {
  Cohort c;
  c.dimension = "indication";
  c.group_names = {"a", "b"};
  c.ae_classes = {"dissociation", "nausea"};
  c.sessions = {
      // P0: days 100, 102, 104 (induction), 200 (return, annual-cap override)
      S(100, 0.5, true, kDissociation), S(102, 0.5, true), S(104, 0.5, true, kDissociation | kNausea),
      S(200, 0.5, true, 0, true),
      // P1: days 0, 1 completed, 2 stopped
      S(0, 0.6, true), S(1, 0.6, true), S(2, 0.6, false, kNausea),
      // P2
      S(50, 1.0, true)};
  c.scores = {
      // P0: baseline 20 (day -5); 24 h 12 (40 % fall); after induction 8
      // (60 %, day 110); 9 at day 125; 14 at day 140 (30 %: relapse at
      // 140 - 110 = 30 days); 4 at day 191 (3 months: response, remission).
      {95, 20}, {101, 12}, {110, 8}, {125, 9}, {140, 14}, {191, 4},
      // P1: baseline 10 (day -1); 4 at day 1.5 (24 h: response, remission).
      {-1, 10}, {1.5, 4}};
  c.patients = {{0, 0, 4, 0, 6, 3}, {0, 4, 3, 6, 2, 3}, {1, 7, 1, 8, 0, 1}, {1, 8, 0, 8, 0, 1}};
  return c;
}

void ExpectRate(const Rate& r, std::int64_t num, std::int64_t den, const char* what) {
  EXPECT_EQ(r.numerator, num) << what;
  EXPECT_EQ(r.denominator, den) << what;
  EXPECT_EQ(r.ci.has_value(), den > 0) << what;
}

TEST(CohortReport, CountsEveryRateWithItsDenominatorPerGroup) {
  auto report = ComputeCohortReport(MakeCohort(), Phq9());

  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->groups.size(), 2u);
  const GroupReport& a = report->groups[0];
  EXPECT_EQ(a.group, "a");
  EXPECT_EQ(a.patients_started, 2);
  EXPECT_EQ(a.patients_with_baseline, 2);
  ExpectRate(a.series_completion, 1, 2, "a completion");
  ExpectRate(a.returned, 1, 1, "a returned");
  EXPECT_EQ(a.sessions, 7);
  EXPECT_EQ(a.administered_sessions, 7);
  ExpectRate(a.outcomes[0].response, 1, 2, "a 24h response");     // P1 yes, P0 40 %
  ExpectRate(a.outcomes[0].remission, 1, 2, "a 24h remission");   // P1 4 < 5
  ExpectRate(a.outcomes[1].response, 1, 1, "a induction response");
  ExpectRate(a.outcomes[1].remission, 0, 1, "a induction remission");  // 8 >= 5
  ExpectRate(a.outcomes[2].response, 1, 1, "a 3m response");
  ExpectRate(a.outcomes[2].remission, 1, 1, "a 3m remission");
  ExpectRate(a.outcomes[3].response, 0, 0, "a 6m response");
  EXPECT_NEAR(a.baseline_mean_total, (20 + 10) / 2.0, 1e-12);
  EXPECT_NEAR(a.outcomes[0].mean_total, (12 + 4) / 2.0, 1e-12);
  EXPECT_NEAR(a.outcomes[0].mean_day, (1 + 1.5) / 2.0, 1e-12);
  ExpectRate(a.adverse_events[0].per_session, 2, 7, "a dissociation");
  ExpectRate(a.adverse_events[1].per_session, 2, 7, "a nausea");
  ExpectRate(a.cap_exceptions, 1, 7, "a cap");

  const GroupReport& b = report->groups[1];
  EXPECT_EQ(b.patients_started, 1);  // P3 never started
  EXPECT_EQ(b.patients_with_baseline, 0);
  ExpectRate(b.series_completion, 1, 1, "b completion");
  ExpectRate(b.returned, 0, 1, "b returned");
  ExpectRate(b.outcomes[0].response, 0, 0, "b 24h");
  ExpectRate(b.adverse_events[1].per_session, 0, 1, "b nausea");
}

TEST(CohortReport, OverallRowPoolsTheGroups) {
  auto report = ComputeCohortReport(MakeCohort(), Phq9());

  ASSERT_TRUE(report.ok());
  const GroupReport& all = report->overall;
  EXPECT_EQ(all.group, "all");
  EXPECT_EQ(all.patients_started, 3);
  ExpectRate(all.series_completion, 2, 3, "completion");
  ExpectRate(all.returned, 1, 2, "returned");
  EXPECT_EQ(all.administered_sessions, 8);
  ExpectRate(all.adverse_events[0].per_session, 2, 8, "dissociation");
  ExpectRate(all.cap_exceptions, 1, 8, "cap");
  ExpectRate(all.outcomes[0].response, 1, 2, "24h");
}

TEST(CohortReport, WilsonIntervalMatchesTheClosedForm) {
  auto report = ComputeCohortReport(MakeCohort(), Phq9());
  // Wilson (1927): (x + z^2/2) / (n + z^2) +/- z / (n + z^2) * sqrt(x (n - x) / n + z^2 / 4).
  const double x = 2, n = 7, z = 1.959963984540054;
  const double centre = (x + z * z / 2) / (n + z * z);
  const double half = z / (n + z * z) * std::sqrt(x * (n - x) / n + z * z / 4);

  ASSERT_TRUE(report.ok());
  const auto& ci = *report->groups[0].adverse_events[0].per_session.ci;
  EXPECT_NEAR(ci.estimate, 2.0 / 7.0, 1e-12);
  EXPECT_NEAR(ci.low, centre - half, 1e-9);
  EXPECT_NEAR(ci.high, centre + half, 1e-9);
}

TEST(CohortReport, RelapseIsTimeFromResponseToLossOfResponse) {
  auto report = ComputeCohortReport(MakeCohort(), Phq9());

  ASSERT_TRUE(report.ok());
  const RelapseSurvival& r = report->groups[0].relapse;
  EXPECT_EQ(r.responders, 1);
  ASSERT_TRUE(r.km.has_value());
  ASSERT_EQ(r.km->steps.size(), 1u);
  EXPECT_NEAR(r.km->steps[0].time, 30.0, 1e-12);
  EXPECT_EQ(r.km->steps[0].at_risk, 1);
  EXPECT_NEAR(r.km->steps[0].survival, 0.0, 1e-12);
  EXPECT_FALSE(report->groups[1].relapse.km.has_value());
}

TEST(CohortReport, DoseResponseEqualsTheUngroupedPerSessionFit) {
  // Nausea per administered session (x = mg/kg, y = 0/1), all 8 sessions.
  std::vector<stats::BinomialRow> rows = {{0.5, 0, 1}, {0.5, 0, 1}, {0.5, 1, 1}, {0.5, 0, 1},
                                          {0.6, 0, 1}, {0.6, 0, 1}, {0.6, 1, 1}, {1.0, 0, 1}};
  auto direct = stats::FitLogistic(rows);

  auto report = ComputeCohortReport(MakeCohort(), Phq9());

  ASSERT_TRUE(report.ok() && direct.ok());
  const DoseResponse& nausea = report->overall.dose_response[1];
  ASSERT_TRUE(nausea.fit.has_value()) << nausea.not_estimable_reason;
  EXPECT_EQ(nausea.events, 2);
  EXPECT_EQ(nausea.sessions, 8);
  EXPECT_NEAR(nausea.fit->slope.estimate, direct->slope.estimate, 1e-9 * std::abs(direct->slope.estimate));
  EXPECT_NEAR(nausea.fit->slope.std_error, direct->slope.std_error, 1e-9 * direct->slope.std_error);
  // Dissociation happened only at the lowest dose: quasi-complete separation.
  const DoseResponse& dissociation = report->overall.dose_response[0];
  EXPECT_FALSE(dissociation.fit.has_value());
  EXPECT_THAT(dissociation.not_estimable_reason, HasSubstr("separation"));
}

TEST(CohortReport, AdverseEventsByDoseBandCountSessionsAndEvents) {
  // Doses 0.5 x4 (P0), 0.6 x3 (P1), 1.0 x1 (P2); 0.1 mg/kg bands.
  auto report = ComputeCohortReport(MakeCohort(), Phq9());

  ASSERT_TRUE(report.ok());
  const auto& bands = report->overall.ae_by_dose;
  ASSERT_EQ(bands.size(), 3u);
  EXPECT_DOUBLE_EQ(bands[0].low_mg_per_kg, 0.5);
  EXPECT_DOUBLE_EQ(bands[0].high_mg_per_kg, 0.6);
  EXPECT_EQ(bands[0].sessions, 4);
  EXPECT_EQ(bands[0].events[0], 2);  // dissociation on days 100 and 104
  EXPECT_EQ(bands[0].events[1], 1);  // nausea on day 104
  EXPECT_DOUBLE_EQ(bands[1].low_mg_per_kg, 0.6);
  EXPECT_EQ(bands[1].sessions, 3);
  EXPECT_EQ(bands[1].events[1], 1);
  EXPECT_DOUBLE_EQ(bands[2].low_mg_per_kg, 1.0);
  EXPECT_EQ(bands[2].sessions, 1);
  // Group "b" holds only P2's session.
  ASSERT_EQ(report->groups[1].ae_by_dose.size(), 1u);
  EXPECT_EQ(report->groups[1].ae_by_dose[0].sessions, 1);

  // Half-mg/kg bands: [0.5, 1.0) holds 7 sessions, [1.0, 1.5) one.
  AnalysisOptions wide;
  wide.dose_band_mg_per_kg = 0.5;
  auto coarse = ComputeCohortReport(MakeCohort(), Phq9(), wide);
  ASSERT_TRUE(coarse.ok());
  ASSERT_EQ(coarse->overall.ae_by_dose.size(), 2u);
  EXPECT_EQ(coarse->overall.ae_by_dose[0].sessions, 7);
  EXPECT_EQ(coarse->overall.ae_by_dose[0].events[1], 2);

  AnalysisOptions bad;
  bad.dose_band_mg_per_kg = 0;
  EXPECT_THAT(ComputeCohortReport(MakeCohort(), Phq9(), bad),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("dose_band_mg_per_kg")));
}

TEST(SmallCellRule, HidesCountsBelowTheMinimumAndRatesThatRevealThem) {
  const SmallCellRule k5{5};
  EXPECT_FALSE(k5.Hidden(std::int64_t{0}));
  EXPECT_TRUE(k5.Hidden(std::int64_t{1}));
  EXPECT_TRUE(k5.Hidden(std::int64_t{4}));
  EXPECT_FALSE(k5.Hidden(std::int64_t{5}));
  EXPECT_FALSE(k5.Hidden(Rate{10, 20, std::nullopt}));
  EXPECT_TRUE(k5.Hidden(Rate{3, 20, std::nullopt}));   // the numerator
  EXPECT_TRUE(k5.Hidden(Rate{18, 20, std::nullopt}));  // the complement (2 without)
  EXPECT_TRUE(k5.Hidden(Rate{0, 4, std::nullopt}));    // the denominator
  EXPECT_FALSE(k5.Hidden(Rate{0, 0, std::nullopt}));
  EXPECT_FALSE(SmallCellRule{}.Hidden(Rate{1, 2, std::nullopt}));  // min_cell 1 hides nothing
}

TEST(CohortReport, SeriesCompletedOutsideTheInductionWindowDoesNotCount) {
  Cohort c = MakeCohort();
  c.sessions[2].start_day = 100 + 29;  // third session after the 28-day window
  c.sessions[3].start_day = 201;

  auto report = ComputeCohortReport(c, Phq9());

  ASSERT_TRUE(report.ok());
  ExpectRate(report->groups[0].series_completion, 0, 2, "completion");
  ExpectRate(report->groups[0].outcomes[1].response, 0, 0, "after induction");
}

TEST(CohortReport, BrokenCohortIsInvalidArgumentNamingTheField) {
  Cohort bad_group = MakeCohort();
  bad_group.patients[1].group = 7;
  Cohort unsorted = MakeCohort();
  unsorted.sessions[1].start_day = 50;
  OutcomeRule no_response = Phq9();
  no_response.response_min_percent_fall.reset();

  EXPECT_THAT(ComputeCohortReport(bad_group, Phq9()),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("cohort.patients[1]")));
  EXPECT_THAT(ComputeCohortReport(unsorted, Phq9()),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("cohort.sessions[1]")));
  EXPECT_THAT(ComputeCohortReport(MakeCohort(), no_response),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("response criterion")));
}

}  // namespace
}  // namespace kira::analytics
