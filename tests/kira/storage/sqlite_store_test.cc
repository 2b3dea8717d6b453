// SQLite-specific behaviour that the contract suite cannot express:
// durability settings, persistence across reopen, and migration refusal.
#include "kira/storage/sqlite/sqlite_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

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
}  // namespace kira::storage
