// PostgresStore as a cluster client: what a failover looks like from the
// pool (connections killed, a server turned read-only) and that the store
// recovers by itself. Skipped unless KIRA_PG_DSN names a server
// (scripts/pg-test-cluster). The full failover runs in tests/ha/ (Patroni).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <cstdlib>
#include <string>
#include <unistd.h>

#include "kira/storage/postgres/postgres_store.h"
#include "testing/status_matchers.h"

namespace kira::storage {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::HasSubstr;

class PostgresFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dsn = std::getenv("KIRA_PG_DSN");
    if (dsn == nullptr || *dsn == '\0') GTEST_SKIP() << "KIRA_PG_DSN not set";
    static std::atomic<int> n{0};
    app_ = "kira_failover_" + std::to_string(::getpid()) + "_" + std::to_string(n++);
    schema_ = app_;
    auto s = PostgresStore::Open(
        {.dsn = std::string(dsn) + " application_name=" + app_, .schema = schema_, .pool_size = 2});
    ASSERT_THAT(s, IsOk());
    store_ = std::move(s).value();
    auto admin = PostgresStore::Open({.dsn = dsn, .schema = schema_, .pool_size = 1});
    ASSERT_THAT(admin, IsOk());
    admin_ = std::move(admin).value();
  }

  // What a crashed or restarted primary does to every client connection.
  void KillStoreConnections() {
    ASSERT_THAT(admin_->ExecForTesting("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                       "WHERE application_name = '" + app_ + "'"),
                IsOk());
  }
  Status InsertClinic(const std::string& id) {
    KIRA_ASSIGN_OR_RETURN(auto tx, store_->Begin());
    KIRA_RETURN_IF_ERROR(tx->InsertClinic({id, "Clinic " + id, "UTC"}));
    return tx->Commit();
  }

  std::string app_, schema_;
  std::unique_ptr<PostgresStore> store_, admin_;
};

TEST_F(PostgresFailoverTest, StaleIdleConnectionsAreReplacedAtBegin) {
  ASSERT_THAT(InsertClinic("c1"), IsOk());  // leaves a connection idle in the pool
  KillStoreConnections();

  // BEGIN on the dead connection fails before anything is written; the
  // store drops it and connects afresh.
  EXPECT_THAT(InsertClinic("c2"), IsOk());
}

TEST_F(PostgresFailoverTest, ConnectionLostInATransactionIsUnavailableAndDropped) {
  ASSERT_THAT(InsertClinic("c1"), IsOk());
  auto tx = store_->Begin();
  ASSERT_THAT(tx, IsOk());
  KillStoreConnections();

  EXPECT_THAT((*tx)->InsertClinic({"c2", "Clinic c2", "UTC"}), StatusIs(StatusCode::kUnavailable, ::testing::_));
  tx->reset();

  EXPECT_THAT(InsertClinic("c3"), IsOk());
}

TEST_F(PostgresFailoverTest, ReadOnlyServerIsUnavailableAndTheConnectionIsNotReused) {
  // The pooled connection now behaves like one to a demoted primary (a
  // standby): every write fails with SQLSTATE 25006.
  ASSERT_THAT(store_->ExecForTesting("SET default_transaction_read_only = on"), IsOk());

  EXPECT_THAT(InsertClinic("c1"), StatusIs(StatusCode::kUnavailable, HasSubstr("read-only")));
  // The next transaction gets a fresh connection, not the read-only one.
  EXPECT_THAT(InsertClinic("c1"), IsOk());
}

TEST_F(PostgresFailoverTest, ReadOnlyStoreReadsAndSaysWhereItStands) {
  ASSERT_THAT(InsertClinic("c1"), IsOk());
  const char* dsn = std::getenv("KIRA_PG_DSN");
  auto ro = PostgresStore::Open({.dsn = dsn, .schema = schema_, .pool_size = 1, .read_only = true});
  ASSERT_THAT(ro, IsOk());
  auto tx = (*ro)->Begin();
  ASSERT_THAT(tx, IsOk());
  EXPECT_THAT((*tx)->GetClinic("c1"), IsOk());
  EXPECT_THAT((*tx)->InsertClinic({"c2", "Clinic c2", "UTC"}), StatusIs(StatusCode::kUnavailable, ::testing::_));
  tx->reset();

  auto where = (*ro)->CurrentReadPosition();
  ASSERT_THAT(where, IsOk());
  EXPECT_FALSE(where->standby);  // the test server is a primary
}

TEST_F(PostgresFailoverTest, ReadOnlyStoreRefusesASchemaItDoesNotKnow) {
  ASSERT_THAT(admin_->ExecForTesting("INSERT INTO schema_migrations (version, name, applied_at_us) "
                                     "VALUES (999, 'future', 0)"),
              IsOk());
  const char* dsn = std::getenv("KIRA_PG_DSN");
  EXPECT_THAT(PostgresStore::Open({.dsn = dsn, .schema = schema_, .pool_size = 1, .read_only = true}),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("999")));
}

// Not failover, but what made the drill slow: the audit writer's clinic-row
// lock must not wait for a transaction that merely referenced the clinic
// (a foreign-key check holds FOR KEY SHARE on it), or two use cases that
// each inserted a patient and then audit deadlock (40P01 after 1 s).
TEST_F(PostgresFailoverTest, AuditChainLockDoesNotWaitForForeignKeyChecks) {
  ASSERT_THAT(InsertClinic("c1"), IsOk());
  auto other = store_->Begin();
  ASSERT_THAT(other, IsOk());
  ASSERT_THAT((*other)->InsertPatient({"c1", "p1", "female", 1980, "trd"}), IsOk());  // holds KEY SHARE on c1

  auto tx = store_->Begin();
  ASSERT_THAT(tx, IsOk());
  ASSERT_THAT((*tx)->InsertPatient({"c1", "p2", "female", 1980, "trd"}), IsOk());
  auto head = std::async(std::launch::async, [&] { return (*tx)->LastAuditEntry("c1"); });

  ASSERT_EQ(head.wait_for(std::chrono::seconds(5)), std::future_status::ready)
      << "the audit lock waited for another transaction's foreign-key check";
  EXPECT_THAT(head.get(), IsOk());
  EXPECT_THAT((*other)->Commit(), IsOk());
  EXPECT_THAT((*tx)->Commit(), IsOk());
}

}  // namespace
}  // namespace kira::storage
