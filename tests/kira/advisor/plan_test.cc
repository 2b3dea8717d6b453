// Plans: schedules across month, year and leap-day ends; the rolling annual
// cap (6-12 per year, grade C, low-to-moderate certainty, V [R1-seed]); each
// tailoring rule ("not by rote", V [R1-seed]; evaluate at end of induction, V [R10]).
#include "kira/advisor/plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "advisor_test_util.h"
#include "testing/status_matchers.h"

namespace kira::advisor {
namespace {

using ::kira::testing::StatusIs;
using std::chrono::days;
using std::chrono::sys_days;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace chr = std::chrono;

sys_days D(int y, unsigned m, unsigned d) { return sys_days{chr::year{y} / chr::month{m} / chr::day{d}}; }

PlanClock Noon(sys_days day) { return PlanClock{chr::sys_seconds{day} + chr::hours(12), chr::minutes(0)}; }

HistorySession S(sys_days date, std::string phase, std::optional<double> score) {
  HistorySession s;
  s.date = date;
  s.phase = std::move(phase);
  s.score = score;
  return s;
}

class PlanTest : public ::testing::Test {
 protected:
  AdvisorLibrary lib_ = testutil::ShippedLibrary();
  instruments::InstrumentLibrary ins_ = testutil::ShippedInstruments();

  PlanResult Run(const std::string& indication, sys_days start, const PlanHistory& h, const std::string& route = "",
                 std::optional<domain::Override> ov = std::nullopt) {
    PlanRequest req;
    req.indication = indication;
    req.route = route;
    req.start = start;
    req.cap_override = std::move(ov);
    auto r = PlanNext(lib_, ins_, req, h, Noon(start));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : PlanResult{};
  }
  static std::vector<std::string> Dates(const PlanResult& r) {
    std::vector<std::string> out;
    for (const auto& s : r.schedule) out.push_back(FormatDate(s.date));
    return out;
  }
  // `n` MADRS-scored induction sessions thrice weekly from `from`.
  static PlanHistory Induction(sys_days from, int n, double baseline, double latest) {
    PlanHistory h;
    h.instrument = "madrs";
    h.baseline_score = baseline;
    const int gaps[] = {2, 2, 3};
    sys_days d = from;
    for (int i = 0; i < n; ++i) {
      h.sessions.push_back(S(d, "induction", i + 1 == n ? std::optional<double>(latest) : std::nullopt));
      d += days(gaps[i % 3]);
    }
    return h;
  }
};

// trd_iv_series: 6 infusions thrice weekly (V [R59]) across the year end.
TEST_F(PlanTest, TrdInductionAcrossYearEnd) {
  PlanResult r = Run("trd", D(2026, 12, 28), PlanHistory{"madrs", 32, {}});

  EXPECT_EQ(r.decision.outcome, "start_induction");
  EXPECT_THAT(Dates(r), ElementsAre("2026-12-28", "2026-12-30", "2027-01-01", "2027-01-04", "2027-01-06",
                                    "2027-01-08"));
}

// pain_iv_5day: 5 consecutive days (V [R62]) across a month end and a leap day.
TEST_F(PlanTest, PainFiveDaysAcrossMonthEndAndLeapDay) {
  PlanResult jan = Run("fibromyalgia", D(2027, 1, 29), PlanHistory{"pain_nrs", 7, {}});
  PlanResult leap = Run("fibromyalgia", D(2028, 2, 27), PlanHistory{"pain_nrs", 7, {}});

  EXPECT_THAT(Dates(jan), ElementsAre("2027-01-29", "2027-01-30", "2027-01-31", "2027-02-01", "2027-02-02"));
  EXPECT_THAT(Dates(leap), ElementsAre("2028-02-27", "2028-02-28", "2028-02-29", "2028-03-01", "2028-03-02"));
}

// trd_esketamine: twice weekly weeks 1-4, weekly weeks 5-8 (V [R10]).
TEST_F(PlanTest, EsketamineInductionThenWeekly) {
  PlanResult r = Run("trd", D(2027, 3, 1), PlanHistory{"madrs", 30, {}}, "intranasal");

  ASSERT_EQ(r.schedule.size(), 12u);
  EXPECT_EQ(FormatDate(r.schedule[0].date), "2027-03-01");
  EXPECT_EQ(FormatDate(r.schedule[1].date), "2027-03-04");
  EXPECT_EQ(FormatDate(r.schedule[7].date), "2027-03-25");
  EXPECT_EQ(r.schedule[8].phase, "continuation");
  EXPECT_EQ(FormatDate(r.schedule[8].date), "2027-04-01");
  EXPECT_EQ(FormatDate(r.schedule[11].date), "2027-04-22");
}

// plan.tailor.continue_induction
TEST_F(PlanTest, ContinueInductionSchedulesTheRest) {
  PlanHistory h = Induction(D(2027, 1, 4), 3, 30, 25);  // Jan 4, 6, 8

  PlanResult r = Run("trd", D(2027, 1, 9), h);

  EXPECT_EQ(r.decision.outcome, "continue_induction");
  EXPECT_TRUE(r.decision.Has("plan.tailor.continue_induction"));
  EXPECT_THAT(Dates(r), ElementsAre("2027-01-11", "2027-01-13", "2027-01-15"));
}

// plan.tailor.stop_no_response: MADRS 30 -> 16 is a 46.7 % fall (< 50 %, V [R65]).
TEST_F(PlanTest, StopAfterInductionWithoutResponse) {
  PlanResult r = Run("trd", D(2027, 1, 20), Induction(D(2027, 1, 4), 6, 30, 16));

  EXPECT_EQ(r.decision.outcome, "stop_no_response");
  EXPECT_TRUE(r.decision.Has("plan.tailor.stop_no_response"));
  EXPECT_TRUE(r.schedule.empty());
}

// plan.tailor.responder_to_maintenance: 30 -> 15 is exactly 50 %.
TEST_F(PlanTest, ResponderMovesToMaintenanceEveryFourWeeks) {
  PlanResult r = Run("trd", D(2027, 1, 20), Induction(D(2027, 1, 4), 6, 30, 15));

  EXPECT_EQ(r.decision.outcome, "move_to_maintenance");
  // last induction 2027-01-15 + 28 days (U setting within 4-6 weeks)
  EXPECT_THAT(Dates(r), ElementsAre("2027-02-12", "2027-03-12", "2027-04-09"));
}

// A clinic N of 3 stops earlier without a response.
TEST_F(PlanTest, ClinicSettingStopsAfterThreeWithoutResponse) {
  for (auto& t : lib_.templates) {
    if (t.id == "trd_iv_series") t.evaluate_after_sessions.value = 3;
  }

  EXPECT_EQ(Run("trd", D(2027, 1, 9), Induction(D(2027, 1, 4), 3, 30, 25)).decision.outcome, "stop_no_response");
  EXPECT_EQ(Run("trd", D(2027, 1, 9), Induction(D(2027, 1, 4), 3, 30, 14)).decision.outcome, "continue_induction");
}

TEST_F(PlanTest, ContinueMaintenanceWhileResponding) {
  PlanHistory h = Induction(D(2027, 1, 4), 6, 30, 12);
  h.sessions.push_back(S(D(2027, 2, 12), "maintenance", 13));

  PlanResult r = Run("trd", D(2027, 2, 13), h);

  EXPECT_EQ(r.decision.outcome, "continue_maintenance");
  EXPECT_EQ(FormatDate(r.schedule.front().date), "2027-03-12");
}

// plan.tailor.relapse_reinduce: 30 -> 20 is a 33 % fall: response lost. The
// induction a year earlier has left the rolling window, so the cap allows it.
TEST_F(PlanTest, RelapseReinducesWhenCapAllows) {
  PlanHistory h = Induction(D(2026, 1, 5), 6, 30, 12);
  h.sessions.push_back(S(D(2027, 2, 12), "maintenance", 20));

  PlanResult r = Run("trd", D(2027, 2, 15), h);

  EXPECT_EQ(r.decision.outcome, "reinduce");
  ASSERT_EQ(r.schedule.size(), 6u);
  EXPECT_EQ(r.schedule.back().counted_in_window, 7);
  EXPECT_FALSE(r.decision.Has("plan.cap.annual"));
}

// 7 sessions in the window + a 6-session re-induction = 13 > 12: the last
// session would exceed the cap, so the whole re-induction needs the override.
TEST_F(PlanTest, PartialReinductionOverCapIsCapReached) {
  PlanHistory h = Induction(D(2027, 1, 4), 6, 30, 12);
  h.sessions.push_back(S(D(2027, 2, 12), "maintenance", 20));

  PlanResult r = Run("trd", D(2027, 2, 15), h);

  EXPECT_EQ(r.decision.outcome, "cap_reached");
  EXPECT_FALSE(r.schedule[4].exceeds_cap);
  EXPECT_TRUE(r.schedule[5].exceeds_cap);
  EXPECT_TRUE(r.decision.Has("plan.cap.annual"));
}

// plan.cap.annual: 12 sessions in the rolling year -> the first re-induction
// session would be the 13th: cap_reached, soft stop.
TEST_F(PlanTest, CapReachedNeedsOverride) {
  PlanHistory h = Induction(D(2027, 1, 4), 6, 30, 12);
  for (int i = 1; i <= 6; ++i) h.sessions.push_back(S(D(2027, 1, 15) + days(28 * i), "maintenance", 12));
  h.sessions.push_back(S(D(2027, 7, 30), "maintenance", 22));
  // 13 sessions since 2027-01-04; on 2027-08-02 all are within 365 days.

  PlanResult r = Run("trd", D(2027, 8, 2), h);

  EXPECT_EQ(r.decision.outcome, "cap_reached");
  const auto& f = r.decision.findings.back();
  EXPECT_EQ(f.rule_id, "plan.cap.annual");
  EXPECT_EQ(f.severity, domain::Severity::kSoftStop);
  EXPECT_EQ(f.grade, "C");
  EXPECT_EQ(f.certainty, "low-to-moderate");
  EXPECT_THAT(f.citation, HasSubstr("R1-seed"));
}

TEST_F(PlanTest, ExceptionalCircumstanceOverrideIsRecorded) {
  PlanHistory h = Induction(D(2027, 1, 4), 6, 30, 12);
  for (int i = 1; i <= 6; ++i) h.sessions.push_back(S(D(2027, 1, 15) + days(28 * i), "maintenance", 12));
  h.sessions.push_back(S(D(2027, 7, 30), "maintenance", 22));

  PlanResult r = Run("trd", D(2027, 8, 2), h, "",
                     domain::Override{"dr.lee", "2027-08-02T09:00:00Z", "exceptional: relapse with SI", {}});

  EXPECT_EQ(r.decision.outcome, "reinduce");
  ASSERT_TRUE(r.decision.override_.has_value());
  EXPECT_THAT(r.decision.override_->rule_ids, ElementsAre("plan.cap.annual"));
  EXPECT_TRUE(r.decision.Has("plan.cap.annual_overridden"));
}

// The rolling window is [d - 364, d]: a session 365 days before d has left it,
// one 364 days before is still in it.
TEST_F(PlanTest, RollingWindowEdges) {
  lib_.annual_cap.cap.value = 6;
  auto first_date_counted = [&](int days_before) {
    PlanHistory h;
    h.instrument = "madrs";
    h.baseline_score = 30;
    const sys_days start = D(2028, 3, 1);
    h.sessions.push_back(S(start - days(days_before), "induction", std::nullopt));
    for (int i = 5; i >= 1; --i) h.sessions.push_back(S(start - days(i * 28), "maintenance", 10));
    PlanResult r = Run("trd", start, h);
    EXPECT_EQ(FormatDate(r.schedule.front().date), "2028-03-01");  // last + 28 days
    return r.schedule.front().counted_in_window;
  };
  EXPECT_EQ(first_date_counted(364), 7);  // still inside: 1 + 5 + this one
  EXPECT_EQ(first_date_counted(365), 6);  // just outside
  EXPECT_EQ(first_date_counted(366), 6);
}

// annual_cap.counting_unit "series" (U): an induction run counts once.
TEST_F(PlanTest, SeriesCountingCountsAnInductionOnce) {
  lib_.annual_cap.counting_unit = "series";
  PlanHistory h = Induction(D(2027, 1, 4), 6, 30, 12);
  for (int i = 1; i <= 6; ++i) h.sessions.push_back(S(D(2027, 1, 15) + days(28 * i), "maintenance", 12));

  PlanResult r = Run("trd", D(2027, 7, 5), h);

  EXPECT_EQ(r.decision.outcome, "continue_maintenance");
  EXPECT_EQ(r.used_in_window, 7);  // 1 series + 6 maintenance
  EXPECT_EQ(r.schedule.front().counted_in_window, 8);
}

TEST_F(PlanTest, CapSettingOutsideGuidelineRangeIsRejectedAtLoad) {
  std::string text = kira::testing::ReadSourceFile("guidelines/advisor.json");
  const std::string from = "\"value\": 12,\n   \"unit\": \"sessions per rolling window\"";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(), "\"value\": 13,\n   \"unit\": \"sessions per rolling window\"");

  EXPECT_THAT(api::ParseAdvisorLibrary(text),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("annual_cap.cap.value")));
}

TEST_F(PlanTest, CourseCompleteWithoutMaintenancePhase) {
  PlanHistory h;
  h.instrument = "madrs";
  h.baseline_score = 40;
  for (int i = 0; i < 8; ++i) h.sessions.push_back(S(D(2027, 5, 3) + days(i * 3 + i / 2), "induction", 10));

  PlanResult r = Run("suicidal_ideation", D(2027, 6, 1), h);

  EXPECT_EQ(r.decision.outcome, "course_complete");
}

TEST_F(PlanTest, AssessmentNeededWithoutScores) {
  PlanHistory h = Induction(D(2027, 1, 4), 6, 30, 0);
  for (auto& s : h.sessions) s.score.reset();

  EXPECT_EQ(Run("trd", D(2027, 1, 20), h).decision.outcome, "assessment_needed");
}

// Time zones: the clinic's local date comes from now + UTC offset.
TEST(PlanClockTest, LocalTodayUsesClinicOffset) {
  const chr::sys_seconds now = chr::sys_seconds{D(2026, 12, 31)} + chr::hours(23) + chr::minutes(30);

  EXPECT_EQ(FormatDate(PlanClock{now, chr::minutes(60)}.LocalToday()), "2027-01-01");
  EXPECT_EQ(FormatDate(PlanClock{now, chr::minutes(-300)}.LocalToday()), "2026-12-31");
  EXPECT_EQ(FormatDate(PlanClock{now, chr::minutes(0)}.LocalToday()), "2026-12-31");
}

TEST_F(PlanTest, StartInThePastSchedulesFromToday) {
  PlanRequest req;
  req.indication = "trd";
  req.start = D(2027, 1, 1);

  auto r = PlanNext(lib_, ins_, req, PlanHistory{"madrs", 30, {}}, Noon(D(2027, 1, 5)));

  ASSERT_TRUE(r.ok());
  EXPECT_EQ(FormatDate(r->schedule.front().date), "2027-01-05");
  EXPECT_TRUE(r->decision.Has("plan.start_in_past"));
}

TEST_F(PlanTest, UnknownIndicationIsNotFound) {
  PlanRequest req;
  req.indication = "migraine";
  req.start = D(2027, 1, 1);

  EXPECT_THAT(PlanNext(lib_, ins_, req, PlanHistory{}, Noon(req.start)),
              StatusIs(StatusCode::kNotFound, HasSubstr("indication")));
}

TEST_F(PlanTest, HistoryInstrumentMustBeOneOfTheTemplates) {
  PlanRequest req;
  req.indication = "trd";
  req.start = D(2027, 1, 1);

  EXPECT_THAT(PlanNext(lib_, ins_, req, PlanHistory{"qids_sr16", 20, {}}, Noon(req.start)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("history.instrument")));
}

// Item 6 of the issue: a clinic that records PHQ-9 gets a plan tailored on
// PHQ-9 (response: a fall of at least 50 %, McInnes 2022 [R84]), and the
// decision says which instrument it used.
TEST_F(PlanTest, TailorsOnPhq9WhenThatIsWhatWasRecorded) {
  PlanHistory h = Induction(D(2027, 1, 4), 6, 20, 8);
  h.instrument = "phq9";

  PlanResult r = Run("trd", D(2027, 1, 20), h);

  EXPECT_EQ(r.decision.outcome, "move_to_maintenance");
  ASSERT_TRUE(r.decision.Has("plan.instrument"));
  for (const auto& f : r.decision.findings) {
    if (f.rule_id == "plan.instrument") {
      EXPECT_THAT(f.message, HasSubstr("PHQ-9"));
    }
  }
  bool said = false;
  for (const auto& in : r.decision.inputs_used) said = said || (in.name == "response_instrument" && in.value == "phq9");
  EXPECT_TRUE(said);
}

TEST_F(PlanTest, PickPlanInstrumentTakesTheRecordedOne) {
  const PlanTemplate* t = lib_.TemplateFor("trd", "");
  ASSERT_NE(t, nullptr);
  const std::vector<std::string> phq{"phq9"}, both{"phq9", "madrs"}, none{};

  EXPECT_EQ(PickPlanInstrument(*t, phq), "phq9");
  EXPECT_EQ(PickPlanInstrument(*t, both), "madrs");
  EXPECT_EQ(PickPlanInstrument(*t, none), "madrs");
}

}  // namespace
}  // namespace kira::advisor
