// LoadCohort: registry rows -> analytics::Cohort, read in pages. A page size
// of 1 makes every Store read span many pages, so paging bugs show up.
#include "kira/registry/analytics_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <unistd.h>

#include "kira/storage/memory/memory_store.h"
#include "kira/storage/postgres/postgres_store.h"
#include "kira/storage/sqlite/sqlite_store.h"
#include "testing/status_matchers.h"

namespace kira::registry {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

domain::Instant Day(int day, int hour = 9) {
  return domain::FromUnixMicros((static_cast<std::int64_t>(day) * 24 + hour) * 3600LL * 1000000LL);
}

domain::SessionRecord Session(std::string clinic, std::string id, std::string patient, std::string protocol,
                              int day, std::optional<double> given_mg, double kg = 70) {
  domain::SessionRecord s;
  s.clinic_id = std::move(clinic);
  s.id = std::move(id);
  s.patient_id = std::move(patient);
  s.protocol_id = std::move(protocol);
  s.state = given_mg ? domain::SessionState::kDischarged : domain::SessionState::kPlanned;
  s.dosing_weight = units::Kg(kg);
  s.planned_dose = units::Mg(35);
  if (given_mg) s.given_dose = units::Mg(*given_mg);
  s.concentration = units::MgPerMl(1);
  s.rate = units::MlPerH(52.5);
  s.started_at = Day(day);
  s.recorded_by = "u1";
  s.decision_outcome = "ok";
  return s;
}

CohortQuery Query(std::string dimension, int page_size = 5000, std::string clinic = "") {
  CohortQuery q;
  q.dimension = std::move(dimension);
  q.page_size = page_size;
  q.clinic_id = std::move(clinic);
  return q;
}

class LoadCohortTest : public ::testing::Test {
 protected:
  void SetUp() override {
    guideline::Protocol iv;
    iv.id = "iv-series";
    iv.route = "iv";
    iv.sessions_in_series = 2;
    library_.protocols.push_back(iv);

    Fill(store_);
  }

  static void Fill(storage::Store& store) {
    auto tx = store.Begin();
    ASSERT_THAT(tx, IsOk());
    auto& t = **tx;
    ASSERT_THAT(t.InsertClinic({"c1", "One", "UTC"}), IsOk());
    ASSERT_THAT(t.InsertClinic({"c2", "Two", "UTC"}), IsOk());
    ASSERT_THAT(t.InsertPatient({"c1", "p1", "female", 1980, "trd"}), IsOk());
    ASSERT_THAT(t.InsertPatient({"c1", "p2", "male", 1970, "crps"}), IsOk());
    ASSERT_THAT(t.InsertPatient({"c2", "p1", "male", 1990, "trd"}), IsOk());
    // c1/p1: inserted out of time order; second session with nausea and a cap override.
    ASSERT_THAT(t.InsertSession(Session("c1", "s2", "p1", "iv-series", 12, 42.0)), IsOk());
    ASSERT_THAT(t.InsertSession(Session("c1", "s1", "p1", "iv-series", 10, 35.0)), IsOk());
    ASSERT_THAT(t.InsertAdverseEvent({"c1", "e1", "s2", Day(12, 10), "nausea", domain::AeSeverity::kMild, ""}),
                IsOk());
    ASSERT_THAT(t.InsertOverride({"c1", "o1", "s2", "u1", Day(12), {"plan.cap.annual"}, "reason"}), IsOk());
    ASSERT_THAT(t.InsertOverride({"c1", "o2", "s1", "u1", Day(10), {"dose.other"}, "reason"}), IsOk());
    // c1/p2: a protocol the library does not know; planned only.
    ASSERT_THAT(t.InsertSession(Session("c1", "s3", "p2", "mystery", 11, std::nullopt)), IsOk());
    ASSERT_THAT(t.InsertSession(Session("c2", "s1", "p1", "iv-series", 5, 70.0, 100)), IsOk());
    ASSERT_THAT(t.InsertAdverseEvent({"c2", "e1", "s1", Day(5, 10), "dissociation", domain::AeSeverity::kMild, ""}),
                IsOk());
    ASSERT_THAT(t.InsertAssessment({"c1", "a2", "p1", "", Day(11), "phq9", {}, 9, "v"}), IsOk());
    ASSERT_THAT(t.InsertAssessment({"c1", "a1", "p1", "", Day(9), "phq9", {}, 20, "v"}), IsOk());
    ASSERT_THAT(t.InsertAssessment({"c1", "a3", "p1", "", Day(9), "gad7", {}, 12, "v"}), IsOk());
    ASSERT_THAT(t.Commit(), IsOk());
  }

  storage::MemoryStore store_;
  guideline::Library library_;
};

TEST_F(LoadCohortTest, BuildsPatientsSessionsAndScoresInTimeOrder) {
  auto cohort = LoadCohort(store_, library_, Query("indication", 1));

  ASSERT_THAT(cohort, IsOk());
  EXPECT_THAT(cohort->group_names, ElementsAre("crps", "trd"));
  EXPECT_THAT(cohort->ae_classes, ElementsAre("dissociation", "nausea"));
  ASSERT_EQ(cohort->patients.size(), 3u);
  const auto& p1 = cohort->patients[0];  // c1/p1
  EXPECT_EQ(p1.group, 1u);
  EXPECT_EQ(p1.session_count, 2u);
  EXPECT_EQ(p1.series_length, 2u);
  const auto& first = cohort->sessions[p1.first_session];
  const auto& second = cohort->sessions[p1.first_session + 1];
  EXPECT_NEAR(first.mg_per_kg, 0.5, 1e-12);
  EXPECT_NEAR(second.mg_per_kg, 0.6, 1e-12);
  EXPECT_TRUE(second.cap_override);
  EXPECT_FALSE(first.cap_override);  // an override of another rule
  EXPECT_EQ(second.ae_mask, 2u);     // nausea
  ASSERT_EQ(p1.score_count, 2u);     // phq9 only
  EXPECT_DOUBLE_EQ(cohort->scores[p1.first_score].total, 20);
  EXPECT_DOUBLE_EQ(cohort->scores[p1.first_score + 1].total, 9);
  const auto& p2 = cohort->patients[1];
  EXPECT_EQ(p2.series_length, 1u);
  EXPECT_FALSE(cohort->sessions[p2.first_session].administered);
  EXPECT_EQ(cohort->sessions[cohort->patients[2].first_session].ae_mask, 1u);  // dissociation
}

TEST_F(LoadCohortTest, GroupsByRouteAndClinic) {
  auto by_route = LoadCohort(store_, library_, Query("route", 2));
  auto by_clinic = LoadCohort(store_, library_, Query("clinic"));
  auto one_clinic = LoadCohort(store_, library_, Query("protocol", 5000, "c2"));

  ASSERT_THAT(by_route, IsOk());
  EXPECT_THAT(by_route->group_names, ElementsAre("iv", "unknown"));
  ASSERT_THAT(by_clinic, IsOk());
  EXPECT_THAT(by_clinic->group_names, ElementsAre("c1", "c2"));
  ASSERT_THAT(one_clinic, IsOk());
  EXPECT_THAT(one_clinic->group_names, ElementsAre("iv-series"));
  EXPECT_EQ(one_clinic->patients.size(), 1u);
}

TEST_F(LoadCohortTest, FiltersOnIndicationAndFirstSession) {
  // Indication: c1/p1 and c2/p1 are trd.
  CohortQuery trd = Query("clinic", 1);
  trd.indication = "trd";
  auto a = LoadCohort(store_, library_, trd);
  ASSERT_THAT(a, IsOk());
  EXPECT_THAT(a->group_names, ElementsAre("c1", "c2"));
  ASSERT_EQ(a->patients.size(), 2u);
  EXPECT_EQ(a->sessions.size(), 3u);
  EXPECT_EQ(a->scores.size(), 2u);  // c1/p1's phq9 scores, still contiguous
  EXPECT_EQ(a->patients[0].score_count, 2u);
  EXPECT_EQ(a->patients[1].first_session, 2u);

  // Route of the first session: c1/p2's protocol is unknown to the library.
  CohortQuery unknown = Query("indication");
  unknown.route = "unknown";
  auto b = LoadCohort(store_, library_, unknown);
  ASSERT_THAT(b, IsOk());
  EXPECT_THAT(b->group_names, ElementsAre("crps"));
  ASSERT_EQ(b->patients.size(), 1u);
  EXPECT_EQ(b->scores.size(), 0u);

  // Protocol and period [day 6, day 11): only c1/p1 (first session day 10);
  // c2/p1 starts on day 5 and c1/p2 on day 11.
  CohortQuery period = Query("protocol", 2);
  period.protocol = "iv-series";
  period.from_day = 6;
  period.to_day = 11;
  auto c = LoadCohort(store_, library_, period);
  ASSERT_THAT(c, IsOk());
  ASSERT_EQ(c->patients.size(), 1u);
  EXPECT_EQ(c->patients[0].session_count, 2u);  // later sessions of a kept patient stay
  EXPECT_EQ(c->sessions.size(), 2u);

  // Nobody: an empty cohort, not an error.
  CohortQuery none = Query("indication");
  none.from_day = 1000;
  auto d = LoadCohort(store_, library_, none);
  ASSERT_THAT(d, IsOk());
  EXPECT_TRUE(d->patients.empty());
  EXPECT_TRUE(d->sessions.empty());
}

void ExpectSameCohort(const analytics::Cohort& a, const analytics::Cohort& b, const std::string& what) {
  EXPECT_EQ(a.group_names, b.group_names) << what;
  EXPECT_EQ(a.ae_classes, b.ae_classes) << what;
  ASSERT_EQ(a.patients.size(), b.patients.size()) << what;
  for (std::size_t i = 0; i < a.patients.size(); ++i) {
    const auto &x = a.patients[i], &y = b.patients[i];
    EXPECT_EQ(x.group, y.group) << what << " patient " << i;
    EXPECT_EQ(x.first_session, y.first_session) << what << " patient " << i;
    EXPECT_EQ(x.session_count, y.session_count) << what << " patient " << i;
    EXPECT_EQ(x.first_score, y.first_score) << what << " patient " << i;
    EXPECT_EQ(x.score_count, y.score_count) << what << " patient " << i;
    EXPECT_EQ(x.series_length, y.series_length) << what << " patient " << i;
  }
  ASSERT_EQ(a.sessions.size(), b.sessions.size()) << what;
  for (std::size_t i = 0; i < a.sessions.size(); ++i) {
    const auto &x = a.sessions[i], &y = b.sessions[i];
    EXPECT_DOUBLE_EQ(x.start_day, y.start_day) << what << " session " << i;
    EXPECT_DOUBLE_EQ(x.mg_per_kg, y.mg_per_kg) << what << " session " << i;
    EXPECT_EQ(x.administered, y.administered) << what << " session " << i;
    EXPECT_EQ(x.completed, y.completed) << what << " session " << i;
    EXPECT_EQ(x.cap_override, y.cap_override) << what << " session " << i;
    EXPECT_EQ(x.ae_mask, y.ae_mask) << what << " session " << i;
  }
  ASSERT_EQ(a.scores.size(), b.scores.size()) << what;
  for (std::size_t i = 0; i < a.scores.size(); ++i) {
    EXPECT_DOUBLE_EQ(a.scores[i].day, b.scores[i].day) << what << " score " << i;
    EXPECT_DOUBLE_EQ(a.scores[i].total, b.scores[i].total) << what << " score " << i;
  }
}

std::filesystem::path TempDb(const std::string& name) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("kira_analytics_source_" + name + "_" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(path);
  return path;
}

// SQLite answers ScanCohortColumns with its own streaming statements (row
// keys instead of session ids); the cohort must equal the paged default's,
// whether the store is read on a second thread or on the caller's.
TEST_F(LoadCohortTest, SqliteColumnarReadEqualsThePagedRead) {
  const auto path = TempDb("small");
  {
    auto sqlite = storage::SqliteStore::Open({.path = path.string()});
    ASSERT_THAT(sqlite, IsOk());
    Fill(**sqlite);
    for (const char* dim : {"indication", "protocol", "route", "clinic"}) {
      for (bool overlap : {true, false}) {
        CohortQuery q = Query(dim, 1);
        q.route = std::string(dim) == "route" ? "iv" : "";
        q.overlap_read = overlap;
        auto a = LoadCohort(store_, library_, q);
        auto b = LoadCohort(**sqlite, library_, q);
        ASSERT_THAT(a, IsOk());
        ASSERT_THAT(b, IsOk());
        ExpectSameCohort(*a, *b, std::string(dim) + (overlap ? " overlap" : " one thread"));
      }
    }
  }
  std::filesystem::remove(path);
}

// A registry large enough to span many of the reader's batches, entered in
// two orders: patient by patient (the rows already grouped, the fast path)
// and interleaved across patients and clinics, AE classes first seen out of
// name order. Every path gives the same cohort as the paged in-memory read.
TEST_F(LoadCohortTest, LargeRegistryInAnyRowOrderGivesTheSameCohort) {
  struct Plan {
    std::string clinic, patient, indication;
    int sessions;
  };
  std::vector<Plan> plans;
  for (int i = 0; i < 1500; ++i) {
    plans.push_back({i % 3 == 0 ? "c2" : "c1", "p" + std::to_string(i), i % 2 == 0 ? "trd" : "crps", i % 7});
  }
  const char* ae_types[] = {"vomiting", "dissociation", "nausea"};
  auto fill = [&](storage::Store& store, bool interleaved) {
    auto tx = store.Begin();
    ASSERT_THAT(tx, IsOk());
    auto& t = **tx;
    ASSERT_THAT(t.InsertClinic({"c1", "One", "UTC"}), IsOk());
    ASSERT_THAT(t.InsertClinic({"c2", "Two", "UTC"}), IsOk());
    for (const Plan& p : plans) ASSERT_THAT(t.InsertPatient({p.clinic, p.patient, "female", 1980, p.indication}), IsOk());
    int n = 0;
    auto session = [&](const Plan& p, int k) {
      const std::string id = p.patient + "s" + std::to_string(k);
      const std::string protocol = k % 3 == 2 ? "mystery" : "iv-series";
      if (k % 4 == 3) {  // planned, no dose given
        ASSERT_THAT(t.InsertSession(Session(p.clinic, id, p.patient, protocol, 100 + 3 * k, std::nullopt, 60 + k)), IsOk());
      } else {
        ASSERT_THAT(t.InsertSession(Session(p.clinic, id, p.patient, protocol, 100 + 3 * k, 30.0 + k, 60 + k)), IsOk());
      }
      if ((n++) % 5 == 0) {
        ASSERT_THAT(t.InsertAdverseEvent({p.clinic, id + "e", id, Day(100 + 3 * k, 10), ae_types[n % 3],
                                          domain::AeSeverity::kMild, ""}),
                    IsOk());
      }
      if (n % 11 == 0) {
        ASSERT_THAT(t.InsertOverride({p.clinic, id + "o", id, "u1", Day(100), {"plan.cap.annual"}, "r"}), IsOk());
      }
      ASSERT_THAT(t.InsertAssessment({p.clinic, id + "a", p.patient, "", Day(99 + 3 * k), "phq9", {}, 20 - k, "v"}), IsOk());
    };
    if (interleaved) {
      for (int k = 6; k >= 0; --k) {
        for (const Plan& p : plans) {
          if (k < p.sessions) session(p, k);
        }
      }
    } else {  // clinic by clinic: each clinic's row keys contiguous
      for (const char* clinic : {"c1", "c2"}) {
        for (const Plan& p : plans) {
          for (int k = 0; p.clinic == clinic && k < p.sessions; ++k) session(p, k);
        }
      }
    }
    ASSERT_THAT(t.Commit(), IsOk());
  };
  // PostgreSQL too when KIRA_PG_DSN names a server (scripts/pg-test-cluster):
  // no row key there, sessions are numbered in id order.
  const char* dsn = std::getenv("KIRA_PG_DSN");
  const bool pg = dsn != nullptr && *dsn != '\0';
  for (int backend = 0; backend < (pg ? 4 : 2); ++backend) {
    const bool interleaved = backend % 2 == 1;
    storage::MemoryStore memory;
    fill(memory, interleaved);
    const auto path = TempDb(interleaved ? "interleaved" : "ordered");
    {
      std::unique_ptr<storage::Store> store;
      if (backend < 2) {
        auto sqlite = storage::SqliteStore::Open({.path = path.string()});
        ASSERT_THAT(sqlite, IsOk());
        store = std::move(sqlite).value();
      } else {
        auto postgres = storage::PostgresStore::Open(
            {.dsn = dsn, .schema = "cohort_" + std::to_string(::getpid()) + "_" + std::to_string(backend), .pool_size = 1});
        ASSERT_THAT(postgres, IsOk());
        store = std::move(postgres).value();
      }
      fill(*store, interleaved);
      for (const char* dim : {"indication", "protocol", "clinic"}) {
        for (const std::string& protocol : {std::string(), std::string("iv-series")}) {
          CohortQuery q = Query(dim);
          q.protocol = protocol;
          auto want = LoadCohort(memory, library_, q);
          ASSERT_THAT(want, IsOk());
          EXPECT_GT(want->sessions.size(), 1000u);
          for (bool overlap : {true, false}) {
            q.overlap_read = overlap;
            auto got = LoadCohort(*store, library_, q);
            ASSERT_THAT(got, IsOk());
            ExpectSameCohort(*want, *got,
                             std::string(backend < 2 ? "sqlite " : "postgres ") + dim +
                                 (interleaved ? " interleaved" : " ordered") + (overlap ? " overlap" : "") +
                                 (protocol.empty() ? "" : " protocol filter"));
          }
        }
      }
    }
    std::filesystem::remove(path);
  }
}

TEST_F(LoadCohortTest, UnknownDimensionIsInvalidArgument) {
  EXPECT_THAT(LoadCohort(store_, library_, Query("colour")),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("dimension")));
  EXPECT_THAT(LoadCohort(store_, library_, Query("indication", 5000, "nope")),
              StatusIs(StatusCode::kNotFound, HasSubstr("nope")));
}

}  // namespace
}  // namespace kira::registry
