// The clinic-day use cases (registry/workflow.h) on the memory fake and on
// SQLite (migration 008): readings are never deleted (void and correct keep
// the original, monitoring reads only the readings that count), blood
// pressure is stored as a pair, reschedules and patient edits need a reason
// and are audited old -> new, discharge is recorded only on a "ready"
// decision, the REMS form cannot be signed until complete and is frozen once
// signed, and the public directory lists only published clinics.
#include "kira/registry/workflow.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>
#include <memory>

#include "kira/guideline/library.h"
#include "kira/storage/memory/memory_store.h"
#include "kira/storage/postgres/postgres_store.h"
#include "kira/storage/sqlite/sqlite_store.h"
#include "registry_test_util.h"
#include "testing/status_matchers.h"

namespace kira::registry {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::HasSubstr;
using test::At;

enum class Backend { kMemory, kSqlite, kPostgres };

// A schema name of letters, digits and '_' unique to this process and test.
std::string UniqueName(const char* prefix) {
  std::string name = std::string(prefix) + std::to_string(::getpid()) + "_" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

class WorkflowTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kMemory) {
      store_ = std::make_unique<storage::MemoryStore>();
    } else if (GetParam() == Backend::kPostgres) {
      // scripts/pg-test-cluster sets KIRA_PG_DSN; skipped without a server.
      const char* dsn = std::getenv("KIRA_PG_DSN");
      if (dsn == nullptr || *dsn == '\0') GTEST_SKIP() << "KIRA_PG_DSN not set";
      auto s = storage::PostgresStore::Open({.dsn = dsn, .schema = UniqueName("wf_"), .pool_size = 2});
      ASSERT_THAT(s.status(), IsOk());
      store_ = std::move(s).value();
    } else {
      dir_ = std::filesystem::temp_directory_path() /
             ("kira-workflow-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_);
      auto s = storage::SqliteStore::Open({.path = (dir_ / "kira.db").string()});
      ASSERT_THAT(s.status(), IsOk());
      store_ = std::move(s).value();
    }
    ASSERT_THAT(test::SeedClinic(*store_, clock_), IsOk());
    guideline::Protocol iv;
    iv.id = "iv-0.5-40min";
    iv.route = "iv";
    guideline::Protocol nasal;
    nasal.id = "in-esketamine-trd";
    nasal.route = "intranasal";
    lib_.protocols = {iv, nasal};
    libs_.guideline = &lib_;
    ASSERT_THAT(Run([](UnitOfWork& uow) { return uow.tx().InsertSession(test::MakeSession("s1")); }), IsOk());
  }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  template <class F>
  Status Run(F f) {
    return RunInUnitOfWork(*store_, clock_, "u1", [&](UnitOfWork& uow) -> Status { return f(uow); });
  }
  static domain::VitalSign Vital(std::string id, domain::VitalKind k, double v, const char* at) {
    domain::VitalSign x;
    x.clinic_id = "c1";
    x.id = std::move(id);
    x.session_id = "s1";
    x.kind = k;
    x.value = v;
    x.at = At(at);
    return x;
  }
  std::vector<domain::VitalSign> Effective() {
    auto tx = store_->Begin();
    auto v = EffectiveVitals(**tx, "c1", "s1");
    EXPECT_THAT(v.status(), IsOk());
    return v.ok() ? *v : std::vector<domain::VitalSign>{};
  }
  std::vector<domain::AuditEntry> Audit() {
    auto tx = store_->Begin();
    return *(*tx)->ListAudit("c1", 0, 1000);
  }
  domain::Appointment Book(std::string id, const char* at) {
    domain::Appointment a;
    a.clinic_id = "c1";
    a.id = std::move(id);
    a.patient_id = "p1";
    a.protocol_id = "iv-0.5-40min";
    a.chair = "Chair 1";
    a.scheduled_at = At(at);
    a.created_by = "u1";
    a.updated_at = clock_.Now();
    EXPECT_THAT(Run([&](UnitOfWork& uow) { return BookAppointment(uow, libs_, a); }), IsOk());
    return a;
  }

  FakeClock clock_{At("2026-11-30T08:00:00Z")};
  std::unique_ptr<storage::Store> store_;
  std::filesystem::path dir_;
  guideline::Library lib_;
  Libraries libs_;
};

TEST_P(WorkflowTest, BloodPressureIsStoredAsAPairAtOneTime) {
  using K = domain::VitalKind;
  EXPECT_THAT(Run([&](UnitOfWork& uow) {
                return AddVitalSet(uow, {Vital("v1", K::kSystolicBp, 128, "2026-03-01T09:05:00Z")});
              }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("blood pressure is a pair")));
  EXPECT_THAT(Run([&](UnitOfWork& uow) {
                return AddVitalSet(uow, {Vital("v1", K::kSystolicBp, 78, "2026-03-01T09:05:00Z"),
                                         Vital("v2", K::kDiastolicBp, 128, "2026-03-01T09:05:00Z")});
              }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("swapped")));
  EXPECT_TRUE(Effective().empty()) << "a refused set writes nothing";
  ASSERT_THAT(Run([&](UnitOfWork& uow) {
                return AddVitalSet(uow, {Vital("v1", K::kSystolicBp, 128, "2026-03-01T09:05:00Z"),
                                         Vital("v2", K::kDiastolicBp, 80, "2026-03-01T09:05:00Z"),
                                         Vital("v3", K::kSpO2, 98, "2026-03-01T09:05:00Z")});
              }),
              IsOk());
  const auto v = Effective();
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].at, v[1].at);
}

TEST_P(WorkflowTest, AVoidedReadingStaysOnRecordButNoLongerCounts) {
  ASSERT_THAT(Run([&](UnitOfWork& uow) {
                return AddVitalSet(uow, {Vital("v1", domain::VitalKind::kSpO2, 9, "2026-03-01T09:05:00Z")});
              }),
              IsOk());
  EXPECT_THAT(Run([&](UnitOfWork& uow) { return VoidVital(uow, "c1", "s1", "v1", " ", "u1", "a1").status(); }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("reason")));
  ASSERT_THAT(
      Run([&](UnitOfWork& uow) { return VoidVital(uow, "c1", "s1", "v1", "wrong patient", "u1", "a1").status(); }),
      IsOk());
  EXPECT_TRUE(Effective().empty());
  auto tx = store_->Begin();
  EXPECT_EQ((*tx)->ListVitals("c1", "s1")->size(), 1u) << "never deleted";
  tx->reset();
  EXPECT_THAT(Run([&](UnitOfWork& uow) { return VoidVital(uow, "c1", "s1", "v1", "again", "u1", "a2").status(); }),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("already voided")));
  EXPECT_THAT(Run([&](UnitOfWork& uow) { return VoidVital(uow, "c1", "s1", "nope", "x", "u1", "a3").status(); }),
              StatusIs(StatusCode::kNotFound, HasSubstr("nope")));
  EXPECT_EQ(Audit().back().action, "void");
  EXPECT_THAT(Audit().back().after, HasSubstr("reason=wrong patient"));
}

TEST_P(WorkflowTest, ACorrectionReplacesTheReadingAndKeepsTheOriginal) {
  ASSERT_THAT(Run([&](UnitOfWork& uow) {
                return AddVitalSet(uow, {Vital("v1", domain::VitalKind::kSpO2, 9, "2026-03-01T09:05:00Z")});
              }),
              IsOk());
  ASSERT_THAT(Run([&](UnitOfWork& uow) {
                return CorrectVital(uow, "c1", "s1", "v1", 97, std::nullopt, "typed 9 for 97", "u1", "a1", "v2")
                    .status();
              }),
              IsOk());
  const auto v = Effective();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].id, "v2");
  EXPECT_EQ(v[0].value, 97);
  EXPECT_EQ(v[0].at, At("2026-03-01T09:05:00Z")) << "the time of the original reading";
  EXPECT_EQ(Audit().back().action, "correct");
  EXPECT_THAT(Audit().back().before, HasSubstr("value=9"));
}

TEST_P(WorkflowTest, RescheduleNeedsAReasonAndIsAudited) {
  Book("ap1", "2026-03-01T09:00:00Z");
  EXPECT_THAT(Run([&](UnitOfWork& uow) {
                return RescheduleAppointment(uow, "c1", "ap1", At("2026-03-02T09:00:00Z"), "", "").status();
              }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("reason")));
  ASSERT_THAT(Run([&](UnitOfWork& uow) {
                return RescheduleAppointment(uow, "c1", "ap1", At("2026-03-02T09:00:00Z"), "Chair 3",
                                             "patient asked, childcare")
                    .status();
              }),
              IsOk());
  const auto last = Audit().back();
  EXPECT_EQ(last.action, "reschedule");
  EXPECT_THAT(last.before, HasSubstr("scheduled_at=2026-03-01T09:00:00Z"));
  EXPECT_THAT(last.after, HasSubstr("scheduled_at=2026-03-02T09:00:00Z"));
  EXPECT_THAT(last.after, HasSubstr("reason=patient asked, childcare"));
  EXPECT_THAT(Run([&](UnitOfWork& uow) {
                return SetAppointmentState(uow, "c1", "ap1", domain::AppointmentState::kCancelled, "").status();
              }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("reason")));
  EXPECT_THAT(Run([&](UnitOfWork& uow) {
                domain::Appointment a;
                a.clinic_id = "c1";
                a.id = "ap2";
                a.patient_id = "p1";
                a.protocol_id = "no-such-protocol";
                a.chair = "1";
                return BookAppointment(uow, libs_, a);
              }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("protocol_id")));
}

TEST_P(WorkflowTest, TheDayListShowsEachStageAndWhatBlocksIt) {
  Book("ap1", "2026-03-01T09:00:00Z");
  Book("ap-tomorrow", "2026-03-02T09:00:00Z");
  {
    auto tx = store_->Begin();
    auto rows = DayList(**tx, libs_, "c1", At("2026-03-01T00:00:00Z"), At("2026-03-02T00:00:00Z"));
    ASSERT_THAT(rows.status(), IsOk());
    ASSERT_EQ(rows->size(), 1u) << "only the day asked for";
    const DayRow& r = (*rows)[0];
    // s1 (seeded) started that day: the patient is dosing/monitoring, not merely booked.
    EXPECT_EQ(r.stage, DayStage::kMonitoring);
    EXPECT_THAT(r.blockers, ::testing::Contains(HasSubstr("not checked in")));
    EXPECT_THAT(r.blockers, ::testing::Contains(HasSubstr("no clinical facts")));
    EXPECT_THAT(r.blockers, ::testing::Contains(HasSubstr("no consent")));
    ASSERT_TRUE(r.identity.has_value());
    EXPECT_EQ(r.identity->mrn, "MRN1");
  }
  domain::ConsentRecord c{"c1", "cs1", "p1", "iv-0.5-40min", "2026-1", "2026-02-28", "Nina Nurse", "u1", clock_.Now()};
  ASSERT_THAT(Run([&](UnitOfWork& uow) { return RecordConsent(uow, libs_, c); }), IsOk());
  ASSERT_THAT(Run([&](UnitOfWork& uow) {
                return SetAppointmentState(uow, "c1", "ap1", domain::AppointmentState::kCheckedIn, "").status();
              }),
              IsOk());
  auto tx = store_->Begin();
  auto rows = DayList(**tx, libs_, "c1", At("2026-03-01T00:00:00Z"), At("2026-03-02T00:00:00Z"));
  ASSERT_THAT(rows.status(), IsOk());
  EXPECT_THAT((*rows)[0].blockers, ::testing::Not(::testing::Contains(HasSubstr("not checked in"))));
  EXPECT_THAT((*rows)[0].blockers, ::testing::Not(::testing::Contains(HasSubstr("consent"))));
}

TEST_P(WorkflowTest, DischargeIsRecordedOnlyWhenTheAdvisorSaidReady) {
  Book("ap1", "2026-03-01T09:00:00Z");
  domain::Decision not_ready;
  not_ready.outcome = "not_ready";
  EXPECT_THAT(Run([&](UnitOfWork& uow) { return RecordDischarge(uow, "c1", "ap1", "s1", not_ready, "u1").status(); }),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("not_ready")));
  domain::Decision ready;
  ready.outcome = "ready";
  ASSERT_THAT(Run([&](UnitOfWork& uow) { return RecordDischarge(uow, "c1", "ap1", "s1", ready, "u1").status(); }),
              IsOk());
  auto tx = store_->Begin();
  auto a = (*tx)->GetAppointment("c1", "ap1");
  ASSERT_THAT(a.status(), IsOk());
  EXPECT_EQ(a->state, domain::AppointmentState::kDischarged);
  EXPECT_EQ(a->session_id, "s1");
  EXPECT_EQ(a->discharged_by, "u1");
  ASSERT_TRUE(a->discharged_at.has_value());
}

TEST_P(WorkflowTest, TheRemsFormCannotBeSignedUntilCompleteAndIsFrozenOnceSigned) {
  domain::RemsForm f;
  f.clinic_id = "c1";
  f.id = "rems-s1";
  f.session_id = "s1";
  f.bp_pre_sbp = 128;
  f.bp_pre_dbp = 82;
  EXPECT_THAT(Run([&](UnitOfWork& uow) { return SaveRemsForm(uow, f, true, "u1").status(); }),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("lot number")));
  ASSERT_THAT(Run([&](UnitOfWork& uow) { return SaveRemsForm(uow, f, false, "u1").status(); }), IsOk());
  f.lot = "ESK-1";
  f.concomitant_classes = {"benzodiazepine"};
  f.bp_40_sbp = 142;
  f.bp_40_dbp = 88;
  f.bp_end_sbp = 126;
  f.bp_end_dbp = 80;
  f.monitoring_minutes = 125;
  f.sedation = "yes";
  f.dissociation = "yes";
  f.respiratory_depression = "no";
  EXPECT_TRUE(RemsMissingFields(f).empty());
  ASSERT_THAT(Run([&](UnitOfWork& uow) { return SaveRemsForm(uow, f, true, "u1").status(); }), IsOk());
  EXPECT_THAT(Run([&](UnitOfWork& uow) { return SaveRemsForm(uow, f, false, "u1").status(); }),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("signed")));
  auto tx = store_->Begin();
  auto saved = (*tx)->GetRemsForm("c1", "rems-s1");
  ASSERT_THAT(saved.status(), IsOk());
  EXPECT_EQ(saved->signed_by, "u1");
  EXPECT_EQ(saved->session_at, At("2026-03-01T09:00:00Z"));
  EXPECT_EQ(saved->concomitant_classes, std::vector<std::string>{"benzodiazepine"});
  EXPECT_EQ(*saved->bp_40_sbp, 142);
  const std::string csv = RemsCsv({*saved});
  EXPECT_THAT(csv, HasSubstr("s1,p1,2026-03-01T09:00:00Z,ESK-1,benzodiazepine,128,82,142,88,126,80,125,yes,yes,no"));
}

TEST_P(WorkflowTest, RemsCsvQuotesTextAndDefusesFormulas) {
  domain::RemsForm f;
  f.session_id = "s1";
  f.notes = "=HYPERLINK(\"x\"), dizzy";
  EXPECT_THAT(RemsCsv({f}), HasSubstr(",\"'=HYPERLINK(\"\"x\"\"), dizzy\","));
}

TEST_P(WorkflowTest, PatientEditsNeedAReasonAndKeepOldAndNew) {
  domain::PatientRecord p{"c1", "p1", "female", 1981, "trd"};
  EXPECT_THAT(Run([&](UnitOfWork& uow) { return EditPatient(uow, p, std::nullopt, ""); }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("reason")));
  domain::PatientIdentity id{"c1", "p1", "Jane", "Doe-Smith", "1981-04-02", "MRN1", "02139", "555-0100", ""};
  ASSERT_THAT(Run([&](UnitOfWork& uow) { return EditPatient(uow, p, id, "birth year mistyped; married name"); }),
              IsOk());
  auto tx = store_->Begin();
  auto h = PatientHistory(**tx, "c1", "p1");
  ASSERT_THAT(h.status(), IsOk());
  ASSERT_GE(h->size(), 4u);  // enrolment (record, identity), then the two edits
  const PatientChange& last = h->back();
  EXPECT_EQ(last.entity, "patient_identity");
  // Identifiers stay out of the audit log: it names the fields that changed.
  EXPECT_THAT(last.after, HasSubstr("changed=family_name,birth_date,email"));
  EXPECT_THAT(last.after, ::testing::Not(HasSubstr("Doe-Smith")));
  const PatientChange& record = (*h)[h->size() - 2];
  EXPECT_EQ(record.entity, "patient");
  EXPECT_THAT(record.before, HasSubstr("birth_year=1980"));
  EXPECT_THAT(record.after, HasSubstr("birth_year=1981"));
  EXPECT_THAT(last.after, HasSubstr("reason=birth year mistyped; married name"));
  EXPECT_EQ((*tx)->GetPatient("c1", "p1")->birth_year, 1981);
}

// Nothing is recorded before it happened: a reading, an adverse event or a
// birth year ahead of the clock is bad input naming the field, and a
// saturation above 100 % is a typing or unit error the store refuses.
TEST_P(WorkflowTest, NothingIsRecordedAheadOfTheClockAndSpO2StaysAPercentage) {
  using K = domain::VitalKind;
  const std::string next_year = "2027-11-30T08:00:00Z";
  EXPECT_THAT(Run([&](UnitOfWork& uow) { return AddVitalSet(uow, {Vital("v1", K::kHeartRate, 80, next_year.c_str())}); }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("at: 2027-11-30")));
  EXPECT_THAT(Run([&](UnitOfWork& uow) { return AddVitalSet(uow, {Vital("v2", K::kSpO2, 150, "2026-11-30T07:00:00Z")}); }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("SpO2 is a percentage")));
  EXPECT_TRUE(Effective().empty()) << "a refused reading writes nothing";
  EXPECT_THAT(Run([&](UnitOfWork& uow) {
                return AddAdverseEvent(uow, {"c1", "ae1", "s1", At(next_year.c_str()), "nausea", domain::AeSeverity::kMild, ""});
              }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("at: 2027-11-30")));
  EXPECT_THAT(Run([&](UnitOfWork& uow) {
                return AddPatient(uow, {"c1", "p-born-later", "female", 2031, "trd"}, std::nullopt);
              }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("birth_year: 2031 is after this year (2026)")));
  // Within the clocks' tolerance is now.
  EXPECT_THAT(Run([&](UnitOfWork& uow) { return AddVitalSet(uow, {Vital("v3", K::kSpO2, 100, "2026-11-30T08:04:00Z")}); }),
              IsOk());
}

TEST_P(WorkflowTest, SearchFindsNameOrMrnAndPages) {
  ASSERT_THAT(Run([&](UnitOfWork& uow) -> Status {
                for (int i = 2; i <= 5; ++i) {
                  const std::string pid = "p" + std::to_string(i);
                  KIRA_RETURN_IF_ERROR(AddPatient(uow, {"c1", pid, "male", 1970, "trd"},
                                                  domain::PatientIdentity{"c1", pid, "Ben", "Beta", "", "MRN-" + pid,
                                                                          "", "", ""}));
                }
                return Status::Ok();
              }),
              IsOk());
  auto tx = store_->Begin();
  auto byName = SearchPatients(**tx, "c1", "beta ben", "", 10);
  ASSERT_THAT(byName.status(), IsOk());
  EXPECT_EQ(byName->patients.size(), 4u);
  auto byMrn = SearchPatients(**tx, "c1", "mrn1", "", 10);
  ASSERT_EQ(byMrn->patients.size(), 1u);
  EXPECT_EQ(byMrn->patients[0].patient.id, "p1");
  auto page1 = SearchPatients(**tx, "c1", "ben", "", 3);
  ASSERT_EQ(page1->patients.size(), 3u);
  ASSERT_FALSE(page1->next_after.empty());
  auto page2 = SearchPatients(**tx, "c1", "ben", page1->next_after, 3);
  ASSERT_EQ(page2->patients.size(), 1u);
  EXPECT_TRUE(page2->next_after.empty());
}

TEST_P(WorkflowTest, TheDirectoryListsOnlyPublishedClinicsByRegion) {
  domain::ClinicListing l{"c1", "North Clinic", "Munich", "Bavaria", {"iv"}, "+49 89 555", false, clock_.Now()};
  ASSERT_THAT(Run([&](UnitOfWork& uow) { return PutListing(uow, l); }), IsOk());
  {
    auto tx = store_->Begin();
    EXPECT_TRUE(PublicDirectory(**tx, "")->empty()) << "not published";
  }
  l.published = true;
  ASSERT_THAT(Run([&](UnitOfWork& uow) { return PutListing(uow, l); }), IsOk());
  auto tx = store_->Begin();
  EXPECT_EQ(PublicDirectory(**tx, "bav")->size(), 1u);
  EXPECT_TRUE(PublicDirectory(**tx, "Saxony")->empty());
  l.contact = "";
  tx->reset();
  EXPECT_THAT(Run([&](UnitOfWork& uow) { return PutListing(uow, l); }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("contact")));
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkflowTest,
                         ::testing::Values(Backend::kMemory, Backend::kSqlite, Backend::kPostgres),
                         [](const auto& p) {
                           return p.param == Backend::kMemory ? "Memory"
                                  : p.param == Backend::kSqlite ? "Sqlite"
                                                                : "Postgres";
                         });

}  // namespace
}  // namespace kira::registry
