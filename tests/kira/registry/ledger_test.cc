#include "kira/registry/ledger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kira/storage/memory/memory_store.h"
#include "registry_test_util.h"
#include "testing/status_matchers.h"

namespace kira::registry {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::HasSubstr;
using test::At;
using units::Mg;
using units::MgPerMl;

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(test::SeedClinic(store_, clock_), IsOk());
    SessionRecorder rec(&store_, &clock_, test::FixedCheck(domain::Severity::kInfo));
    ASSERT_THAT(rec.Record({test::MakeSession("s1", 35.0), "u1", std::nullopt}), IsOk());
  }
  Status Add(domain::LedgerEntry e) {
    e.clinic_id = "c1";
    if (e.actor.empty()) e.actor = "u1";
    e.concentration = MgPerMl(50);
    e.at = At("2026-03-01T09:00:00Z");
    return RunInUnitOfWork(store_, clock_, "u1", [&](UnitOfWork& uow) { return AddLedgerEntry(uow, e); });
  }
  domain::LedgerEntry Entry(std::string id, domain::LedgerKind kind, double mg, std::string session = "") {
    domain::LedgerEntry e;
    e.id = std::move(id);
    e.lot = "LOT-A";
    e.kind = kind;
    e.amount = Mg(mg);
    e.session_id = std::move(session);
    if (kind == domain::LedgerKind::kWasted) e.witness = "u2";
    return e;
  }

  FakeClock clock_{At("2026-11-30T08:00:00Z")};
  storage::MemoryStore store_;
};

TEST_F(LedgerTest, BalancedLedgerHasNoDiscrepancies) {
  ASSERT_THAT(Add(Entry("l1", domain::LedgerKind::kReceived, 500)), IsOk());
  ASSERT_THAT(Add(Entry("l2", domain::LedgerKind::kDrawn, 50, "s1")), IsOk());
  ASSERT_THAT(Add(Entry("l3", domain::LedgerKind::kAdministered, 35, "s1")), IsOk());
  ASSERT_THAT(Add(Entry("l4", domain::LedgerKind::kWasted, 15, "s1")), IsOk());

  auto r = ReconcileLedger(store_, "c1");

  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->discrepancies.empty()) << r->discrepancies[0].message;
  ASSERT_EQ(r->lots.size(), 1u);
  EXPECT_EQ(r->lots[0].balance, Mg(450));
}

TEST_F(LedgerTest, ReportsADoseTheLedgerDoesNotMatch) {
  ASSERT_THAT(Add(Entry("l1", domain::LedgerKind::kReceived, 500)), IsOk());
  ASSERT_THAT(Add(Entry("l2", domain::LedgerKind::kDrawn, 50, "s1")), IsOk());
  ASSERT_THAT(Add(Entry("l3", domain::LedgerKind::kAdministered, 40, "s1")), IsOk());

  auto r = ReconcileLedger(store_, "c1");

  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->discrepancies.size(), 2u);
  EXPECT_EQ(r->discrepancies[0].kind, DiscrepancyKind::kUnaccountedDraw);
  EXPECT_THAT(r->discrepancies[0].message, HasSubstr("drawn 50.00 mg but administered 40.00 mg + wasted 0.00 mg"));
  EXPECT_EQ(r->discrepancies[1].kind, DiscrepancyKind::kDoseMismatch);
  EXPECT_THAT(r->discrepancies[1].message, HasSubstr("given 35.00 mg but ledger administered 40.00 mg"));
}

TEST_F(LedgerTest, ReportsAGivenDoseWithNoLedgerMovement) {
  auto r = ReconcileLedger(store_, "c1");

  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->discrepancies.size(), 1u);
  EXPECT_EQ(r->discrepancies[0].kind, DiscrepancyKind::kNoLedgerForDose);
}

TEST_F(LedgerTest, MovementOutOfAnUnknownLotIsFailedPrecondition) {
  EXPECT_THAT(Add(Entry("l1", domain::LedgerKind::kAdministered, 35, "s1")),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("LOT-A")));
}

TEST_F(LedgerTest, WasteNeedsAWitnessOtherThanTheActor) {
  ASSERT_THAT(Add(Entry("l1", domain::LedgerKind::kReceived, 500)), IsOk());
  auto e = Entry("l2", domain::LedgerKind::kWasted, 5, "s1");
  e.witness = "u1";

  EXPECT_THAT(Add(e), StatusIs(StatusCode::kInvalidArgument, HasSubstr("witness")));
}

}  // namespace
}  // namespace kira::registry
