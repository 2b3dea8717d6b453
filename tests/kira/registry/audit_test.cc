#include "kira/registry/audit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <utility>

#include "kira/storage/memory/memory_store.h"
#include "kira/storage/sqlite/sqlite_store.h"
#include "registry_test_util.h"
#include "testing/status_matchers.h"

namespace kira::registry {
namespace {

using ::kira::testing::IsOk;
using ::testing::HasSubstr;
using test::At;

// FIPS 180-2 Appendix B.1 test vector: SHA-256("abc").
TEST(Sha256Hex, MatchesFips180Vector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(test::SeedClinic(store_, clock_), IsOk());
    SessionRecorder rec(&store_, &clock_, test::FixedCheck(domain::Severity::kInfo));
    for (int i = 0; i < 4; ++i) {
      clock_.Advance(std::chrono::minutes(1));
      auto r = rec.Record({test::MakeSession("s" + std::to_string(i)), "u1", std::nullopt});
      ASSERT_THAT(r, IsOk());
    }
  }
  StatusOr<AuditVerification> Verify() { return VerifyAudit(store_, "c1"); }

  FakeClock clock_{At("2026-11-30T08:00:00Z")};
  storage::MemoryStore store_;
};

TEST_F(AuditTest, EveryWriteAppendsOneChainedRow) {
  auto v = Verify();

  ASSERT_THAT(v, IsOk());
  EXPECT_TRUE(v->ok) << v->problem;
  // clinic, user, patient, identity, then four sessions.
  EXPECT_EQ(v->rows_checked, 8);
  EXPECT_EQ(v->head_seq, 8);
}

TEST_F(AuditTest, AuditRowsRecordWhoWhenAndWhat) {
  auto tx = store_.Begin();
  ASSERT_THAT(tx, IsOk());
  auto rows = (*tx)->ListAudit("c1", 4, 1);
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 1u);
  const auto& e = (*rows)[0];

  EXPECT_EQ(e.actor, "u1");
  EXPECT_EQ(e.entity, "session");
  EXPECT_EQ(e.entity_id, "s0");
  EXPECT_EQ(e.at, At("2026-11-30T08:01:00Z"));
  EXPECT_THAT(e.after, HasSubstr("given_dose_mg=35\n"));
}

TEST_F(AuditTest, IdentityFieldsNeverReachTheAuditLog) {
  auto tx = store_.Begin();
  ASSERT_THAT(tx, IsOk());
  auto rows = (*tx)->ListAudit("c1", 0, 100);
  ASSERT_THAT(rows, IsOk());

  for (const auto& e : *rows) {
    EXPECT_THAT(e.after, ::testing::Not(HasSubstr("Doe")));
    EXPECT_THAT(e.after, ::testing::Not(HasSubstr("02139")));
  }
}

TEST_F(AuditTest, DetectsAnEditedRowAndNamesIt) {
  store_.TamperWithAuditForTesting("c1", [](auto& rows) { rows[5].after += "given_dose_mg=3500\n"; });

  auto v = Verify();

  ASSERT_THAT(v, IsOk());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->bad_seq, 6);
  EXPECT_THAT(v->problem, HasSubstr("row seq 6 (session 's1') was edited"));
}

TEST_F(AuditTest, DetectsADeletedRow) {
  store_.TamperWithAuditForTesting("c1", [](auto& rows) { rows.erase(rows.begin() + 2); });

  auto v = Verify();

  ASSERT_THAT(v, IsOk());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->bad_seq, 3);
  EXPECT_THAT(v->problem, HasSubstr("row seq 3 is missing"));
}

TEST_F(AuditTest, DetectsADeletedRowWhoseSuccessorsWereRenumbered) {
  store_.TamperWithAuditForTesting("c1", [](auto& rows) {
    rows.erase(rows.begin() + 2);
    for (std::size_t i = 2; i < rows.size(); ++i) rows[i].seq -= 1;
  });

  auto v = Verify();

  ASSERT_THAT(v, IsOk());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->bad_seq, 3);
}

TEST_F(AuditTest, DetectsReorderedRows) {
  store_.TamperWithAuditForTesting("c1", [](auto& rows) {
    std::swap(rows[5], rows[6]);
    std::swap(rows[5].seq, rows[6].seq);
  });

  auto v = Verify();

  ASSERT_THAT(v, IsOk());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->bad_seq, 6);
}

TEST(AuditSqliteTest, DetectsAnEditMadeDirectlyInTheDatabaseFile) {
  auto dir = std::filesystem::temp_directory_path() / ("kira_audit_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto store = storage::SqliteStore::Open({.path = (dir / "kira.db").string()});
  ASSERT_THAT(store, IsOk());
  FakeClock clock(At("2026-11-30T08:00:00Z"));
  ASSERT_THAT(test::SeedClinic(**store, clock), IsOk());
  SessionRecorder rec(store->get(), &clock, test::FixedCheck(domain::Severity::kInfo));
  ASSERT_THAT(rec.Record({test::MakeSession("s1"), "u1", std::nullopt}), IsOk());
  ASSERT_THAT(rec.Record({test::MakeSession("s2"), "u1", std::nullopt}), IsOk());

  // An attacker with the file drops the append-only trigger and edits a dose.
  ASSERT_THAT((*store)->ExecForTesting(
                  "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET after_text = "
                  "replace(after_text, 'given_dose_mg=35', 'given_dose_mg=3.5') WHERE seq = 5"),
              IsOk());
  auto v = VerifyAudit(**store, "c1");

  ASSERT_THAT(v, IsOk());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->bad_seq, 5);
  EXPECT_THAT(v->problem, HasSubstr("session 's1'"));
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kira::registry
