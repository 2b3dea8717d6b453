// Discharge checklist: minimum observation (esketamine >= 120 min from first
// device, V [R10]; IV setting 90 min after the end of infusion, U), BP before
// discharge (V [R10]), attestations (U except driving/transport, V [R10]).
#include "kira/advisor/discharge.h"

#include <gmock/gmock.h>
#include <algorithm>
#include <gtest/gtest.h>

#include "advisor_test_util.h"
#include "testing/status_matchers.h"

namespace kira::advisor {
namespace {

using ::kira::testing::StatusIs;
using testutil::At;
using testutil::Bp;
using ::testing::HasSubstr;

DischargeRecord AllAttested(double t) {
  DischargeRecord r;
  r.t_min = t;
  for (const char* id : {"vitals_near_baseline", "dissociation_resolved", "oriented", "responsible_adult",
                         "no_driving_advised", "next_visit_booked", "readiness_assessed"}) {
    r.attestations[id] = true;
  }
  return r;
}

class DischargeTest : public ::testing::Test {
 protected:
  AdvisorLibrary lib_ = testutil::ShippedLibrary();

  // IV: start 0, end of infusion 40, BP at 100; discharge at `t`.
  SessionTimeline Iv(double t) {
    SessionTimeline tl = testutil::IvSession();
    tl.events = {At(0, EventType::kStart), Bp(10, 125, 82), Bp(20, 130, 84), Bp(30, 134, 85), Bp(40, 132, 84),
                 At(40, EventType::kEndDose), Bp(100, 122, 80)};
    tl.discharge = AllAttested(t);
    return tl;
  }
  SessionTimeline Esk(double t) {
    SessionTimeline tl = Iv(t);
    tl.route = "intranasal";
    tl.precheck.rems_setting_certified = true;
    tl.precheck.rems_patient_enrolled = true;
    return tl;
  }
  domain::Decision Eval(const SessionTimeline& tl) {
    auto d = EvaluateDischarge(lib_, tl);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? std::move(d).value() : domain::Decision{};
  }
};

TEST_F(DischargeTest, IvReadyAfterNinetyMinutesWithEverythingAttested) {
  domain::Decision d = Eval(Iv(130));

  EXPECT_EQ(d.outcome, "ready") << (d.findings.empty() ? "" : d.findings[0].message);
}

// discharge.min_observation (IV): 90 min after end of infusion (U setting).
// Item 4 of the issue: discharge is never "ready" while the last reading of a
// vital is outside the monitoring thresholds (SpO2 82 %).
TEST_F(DischargeTest, NotReadyWhenTheLastSpo2IsOutsideThresholds) {
  SessionTimeline tl = Iv(130);
  TimelineEvent low = At(110, EventType::kVitals);
  low.vitals.spo2_pct = 82;
  tl.events.push_back(low);

  domain::Decision d = Eval(tl);

  EXPECT_EQ(d.outcome, "not_ready");
  ASSERT_TRUE(d.Has("discharge.last_vitals_outside_thresholds"));
}

TEST_F(DischargeTest, ReadyWhenALowSpo2RecoveredBeforeDischarge) {
  SessionTimeline tl = Iv(130);
  TimelineEvent low = At(60, EventType::kVitals);
  low.vitals.spo2_pct = 82;
  TimelineEvent ok = At(110, EventType::kVitals);
  ok.vitals.spo2_pct = 97;
  tl.events.push_back(low);
  tl.events.push_back(ok);
  std::stable_sort(tl.events.begin(), tl.events.end(),
                   [](const TimelineEvent& a, const TimelineEvent& b) { return a.t_min < b.t_min; });

  domain::Decision d = Eval(tl);

  EXPECT_FALSE(d.Has("discharge.last_vitals_outside_thresholds"));
}

TEST_F(DischargeTest, IvMinimumObservationEdges) {
  EXPECT_TRUE(Eval(Iv(129)).Has("discharge.min_observation"));
  EXPECT_FALSE(Eval(Iv(130)).Has("discharge.min_observation"));
  EXPECT_FALSE(Eval(Iv(131)).Has("discharge.min_observation"));
  EXPECT_EQ(Eval(Iv(129)).MaxSeverity(), domain::Severity::kSoftStop);
}

// discharge.min_observation (esketamine): >= 120 min from the first device, V [R10]; hard stop.
TEST_F(DischargeTest, EsketamineBlockedBefore120Minutes) {
  domain::Decision early = Eval(Esk(119));

  EXPECT_EQ(early.outcome, "not_ready");
  EXPECT_EQ(early.MaxSeverity(), domain::Severity::kHardStop);
  EXPECT_FALSE(Eval(Esk(120)).Has("discharge.min_observation"));
  EXPECT_EQ(Eval(Esk(121)).outcome, "ready");
}

// discharge.min_observation: one rule picks the setting and its reference point for
// the discharge check, the pre-session gate and the chair-side countdown:
// esketamine from the first device (SPRAVATO label, V [R10]), IV from the end of
// the dose (clinic setting, U).
TEST_F(DischargeTest, MinimumObservationRuleIsPerRoute) {
  const MinimumObservation esk = MinimumObservationFor(lib_.monitoring, "intranasal");
  EXPECT_EQ(&esk.setting, &lib_.monitoring.min_observation_esketamine_min);
  EXPECT_TRUE(esk.counts_from_start);
  ASSERT_TRUE(esk.setting.value.has_value());
  EXPECT_EQ(*esk.setting.value, 120);
  const MinimumObservation iv = MinimumObservationFor(lib_.monitoring, "iv");
  EXPECT_EQ(&iv.setting, &lib_.monitoring.min_observation_iv_min);
  EXPECT_FALSE(iv.counts_from_start);
}

TEST_F(DischargeTest, EsketamineRemsFormDueIsReported) {
  EXPECT_TRUE(Eval(Esk(130)).Has("discharge.rems_form_due"));
  EXPECT_FALSE(Eval(Iv(130)).Has("discharge.rems_form_due"));
}

// discharge.bp_before_discharge: V [R10].
TEST_F(DischargeTest, NeedsBpAfterTheDose) {
  SessionTimeline tl = Iv(130);
  tl.events.pop_back();  // drop the BP at 100

  EXPECT_TRUE(Eval(tl).Has("discharge.bp_before_discharge"));
}

TEST_F(DischargeTest, MissingAttestationsAreListed) {
  SessionTimeline tl = Iv(130);
  tl.discharge->attestations.erase("no_driving_advised");
  tl.discharge->attestations["responsible_adult"] = false;

  domain::Decision d = Eval(tl);

  EXPECT_EQ(d.outcome, "not_ready");
  EXPECT_TRUE(d.Has("discharge.no_driving_advised"));
  EXPECT_TRUE(d.Has("discharge.responsible_adult"));
}

TEST_F(DischargeTest, EsketamineOnlyItemNotRequiredForIv) {
  SessionTimeline tl = Iv(130);
  tl.discharge->attestations.erase("readiness_assessed");

  EXPECT_EQ(Eval(tl).outcome, "ready");
}

// discharge.vitals_near_baseline: unset tolerance -> clinician attests (U).
TEST_F(DischargeTest, NearBaselineNeedsAttestationWhenNoToleranceSet) {
  SessionTimeline tl = Iv(130);
  tl.discharge->attestations.erase("vitals_near_baseline");

  EXPECT_TRUE(Eval(tl).Has("discharge.vitals_near_baseline"));
}

TEST_F(DischargeTest, NearBaselineComputedWhenClinicSetsTolerance) {
  lib_.discharge.sbp_near_baseline_mmhg.value = 2;
  lib_.discharge.dbp_near_baseline_mmhg.value = 10;
  SessionTimeline tl = Iv(130);  // last BP 122/80 vs baseline 120/80
  tl.discharge->attestations.erase("vitals_near_baseline");

  EXPECT_FALSE(Eval(tl).Has("discharge.vitals_near_baseline"));
  lib_.discharge.sbp_near_baseline_mmhg.value = 1;
  EXPECT_TRUE(Eval(tl).Has("discharge.vitals_near_baseline"));
}

TEST_F(DischargeTest, RunningSessionCannotBeDischarged) {
  SessionTimeline tl = Iv(130);
  tl.events = {At(0, EventType::kStart), Bp(10, 120, 80)};

  domain::Decision d = Eval(tl);

  EXPECT_TRUE(d.Has("discharge.session_state"));
  EXPECT_EQ(d.outcome, "not_ready");
}

TEST_F(DischargeTest, StoppedSessionCountsObservationFromTheStop) {
  SessionTimeline tl = testutil::IvSession();
  tl.events = {At(0, EventType::kStart), Bp(10, 185, 100), At(12, EventType::kStop), Bp(60, 130, 82)};
  tl.discharge = AllAttested(101);

  domain::Decision d = Eval(tl);

  EXPECT_TRUE(d.Has("discharge.min_observation"));  // 89 min after the stop
  tl.discharge->t_min = 102;
  EXPECT_EQ(Eval(tl).outcome, "ready");
}

TEST_F(DischargeTest, NoDischargeRecordIsInvalidArgument) {
  SessionTimeline tl = Iv(130);
  tl.discharge.reset();

  EXPECT_THAT(EvaluateDischarge(lib_, tl), StatusIs(StatusCode::kInvalidArgument, HasSubstr("discharge")));
}

}  // namespace
}  // namespace kira::advisor
