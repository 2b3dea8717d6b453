// Several threads recording sessions for one clinic at once, on each real
// backend: the audit chain must stay gap-free and verifiable (PostgreSQL
// serialises chain appends with a row lock on the clinic; SQLite runs one
// transaction at a time). PostgreSQL only with KIRA_PG_DSN.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

#include "kira/registry/audit.h"
#include "kira/storage/postgres/postgres_store.h"
#include "kira/storage/sqlite/sqlite_store.h"
#include "registry_test_util.h"
#include "testing/status_matchers.h"

namespace kira::registry {
namespace {

using ::kira::testing::IsOk;

class ConcurrentWriters : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      dir_ = std::filesystem::temp_directory_path() / ("kira_conc_" + std::to_string(getpid()));
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_);
      auto s = storage::SqliteStore::Open({.path = (dir_ / "kira.db").string()});
      ASSERT_THAT(s, IsOk());
      store_ = std::move(s).value();
    } else {
      const char* dsn = std::getenv("KIRA_PG_DSN");
      if (dsn == nullptr || *dsn == '\0') GTEST_SKIP() << "KIRA_PG_DSN not set";
      auto s = storage::PostgresStore::Open(
          {.dsn = dsn, .schema = "conc_" + std::to_string(getpid()), .pool_size = 4});
      ASSERT_THAT(s, IsOk());
      store_ = std::move(s).value();
    }
  }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<storage::Store> store_;
  std::filesystem::path dir_;
};

TEST_P(ConcurrentWriters, AuditChainStaysWholeUnderConcurrentWrites) {
  SystemClock clock;
  ASSERT_THAT(test::SeedClinic(*store_, clock), IsOk());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 15;
  std::vector<std::thread> threads;
  std::vector<Status> results(kThreads);

  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SessionRecorder rec(store_.get(), &clock, test::FixedCheck(domain::Severity::kInfo));
      for (int i = 0; i < kPerThread && results[t].ok(); ++i) {
        auto s = test::MakeSession("t" + std::to_string(t) + "-" + std::to_string(i));
        s.started_at += std::chrono::hours(24 * (t * kPerThread + i));
        s.stopped_at = s.started_at + std::chrono::minutes(40);
        auto r = rec.Record({s, "u1", std::nullopt});
        if (!r.ok()) results[t] = r.status();
      }
    });
  }
  for (auto& th : threads) th.join();

  for (const auto& r : results) EXPECT_THAT(r, IsOk());
  auto v = VerifyAudit(*store_, "c1");
  ASSERT_THAT(v, IsOk());
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_EQ(v->rows_checked, 4 + kThreads * kPerThread);  // 4 seed rows + one per session
}

INSTANTIATE_TEST_SUITE_P(Backends, ConcurrentWriters, ::testing::Values("sqlite", "postgres"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace kira::registry
