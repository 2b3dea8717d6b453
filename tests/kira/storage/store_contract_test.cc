// The storage contract (kira/storage/store.h), one suite for every backend
// (style.md 3.6): memory, SQLite and PostgreSQL. The PostgreSQL instance is
// skipped unless KIRA_PG_DSN names a server (scripts/pg-test-cluster starts
// a throwaway one); each test then gets a schema of its own.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "kira/storage/memory/memory_store.h"
#include "kira/storage/postgres/postgres_store.h"
#include "kira/storage/sqlite/sqlite_store.h"
#include "kira/storage/store.h"
#include "testing/status_matchers.h"

namespace kira::storage {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using units::Kg;
using units::Mg;
using units::MgPerMl;
using units::MlPerH;

domain::Instant T(int minute) {
  domain::Instant t;
  EXPECT_TRUE(domain::ParseInstant("2026-03-01T09:00:00Z", &t));
  return t + std::chrono::minutes(minute);
}

std::string UniqueName(std::string_view prefix) {
  static std::atomic<int> counter{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(prefix) + std::to_string(::getpid()) + "_" +
                     std::to_string(counter++) + "_" + info->name();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class StoreContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string& backend = GetParam();
    if (backend == "memory") {
      store_ = std::make_unique<MemoryStore>();
    } else if (backend == "sqlite") {
      dir_ = std::filesystem::temp_directory_path() / UniqueName("kira_contract_");
      std::filesystem::create_directories(dir_);
      auto s = SqliteStore::Open({.path = (dir_ / "kira.db").string()});
      ASSERT_THAT(s, IsOk());
      store_ = std::move(s).value();
    } else {
      const char* dsn = std::getenv("KIRA_PG_DSN");
      if (dsn == nullptr || *dsn == '\0') GTEST_SKIP() << "KIRA_PG_DSN not set";
      auto s = PostgresStore::Open({.dsn = dsn, .schema = UniqueName("t_"), .pool_size = 2});
      ASSERT_THAT(s, IsOk());
      store_ = std::move(s).value();
    }
  }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Transaction> Tx() {
    auto tx = store_->Begin();
    EXPECT_THAT(tx, IsOk());
    return tx.ok() ? std::move(tx).value() : nullptr;
  }

  // A clinic "c1" with patient "p1", committed.
  void Seed() {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertClinic({"c1", "North Clinic", "Europe/London"}), IsOk());
    ASSERT_THAT(tx->InsertPatient(Patient("p1")), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  static domain::PatientRecord Patient(std::string id, std::string clinic = "c1") {
    return {std::move(clinic), std::move(id), "female", 1980, "trd"};
  }
  static domain::SessionRecord Session(std::string id, std::string patient = "p1", int minute = 0) {
    domain::SessionRecord s;
    s.clinic_id = "c1";
    s.id = std::move(id);
    s.patient_id = std::move(patient);
    s.protocol_id = "trd-0.5mgkg-40min";
    s.state = domain::SessionState::kDischarged;
    s.dosing_weight = Kg(70.0);
    s.planned_dose = Mg(35.0);
    s.given_dose = Mg(34.5);
    s.concentration = MgPerMl(1.0);
    s.rate = MlPerH(52.5);
    s.started_at = T(minute);
    s.stopped_at = T(minute + 40);
    s.recorded_by = "u1";
    s.decision_outcome = "ok";
    return s;
  }

  std::unique_ptr<Store> store_;
  std::filesystem::path dir_;
};

TEST_P(StoreContractTest, InsertedClinicCanBeReadBack) {
  Seed();

  auto tx = Tx();
  auto clinic = tx->GetClinic("c1");

  ASSERT_THAT(clinic, IsOk());
  EXPECT_EQ(clinic->name, "North Clinic");
  EXPECT_EQ(clinic->time_zone, "Europe/London");
}

// One identifier rule on every backend (domain::IdProblem): an id prints
// safely and cannot be a second record beside another by a space.
TEST_P(StoreContractTest, IdsAreShortPrintableUtf8OnEveryBackend) {
  Seed();
  // Each write in its own transaction: a refused write spoils the one it is in.
  auto insert = [&](domain::PatientRecord p) { return Tx()->InsertPatient(p); };
  const std::string escape = "p\x1b[31m";
  EXPECT_THAT(insert({"c1", escape, "female", 1980, "trd"}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("id: must not contain a control or formatting character (U+001B")));
  EXPECT_THAT(insert({"c1", std::string(201, 'p'), "female", 1980, "trd"}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("at most 200 bytes")));
  EXPECT_THAT(insert({"c1", " p2", "female", 1980, "trd"}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("space")));
  EXPECT_THAT(insert({"c1", "p\xff", "female", 1980, "trd"}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
  EXPECT_THAT(insert({"c1", "p\xe2\x80\xae" "gpj", "female", 1980, "trd"}),  // right-to-left override
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("U+202E")));
  EXPECT_THAT(insert({"c1", "Z\xc3\xbcrich-7/C 1", "female", 1980, "trd"}), IsOk());
  EXPECT_THAT(insert({"c1", std::string(200, 'p'), "female", 1980, "trd"}), IsOk());
  EXPECT_THAT(Tx()->InsertClinic({"c\n2", "Other", "UTC"}), StatusIs(StatusCode::kInvalidArgument, HasSubstr("clinic_id")));
}

TEST_P(StoreContractTest, MissingRecordIsNotFound) {
  Seed();
  auto tx = Tx();

  EXPECT_THAT(tx->GetClinic("nope"), StatusIs(StatusCode::kNotFound, HasSubstr("nope")));
  EXPECT_THAT(tx->GetPatient("c1", "nope"), StatusIs(StatusCode::kNotFound, HasSubstr("nope")));
  EXPECT_THAT(tx->GetSession("c1", "nope"), StatusIs(StatusCode::kNotFound, HasSubstr("nope")));
  EXPECT_THAT(tx->GetUser("c1", "nope"), StatusIs(StatusCode::kNotFound, HasSubstr("nope")));
}

TEST_P(StoreContractTest, CredentialRoundTripsAndNamesItsUser) {
  Seed();
  const std::string hash = "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
  auto tx = Tx();
  ASSERT_THAT(tx->InsertUser({"c1", "r1", "Dr Researcher", domain::Role::kResearcher}), IsOk());

  ASSERT_THAT(tx->InsertCredential({"rsearch", "c1", "r1", hash}), IsOk());
  auto c = tx->GetCredential("rsearch");
  auto u = tx->GetUser("c1", "r1");

  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->clinic_id, "c1");
  EXPECT_EQ(c->user_id, "r1");
  EXPECT_EQ(c->password_hash, hash);
  ASSERT_THAT(u, IsOk());
  EXPECT_EQ(u->role, domain::Role::kResearcher);
  EXPECT_THAT(tx->GetCredential("nobody"), StatusIs(StatusCode::kNotFound, HasSubstr("nobody")));
}

TEST_P(StoreContractTest, CredentialNeedsAUserAndAFreeLogin) {
  Seed();
  const std::string hash = "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertUser({"c1", "u1", "Dr One", domain::Role::kClinician}), IsOk());
    ASSERT_THAT(tx->InsertCredential({"one", "c1", "u1", hash}), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  EXPECT_THAT(Tx()->InsertCredential({"ghost", "c1", "no-such-user", hash}),
              StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
  EXPECT_THAT(Tx()->InsertCredential({"one", "c1", "u1", hash}), StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  EXPECT_THAT(Tx()->InsertCredential({"plain", "c1", "u1", "hunter2"}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("password_hash")));
}

TEST_P(StoreContractTest, TotpStepIsClaimedOnceAndOnlyForward) {
  Seed();
  const std::string hash = "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertUser({"c1", "u1", "Dr One", domain::Role::kClinician}), IsOk());
    ASSERT_THAT(tx->InsertCredential({"one", "c1", "u1", hash}), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  auto Expect = [](const StatusOr<bool>& got, bool want) {
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, want);
  };
  auto claim = [&](std::int64_t step) -> StatusOr<bool> {
    auto tx = Tx();
    StatusOr<bool> r = tx->ClaimTotpStep("one", step);
    if (r.ok() && *r) {
      Status c = tx->Commit();
      if (!c.ok()) return c;
    }
    return r;
  };
  Expect(claim(59000000), true);
  Expect(claim(59000000), false);  // the same code again: a replay
  Expect(claim(58999999), false);  // an older code after a newer one
  Expect(claim(59000001), true);
  {
    // A claim that is rolled back does not count.
    auto tx = Tx();
    Expect(tx->ClaimTotpStep("one", 59000005), true);
  }
  Expect(claim(59000005), true);
  EXPECT_THAT(Tx()->ClaimTotpStep("nobody", 1), StatusIs(StatusCode::kNotFound, ::testing::_));
}

TEST_P(StoreContractTest, ReadTransactionSeesCommittedRows) {
  Seed();
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertUser({"c1", "u9", "Dr Nine", domain::Role::kNurse}), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  auto r = store_->BeginRead();
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_THAT((*r)->GetUser("c1", "u9").status(), IsOk());
}

TEST_P(StoreContractTest, CredentialStateUpdatesAndListsByClinic) {
  Seed();
  const std::string hash = "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertUser({"c1", "u1", "Dr One", domain::Role::kClinician}), IsOk());
    ASSERT_THAT(tx->InsertUser({"c1", "u2", "Nurse Two", domain::Role::kNurse}), IsOk());
    ASSERT_THAT(tx->InsertCredential({"one", "c1", "u1", hash}), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  domain::Credential c{"one", "c1", "u1", hash};
  c.disabled = true;
  c.must_change_password = true;
  c.totp_secret = "JBSWY3DPEHPK3PXP";
  {
    auto tx = Tx();
    ASSERT_THAT(tx->UpdateCredential(c), IsOk());
    ASSERT_THAT(tx->UpdateUser({"c1", "u2", "Nurse Two", domain::Role::kAuditor}), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  auto tx = Tx();
  auto got = tx->GetCredentialOfUser("c1", "u1");
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(got->disabled);
  EXPECT_TRUE(got->must_change_password);
  EXPECT_EQ(got->totp_secret, "JBSWY3DPEHPK3PXP");
  auto all = tx->ListCredentials("c1");
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].login, "one");
  auto users = tx->ListUsers("c1");
  ASSERT_THAT(users, IsOk());
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[1].role, domain::Role::kAuditor);
  EXPECT_THAT(tx->GetCredentialOfUser("c1", "u2"), StatusIs(StatusCode::kNotFound, ::testing::_));
  EXPECT_THAT(tx->UpdateCredential({"ghost", "c1", "u1", hash}), StatusIs(StatusCode::kNotFound, ::testing::_));
}

TEST_P(StoreContractTest, AuthSessionsRoundTripTouchExpireAndRevoke) {
  Seed();
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertUser({"c1", "u1", "Dr One", domain::Role::kClinician}), IsOk());
    ASSERT_THAT(tx->InsertUser({"c1", "u2", "Nurse Two", domain::Role::kNurse}), IsOk());
    ASSERT_THAT(tx->InsertAuthSession({"h1", "c1", "u1", "one", "csrf1", T(0), T(0), T(600)}), IsOk());
    ASSERT_THAT(tx->InsertAuthSession({"h2", "c1", "u1", "one", "csrf2", T(0), T(0), T(600)}), IsOk());
    ASSERT_THAT(tx->InsertAuthSession({"h3", "c1", "u2", "two", "csrf3", T(0), T(0), T(5)}), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  EXPECT_THAT(Tx()->InsertAuthSession({"h1", "c1", "u1", "one", "x", T(0), T(0), T(1)}),
              StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  EXPECT_THAT(Tx()->InsertAuthSession({"h9", "c1", "ghost", "g", "x", T(0), T(0), T(1)}),
              StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
  {
    auto tx = Tx();
    auto a = tx->GetAuthSession("h1");
    ASSERT_THAT(a, IsOk());
    EXPECT_EQ(a->user_id, "u1");
    EXPECT_EQ(a->csrf_token, "csrf1");
    EXPECT_EQ(a->expires_at, T(600));
    ASSERT_THAT(tx->TouchAuthSession("h1", T(30)), IsOk());
    EXPECT_THAT(tx->TouchAuthSession("nope", T(30)), StatusIs(StatusCode::kNotFound, ::testing::_));
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  {
    // Idle before T(10) (h2) or past the absolute expiry at T(20) (h3).
    auto tx = Tx();
    auto purged = tx->PurgeAuthSessions(T(10), T(20));
    ASSERT_THAT(purged, IsOk());
    EXPECT_EQ(*purged, 2);
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  auto tx = Tx();
  EXPECT_EQ(tx->GetAuthSession("h1")->last_used_at, T(30));
  EXPECT_THAT(tx->GetAuthSession("h2"), StatusIs(StatusCode::kNotFound, ::testing::_));
  EXPECT_EQ(*tx->CountAuthSessions(), 1);
  auto ended = tx->DeleteUserAuthSessions("c1", "u1");
  ASSERT_THAT(ended, IsOk());
  EXPECT_EQ(*ended, 1);
  EXPECT_THAT(tx->DeleteAuthSession("h1"), IsOk());  // already gone: no error
  EXPECT_EQ(*tx->CountAuthSessions(), 0);
}

TEST_P(StoreContractTest, AuditCheckpointsListByClinicInSeqOrder) {
  Seed();
  EXPECT_THAT(Tx()->InsertAuditCheckpoint({"c1", 0, "h", T(1), "pub", "sig"}),
              StatusIs(StatusCode::kInvalidArgument, ::testing::_));
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertAuditCheckpoint({"c1", 7, "h7", T(2), "pub", "sig7"}), IsOk());
    ASSERT_THAT(tx->InsertAuditCheckpoint({"c1", 3, "h3", T(1), "pub", "sig3"}), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  auto list = Tx()->ListAuditCheckpoints("c1");
  ASSERT_THAT(list, IsOk());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].seq, 3);
  EXPECT_EQ((*list)[1].signature, "sig7");
  EXPECT_TRUE(Tx()->ListAuditCheckpoints("c2")->empty());
}

TEST_P(StoreContractTest, DuplicateIdIsAlreadyExists) {
  Seed();
  auto tx = Tx();

  EXPECT_THAT(tx->InsertPatient(Patient("p1")), StatusIs(StatusCode::kAlreadyExists, ::testing::_));
}

TEST_P(StoreContractTest, SameIdInAnotherClinicIsADifferentRecord) {
  Seed();
  auto tx = Tx();
  ASSERT_THAT(tx->InsertClinic({"c2", "South Clinic", "UTC"}), IsOk());

  EXPECT_THAT(tx->InsertPatient(Patient("p1", "c2")), IsOk());
  ASSERT_THAT(tx->Commit(), IsOk());
}

TEST_P(StoreContractTest, ChildOfMissingParentIsFailedPrecondition) {
  Seed();

  {
    auto tx = Tx();
    EXPECT_THAT(tx->InsertSession(Session("s1", "ghost")),
                StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
  }
  {
    auto tx = Tx();
    EXPECT_THAT(tx->InsertUser({"no-clinic", "u1", "Ann", domain::Role::kNurse}),
                StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
  }
  {
    auto tx = Tx();
    EXPECT_THAT(tx->InsertVital({"c1", "v1", "no-session", T(0), domain::VitalKind::kHeartRate, 70}),
                StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
  }
}

TEST_P(StoreContractTest, InvalidValueIsInvalidArgumentNamingTheField) {
  Seed();
  auto tx = Tx();
  auto s = Session("s1");
  s.planned_dose = Mg(-5.0);

  EXPECT_THAT(tx->InsertSession(s), StatusIs(StatusCode::kInvalidArgument, HasSubstr("planned_dose_mg")));
}

TEST_P(StoreContractTest, UserRoundTripsRole) {
  Seed();
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertUser({"c1", "u1", "Ann Smith", domain::Role::kPharmacist}), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }

  auto tx = Tx();
  auto u = tx->GetUser("c1", "u1");

  ASSERT_THAT(u, IsOk());
  EXPECT_EQ(u->display_name, "Ann Smith");
  EXPECT_EQ(u->role, domain::Role::kPharmacist);
}

TEST_P(StoreContractTest, IdentityIsStoredApartFromThePseudonymousRecord) {
  Seed();
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertPatientIdentity({"c1", "p1", "Jane", "Doe", "1980-04-02", "MRN1", "02139",
                                           "555-0100", "jane@example.org"}),
                IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }

  auto tx = Tx();
  auto id = tx->GetPatientIdentity("c1", "p1");
  auto p = tx->GetPatient("c1", "p1");

  ASSERT_THAT(id, IsOk());
  EXPECT_EQ(id->family_name, "Doe");
  EXPECT_EQ(id->zip, "02139");
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->birth_year, 1980);
  EXPECT_EQ(p->indication, "trd");
  EXPECT_THAT(tx->GetPatientIdentity("c1", "p2"), StatusIs(StatusCode::kNotFound, ::testing::_));
}

TEST_P(StoreContractTest, PatientWithIdentityAnswersAsTheTwoSeparateLookups) {
  Seed();
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertPatient(Patient("p2")), IsOk());
    ASSERT_THAT(tx->InsertPatientIdentity({"c1", "p1", "Jane", "Doe", "1980-04-02", "MRN1", "02139",
                                           "555-0100", "jane@example.org"}),
                IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  auto tx = Tx();
  auto both = tx->GetPatientWithIdentity("c1", "p1");
  ASSERT_THAT(both, IsOk());
  auto id = tx->GetPatientIdentity("c1", "p1");
  ASSERT_THAT(id, IsOk());
  EXPECT_EQ(both->record.id, "p1");
  EXPECT_EQ(both->record.birth_year, 1980);
  EXPECT_EQ(both->record.indication, "trd");
  ASSERT_TRUE(both->identity.has_value());
  const domain::PatientIdentity& got = *both->identity;
  EXPECT_EQ(std::vector<std::string>({got.clinic_id, got.patient_id, got.given_name, got.family_name, got.birth_date,
                                      got.mrn, got.zip, got.phone, got.email}),
            std::vector<std::string>({id->clinic_id, id->patient_id, id->given_name, id->family_name, id->birth_date,
                                      id->mrn, id->zip, id->phone, id->email}));
  auto bare = tx->GetPatientWithIdentity("c1", "p2");
  ASSERT_THAT(bare, IsOk());
  EXPECT_EQ(bare->record.id, "p2");
  EXPECT_FALSE(bare->identity.has_value());
  EXPECT_THAT(tx->GetPatientWithIdentity("c1", "p9"), StatusIs(StatusCode::kNotFound, ::testing::_));
  EXPECT_THAT(tx->GetPatientWithIdentity("c2", "p1"), StatusIs(StatusCode::kNotFound, ::testing::_));
}

TEST_P(StoreContractTest, SessionRoundTripsEveryField) {
  Seed();
  auto planned = Session("s1");
  auto open = Session("s2");
  open.given_dose.reset();
  open.stopped_at.reset();
  open.state = domain::SessionState::kRunning;
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertSession(planned), IsOk());
    ASSERT_THAT(tx->InsertSession(open), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }

  auto tx = Tx();
  auto s1 = tx->GetSession("c1", "s1");
  auto s2 = tx->GetSession("c1", "s2");

  ASSERT_THAT(s1, IsOk());
  EXPECT_EQ(s1->protocol_id, "trd-0.5mgkg-40min");
  EXPECT_EQ(s1->state, domain::SessionState::kDischarged);
  EXPECT_EQ(s1->dosing_weight, Kg(70.0));
  EXPECT_EQ(s1->planned_dose, Mg(35.0));
  ASSERT_TRUE(s1->given_dose.has_value());
  EXPECT_EQ(*s1->given_dose, Mg(34.5));
  EXPECT_EQ(s1->concentration, std::optional(MgPerMl(1.0)));
  EXPECT_EQ(s1->rate, std::optional(MlPerH(52.5)));
  EXPECT_EQ(s1->started_at, T(0));
  EXPECT_EQ(s1->stopped_at, std::optional<domain::Instant>(T(40)));
  EXPECT_EQ(s1->recorded_by, "u1");
  EXPECT_EQ(s1->decision_outcome, "ok");
  EXPECT_EQ(s1->facts_version, 0);
  ASSERT_THAT(s2, IsOk());
  EXPECT_FALSE(s2->given_dose.has_value());
  EXPECT_FALSE(s2->stopped_at.has_value());
  EXPECT_EQ(s2->state, domain::SessionState::kRunning);
}

// A session of a route that is not infused (esketamine nasal spray) has no
// concentration or pump rate: both are stored as absent, not as 0, and a
// later update can leave them absent too.
TEST_P(StoreContractTest, NasalSessionStoresNoConcentrationOrRate) {
  Seed();
  auto nasal = Session("s1");
  nasal.protocol_id = "in-esketamine-trd";
  nasal.planned_dose = Mg(56.0);
  nasal.given_dose = Mg(56.0);
  nasal.concentration.reset();
  nasal.rate.reset();
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertSession(nasal), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  nasal.given_dose = Mg(84.0);
  {
    auto tx = Tx();
    ASSERT_THAT(tx->UpdateSession(nasal), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }

  auto tx = Tx();
  auto s = tx->GetSession("c1", "s1");
  ASSERT_THAT(s, IsOk());
  EXPECT_FALSE(s->concentration.has_value());
  EXPECT_FALSE(s->rate.has_value());
  EXPECT_EQ(s->given_dose, std::optional(Mg(84.0)));
  auto listed = tx->ListPatientSessions("c1", "p1");
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_FALSE((*listed)[0].concentration.has_value());
}

TEST_P(StoreContractTest, NonPositiveRateIsInvalidArgumentNamingTheField) {
  Seed();
  auto tx = Tx();
  auto s = Session("s1");
  s.rate = MlPerH(0.0);

  EXPECT_THAT(tx->InsertSession(s), StatusIs(StatusCode::kInvalidArgument, HasSubstr("rate_ml_per_h")));
}

TEST_P(StoreContractTest, UpdateSessionReplacesFieldsButNotThePatient) {
  Seed();
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertPatient(Patient("p2")), IsOk());
    ASSERT_THAT(tx->InsertSession(Session("s1")), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  auto changed = Session("s1", "p2");
  changed.state = domain::SessionState::kStopped;
  changed.given_dose = Mg(12.25);

  {
    auto tx = Tx();
    ASSERT_THAT(tx->UpdateSession(changed), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }

  auto tx = Tx();
  auto s = tx->GetSession("c1", "s1");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->state, domain::SessionState::kStopped);
  EXPECT_EQ(*s->given_dose, Mg(12.25));
  EXPECT_EQ(s->patient_id, "p1");
}

TEST_P(StoreContractTest, UpdateOfMissingSessionIsNotFound) {
  Seed();
  auto tx = Tx();

  EXPECT_THAT(tx->UpdateSession(Session("ghost")), StatusIs(StatusCode::kNotFound, HasSubstr("ghost")));
}

TEST_P(StoreContractTest, ListsPageInIdOrderWithinOneClinic) {
  Seed();
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertClinic({"c2", "Other", "UTC"}), IsOk());
    ASSERT_THAT(tx->InsertPatient(Patient("p0", "c2")), IsOk());
    for (const char* id : {"p4", "p2", "p3"}) ASSERT_THAT(tx->InsertPatient(Patient(id)), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  auto tx = Tx();

  auto first = tx->ListPatients("c1", {"", 2});
  auto rest = tx->ListPatients("c1", {"p2", 10});

  ASSERT_THAT(first, IsOk());
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].id, "p1");
  EXPECT_EQ((*first)[1].id, "p2");
  ASSERT_THAT(rest, IsOk());
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[0].id, "p3");
  EXPECT_EQ((*rest)[1].id, "p4");
}

TEST_P(StoreContractTest, PatientSessionsComeInStartOrder) {
  Seed();
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertPatient(Patient("p2")), IsOk());
    ASSERT_THAT(tx->InsertSession(Session("a", "p1", 300)), IsOk());
    ASSERT_THAT(tx->InsertSession(Session("b", "p1", 100)), IsOk());
    ASSERT_THAT(tx->InsertSession(Session("c", "p2", 200)), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  auto tx = Tx();

  auto sessions = tx->ListPatientSessions("c1", "p1");

  ASSERT_THAT(sessions, IsOk());
  ASSERT_EQ(sessions->size(), 2u);
  EXPECT_EQ((*sessions)[0].id, "b");
  EXPECT_EQ((*sessions)[1].id, "a");
}

TEST_P(StoreContractTest, SessionChildrenRoundTrip) {
  Seed();
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertSession(Session("s1")), IsOk());
    ASSERT_THAT(tx->InsertVital({"c1", "v2", "s1", T(10), domain::VitalKind::kSystolicBp, 151.5}), IsOk());
    ASSERT_THAT(tx->InsertVital({"c1", "v1", "s1", T(5), domain::VitalKind::kSpO2, 97}), IsOk());
    ASSERT_THAT(tx->InsertAdverseEvent({"c1", "ae1", "s1", T(12), "nausea",
                                        domain::AeSeverity::kModerate, "ondansetron 4 mg IV"}),
                IsOk());
    ASSERT_THAT(tx->InsertOverride({"c1", "o1", "s1", "u1", T(0),
                                    {"dose.trd.max_mg_per_kg", "dose.cap.annual"}, "weight re-measured"}),
                IsOk());
    ASSERT_THAT(tx->InsertAssessment({"c1", "a1", "p1", "s1", T(-30), "phq9",
                                      {3, 3, 2, 2, 1, 1, 2, 2, 0}, 16, "phq9-v1"}),
                IsOk());
    ASSERT_THAT(tx->InsertAssessment({"c1", "a0", "p1", "", T(-600), "phq9", {}, 20, "phq9-v1"}), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  auto tx = Tx();

  auto vitals = tx->ListVitals("c1", "s1");
  auto aes = tx->ListAdverseEvents("c1", "s1");
  auto ovs = tx->ListOverrides("c1", "s1");
  auto as = tx->ListAssessments("c1", "p1");

  ASSERT_THAT(vitals, IsOk());
  ASSERT_EQ(vitals->size(), 2u);
  EXPECT_EQ((*vitals)[0].id, "v1");
  EXPECT_EQ((*vitals)[0].kind, domain::VitalKind::kSpO2);
  EXPECT_DOUBLE_EQ((*vitals)[1].value, 151.5);
  ASSERT_THAT(aes, IsOk());
  ASSERT_EQ(aes->size(), 1u);
  EXPECT_EQ((*aes)[0].severity, domain::AeSeverity::kModerate);
  EXPECT_EQ((*aes)[0].rescue_given, "ondansetron 4 mg IV");
  ASSERT_THAT(ovs, IsOk());
  ASSERT_EQ(ovs->size(), 1u);
  EXPECT_THAT((*ovs)[0].rule_ids, ElementsAre("dose.trd.max_mg_per_kg", "dose.cap.annual"));
  EXPECT_EQ((*ovs)[0].reason, "weight re-measured");
  ASSERT_THAT(as, IsOk());
  ASSERT_EQ(as->size(), 2u);
  EXPECT_EQ((*as)[0].id, "a0");
  EXPECT_TRUE((*as)[0].item_scores.empty());
  EXPECT_EQ((*as)[0].session_id, "");
  EXPECT_THAT((*as)[1].item_scores, ElementsAre(3, 3, 2, 2, 1, 1, 2, 2, 0));
  EXPECT_EQ((*as)[1].total, 16);
  EXPECT_EQ((*as)[1].session_id, "s1");
}

TEST_P(StoreContractTest, ScansPageEveryClinicRowInIdOrder) {
  Seed();
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertClinic({"c2", "Other", "UTC"}), IsOk());
    ASSERT_THAT(tx->InsertPatient(Patient("p9", "c2")), IsOk());
    ASSERT_THAT(tx->InsertPatient(Patient("p2")), IsOk());
    ASSERT_THAT(tx->InsertSession(Session("s1", "p1")), IsOk());
    ASSERT_THAT(tx->InsertSession(Session("s2", "p2", 60)), IsOk());
    for (const char* id : {"ae3", "ae1", "ae2"}) {
      ASSERT_THAT(tx->InsertAdverseEvent({"c1", id, id[2] == '2' ? "s2" : "s1", T(5), "nausea",
                                          domain::AeSeverity::kMild, ""}),
                  IsOk());
    }
    ASSERT_THAT(tx->InsertOverride({"c1", "o2", "s2", "u1", T(60), {"plan.cap.annual"}, "r"}), IsOk());
    ASSERT_THAT(tx->InsertOverride({"c1", "o1", "s1", "u1", T(0), {"plan.cap.annual"}, "r"}), IsOk());
    ASSERT_THAT(tx->InsertAssessment({"c1", "a2", "p2", "", T(1), "phq9", {}, 9, "v1"}), IsOk());
    ASSERT_THAT(tx->InsertAssessment({"c1", "a1", "p1", "s1", T(2), "phq9", {}, 20, "v1"}), IsOk());
    ASSERT_THAT(tx->InsertAssessment({"c1", "a3", "p1", "", T(0), "gad7", {}, 7, "v1"}), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  auto tx = Tx();

  auto ae_first = tx->ScanAdverseEvents("c1", {"", 2});
  auto ae_rest = tx->ScanAdverseEvents("c1", {"ae2", 2});
  auto ovs = tx->ScanOverrides("c1", {"", 10});
  auto as_first = tx->ScanAssessments("c1", {"", 2});
  auto as_rest = tx->ScanAssessments("c1", {"a2", 2});
  auto other = tx->ScanAssessments("c2", {"", 10});

  ASSERT_THAT(ae_first, IsOk());
  ASSERT_EQ(ae_first->size(), 2u);
  EXPECT_EQ((*ae_first)[0].id, "ae1");
  EXPECT_EQ((*ae_first)[1].id, "ae2");
  EXPECT_EQ((*ae_first)[1].session_id, "s2");
  ASSERT_THAT(ae_rest, IsOk());
  ASSERT_EQ(ae_rest->size(), 1u);
  EXPECT_EQ((*ae_rest)[0].id, "ae3");
  ASSERT_THAT(ovs, IsOk());
  ASSERT_EQ(ovs->size(), 2u);
  EXPECT_EQ((*ovs)[0].id, "o1");
  EXPECT_THAT((*ovs)[1].rule_ids, ElementsAre("plan.cap.annual"));
  ASSERT_THAT(as_first, IsOk());
  ASSERT_EQ(as_first->size(), 2u);
  EXPECT_EQ((*as_first)[0].id, "a1");
  EXPECT_EQ((*as_first)[0].total, 20);
  EXPECT_EQ((*as_first)[1].patient_id, "p2");
  ASSERT_THAT(as_rest, IsOk());
  ASSERT_EQ(as_rest->size(), 1u);
  EXPECT_EQ((*as_rest)[0].instrument, "gad7");
  ASSERT_THAT(other, IsOk());
  EXPECT_TRUE(other->empty());
}

TEST_P(StoreContractTest, LedgerListsOneLotOrAll) {
  Seed();
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertSession(Session("s1")), IsOk());
    ASSERT_THAT(tx->InsertLedgerEntry({"c1", "l1", "LOT-A", domain::LedgerKind::kReceived, T(0), Mg(500),
                                       MgPerMl(50), "2027-01-31", "", "u1", ""}),
                IsOk());
    ASSERT_THAT(tx->InsertLedgerEntry({"c1", "l2", "LOT-B", domain::LedgerKind::kReceived, T(1), Mg(1000),
                                       MgPerMl(100), "2027-06-30", "", "u1", ""}),
                IsOk());
    ASSERT_THAT(tx->InsertLedgerEntry({"c1", "l3", "LOT-A", domain::LedgerKind::kWasted, T(2), Mg(0.5),
                                       MgPerMl(50), "", "s1", "u1", "u2"}),
                IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  auto tx = Tx();

  auto a = tx->ListLedger("c1", "LOT-A");
  auto all = tx->ListLedger("c1", "");

  ASSERT_THAT(a, IsOk());
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[1].kind, domain::LedgerKind::kWasted);
  EXPECT_EQ((*a)[1].witness, "u2");
  EXPECT_EQ((*a)[1].session_id, "s1");
  EXPECT_EQ((*a)[0].expiry, "2027-01-31");
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->size(), 3u);
}

TEST_P(StoreContractTest, WasteWithoutWitnessIsInvalidArgument) {
  Seed();
  auto tx = Tx();

  EXPECT_THAT(tx->InsertLedgerEntry({"c1", "l1", "LOT-A", domain::LedgerKind::kWasted, T(0), Mg(5),
                                     MgPerMl(50), "", "", "u1", ""}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("witness")));
}

TEST_P(StoreContractTest, AuditRowsAppendAndListInSeqOrder) {
  Seed();
  {
    auto tx = Tx();
    auto head = tx->LastAuditEntry("c1");
    ASSERT_THAT(head, IsOk());
    EXPECT_FALSE(head->has_value());
    for (int seq = 1; seq <= 3; ++seq) {
      domain::AuditEntry e{"c1", seq, T(seq), "u1", "insert", "session", "s" + std::to_string(seq),
                           "", "after", "prev", "hash" + std::to_string(seq)};
      ASSERT_THAT(tx->AppendAudit(e), IsOk());
    }
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  auto tx = Tx();

  auto head = tx->LastAuditEntry("c1");
  auto page = tx->ListAudit("c1", 1, 10);

  ASSERT_THAT(head, IsOk());
  ASSERT_TRUE(head->has_value());
  EXPECT_EQ((*head)->seq, 3);
  EXPECT_EQ((*head)->hash, "hash3");
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].seq, 2);
  EXPECT_EQ((*page)[0].entity_id, "s2");
  EXPECT_EQ((*page)[0].at, T(2));
  EXPECT_THAT(tx->AppendAudit({"c1", 3, T(9), "u1", "insert", "x", "y", "", "", "p", "h"}),
              StatusIs(StatusCode::kAlreadyExists, ::testing::_));
}

// The batch forms (imports) store exactly what the one-row forms store:
// 150 rows cross the SQL backends' 64-row statements and their remainder.
TEST_P(StoreContractTest, BatchInsertsStoreWhatOneByOneStores) {
  Seed();
  std::vector<domain::SessionRecord> sessions;
  std::vector<domain::AuditEntry> audit;
  for (int i = 0; i < 150; ++i) {
    auto s = Session("b" + std::to_string(1000 + i), "p1", i);
    if (i % 3 == 0) {
      s.given_dose.reset();
      s.stopped_at.reset();
      s.state = domain::SessionState::kPlanned;
    }
    s.facts_version = i % 4;
    s.screening_outcome = i % 2 ? "eligible" : "";
    sessions.push_back(s);
    audit.push_back({"c1", i + 1, T(i), "u1", "insert", "session", s.id, "", "after " + std::to_string(i) + "\n",
                     "prev" + std::to_string(i), "hash" + std::to_string(i + 1)});
  }
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertSessions(sessions), IsOk());
    ASSERT_THAT(tx->AppendAudits(audit), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  auto tx = Tx();
  auto stored = tx->ListPatientSessions("c1", "p1");
  auto rows = tx->ListAudit("c1", 0, 1000);
  tx.reset();
  ASSERT_THAT(stored, IsOk());
  ASSERT_EQ(stored->size(), sessions.size());
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    const auto& a = sessions[i];
    const auto& b = (*stored)[i];
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.state, b.state);
    EXPECT_EQ(a.given_dose, b.given_dose);
    EXPECT_EQ(a.stopped_at, b.stopped_at);
    EXPECT_EQ(a.started_at, b.started_at);
    EXPECT_EQ(a.rate, b.rate);
    EXPECT_EQ(a.facts_version, b.facts_version);
    EXPECT_EQ(a.screening_outcome, b.screening_outcome);
  }
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), audit.size());
  for (std::size_t i = 0; i < audit.size(); ++i) {
    EXPECT_EQ((*rows)[i].seq, audit[i].seq);
    EXPECT_EQ((*rows)[i].after, audit[i].after);
    EXPECT_EQ((*rows)[i].hash, audit[i].hash);
    EXPECT_EQ((*rows)[i].at, audit[i].at);
  }
  // A duplicate anywhere in a batch is refused like a single duplicate.
  {
    auto tx2 = Tx();
    std::vector<domain::SessionRecord> again(sessions.begin() + 10, sessions.begin() + 80);
    EXPECT_THAT(tx2->InsertSessions(again), StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  }
  auto tx3 = Tx();
  std::vector<domain::SessionRecord> bad(sessions.begin(), sessions.begin() + 70);
  for (auto& s : bad) s.id += "-new";
  bad[65].dosing_weight = Kg(-1.0);
  EXPECT_THAT(tx3->InsertSessions(bad), StatusIs(StatusCode::kInvalidArgument, ::testing::_));
}

TEST_P(StoreContractTest, TransactionWithoutCommitLeavesNoTrace) {
  Seed();
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertSession(Session("s1")), IsOk());
    ASSERT_THAT(tx->InsertVital({"c1", "v1", "s1", T(5), domain::VitalKind::kHeartRate, 80}), IsOk());
  }

  auto tx = Tx();

  EXPECT_THAT(tx->GetSession("c1", "s1"), StatusIs(StatusCode::kNotFound, ::testing::_));
  auto vitals = tx->ListVitals("c1", "s1");
  ASSERT_THAT(vitals, IsOk());
  EXPECT_TRUE(vitals->empty());
}

TEST_P(StoreContractTest, FailedWritePoisonsTheTransaction) {
  Seed();
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertSession(Session("s1")), IsOk());
    ASSERT_THAT(tx->InsertPatient(Patient("p1")), StatusIs(StatusCode::kAlreadyExists, ::testing::_));

    EXPECT_THAT(tx->InsertPatient(Patient("p9")), StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
    EXPECT_THAT(tx->Commit(), StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
  }
  auto tx = Tx();
  EXPECT_THAT(tx->GetSession("c1", "s1"), StatusIs(StatusCode::kNotFound, ::testing::_));
}

TEST_P(StoreContractTest, CommittedTransactionRefusesMoreCalls) {
  Seed();
  auto tx = Tx();
  ASSERT_THAT(tx->Commit(), IsOk());

  EXPECT_THAT(tx->InsertPatient(Patient("p2")), StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
}

// ---- Idempotency keys (registry/idempotency.h) ----

TEST_P(StoreContractTest, IdempotencyKeyRoundTripsAndIsUniquePerClinicAndUser) {
  Seed();
  IdempotencyRecord r{"c1", "u1", "key-1", "hash-a", T(0), 0, ""};
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertIdempotencyKey(r), IsOk());
    IdempotencyRecord other_user = r;
    other_user.principal = "u2";
    ASSERT_THAT(tx->InsertIdempotencyKey(other_user), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  auto tx = Tx();
  auto got = tx->GetIdempotencyKey("c1", "u1", "key-1");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->request_hash, "hash-a");
  EXPECT_EQ(got->created_at, T(0));
  EXPECT_EQ(got->response_status, 0);  // no answer stored yet
  EXPECT_THAT(tx->GetIdempotencyKey("c1", "u3", "key-1"), StatusIs(StatusCode::kNotFound, HasSubstr("key-1")));

  EXPECT_THAT(tx->InsertIdempotencyKey(r), StatusIs(StatusCode::kAlreadyExists, ::testing::_));
}

TEST_P(StoreContractTest, IdempotencyKeyNeedsItsClinicAndFields) {
  Seed();
  {
    auto tx = Tx();
    EXPECT_THAT(tx->InsertIdempotencyKey({"nope", "u1", "k", "h", T(0), 0, ""}),
                StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
  }
  auto tx = Tx();
  EXPECT_THAT(tx->InsertIdempotencyKey({"c1", "u1", "", "h", T(0), 0, ""}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("key")));
}

TEST_P(StoreContractTest, IdempotencyKeyWrittenInARolledBackTransactionIsGone) {
  Seed();
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertSession(Session("s1")), IsOk());
    ASSERT_THAT(tx->InsertIdempotencyKey({"c1", "u1", "k", "h", T(0), 0, ""}), IsOk());
  }
  auto tx = Tx();
  EXPECT_THAT(tx->GetIdempotencyKey("c1", "u1", "k"), StatusIs(StatusCode::kNotFound, ::testing::_));
}

TEST_P(StoreContractTest, IdempotencyResponseIsStoredAndExpiredKeysPurged) {
  Seed();
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertIdempotencyKey({"c1", "u1", "old", "h", T(0), 0, ""}), IsOk());
    ASSERT_THAT(tx->InsertIdempotencyKey({"c1", "u1", "new", "h", T(60), 0, ""}), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  {
    auto tx = Tx();
    ASSERT_THAT(tx->SetIdempotencyResponse("c1", "u1", "new", 201, "{\"id\":\"p7\"}"), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  {
    auto tx = Tx();
    EXPECT_THAT(tx->SetIdempotencyResponse("c1", "u1", "absent", 201, "{}"),
                StatusIs(StatusCode::kNotFound, ::testing::_));
  }
  {
    auto tx = Tx();
    auto purged = tx->PurgeIdempotencyKeys("c1", T(30));
    ASSERT_THAT(purged, IsOk());
    EXPECT_EQ(*purged, 1);
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  auto tx = Tx();
  EXPECT_THAT(tx->GetIdempotencyKey("c1", "u1", "old"), StatusIs(StatusCode::kNotFound, ::testing::_));
  auto kept = tx->GetIdempotencyKey("c1", "u1", "new");
  ASSERT_THAT(kept, IsOk());
  EXPECT_EQ(kept->response_status, 201);
  EXPECT_EQ(kept->response_body, "{\"id\":\"p7\"}");
}

TEST_P(StoreContractTest, ListClinicsIsInIdOrder) {
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertClinic({"zz", "Z", "UTC"}), IsOk());
    ASSERT_THAT(tx->InsertClinic({"aa", "A", "UTC"}), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  auto tx = Tx();

  auto clinics = tx->ListClinics();

  ASSERT_THAT(clinics, IsOk());
  ASSERT_EQ(clinics->size(), 2u);
  EXPECT_EQ((*clinics)[0].id, "aa");
}

// ---- The clinical record (migration 003) ----

domain::PatientFacts Facts(int version, std::string patient = "p1") {
  domain::PatientFacts f;
  f.clinic_id = "c1";
  f.patient_id = std::move(patient);
  f.version = version;
  f.recorded_at = T(version);
  f.recorded_by = "u1";
  f.reason = version == 1 ? "" : "re-weighed";
  f.weight_kg = 70.0 + version;
  f.weight_method = "measured";
  f.weight_date = "2026-03-01";
  f.weight_confirmed_by = "rn1";
  f.height_cm = 168.0;
  f.pregnancy = domain::PregnancyStatus::kNotPregnant;
  f.pregnancy_date = "2026-02-28";
  f.conditions = {"hypertension_uncontrolled", "psychosis_history"};
  f.medications = {"cobicistat", "sertraline"};
  f.failed_antidepressant_trials = 2;
  f.baseline_sbp_mmhg = 124;
  f.baseline_dbp_mmhg = 78;
  f.baseline_hr_bpm = 72;
  f.baseline_spo2_pct = 98;
  f.baseline_rr_per_min = 14;
  return f;
}

TEST_P(StoreContractTest, PatientFactsRoundTripEveryFieldAndTheNewestVersionIsCurrent) {
  Seed();
  auto v2 = Facts(2);
  v2.height_cm.reset();
  v2.failed_antidepressant_trials.reset();
  v2.baseline_rr_per_min.reset();
  v2.conditions.clear();
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertPatientFacts(Facts(1)), IsOk());
    ASSERT_THAT(tx->InsertPatientFacts(v2), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }

  auto tx = Tx();
  auto current = tx->GetCurrentPatientFacts("c1", "p1");
  auto all = tx->ListPatientFacts("c1", "p1");

  ASSERT_THAT(current, IsOk());
  EXPECT_EQ(current->version, 2);
  EXPECT_EQ(current->weight_kg, std::optional<double>(72.0));
  EXPECT_FALSE(current->height_cm.has_value());
  EXPECT_FALSE(current->failed_antidepressant_trials.has_value());
  EXPECT_FALSE(current->baseline_rr_per_min.has_value());
  EXPECT_TRUE(current->conditions.empty());
  EXPECT_EQ(current->reason, "re-weighed");
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 2u);
  const auto& v1 = (*all)[0];
  EXPECT_EQ(v1.version, 1);
  EXPECT_EQ(v1.recorded_at, T(1));
  EXPECT_EQ(v1.recorded_by, "u1");
  EXPECT_EQ(v1.weight_kg, std::optional<double>(71.0));
  EXPECT_EQ(v1.weight_method, "measured");
  EXPECT_EQ(v1.weight_date, "2026-03-01");
  EXPECT_EQ(v1.weight_confirmed_by, "rn1");
  EXPECT_EQ(v1.height_cm, std::optional<double>(168.0));
  EXPECT_EQ(v1.pregnancy, domain::PregnancyStatus::kNotPregnant);
  EXPECT_EQ(v1.pregnancy_date, "2026-02-28");
  EXPECT_THAT(v1.conditions, ElementsAre("hypertension_uncontrolled", "psychosis_history"));
  EXPECT_THAT(v1.medications, ElementsAre("cobicistat", "sertraline"));
  EXPECT_EQ(v1.failed_antidepressant_trials, std::optional<int>(2));
  EXPECT_EQ(v1.baseline_sbp_mmhg, std::optional<double>(124));
  EXPECT_EQ(v1.baseline_dbp_mmhg, std::optional<double>(78));
  EXPECT_EQ(v1.baseline_hr_bpm, std::optional<double>(72));
  EXPECT_EQ(v1.baseline_spo2_pct, std::optional<double>(98));
  EXPECT_EQ(v1.baseline_rr_per_min, std::optional<double>(14));
}

TEST_P(StoreContractTest, PatientFactsVersionsAreUniqueGaplessAndNeedThePatient) {
  Seed();
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertPatientFacts(Facts(1)), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  EXPECT_THAT(Tx()->InsertPatientFacts(Facts(1)), StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  EXPECT_THAT(Tx()->InsertPatientFacts(Facts(3)), StatusIs(StatusCode::kInvalidArgument, HasSubstr("version")));
  EXPECT_THAT(Tx()->InsertPatientFacts(Facts(1, "nobody")), StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
  auto bad = Facts(2);
  bad.weight_method = "guessed";
  EXPECT_THAT(Tx()->InsertPatientFacts(bad), StatusIs(StatusCode::kInvalidArgument, HasSubstr("weight.method")));
  EXPECT_THAT(Tx()->GetCurrentPatientFacts("c1", "nobody"), StatusIs(StatusCode::kNotFound, ::testing::_));
}

TEST_P(StoreContractTest, ScreeningIsStoredPerFactsVersionAndRoute) {
  Seed();
  domain::ScreeningRecord sc{"c1", "p1", 1, "iv", T(2), "eligible_with_cautions",
                             {{"rescue.midazolam.protease_inhibitor", "caution"}, {"contra.x", "info"}},
                             "clonidine", {"midazolam", "antipsychotics"}, "kira 1.0"};
  {
    auto tx = Tx();
    EXPECT_THAT(tx->InsertScreening(sc), StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
  }
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertPatientFacts(Facts(1)), IsOk());
    ASSERT_THAT(tx->InsertScreening(sc), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  EXPECT_THAT(Tx()->InsertScreening(sc), StatusIs(StatusCode::kAlreadyExists, ::testing::_));

  auto tx = Tx();
  auto got = tx->GetScreening("c1", "p1", 1, "iv");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->screened_at, T(2));
  EXPECT_EQ(got->outcome, "eligible_with_cautions");
  ASSERT_EQ(got->findings.size(), 2u);
  EXPECT_EQ(got->findings[0].rule_id, "rescue.midazolam.protease_inhibitor");
  EXPECT_EQ(got->findings[0].severity, "caution");
  EXPECT_EQ(got->rescue_preferred, "clonidine");
  EXPECT_THAT(got->rescue_avoid, ElementsAre("midazolam", "antipsychotics"));
  EXPECT_EQ(got->guideline_version, "kira 1.0");
  EXPECT_THAT(tx->GetScreening("c1", "p1", 1, "intranasal"), StatusIs(StatusCode::kNotFound, ::testing::_));
}

// The multi-row forms an import uses store exactly what the single-row forms
// store, on every backend (rows spanning more than one multi-row statement,
// NULLs and empty lists included), and refuse what they refuse.
TEST_P(StoreContractTest, FactsAndScreeningsInBulkStoreWhatOneByOneStores) {
  Seed();
  constexpr int kPatients = 150;  // more than one multi-row statement
  auto facts_of = [](const std::string& patient, int i) {
    auto f = Facts(1, patient);
    f.reason = i % 3 ? "import: dosing_weight_kg of session s" + std::to_string(i) : "";
    f.weight_kg = 50.0 + i * 0.25;
    if (i % 4 == 0) f.height_cm.reset();
    if (i % 5 == 0) f.failed_antidepressant_trials.reset();
    if (i % 2) f.conditions.clear();
    if (i % 7 == 0) f.medications = {"it's \"quoted\"", "x"};
    if (i % 6 == 0) f.baseline_sbp_mmhg.reset();
    return f;
  };
  auto screenings_of = [](const std::string& patient, int i) {
    std::vector<domain::ScreeningRecord> out;
    for (const char* route : {"iv", "intranasal"}) {
      domain::ScreeningRecord sc{"c1", patient, 1, route, T(i), i % 2 ? "eligible" : "eligible_with_cautions",
                                 {}, i % 3 ? "clonidine" : "", {}, "kira 1.0"};
      if (i % 2 == 0) sc.findings = {{"rescue.midazolam.protease_inhibitor", "caution"}, {"contra.x", "info"}};
      if (i % 3 == 0) sc.rescue_avoid = {"midazolam", "antipsychotics"};
      out.push_back(sc);
    }
    return out;
  };
  std::vector<domain::PatientFacts> bulk_facts;
  std::vector<domain::ScreeningRecord> bulk_screenings;
  {
    auto tx = Tx();
    for (int i = 0; i < kPatients; ++i) {
      const std::string one = "one" + std::to_string(i), many = "many" + std::to_string(i);
      ASSERT_THAT(tx->InsertPatient(Patient(one)), IsOk());
      ASSERT_THAT(tx->InsertPatient(Patient(many)), IsOk());
      ASSERT_THAT(tx->InsertPatientFacts(facts_of(one, i)), IsOk());
      for (const auto& sc : screenings_of(one, i)) ASSERT_THAT(tx->InsertScreening(sc), IsOk());
      bulk_facts.push_back(facts_of(many, i));
      for (const auto& sc : screenings_of(many, i)) bulk_screenings.push_back(sc);
    }
    ASSERT_THAT(tx->InsertPatientFactsMany(bulk_facts), IsOk());
    ASSERT_THAT(tx->InsertScreenings(bulk_screenings), IsOk());
    ASSERT_THAT(tx->InsertPatientFactsMany({}), IsOk());
    ASSERT_THAT(tx->InsertScreenings({}), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  auto tx = Tx();
  auto facts_fields = [](const domain::PatientFacts& f) {
    return std::tuple(f.version, f.recorded_at, f.recorded_by, f.reason, f.weight_kg, f.weight_method, f.weight_date,
                      f.weight_confirmed_by, f.height_cm, f.pregnancy, f.pregnancy_date, f.conditions, f.medications,
                      f.failed_antidepressant_trials, f.baseline_sbp_mmhg, f.baseline_dbp_mmhg, f.baseline_hr_bpm,
                      f.baseline_spo2_pct, f.baseline_rr_per_min);
  };
  auto screening_fields = [](const domain::ScreeningRecord& x) {
    std::vector<std::pair<std::string, std::string>> findings;
    for (const auto& f : x.findings) findings.emplace_back(f.rule_id, f.severity);
    return std::tuple(x.facts_version, x.route, x.screened_at, x.outcome, findings, x.rescue_preferred, x.rescue_avoid,
                      x.guideline_version);
  };
  for (int i = 0; i < kPatients; ++i) {
    const std::string one = "one" + std::to_string(i), many = "many" + std::to_string(i);
    auto a = tx->ListPatientFacts("c1", one);
    auto b = tx->ListPatientFacts("c1", many);
    ASSERT_THAT(a, IsOk());
    ASSERT_THAT(b, IsOk());
    ASSERT_EQ(a->size(), 1u);
    ASSERT_EQ(b->size(), 1u) << many;
    EXPECT_EQ((*b)[0].patient_id, many);
    EXPECT_TRUE(facts_fields((*a)[0]) == facts_fields((*b)[0])) << "patient " << i;
    for (const char* route : {"iv", "intranasal"}) {
      auto x = tx->GetScreening("c1", one, 1, route);
      auto y = tx->GetScreening("c1", many, 1, route);
      ASSERT_THAT(x, IsOk());
      ASSERT_THAT(y, IsOk()) << many << " " << route;
      EXPECT_EQ(y->patient_id, many);
      EXPECT_TRUE(screening_fields(*x) == screening_fields(*y)) << "patient " << i << " " << route;
    }
  }
}

TEST_P(StoreContractTest, FactsAndScreeningsInBulkRefuseWhatOneByOneRefuses) {
  Seed();
  // A patient not registered, a repeated version, a value out of range.
  EXPECT_THAT(Tx()->InsertPatientFactsMany(std::vector{Facts(1, "nobody")}),
              StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
  EXPECT_THAT(Tx()->InsertPatientFactsMany(std::vector{Facts(1), Facts(1)}),
              StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  auto bad = Facts(1);
  bad.weight_method = "guessed";
  EXPECT_THAT(Tx()->InsertPatientFactsMany(std::vector{bad}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("weight.method")));
  domain::ScreeningRecord sc{"c1", "p1", 1, "iv", T(2), "eligible", {}, "", {}, "kira 1.0"};
  // A screening of facts not stored, the same screening twice.
  EXPECT_THAT(Tx()->InsertScreenings(std::vector{sc}), StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
  auto tx = Tx();
  ASSERT_THAT(tx->InsertPatientFactsMany(std::vector{Facts(1)}), IsOk());
  EXPECT_THAT(tx->InsertScreenings(std::vector{sc, sc}), StatusIs(StatusCode::kAlreadyExists, ::testing::_));
}

TEST_P(StoreContractTest, AlertStaysOpenUntilAcknowledged) {
  Seed();
  domain::AlertRecord a{"c1", "al1", "p1", "as1", "instrument.phq9.item9_positive", "item 9 above 0",
                        T(5), "u1", std::nullopt, "", "", std::nullopt, "", ""};
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertPatient(Patient("p2")), IsOk());
    ASSERT_THAT(tx->InsertAlert(a), IsOk());
    auto b = a;
    b.id = "al2";
    b.patient_id = "p2";
    b.raised_at = T(1);
    ASSERT_THAT(tx->InsertAlert(b), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  {
    auto tx = Tx();
    auto open = tx->ListAlerts("c1", "", true);
    ASSERT_THAT(open, IsOk());
    ASSERT_EQ(open->size(), 2u);
    EXPECT_EQ((*open)[0].id, "al2");  // raised first
    // A nurse told a clinician: stored, and the alert stays open.
    auto told = a;
    told.escalated_at = T(7);
    told.escalated_by = "rn1";
    told.escalated_to = "Dr One, by phone";
    ASSERT_THAT(tx->UpdateAlert(told), IsOk());
    auto still_open = tx->GetAlert("c1", "al1");
    ASSERT_THAT(still_open, IsOk());
    EXPECT_TRUE(still_open->open());
    EXPECT_EQ(still_open->escalated_at, std::optional<domain::Instant>(T(7)));
    EXPECT_EQ(still_open->escalated_to, "Dr One, by phone");
    auto ack = told;
    ack.acknowledged_at = T(9);
    ack.acknowledged_by = "dr1";
    ack.ack_reason = "seen; safety plan made";
    ack.message = "tampered";  // not an acknowledgement field: ignored
    ASSERT_THAT(tx->UpdateAlert(ack), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  {
    // An escalation names whom the nurse told.
    auto nameless = a;
    nameless.escalated_at = T(8);
    nameless.escalated_by = "rn1";
    EXPECT_THAT(Tx()->UpdateAlert(nameless), StatusIs(StatusCode::kInvalidArgument, HasSubstr("told")));
  }
  auto tx = Tx();
  auto got = tx->GetAlert("c1", "al1");
  ASSERT_THAT(got, IsOk());
  EXPECT_FALSE(got->open());
  EXPECT_EQ(got->acknowledged_at, std::optional<domain::Instant>(T(9)));
  EXPECT_EQ(got->acknowledged_by, "dr1");
  EXPECT_EQ(got->ack_reason, "seen; safety plan made");
  EXPECT_EQ(got->escalated_by, "rn1");  // kept by the acknowledgement
  EXPECT_EQ(got->message, "item 9 above 0");
  EXPECT_EQ(got->assessment_id, "as1");
  auto p1_open = tx->ListAlerts("c1", "p1", true);
  ASSERT_THAT(p1_open, IsOk());
  EXPECT_TRUE(p1_open->empty());
  auto p1_all = tx->ListAlerts("c1", "p1", false);
  ASSERT_THAT(p1_all, IsOk());
  EXPECT_EQ(p1_all->size(), 1u);
}

TEST_P(StoreContractTest, AlertAcknowledgementNeedsWhoAndWhyAndAPatient) {
  Seed();
  domain::AlertRecord a{"c1", "al1", "nobody", "as1", "r", "m", T(5), "u1", std::nullopt, "", "", std::nullopt, "", ""};
  EXPECT_THAT(Tx()->InsertAlert(a), StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
  a.patient_id = "p1";
  a.acknowledged_at = T(6);
  EXPECT_THAT(Tx()->InsertAlert(a), StatusIs(StatusCode::kInvalidArgument, HasSubstr("acknowledged_by")));
  a.acknowledged_at.reset();
  EXPECT_THAT(Tx()->UpdateAlert(a), StatusIs(StatusCode::kNotFound, ::testing::_));
}

TEST_P(StoreContractTest, SessionRecordsTheFactsVersionAndScreeningItWasGivenUnder) {
  Seed();
  auto s = Session("s1");
  s.facts_version = 3;
  s.screening_outcome = "eligible";
  {
    auto tx = Tx();
    ASSERT_THAT(tx->InsertSession(s), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  {
    auto tx = Tx();
    auto got = tx->GetSession("c1", "s1");
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(got->facts_version, 3);
    EXPECT_EQ(got->screening_outcome, "eligible");
    got->facts_version = 4;
    ASSERT_THAT(tx->UpdateSession(*got), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  auto tx = Tx();
  auto list = tx->ListPatientSessions("c1", "p1");
  ASSERT_THAT(list, IsOk());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].facts_version, 4);
}

// The registry's own audit chain (store.h kRegistryAuditChain): rows and
// checkpoints kept apart from every clinic's, mixed batches split, and no
// clinic may take a reserved id.
TEST_P(StoreContractTest, RegistryAuditChainIsKeptApartFromTheClinics) {
  Seed();
  const std::string reg(storage::kRegistryAuditChain);
  {
    auto tx = Tx();
    ASSERT_THAT(tx->LastAuditEntry(reg), IsOk());
    std::vector<domain::AuditEntry> batch = {
        {"c1", 1, T(1), "u1", "read", "patient", "p1", "", "a", "prev", "hc1"},
        {reg, 1, T(1), "anonymous", "login_failed", "login", "hmac-sha256:ab", "", "x", "prev", "hr1"},
        {reg, 2, T(2), "anonymous", "refused", "route", "GET /api/v1/patients/{id}", "", "y", "hr1", "hr2"},
    };
    ASSERT_THAT(tx->AppendAudits(batch), IsOk());
    ASSERT_THAT(tx->InsertAuditCheckpoint({reg, 2, "hr2", T(3), "pub", "sigr"}), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  auto tx = Tx();
  auto head = tx->LastAuditEntry(reg);
  ASSERT_THAT(head, IsOk());
  ASSERT_TRUE(head->has_value());
  EXPECT_EQ((*head)->seq, 2);
  EXPECT_EQ((*head)->hash, "hr2");
  auto rows = tx->ListAudit(reg, 0, 10);
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].action, "login_failed");
  auto clinic_rows = tx->ListAudit("c1", 0, 10);
  ASSERT_THAT(clinic_rows, IsOk());
  ASSERT_EQ(clinic_rows->size(), 1u);  // nothing of the registry chain in a clinic's
  EXPECT_EQ((*clinic_rows)[0].hash, "hc1");
  auto cps = tx->ListAuditCheckpoints(reg);
  ASSERT_THAT(cps, IsOk());
  ASSERT_EQ(cps->size(), 1u);
  EXPECT_TRUE(tx->ListAuditCheckpoints("c1")->empty());
  EXPECT_EQ(tx->ListAuditCheckpoints("")->size(), 1u);
  EXPECT_THAT(tx->InsertClinic({reg, "Not a clinic", "UTC"}), StatusIs(StatusCode::kInvalidArgument, ::testing::_));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContractTest,
                         ::testing::Values("memory", "sqlite", "postgres"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace kira::storage
