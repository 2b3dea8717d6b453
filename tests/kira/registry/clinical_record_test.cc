// The stored clinical record (registry/clinical_record.h) with the shipped
// libraries: the scenarios of issue "One clinical truth", each through the
// registry's use cases, naming the Advisor rule that decides it.
#include "kira/registry/clinical_record.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "kira/registry/advisor.h"
#include "kira/storage/memory/memory_store.h"
#include "registry_test_util.h"
#include "testing/libraries.h"
#include "testing/status_matchers.h"

namespace kira::registry {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using test::At;

class ClinicalRecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(test::SeedClinic(store_, clock_), IsOk());
    recorder_ = std::make_unique<SessionRecorder>(
        &store_, &clock_, AdvisorDoseCheck(*Libs().guideline, &Libs().advisor->annual_cap), Libs().guideline);
  }
  static const Libraries& Libs() { return kira::testing::ShippedLibraries(); }

  domain::PatientFacts Facts(double weight_kg) {
    domain::PatientFacts f;
    f.clinic_id = "c1";
    f.patient_id = "p1";
    f.weight_kg = weight_kg;
    f.height_cm = 168;
    f.pregnancy = domain::PregnancyStatus::kNotPregnant;
    f.baseline_sbp_mmhg = 124;
    f.baseline_dbp_mmhg = 78;
    f.baseline_hr_bpm = 72;
    f.baseline_spo2_pct = 98;
    f.baseline_rr_per_min = 14;
    return f;
  }
  StatusOr<RecordFactsResult> Record(const domain::PatientFacts& f) {
    RecordFactsResult out;
    Status s = RunInUnitOfWork(store_, clock_, "u1", [&](UnitOfWork& uow) -> Status {
      KIRA_ASSIGN_OR_RETURN(out, RecordFacts(uow, Libs(), f));
      return Status::Ok();
    });
    if (!s.ok()) return s;
    return out;
  }
  // 0.5 mg/kg of 70 kg over 40 min at 1 mg/mL: 35 mg at 52.5 mL/h.
  static domain::SessionRecord Session(std::string id, const char* start, double mg = 35.0, double ml_per_h = 52.5) {
    auto s = test::MakeSession(std::move(id), mg);
    s.protocol_id = "iv-0.5-40min";
    s.planned_dose = units::Mg(mg);
    s.given_dose = units::Mg(mg);
    s.concentration = units::MgPerMl(1.0);
    s.rate = units::MlPerH(ml_per_h);
    s.started_at = At(start);
    s.stopped_at = s.started_at + std::chrono::minutes(40);
    return s;
  }

  FakeClock clock_{At("2026-11-30T08:00:00Z")};
  storage::MemoryStore store_;
  std::unique_ptr<SessionRecorder> recorder_;
};

TEST_F(ClinicalRecordTest, AFactChangeIsANewAuditedVersionAndReScreens) {
  ASSERT_THAT(Record(Facts(70)), IsOk());
  auto same = Record(Facts(70));
  ASSERT_THAT(same, IsOk());
  EXPECT_FALSE(same->new_version);  // nothing changed: nothing written

  auto f = Facts(70);
  f.medications = {"cobicistat"};
  f.reason = "started HIV therapy";
  auto changed = Record(f);

  ASSERT_THAT(changed, IsOk());
  EXPECT_TRUE(changed->new_version);
  EXPECT_EQ(changed->facts.version, 2);
  // Screening is stored per route for the new version; with a protease
  // inhibitor booster it names midazolam to avoid (screening rule
  // rescue.midazolam.protease_inhibitor, kira.json).
  const auto iv = std::find_if(changed->screenings.begin(), changed->screenings.end(),
                               [](const auto& s) { return s.route == "iv"; });
  ASSERT_NE(iv, changed->screenings.end());
  EXPECT_THAT(iv->rescue_avoid, Contains("midazolam"));
  auto tx = store_.Begin();
  auto audit = (*tx)->ListAudit("c1", 0, 1000);
  ASSERT_THAT(audit, IsOk());
  const auto update = std::find_if(audit->begin(), audit->end(), [](const auto& e) {
    return e.entity == "patient_facts" && e.action == "update";
  });
  ASSERT_NE(update, audit->end());
  EXPECT_THAT(update->before, HasSubstr("version=1"));
  EXPECT_THAT(update->after, HasSubstr("medications=cobicistat"));
}

TEST_F(ClinicalRecordTest, SessionWithoutStoredFactsIsRefusedAsAPrecondition) {
  EXPECT_THAT(recorder_->Record({Session("s1", "2026-03-02T09:00:00Z"), "u1", std::nullopt}),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("no recorded clinical facts")));
}

// Plausibility (weight.implausible, a clinic setting, U): a 700 kg adult is a
// hard stop at recording, whatever weight the session itself carries.
TEST_F(ClinicalRecordTest, StoredSevenHundredKilogramWeightIsAHardStopAtRecording) {
  ASSERT_THAT(Record(Facts(700)), IsOk());
  auto r = recorder_->Record({Session("s1", "2026-03-02T09:00:00Z"), "u1", std::nullopt});
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->stored);
  EXPECT_TRUE(r->decision.Has("weight.implausible")) << r->refusal;
}

// Recorded-session check (record.inconsistent and the rate limits, ISMP
// smart-pump guidance [R53]): 35 mg at 525 mL/h is refused at recording,
// as it is at order time.
TEST_F(ClinicalRecordTest, TenfoldRecordedRateIsAHardStop) {
  ASSERT_THAT(Record(Facts(70)), IsOk());
  auto r = recorder_->Record({Session("s1", "2026-03-02T09:00:00Z", 35.0, 525.0), "u1", std::nullopt});
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->stored);
  EXPECT_EQ(r->decision.MaxSeverity(), domain::Severity::kHardStop) << r->refusal;
}

TEST_F(ClinicalRecordTest, SessionRecordsTheFactsVersionAndScreeningItWasGivenUnder) {
  ASSERT_THAT(Record(Facts(70)), IsOk());
  ASSERT_THAT(recorder_->Record({Session("s1", "2026-03-02T09:00:00Z"), "u1", std::nullopt}), IsOk());
  auto tx = store_.Begin();
  auto s = (*tx)->GetSession("c1", "s1");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->facts_version, 1);
  EXPECT_FALSE(s->screening_outcome.empty());
}

// PHQ-9 item 9 > 0 (instruments.json alert rule; Kroenke 2001 [R12]): the
// stored assessment raises an alert that blocks new sessions until a
// clinician acknowledges it with a reason.
TEST_F(ClinicalRecordTest, SuicidalityItemRaisesAnAlertThatBlocksSessionsUntilAcknowledged) {
  ASSERT_THAT(Record(Facts(70)), IsOk());
  RecordAssessmentResult scored;
  ASSERT_THAT(RunInUnitOfWork(store_, clock_, "u1",
                              [&](UnitOfWork& uow) -> Status {
                                KIRA_ASSIGN_OR_RETURN(
                                    scored, RecordAssessment(uow, Libs(),
                                                             {"c1", "a1", "p1", "", At("2026-03-01T09:00:00Z"), "phq9",
                                                              {2, 2, 2, 2, 2, 2, 2, 2, 3}, 0, ""}));
                                return Status::Ok();
                              }),
              IsOk());
  ASSERT_EQ(scored.alerts.size(), 1u);
  EXPECT_EQ(scored.assessment.total, 19);

  EXPECT_THAT(recorder_->Record({Session("s1", "2026-03-02T09:00:00Z"), "u1", std::nullopt}),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr(scored.alerts[0].id)));
  // The nurse records whom she told (a name is required); the alert stays
  // open and still blocks the session.
  EXPECT_THAT(RunInUnitOfWork(store_, clock_, "rn1",
                              [&](UnitOfWork& uow) { return EscalateAlert(uow, "c1", scored.alerts[0].id, "rn1", "  ").status(); }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("told")));
  domain::AlertRecord told;
  ASSERT_THAT(RunInUnitOfWork(store_, clock_, "rn1",
                              [&](UnitOfWork& uow) -> Status {
                                KIRA_ASSIGN_OR_RETURN(told, EscalateAlert(uow, "c1", scored.alerts[0].id, "rn1",
                                                                          " Dr Two, in person "));
                                return Status::Ok();
                              }),
              IsOk());
  EXPECT_TRUE(told.open());
  EXPECT_EQ(told.escalated_to, "Dr Two, in person");
  EXPECT_EQ(told.escalated_by, "rn1");
  {
    auto tx = store_.Begin();
    auto audit = (*tx)->ListAudit("c1", 0, 1000);
    ASSERT_THAT(audit, IsOk());
    EXPECT_EQ(audit->back().action, "escalate");
    EXPECT_THAT(audit->back().after, HasSubstr("escalated_to=Dr Two, in person"));
  }
  EXPECT_THAT(recorder_->Record({Session("s1", "2026-03-02T09:00:00Z"), "u1", std::nullopt}),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr(scored.alerts[0].id)));
  EXPECT_THAT(RunInUnitOfWork(store_, clock_, "u1",
                              [&](UnitOfWork& uow) {
                                return AcknowledgeAlert(uow, "c1", scored.alerts[0].id, "u1", "").status();
                              }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("reason")));
  ASSERT_THAT(RunInUnitOfWork(store_, clock_, "u1",
                              [&](UnitOfWork& uow) {
                                return AcknowledgeAlert(uow, "c1", scored.alerts[0].id, "u1",
                                                        "seen: passive thoughts, safety plan")
                                    .status();
                              }),
              IsOk());
  auto r = recorder_->Record({Session("s1", "2026-03-02T09:00:00Z"), "u1", std::nullopt});
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->stored) << r->refusal;
}

// The annual cap (Cohen 2018 [R1-seed], 12 per rolling 365 days as shipped):
// 13 sessions in a year; the accepted set does not depend on the order the
// importer is given them in, because the import records in date order.
TEST_F(ClinicalRecordTest, ThirteenthSessionInAYearIsRefusedWhateverTheOrder) {
  ASSERT_THAT(Record(Facts(70)), IsOk());
  std::vector<domain::SessionRecord> sessions;
  for (int k = 0; k < 13; ++k) {
    auto s = Session("s" + std::to_string(k + 10), "2026-03-02T09:00:00Z");
    s.started_at += std::chrono::days(14 * k);
    s.stopped_at = s.started_at + std::chrono::minutes(40);
    sessions.push_back(s);
  }
  for (const auto& s : sessions) ASSERT_THAT(recorder_->Record({s, "u1", std::nullopt}), IsOk());
  auto tx = store_.Begin();
  auto stored = (*tx)->ListPatientSessions("c1", "p1");
  ASSERT_THAT(stored, IsOk());
  ASSERT_EQ(stored->size(), 12u);
  EXPECT_EQ(stored->back().id, "s21");  // the 13th by date ("s22") is the one refused
}

}  // namespace
}  // namespace kira::registry
