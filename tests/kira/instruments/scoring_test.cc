// Scoring of every shipped instrument against worked examples, band
// boundaries, missing items and alerts. Each test names the rule id and the
// source of the value it checks (clinical-reference.md section 4).
#include "kira/instruments/scoring.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "kira/api/instruments_json.h"
#include "testing/advisor_fixtures.h"
#include "testing/status_matchers.h"

namespace kira::instruments {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::HasSubstr;
using Items = std::vector<std::optional<int>>;

class ScoringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lib = api::ParseInstrumentLibrary(kira::testing::ReadSourceFile("guidelines/instruments.json"));
    ASSERT_THAT(lib, IsOk());
    lib_ = std::move(lib).value();
  }
  const Instrument& Get(std::string_view id) {
    const Instrument* i = lib_.Find(id);
    EXPECT_NE(i, nullptr) << id;
    return *i;
  }
  ScoreResult MustScore(std::string_view id, const Items& items,
                        const std::optional<Acknowledgement>& ack = std::nullopt) {
    auto r = Score(lib_, Get(id), items, ack);
    EXPECT_THAT(r, IsOk());
    return r.ok() ? std::move(r).value() : ScoreResult{};
  }
  InstrumentLibrary lib_;
};

// PHQ-9 bands 0-4/5-9/10-14/15-19/20-27, V [R12]: each boundary and its neighbour.
TEST_F(ScoringTest, Phq9BandBoundaries) {
  struct Case { int total; const char* band; };
  const Case cases[] = {{0, "none/minimal"}, {4, "none/minimal"}, {5, "mild"}, {9, "mild"},
                        {10, "moderate"}, {14, "moderate"}, {15, "moderately severe"},
                        {19, "moderately severe"}, {20, "severe"}, {27, "severe"}};
  for (const Case& c : cases) {
    Items items(9, 0);
    int left = c.total;
    for (size_t i = 0; i < 8 && left > 0; ++i) {  // keep item 9 at 0: no alert
      items[i] = std::min(left, 3);
      left -= *items[i];
    }
    if (left > 0) items[8] = left;
    ScoreResult r = MustScore("phq9", items);

    EXPECT_EQ(r.total, c.total);
    EXPECT_EQ(r.band, c.band) << c.total;
    EXPECT_TRUE(r.decision.Has("instrument.phq9.band"));
  }
}

// instrument.phq9.item9_positive (alert policy U; item 9 = self-harm, LOINC 44260-8 [R14]).
TEST_F(ScoringTest, Phq9Item9AboveZeroRaisesAlertNeedingAcknowledgement) {
  ScoreResult r = MustScore("phq9", {1, 1, 1, 1, 1, 1, 1, 1, 1});

  EXPECT_EQ(r.total, 9);
  EXPECT_EQ(r.decision.outcome, "alert_unacknowledged");
  EXPECT_TRUE(r.alert_pending());
  EXPECT_TRUE(r.decision.Has("instrument.phq9.item9_positive"));
  EXPECT_EQ(r.decision.MaxSeverity(), domain::Severity::kSoftStop);
}

TEST_F(ScoringTest, Phq9Item9ZeroRaisesNoAlert) {
  ScoreResult r = MustScore("phq9", {3, 3, 3, 3, 3, 3, 3, 3, 0});

  EXPECT_EQ(r.total, 24);
  EXPECT_EQ(r.decision.outcome, "scored");
  EXPECT_FALSE(r.decision.Has("instrument.phq9.item9_positive"));
}

TEST_F(ScoringTest, AcknowledgedAlertRecordsWhoAndWhich) {
  ScoreResult r = MustScore("phq9", {0, 0, 0, 0, 0, 0, 0, 0, 2},
                            Acknowledgement{"dr.lee", "2026-11-26T03:00:00Z", "safety plan reviewed"});

  EXPECT_EQ(r.decision.outcome, "alert_acknowledged");
  ASSERT_TRUE(r.decision.override_.has_value());
  EXPECT_EQ(r.decision.override_->who, "dr.lee");
  EXPECT_THAT(r.decision.override_->rule_ids, ::testing::ElementsAre("instrument.phq9.item9_positive"));
}

TEST_F(ScoringTest, RejectsItemAboveRangeNamingTheItem) {
  auto r = Score(lib_, Get("phq9"), Items{0, 0, 4, 0, 0, 0, 0, 0, 0});

  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument, HasSubstr("items[2]")));
}

TEST_F(ScoringTest, RejectsNegativeItem) {
  auto r = Score(lib_, Get("madrs"), Items{0, 0, 0, 0, 0, 0, 0, 0, 0, -1});

  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument, HasSubstr("items[9]")));
}

TEST_F(ScoringTest, RejectsWrongItemCount) {
  auto r = Score(lib_, Get("phq9"), Items{0, 0, 0});

  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument, HasSubstr("expects 9 values, got 3")));
}

// Missing-item rule: none allowed by default (U, no rule in the reference).
TEST_F(ScoringTest, RejectsMissingItemUnderDefaultRule) {
  auto r = Score(lib_, Get("phq9"), Items{0, 0, std::nullopt, 0, 0, 0, 0, 0, 0});

  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument, HasSubstr("missing-item rule")));
}

TEST_F(ScoringTest, MissingItemScoresWhenClinicAllowsOne) {
  Instrument ins = Get("phq9");
  ins.max_missing_items = 1;

  auto r = Score(lib_, ins, Items{1, 1, std::nullopt, 1, 1, 1, 1, 1, 0});

  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->total, 7);
}

// MADRS Snaith bands S [R17]: 6/7, 19/20, 34/35.
TEST_F(ScoringTest, MadrsBandBoundaries) {
  auto total = [&](int t) {
    Items items(10, 0);
    for (size_t i = 0; i < 10 && t > 0; ++i) {
      items[i] = std::min(t, 6);
      t -= *items[i];
    }
    return MustScore("madrs", items).band;
  };
  EXPECT_EQ(total(6), "normal");
  EXPECT_EQ(total(7), "mild");
  EXPECT_EQ(total(19), "mild");
  EXPECT_EQ(total(20), "moderate");
  EXPECT_EQ(total(34), "moderate");
  EXPECT_EQ(total(35), "severe");
  EXPECT_EQ(total(60), "severe");
}

// QIDS-SR16 domain-max scoring [R21]: sleep items 1-4 count once (their max),
// appetite/weight 6-9 once, psychomotor 15-16 once. Summing all 16 would be the
// common implementation bug the reference warns about.
TEST_F(ScoringTest, QidsUsesHighestItemPerDomain) {
  //           sleep----- mood appetite--- conc self si int energy psychomotor
  Items items{1, 3, 2, 0, 2, 0, 1, 3, 2, 1, 1, 0, 2, 1, 2, 3};

  ScoreResult r = MustScore("qids_sr16", items);

  // 3 (sleep) + 2 + 3 (appetite/weight) + 1 + 1 + 0 + 2 + 1 + 3 (psychomotor) = 16
  EXPECT_EQ(r.total, 16);
  EXPECT_EQ(r.band, "severe");
}

TEST_F(ScoringTest, QidsMaximumIs27) {
  ScoreResult r = MustScore("qids_sr16", Items(16, 3));

  EXPECT_EQ(r.total, 27);
  EXPECT_EQ(r.band, "very severe");
}

TEST_F(ScoringTest, QidsBandEdgesAt5And6) {
  Items five{0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0};
  Items six{0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 1, 0, 0, 1, 0, 0};

  EXPECT_EQ(MustScore("qids_sr16", five).band, "none");
  EXPECT_EQ(MustScore("qids_sr16", six).band, "mild");
}

// GAD-7 is not in the reference: no bands shipped, item range flagged U.
TEST_F(ScoringTest, Gad7HasNoBandsAndFlagsUnverifiedRange) {
  ScoreResult r = MustScore("gad7", Items{3, 3, 3, 3, 3, 3, 3});

  EXPECT_EQ(r.total, 21);
  EXPECT_EQ(r.band, "");
  EXPECT_TRUE(r.decision.Has("instrument.gad7.no_bands"));
  EXPECT_TRUE(r.decision.Has("instrument.gad7.item_range_setting"));
}

// instrument.cssrs.positive_screen (U policy) and .intent_or_plan (V [R23]).
TEST_F(ScoringTest, CssrsNegativeScreen) {
  ScoreResult r = MustScore("cssrs_screen", Items{0, 0});

  EXPECT_EQ(r.decision.outcome, "scored");
}

TEST_F(ScoringTest, CssrsBehaviourOnlyIsPositive) {
  ScoreResult r = MustScore("cssrs_screen", Items{0, 1});

  EXPECT_TRUE(r.decision.Has("instrument.cssrs.positive_screen"));
  EXPECT_FALSE(r.decision.Has("instrument.cssrs.intent_or_plan"));
  EXPECT_TRUE(r.alert_pending());
}

TEST_F(ScoringTest, CssrsIntentLevelRaisesBothAlerts) {
  ScoreResult below = MustScore("cssrs_screen", Items{3, 0});
  ScoreResult at = MustScore("cssrs_screen", Items{4, 0});

  EXPECT_FALSE(below.decision.Has("instrument.cssrs.intent_or_plan"));
  EXPECT_TRUE(at.decision.Has("instrument.cssrs.intent_or_plan"));
  EXPECT_TRUE(at.decision.Has("instrument.cssrs.positive_screen"));
}

// CADSS: 23 items V [R24], per-item 0-4 is a clinic setting (U).
TEST_F(ScoringTest, CadssItemRangeIsAClinicSetting) {
  Items items(23, 0);
  items[0] = 4;
  ScoreResult r = MustScore("cadss", items);

  EXPECT_EQ(r.total, 4);
  EXPECT_TRUE(r.decision.Has("instrument.cadss.item_range_setting"));
  EXPECT_THAT(Score(lib_, Get("cadss"), Items(23, 5)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("outside 0-4")));
}

// BPRS items rated 1-7 [R24c] V: 0 is out of range.
TEST_F(ScoringTest, BprsRejectsZero) {
  EXPECT_THAT(Score(lib_, Get("bprs_positive"), Items{0, 1, 1, 1}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("items[0]")));
  EXPECT_EQ(MustScore("bprs_positive", Items{1, 1, 1, 1}).total, 4);
}

TEST_F(ScoringTest, BpiSeverityIsMeanOfItems) {
  ScoreResult r = MustScore("bpi_severity", Items{6, 4, 5, 6});

  EXPECT_DOUBLE_EQ(r.total, 5.25);
}

// Pain NRS response: >= 30 % or >= 2 points, V Farrar 2001 [R25].
TEST_F(ScoringTest, PainNrsResponseAtJustBelowAndAbove) {
  const Instrument& nrs = Get("pain_nrs");

  auto exactly_two = AssessResponse(nrs, 10, 8);    // 2 points (20 %): meets by points
  auto one_point = AssessResponse(nrs, 10, 9);      // 1 point, 10 %: not met
  auto thirty_pct = AssessResponse(nrs, 3, 2.1);    // 0.9 points = 30 %: meets by percent
  auto just_below = AssessResponse(nrs, 3, 2.13);   // 29 %: not met

  ASSERT_THAT(exactly_two, IsOk());
  EXPECT_TRUE(exactly_two->response);
  EXPECT_FALSE(one_point->response);
  EXPECT_TRUE(thirty_pct->response);
  EXPECT_FALSE(just_below->response);
}

// PHQ-9 response >= 50 % [R84], remission < 5 [R84].
TEST_F(ScoringTest, Phq9ResponseAndRemissionEdges) {
  const Instrument& phq = Get("phq9");

  auto at50 = AssessResponse(phq, 20, 10);
  auto below50 = AssessResponse(phq, 20, 11);
  auto rem4 = AssessResponse(phq, 20, 4);
  auto rem5 = AssessResponse(phq, 20, 5);

  EXPECT_TRUE(at50->response);
  EXPECT_FALSE(below50->response);
  EXPECT_TRUE(*rem4->remission);
  EXPECT_FALSE(*rem5->remission);
}

// MADRS remission < 10 (Hawley [R15]); QIDS remission <= 5 (S [R21]).
TEST_F(ScoringTest, RemissionOperatorsDiffer) {
  EXPECT_TRUE(*AssessResponse(Get("madrs"), 30, 9)->remission);
  EXPECT_FALSE(*AssessResponse(Get("madrs"), 30, 10)->remission);
  EXPECT_TRUE(*AssessResponse(Get("qids_sr16"), 20, 5)->remission);
  EXPECT_FALSE(*AssessResponse(Get("qids_sr16"), 20, 6)->remission);
}

TEST_F(ScoringTest, ResponseNeedsARule) {
  EXPECT_THAT(AssessResponse(Get("gad7"), 10, 2),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("no response rule")));
}

TEST_F(ScoringTest, ResponseRejectsTotalOutsideRange) {
  EXPECT_THAT(AssessResponse(Get("phq9"), 28, 2),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("outside PHQ-9 range")));
}

// BPI interference: 1-point fall minimally important (IMMPACT [R26] V).
TEST_F(ScoringTest, BpiInterferenceOnePointFall) {
  EXPECT_TRUE(AssessResponse(Get("bpi_interference"), 6, 5)->response);
  EXPECT_FALSE(AssessResponse(Get("bpi_interference"), 6, 5.5)->response);
}

TEST_F(ScoringTest, ExplainResponseCitesTheRule) {
  const Instrument& phq = Get("phq9");
  auto r = AssessResponse(phq, 20, 8);
  domain::Decision d;

  ExplainResponse(phq, *r, &d);

  ASSERT_TRUE(d.Has("instrument.phq9.response"));
  EXPECT_EQ(d.findings[0].evidence, domain::Evidence::kVerified);
  EXPECT_THAT(d.findings[0].citation, HasSubstr("R84"));
}

}  // namespace
}  // namespace kira::instruments
