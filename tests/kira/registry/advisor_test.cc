// RecordSession wired to the real Advisor (advisor::CheckDose) and the
// guideline library shipped with kira: the registry refuses what the
// guideline's limits refuse, judged from stored history.
#include "kira/registry/advisor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kira/api/guideline_json.h"
#include "kira/data/embedded.h"
#include "kira/storage/memory/memory_store.h"
#include "registry_test_util.h"
#include "testing/libraries.h"
#include "testing/status_matchers.h"

namespace kira::registry {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::HasSubstr;
using test::At;

class AdvisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto text = data::EmbeddedFile("kira.json");
    ASSERT_TRUE(text.has_value());
    auto lib = api::ParseGuideline(*text);
    ASSERT_THAT(lib, IsOk());
    library_ = std::make_unique<guideline::Library>(std::move(lib).value());
    ASSERT_THAT(test::SeedClinic(store_, clock_), IsOk());
    ASSERT_THAT(test::SeedFacts(store_, clock_, Libraries{library_.get(), kira::testing::ShippedLibraries().advisor, nullptr}), IsOk());
    recorder_ = std::make_unique<SessionRecorder>(&store_, &clock_, AdvisorDoseCheck(*library_), library_.get());
  }
  // 70 kg patient, iv-0.5-40min at 1 mg/mL over 40 min.
  static domain::SessionRecord Session(std::string id, double mg, const char* start = "2026-03-01T09:00:00Z") {
    auto s = test::MakeSession(std::move(id), mg);
    s.protocol_id = "iv-0.5-40min";
    s.planned_dose = units::Mg(mg);
    s.rate = units::MlPerH(mg * 1.5);
    s.started_at = At(start);
    s.stopped_at = s.started_at + std::chrono::minutes(40);
    return s;
  }

  FakeClock clock_{At("2027-06-01T08:00:00Z")};
  storage::MemoryStore store_;
  std::unique_ptr<guideline::Library> library_;
  std::unique_ptr<SessionRecorder> recorder_;
};

TEST_F(AdvisorTest, StoresTheProtocolDose) {
  auto r = recorder_->Record({Session("s1", 35.0), "u1", std::nullopt});

  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->stored) << r->refusal;
  EXPECT_EQ(r->decision.outcome, "ok");
}

TEST_F(AdvisorTest, RefusesADoseAboveTheHardLimit) {
  // 1.2 mg/kg is above the protocol's hard maximum of 1.0 mg/kg.
  auto r = recorder_->Record({Session("s1", 84.0), "u1", domain::Override{"u1", "", "insist", {}}});

  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->stored);
  EXPECT_EQ(r->decision.outcome, "hard_stop");
  EXPECT_THAT(r->refusal, HasSubstr("hard stop"));
}

TEST_F(AdvisorTest, SoftLimitNeedsAReasonAndThenStoresTheOverride) {
  // 0.9 mg/kg is inside the hard limit but above the soft band (0.75 mg/kg).
  auto refused = recorder_->Record({Session("s1", 63.0), "u1", std::nullopt});
  auto stored = recorder_->Record({Session("s2", 63.0), "u1", domain::Override{"u1", "", "dose titration per plan", {}}});

  ASSERT_THAT(refused, IsOk());
  EXPECT_FALSE(refused->stored);
  EXPECT_EQ(refused->decision.outcome, "soft_limit");
  ASSERT_THAT(stored, IsOk());
  EXPECT_TRUE(stored->stored) << stored->refusal;
  EXPECT_EQ(stored->decision.outcome, "ok_with_override");
}

TEST_F(AdvisorTest, DailyLimitCountsSessionsAlreadyStoredThatDay) {
  ASSERT_THAT(recorder_->Record({Session("s1", 35.0, "2026-03-01T09:00:00Z"), "u1", std::nullopt}), IsOk());

  auto same_day = recorder_->Record({Session("s2", 35.0, "2026-03-01T15:00:00Z"), "u1", std::nullopt});
  auto next_day = recorder_->Record({Session("s3", 35.0, "2026-03-02T09:00:00Z"), "u1", std::nullopt});

  ASSERT_THAT(same_day, IsOk());
  EXPECT_FALSE(same_day->stored);
  ASSERT_THAT(next_day, IsOk());
  EXPECT_TRUE(next_day->stored) << next_day->refusal;
}

TEST_F(AdvisorTest, UnknownProtocolIsNotFoundAndStoresNothing) {
  auto s = Session("s1", 35.0);
  s.protocol_id = "no-such-protocol";

  EXPECT_THAT(recorder_->Record({s, "u1", std::nullopt}),
              StatusIs(StatusCode::kNotFound, HasSubstr("no-such-protocol")));
}

}  // namespace
}  // namespace kira::registry

namespace kira::registry {
namespace {

TEST_F(AdvisorTest, AnnualCapCountsStoredSessionsInTheRollingWindow) {
  advisor::AnnualCap cap;
  cap.cap = {"annual_cap.sessions", 2.0, "sessions", {}};
  cap.window_days = {"annual_cap.window_days", 365.0, "days", {}};
  SessionRecorder rec(&store_, &clock_, AdvisorDoseCheck(*library_, &cap));
  ASSERT_THAT(rec.Record({Session("s1", 35.0, "2026-01-05T09:00:00Z"), "u1", std::nullopt}), IsOk());
  ASSERT_THAT(rec.Record({Session("s2", 35.0, "2026-03-05T09:00:00Z"), "u1", std::nullopt}), IsOk());

  auto third = rec.Record({Session("s3", 35.0, "2026-06-05T09:00:00Z"), "u1", std::nullopt});
  auto overridden = rec.Record(
      {Session("s4", 35.0, "2026-06-06T09:00:00Z"), "u1", domain::Override{"u1", "", "relapse with active SI; MDT agreed", {}}});
  auto next_year = rec.Record({Session("s5", 35.0, "2027-03-06T09:00:00Z"), "u1", std::nullopt});

  ASSERT_THAT(third, IsOk());
  EXPECT_FALSE(third->stored);
  EXPECT_THAT(third->refusal, HasSubstr("plan.cap.annual"));
  ASSERT_THAT(overridden, IsOk());
  EXPECT_TRUE(overridden->stored) << overridden->refusal;
  ASSERT_TRUE(overridden->decision.override_.has_value());
  EXPECT_THAT(overridden->decision.override_->rule_ids, ::testing::Contains("plan.cap.annual"));
  ASSERT_THAT(next_year, IsOk());
  EXPECT_TRUE(next_year->stored) << next_year->refusal;  // s1, s2 have left the window
}

}  // namespace
}  // namespace kira::registry
