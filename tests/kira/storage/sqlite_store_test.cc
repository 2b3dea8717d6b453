// SQLite-specific behaviour that the contract suite cannot express:
// durability settings, persistence across reopen, and migration refusal.
#include "kira/storage/sqlite/sqlite_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "kira/domain/records.h"
#include "kira/units/units.h"
#include "testing/status_matchers.h"

namespace kira::storage {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::HasSubstr;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kira_sqlite_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "kira.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(SqliteStoreTest, CommittedDataSurvivesReopen) {
  {
    auto store = SqliteStore::Open({.path = path_});
    ASSERT_THAT(store, IsOk());
    auto tx = (*store)->Begin();
    ASSERT_THAT(tx, IsOk());
    ASSERT_THAT((*tx)->InsertClinic({"c1", "North", "UTC"}), IsOk());
    ASSERT_THAT((*tx)->Commit(), IsOk());
  }

  auto store = SqliteStore::Open({.path = path_});
  ASSERT_THAT(store, IsOk());
  auto tx = (*store)->Begin();
  ASSERT_THAT(tx, IsOk());
  EXPECT_THAT((*tx)->GetClinic("c1"), IsOk());
}

TEST_F(SqliteStoreTest, NewFileIsAtTheLatestSchemaVersion) {
  auto store = SqliteStore::Open({.path = path_});
  ASSERT_THAT(store, IsOk());

  auto v = (*store)->SchemaVersion();

  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(*v, SqliteStore::LatestSchemaVersion());
}

TEST_F(SqliteStoreTest, RefusesASchemaNewerThanTheBinary) {
  {
    auto store = SqliteStore::Open({.path = path_});
    ASSERT_THAT(store, IsOk());
    ASSERT_THAT((*store)->ExecForTesting(
                    "INSERT INTO schema_migrations (version, name, applied_at_us) VALUES (999, 'future', 0)"),
                IsOk());
  }

  auto store = SqliteStore::Open({.path = path_});

  EXPECT_THAT(store, StatusIs(StatusCode::kFailedPrecondition,
                              HasSubstr("schema version 999 is newer than this kira binary supports")));
}

TEST_F(SqliteStoreTest, MissingFileIsNotFoundWhenCreationIsOff) {
  auto store = SqliteStore::Open({.path = path_, .create_if_missing = false});

  EXPECT_THAT(store, StatusIs(StatusCode::kNotFound, HasSubstr("kira.db")));
}

TEST_F(SqliteStoreTest, AuditLogRejectsUpdatesAndDeletes) {
  auto store = SqliteStore::Open({.path = path_});
  ASSERT_THAT(store, IsOk());
  {
    auto tx = (*store)->Begin();
    ASSERT_THAT(tx, IsOk());
    ASSERT_THAT((*tx)->InsertClinic({"c1", "North", "UTC"}), IsOk());
    ASSERT_THAT((*tx)->AppendAudit({"c1", 1, {}, "u", "insert", "clinic", "c1", "", "x", "0", "h"}), IsOk());
    ASSERT_THAT((*tx)->Commit(), IsOk());
  }

  EXPECT_THAT((*store)->ExecForTesting("UPDATE audit_log SET actor = 'mallory'"),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("append-only")));
  EXPECT_THAT((*store)->ExecForTesting("DELETE FROM audit_log"),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("append-only")));
}

TEST_F(SqliteStoreTest, UsesWalAndFullSync) {
  auto store = SqliteStore::Open({.path = path_});
  ASSERT_THAT(store, IsOk());

  // WAL mode leaves a -wal file next to the database once something is written.
  auto tx = (*store)->Begin();
  ASSERT_THAT(tx, IsOk());
  ASSERT_THAT((*tx)->InsertClinic({"c1", "North", "UTC"}), IsOk());
  ASSERT_THAT((*tx)->Commit(), IsOk());

  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
}

}  // namespace

// The identifier rule (no leading or trailing space, no control characters,
// at most 200 bytes) judges identifiers when they are created. A registry
// written before the rule may hold ids that break it: their records can
// still be updated, and new records may refer to them, but no new id may
// break the rule.
TEST_F(SqliteStoreTest, RecordsStoredBeforeTheIdentifierRuleCanStillBeUpdated) {
  auto store = SqliteStore::Open({.path = path_});
  ASSERT_THAT(store, IsOk());
  {
    auto tx = (*store)->Begin();
    ASSERT_THAT(tx, IsOk());
    ASSERT_THAT((*tx)->InsertClinic({"c1", "North", "UTC"}), IsOk());
    ASSERT_THAT((*tx)->Commit(), IsOk());
  }
  // A patient id with a trailing space, as an older kira stored it.
  ASSERT_THAT((*store)->ExecForTesting("INSERT INTO patients (clinic_id, id, sex, birth_year, indication) "
                                       "VALUES ('c1', 'p1 ', 'female', 1980, 'trd')"),
              IsOk());
  domain::Instant start;
  ASSERT_TRUE(domain::ParseInstant("2026-03-01T09:00:00Z", &start));
  domain::SessionRecord s;
  s.clinic_id = "c1";
  s.id = "s1";
  s.patient_id = "p1 ";
  s.protocol_id = "trd-0.5mgkg-40min";
  s.state = domain::SessionState::kRunning;
  s.dosing_weight = units::Kg(70.0);
  s.planned_dose = units::Mg(35.0);
  s.started_at = start;
  s.recorded_by = "u1";
  s.decision_outcome = "ok";
  {
    auto tx = (*store)->Begin();
    ASSERT_THAT(tx, IsOk());
    EXPECT_THAT((*tx)->UpdatePatient({"c1", "p1 ", "female", 1981, "trd"}), IsOk());
    EXPECT_THAT((*tx)->InsertSession(s), IsOk()) << "a new session of the stored patient";
    ASSERT_THAT((*tx)->Commit(), IsOk());
  }
  // The session's own id from before the rule: it can still be finished.
  ASSERT_THAT((*store)->ExecForTesting("UPDATE sessions SET id = 's1 ' WHERE id = 's1'"), IsOk());
  s.id = "s1 ";
  s.state = domain::SessionState::kDischarged;
  s.given_dose = units::Mg(35.0);
  s.stopped_at = start + std::chrono::minutes(40);
  {
    auto tx = (*store)->Begin();
    ASSERT_THAT(tx, IsOk());
    EXPECT_THAT((*tx)->UpdateSession(s), IsOk());
    ASSERT_THAT((*tx)->Commit(), IsOk());
  }
  auto tx = (*store)->Begin();
  ASSERT_THAT(tx, IsOk());
  auto stored = (*tx)->GetSession("c1", "s1 ");
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->state, domain::SessionState::kDischarged);
  // No new identifier may break the rule.
  EXPECT_THAT((*tx)->InsertPatient({"c1", "p2 ", "female", 1980, "trd"}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("space")));
}

}  // namespace kira::storage
