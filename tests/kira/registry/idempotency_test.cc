// Idempotent writes (registry/idempotency.h) and the failover retry of
// RunInUnitOfWork, on the in-memory store.
#include "kira/registry/idempotency.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kira/registry/clinical.h"
#include "kira/registry/unit_of_work.h"
#include "kira/storage/memory/memory_store.h"
#include "registry_test_util.h"
#include "testing/status_matchers.h"

namespace kira::registry {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::HasSubstr;

class IdempotencyTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_THAT(test::SeedClinic(store_, clock_), IsOk()); }

  IdempotencyClaim Claim(std::string key, std::string body = "{}") {
    return {"c1", "u1", std::move(key), IdempotencyRequestHash({"POST", "/api/v1/patients", body}), false, false};
  }
  Status AddPatientUnderScope(IdempotencyClaim* claim, std::string id) {
    IdempotencyScope scope(claim);
    return RunInUnitOfWork(store_, clock_, "u1", [&](UnitOfWork& uow) {
      return AddPatient(uow, {"c1", id, "female", 1980, "trd"}, std::nullopt);
    });
  }
  int Patients() {
    auto tx = store_.Begin();
    auto list = (*tx)->ListPatients("c1", {});
    return list.ok() ? static_cast<int>(list->size()) : -1;
  }

  storage::MemoryStore store_;
  FakeClock clock_{test::At("2026-03-01T09:00:00Z")};
};

TEST_F(IdempotencyTest, KeyCommitsWithTheWriteAndAnswersTheRetry) {
  IdempotencyClaim first = Claim("k1");
  ASSERT_THAT(AddPatientUnderScope(&first, "p2"), IsOk());
  EXPECT_TRUE(first.committed);
  ASSERT_THAT(RecordIdempotentResponse(store_, first, 201, "{\"id\":\"p2\"}", clock_.Now()), IsOk());

  auto prior = LookUpIdempotencyKey(store_, Claim("k1"));

  ASSERT_THAT(prior, IsOk());
  EXPECT_EQ(prior->kind, PriorRequest::kAnswered);
  EXPECT_EQ(prior->status, 201);
  EXPECT_EQ(prior->body, "{\"id\":\"p2\"}");
}

TEST_F(IdempotencyTest, SecondWriteWithTheKeyRollsBackAndIsNotApplied) {
  IdempotencyClaim first = Claim("k1");
  ASSERT_THAT(AddPatientUnderScope(&first, "p2"), IsOk());
  const int before = Patients();

  // The same request raced in (it did not see the first one's row).
  IdempotencyClaim second = Claim("k1");
  EXPECT_THAT(AddPatientUnderScope(&second, "p3"), StatusIs(StatusCode::kAlreadyExists, HasSubstr("Idempotency-Key")));

  EXPECT_TRUE(second.lost_race);
  EXPECT_FALSE(second.committed);
  EXPECT_EQ(Patients(), before);
}

TEST_F(IdempotencyTest, AppliedWriteWithoutStoredAnswerIsReportedAsApplied) {
  IdempotencyClaim first = Claim("k1");
  ASSERT_THAT(AddPatientUnderScope(&first, "p2"), IsOk());

  auto prior = LookUpIdempotencyKey(store_, Claim("k1"));

  ASSERT_THAT(prior, IsOk());
  EXPECT_EQ(prior->kind, PriorRequest::kAppliedWithoutAnswer);
}

TEST_F(IdempotencyTest, KeyReusedForAnotherRequestIsRecognised) {
  IdempotencyClaim first = Claim("k1", "{\"a\":1}");
  ASSERT_THAT(AddPatientUnderScope(&first, "p2"), IsOk());

  auto prior = LookUpIdempotencyKey(store_, Claim("k1", "{\"a\":2}"));

  ASSERT_THAT(prior, IsOk());
  EXPECT_EQ(prior->kind, PriorRequest::kOtherRequest);
}

TEST_F(IdempotencyTest, FailedWriteLeavesTheKeyFree) {
  IdempotencyClaim first = Claim("k1");
  // p1 exists already: the write fails, and so must the key.
  EXPECT_THAT(AddPatientUnderScope(&first, "p1"), StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  EXPECT_FALSE(first.committed);

  auto prior = LookUpIdempotencyKey(store_, Claim("k1"));
  ASSERT_THAT(prior, IsOk());
  EXPECT_EQ(prior->kind, PriorRequest::kNone);
}

TEST_F(IdempotencyTest, ReadOnlyAuditDoesNotClaimTheKey) {
  IdempotencyClaim claim = Claim("k1");
  {
    IdempotencyScope scope(&claim);
    ASSERT_THAT(RunInUnitOfWork(store_, clock_, "u1",
                                [](UnitOfWork& uow) { return uow.Audit("c1", "read", "patient", "p1", "", "GET"); }),
                IsOk());
  }
  EXPECT_FALSE(claim.committed);
  auto prior = LookUpIdempotencyKey(store_, Claim("k1"));
  ASSERT_THAT(prior, IsOk());
  EXPECT_EQ(prior->kind, PriorRequest::kNone);
}

TEST_F(IdempotencyTest, KeyOutsideAScopeIsNotWritten) {
  ASSERT_THAT(RunInUnitOfWork(store_, clock_, "u1",
                              [](UnitOfWork& uow) {
                                return AddPatient(uow, {"c1", "p2", "female", 1980, "trd"}, std::nullopt);
                              }),
              IsOk());
  auto prior = LookUpIdempotencyKey(store_, Claim("k1"));
  ASSERT_THAT(prior, IsOk());
  EXPECT_EQ(prior->kind, PriorRequest::kNone);
}

TEST(IdempotencyKeyTest, KeyMustBeShortPrintableAscii) {
  EXPECT_THAT(ValidateIdempotencyKey("6f1c2a0e-1b7d-4c39-9a51-2f0b8a3c1d44"), IsOk());
  EXPECT_THAT(ValidateIdempotencyKey(""), StatusIs(StatusCode::kInvalidArgument, HasSubstr("Idempotency-Key")));
  EXPECT_THAT(ValidateIdempotencyKey(std::string(201, 'a')), StatusIs(StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(ValidateIdempotencyKey("a b"), StatusIs(StatusCode::kInvalidArgument, ::testing::_));
}

TEST(IdempotencyKeyTest, RequestHashSeparatesItsParts) {
  EXPECT_NE(IdempotencyRequestHash({"ab", "c"}), IdempotencyRequestHash({"a", "bc"}));
  EXPECT_EQ(IdempotencyRequestHash({"POST", "/x", "{}"}).size(), 64u);
}

// ---- RunInUnitOfWork across a database failover ----

// A store whose Begin() is Unavailable for the first `failures` calls, like
// a database that is failing over.
class FailingOverStore : public storage::Store {
 public:
  FailingOverStore(storage::Store* inner, int failures) : inner_(inner), failures_(failures) {}
  StatusOr<std::unique_ptr<storage::Transaction>> Begin() override {
    ++begins;
    if (failures_-- > 0) return UnavailableError("connecting to postgres: connection refused");
    return inner_->Begin();
  }
  std::string_view backend() const override { return "failing-over"; }
  int begins = 0;

 private:
  storage::Store* inner_;
  int failures_;
};

TEST_F(IdempotencyTest, UseCaseIsRetriedWhileTheDatabaseIsUnreachable) {
  FailingOverStore flaky(&store_, 2);
  ASSERT_THAT(RunInUnitOfWork(flaky, clock_, "u1",
                              [](UnitOfWork& uow) {
                                return AddPatient(uow, {"c1", "p2", "female", 1980, "trd"}, std::nullopt);
                              }),
              IsOk());
  EXPECT_EQ(flaky.begins, 3);
}

TEST_F(IdempotencyTest, UnavailableBeforeCommitRetriesTheWholeUseCase) {
  int runs = 0;
  ASSERT_THAT(RunInUnitOfWork(store_, clock_, "u1",
                              [&](UnitOfWork& uow) -> Status {
                                KIRA_RETURN_IF_ERROR(
                                    AddPatient(uow, {"c1", "p2", "female", 1980, "trd"}, std::nullopt));
                                // The primary went away mid-transaction on the first run.
                                if (++runs == 1) return UnavailableError("server closed the connection");
                                return Status::Ok();
                              }),
              IsOk());
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(Patients(), 2);  // p1 and p2, once
}

TEST_F(IdempotencyTest, GivesUpAfterTheAttemptsAndReportsUnavailable) {
  FailingOverStore down(&store_, 100);
  EXPECT_THAT(RunInUnitOfWork(down, clock_, "u1", [](UnitOfWork&) { return Status::Ok(); }, 3),
              StatusIs(StatusCode::kUnavailable, ::testing::_));
  EXPECT_EQ(down.begins, 3);
}

}  // namespace
}  // namespace kira::registry
