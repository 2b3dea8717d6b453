#include "kira/registry/record_session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kira/registry/audit.h"
#include "kira/storage/memory/memory_store.h"
#include "registry_test_util.h"
#include "testing/failing_store.h"
#include "testing/status_matchers.h"

namespace kira::registry {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using test::At;

class RecordSessionTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_THAT(test::SeedClinic(store_, clock_), IsOk()); }

  bool SessionStored(const std::string& id) {
    auto tx = store_.Begin();
    return tx.ok() && (*tx)->GetSession("c1", id).ok();
  }
  std::vector<domain::AuditEntry> Audit() {
    auto tx = store_.Begin();
    auto rows = (*tx)->ListAudit("c1", 0, 1000);
    return rows.ok() ? *rows : std::vector<domain::AuditEntry>{};
  }

  FakeClock clock_{At("2026-11-30T08:00:00Z")};
  storage::MemoryStore store_;
};

TEST_F(RecordSessionTest, StoresASessionTheAdvisorAccepts) {
  SessionRecorder rec(&store_, &clock_, test::FixedCheck(domain::Severity::kCaution));

  auto r = rec.Record({test::MakeSession("s1"), "u1", std::nullopt});

  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->stored);
  EXPECT_TRUE(SessionStored("s1"));
  EXPECT_EQ(Audit().back().entity_id, "s1");
}

// A session that has begun cannot start, or stop, later than now (beyond the
// clocks' tolerance): a date typed ten years ahead would count in the annual
// cap and the history every later decision reads. A planned session may be
// scheduled ahead.
TEST_F(RecordSessionTest, ABegunSessionDatedInTheFutureIsBadInputAndAPlannedOneIsNot) {
  SessionRecorder rec(&store_, &clock_, test::FixedCheck(domain::Severity::kInfo));
  domain::SessionRecord ahead = test::MakeSession("s1");
  ahead.started_at = clock_.Now() + std::chrono::hours(24 * 365);
  ahead.stopped_at = ahead.started_at + std::chrono::minutes(40);
  domain::SessionRecord stops_ahead = test::MakeSession("s2");
  stops_ahead.started_at = clock_.Now() - std::chrono::minutes(10);
  stops_ahead.stopped_at = clock_.Now() + std::chrono::hours(2);
  domain::SessionRecord within_tolerance = test::MakeSession("s3");
  within_tolerance.started_at = clock_.Now() + std::chrono::minutes(4);
  within_tolerance.stopped_at = within_tolerance.started_at + std::chrono::minutes(40);
  within_tolerance.state = domain::SessionState::kRunning;
  within_tolerance.stopped_at.reset();
  within_tolerance.given_dose.reset();
  domain::SessionRecord planned = test::MakeSession("s4");
  planned.state = domain::SessionState::kPlanned;
  planned.given_dose.reset();
  planned.stopped_at.reset();
  planned.started_at = clock_.Now() + std::chrono::hours(24 * 7);

  EXPECT_THAT(rec.Record({ahead, "u1", std::nullopt}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("started_at: ")));
  EXPECT_THAT(rec.Record({stops_ahead, "u1", std::nullopt}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("stopped_at: ")));
  EXPECT_FALSE(SessionStored("s1"));
  EXPECT_FALSE(SessionStored("s2"));
  auto near = rec.Record({within_tolerance, "u1", std::nullopt});
  ASSERT_THAT(near, IsOk());
  EXPECT_TRUE(near->stored);
  auto later = rec.Record({planned, "u1", std::nullopt});
  ASSERT_THAT(later, IsOk());
  EXPECT_TRUE(later->stored);
}

TEST_F(RecordSessionTest, NeverStoresAHardStopDoseAsGiven) {
  SessionRecorder rec(&store_, &clock_, test::FixedCheck(domain::Severity::kHardStop));
  domain::Override ov{"u1", "", "I insist", {}};

  auto r = rec.Record({test::MakeSession("s1", 350.0), "u1", ov});

  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->stored);
  EXPECT_THAT(r->refusal, HasSubstr("hard stop: dose.trd.max_mg_per_kg"));
  EXPECT_FALSE(SessionStored("s1"));
  EXPECT_EQ(Audit().back().action, "refused");
  EXPECT_THAT(VerifyAudit(store_, "c1"), IsOk());
}

TEST_F(RecordSessionTest, RefusesASoftStopWithoutAnOverrideReason) {
  SessionRecorder rec(&store_, &clock_, test::FixedCheck(domain::Severity::kSoftStop));

  auto without = rec.Record({test::MakeSession("s1", 60.0), "u1", std::nullopt});
  auto blank = rec.Record({test::MakeSession("s2", 60.0), "u1", domain::Override{"u1", "", "", {}}});

  ASSERT_THAT(without, IsOk());
  EXPECT_FALSE(without->stored);
  EXPECT_THAT(without->refusal, HasSubstr("soft stop without an override reason"));
  ASSERT_THAT(blank, IsOk());
  EXPECT_FALSE(blank->stored);
  EXPECT_FALSE(SessionStored("s1"));
  EXPECT_FALSE(SessionStored("s2"));
}

TEST_F(RecordSessionTest, StoresASoftStopWithItsOverride) {
  SessionRecorder rec(&store_, &clock_, test::FixedCheck(domain::Severity::kSoftStop));
  domain::Override ov{"", "", "weight re-measured on calibrated scale", {}};

  auto r = rec.Record({test::MakeSession("s1", 60.0), "u1", ov});

  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->stored);
  ASSERT_TRUE(r->decision.override_.has_value());
  EXPECT_EQ(r->decision.override_->who, "u1");
  EXPECT_EQ(r->decision.override_->when, "2026-11-30T08:00:00.000000Z");
  auto tx = store_.Begin();
  auto overrides = (*tx)->ListOverrides("c1", "s1");
  ASSERT_THAT(overrides, IsOk());
  ASSERT_EQ(overrides->size(), 1u);
  EXPECT_THAT((*overrides)[0].rule_ids, ElementsAre("dose.trd.max_mg_per_kg"));
  EXPECT_EQ((*overrides)[0].reason, "weight re-measured on calibrated scale");
}

TEST_F(RecordSessionTest, DoseCheckSeesTheStoredHistory) {
  std::size_t seen = 99;
  SessionRecorder rec(&store_, &clock_, [&](const DoseCheckInput& in) {
    seen = in.history.size();
    return StatusOr<domain::Decision>(domain::Decision{"ok", {}, {}, {}, std::nullopt});
  });
  ASSERT_THAT(rec.Record({test::MakeSession("s1"), "u1", std::nullopt}), IsOk());

  ASSERT_THAT(rec.Record({test::MakeSession("s2"), "u1", std::nullopt}), IsOk());

  EXPECT_EQ(seen, 1u);
}

TEST_F(RecordSessionTest, UnknownPatientIsFailedPrecondition) {
  SessionRecorder rec(&store_, &clock_, test::FixedCheck(domain::Severity::kInfo));
  auto s = test::MakeSession("s1");
  s.patient_id = "ghost";

  EXPECT_THAT(rec.Record({s, "u1", std::nullopt}),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("patient 'ghost'")));
}

// Fault injection (style.md 3.6): whichever write fails, the session, its
// override and their audit rows are either all there or all absent, and the
// audit chain still verifies.
TEST_F(RecordSessionTest, AFailureAtAnyWriteLeavesNothingHalfWritten) {
  testing::FailingStore failing(&store_);
  SessionRecorder rec(&failing, &clock_, test::FixedCheck(domain::Severity::kSoftStop));
  domain::Override ov{"u1", "", "reviewed", {}};
  for (int n = 1;; ++n) {
    const std::string id = "s" + std::to_string(n);
    const std::size_t audit_before = Audit().size();
    failing.FailNthWrite(n);

    auto r = rec.Record({test::MakeSession(id, 60.0), "u1", ov});

    if (r.ok()) {
      // n is past the last write: nothing failed, everything is stored.
      EXPECT_TRUE(SessionStored(id));
      EXPECT_EQ(Audit().size(), audit_before + 2);
      break;
    }
    EXPECT_THAT(r, StatusIs(StatusCode::kInternal, HasSubstr("injected failure")));
    EXPECT_FALSE(SessionStored(id)) << "write " << n;
    EXPECT_EQ(Audit().size(), audit_before) << "write " << n;
    auto v = VerifyAudit(store_, "c1");
    ASSERT_THAT(v, IsOk());
    EXPECT_TRUE(v->ok);
    ASSERT_LT(n, 20) << "the use case should need only a handful of writes";
  }
}

}  // namespace
}  // namespace kira::registry

namespace kira::registry {
namespace {

class FinishSessionTest : public RecordSessionTest {};

TEST_F(FinishSessionTest, FinishingAuditsTheSessionBeforeAndAfter) {
  SessionRecorder rec(&store_, &clock_, test::FixedCheck(domain::Severity::kInfo));
  auto planned = test::MakeSession("s1");
  planned.state = domain::SessionState::kRunning;
  planned.given_dose.reset();
  planned.stopped_at.reset();
  ASSERT_THAT(rec.Record({planned, "u1", std::nullopt}), IsOk());

  auto r = rec.Finish({"c1", "s1", domain::SessionState::kStopped, units::Mg(20.0), At("2026-03-01T09:25:00Z"),
                       "u1", std::nullopt});

  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->stored);
  const auto last = Audit().back();
  EXPECT_EQ(last.action, "update");
  EXPECT_THAT(last.before, HasSubstr("state=running"));
  EXPECT_THAT(last.before, HasSubstr("given_dose_mg=\n"));
  EXPECT_THAT(last.after, HasSubstr("state=stopped"));
  EXPECT_THAT(last.after, HasSubstr("given_dose_mg=20\n"));
  EXPECT_THAT(rec.Finish({"c1", "s1", domain::SessionState::kDischarged, units::Mg(20.0),
                          At("2026-03-01T09:40:00Z"), "u1", std::nullopt}),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("already stopped")));
}

TEST_F(FinishSessionTest, AHardStopGivenDoseLeavesTheSessionAsItWas) {
  auto planned = test::MakeSession("s1");
  planned.state = domain::SessionState::kRunning;
  planned.given_dose.reset();
  planned.stopped_at.reset();
  SessionRecorder accept(&store_, &clock_, test::FixedCheck(domain::Severity::kInfo));
  ASSERT_THAT(accept.Record({planned, "u1", std::nullopt}), IsOk());
  SessionRecorder refuse(&store_, &clock_, test::FixedCheck(domain::Severity::kHardStop));

  auto r = refuse.Finish({"c1", "s1", domain::SessionState::kDischarged, units::Mg(350.0),
                          At("2026-03-01T09:40:00Z"), "u1", std::nullopt});

  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->stored);
  auto tx = store_.Begin();
  auto s = (*tx)->GetSession("c1", "s1");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->state, domain::SessionState::kRunning);
  EXPECT_FALSE(s->given_dose.has_value());
}

}  // namespace
}  // namespace kira::registry
