// Pre-session gate and per-observation actions. Each threshold is tested at,
// just below and just above its value; each test names the rule id and the
// source of the setting (guidelines/advisor.json).
#include "kira/advisor/monitor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "advisor_test_util.h"

namespace kira::advisor {
namespace {

using testutil::At;
using testutil::Bp;
using testutil::IvSession;
using ::testing::HasSubstr;
using ::testing::Not;

class MonitorTest : public ::testing::Test {
 protected:
  AdvisorLibrary lib_ = testutil::ShippedLibrary();

  const domain::Finding* Find(const domain::Decision& d, std::string_view id) {
    for (const auto& f : d.findings) {
      if (f.rule_id == id) return &f;
    }
    return nullptr;
  }
  Action ActionFor(const Vitals& v) {
    return EvaluateObservation(lib_.monitoring, IvSession().baseline, v, 20).action;
  }
};

// ---- Gate ------------------------------------------------------------------

TEST_F(MonitorTest, GatePassesWithStaffEquipmentBaselineAndRescuePlan) {
  domain::Decision g = PreSessionGate(lib_, IvSession());

  EXPECT_EQ(g.outcome, "pass");
}

// gate.resuscitation.staff: grade A, low certainty, V [R1-seed].
TEST_F(MonitorTest, GateFailsWithoutResuscitationStaff) {
  SessionTimeline tl = IvSession();
  tl.precheck.resuscitation_staff_present = false;

  domain::Decision g = PreSessionGate(lib_, tl);

  EXPECT_EQ(g.outcome, "fail");
  const domain::Finding* f = Find(g, "gate.resuscitation.staff");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, domain::Severity::kHardStop);
  EXPECT_EQ(f->grade, "A");
  EXPECT_EQ(f->certainty, "low");
  EXPECT_EQ(f->evidence, domain::Evidence::kVerified);
  EXPECT_THAT(f->citation, HasSubstr("R1-seed"));
}

TEST_F(MonitorTest, GateFailsWithoutResuscitationEquipment) {
  SessionTimeline tl = IvSession();
  tl.precheck.resuscitation_equipment_present = false;

  EXPECT_TRUE(PreSessionGate(lib_, tl).Has("gate.resuscitation.equipment"));
}

// gate.baseline_bp: BP before the start, V [R10].
TEST_F(MonitorTest, GateFailsWithoutBaselineBp) {
  SessionTimeline tl = IvSession();
  tl.baseline.dbp_mmhg.reset();

  domain::Decision g = PreSessionGate(lib_, tl);

  EXPECT_EQ(g.outcome, "fail");
  EXPECT_TRUE(g.Has("gate.baseline_bp"));
}

// monitor.start.sbp_elevated: "> 140" example, S [R10]; caution only.
TEST_F(MonitorTest, StartSbpCautionAboveButNotAt140) {
  SessionTimeline at = IvSession(), below = IvSession(), above = IvSession();
  at.baseline.sbp_mmhg = 140;
  below.baseline.sbp_mmhg = 139;
  above.baseline.sbp_mmhg = 141;

  EXPECT_FALSE(PreSessionGate(lib_, at).Has("monitor.start.sbp_elevated"));
  EXPECT_FALSE(PreSessionGate(lib_, below).Has("monitor.start.sbp_elevated"));
  domain::Decision g = PreSessionGate(lib_, above);
  EXPECT_TRUE(g.Has("monitor.start.sbp_elevated"));
  EXPECT_EQ(g.outcome, "pass");  // weigh the rise against benefit: a caution, not a block
}

// monitor.start.dbp_elevated: "> 90", S [R10].
TEST_F(MonitorTest, StartDbpCautionAbove90) {
  SessionTimeline at = IvSession(), above = IvSession();
  at.baseline.dbp_mmhg = 90;
  above.baseline.dbp_mmhg = 91;

  EXPECT_FALSE(PreSessionGate(lib_, at).Has("monitor.start.dbp_elevated"));
  EXPECT_TRUE(PreSessionGate(lib_, above).Has("monitor.start.dbp_elevated"));
}

TEST_F(MonitorTest, GateFailsWithoutRescuePlan) {
  SessionTimeline tl = IvSession();
  tl.precheck.rescue_plan.clear();

  EXPECT_TRUE(PreSessionGate(lib_, tl).Has("gate.rescue_plan.missing"));
}

// rescue.antipsychotic.not_recommended, V [R1-seed], surfaced at the gate.
TEST_F(MonitorTest, GateFailsWhenRescuePlanIsAnAntipsychotic) {
  SessionTimeline tl = IvSession();
  tl.precheck.rescue_plan = "haloperidol";

  domain::Decision g = PreSessionGate(lib_, tl);

  EXPECT_EQ(g.outcome, "fail");
  EXPECT_TRUE(g.Has("gate.rescue_plan.antipsychotic"));
}

// rescue.midazolam.protease_inhibitor (screening, V [R43, R44]) excludes the plan.
TEST_F(MonitorTest, GateFailsWhenRescuePlanExcludedByScreening) {
  SessionTimeline tl = IvSession();
  tl.screening.findings.push_back(testutil::ScreeningFinding("rescue.midazolam.protease_inhibitor"));

  EXPECT_TRUE(PreSessionGate(lib_, tl).Has("gate.rescue_plan.excluded"));
  tl.precheck.rescue_plan = "clonidine";
  EXPECT_EQ(PreSessionGate(lib_, tl).outcome, "pass");
}

// gate.rems.*: esketamine certified setting and enrolled patient, V [R11].
TEST_F(MonitorTest, EsketamineGateNeedsRemsRecords) {
  SessionTimeline tl = IvSession();
  tl.route = "intranasal";

  domain::Decision g = PreSessionGate(lib_, tl);

  EXPECT_TRUE(g.Has("gate.rems.setting"));
  EXPECT_TRUE(g.Has("gate.rems.enrolment"));
  tl.precheck.rems_setting_certified = true;
  tl.precheck.rems_patient_enrolled = true;
  EXPECT_EQ(PreSessionGate(lib_, tl).outcome, "pass");
}

TEST_F(MonitorTest, GateFailsWithoutPulseOximeter) {
  SessionTimeline tl = IvSession();
  tl.precheck.pulse_oximeter_present = false;

  EXPECT_TRUE(PreSessionGate(lib_, tl).Has("gate.pulse_oximeter"));
}

// ---- Thresholds (baseline 120/80) -----------------------------------------------

// monitor.sbp.rise_pause: rise >= 40 mmHg (number V [R10]; as a rule U).
TEST_F(MonitorTest, SbpRisePauseAtJustBelowAndAbove) {
  Vitals below, at, above;
  below.sbp_mmhg = 159;
  at.sbp_mmhg = 160;
  above.sbp_mmhg = 161;

  EXPECT_EQ(ActionFor(below), Action::kContinue);
  EXPECT_EQ(ActionFor(at), Action::kPause);
  EXPECT_EQ(ActionFor(above), Action::kPause);
}

// monitor.dbp.rise_pause: rise >= 25 mmHg (number V [R10]; rule U).
TEST_F(MonitorTest, DbpRisePauseAtJustBelowAndAbove) {
  Vitals below, at, above;
  below.dbp_mmhg = 104;
  at.dbp_mmhg = 105;
  above.dbp_mmhg = 106;

  EXPECT_EQ(ActionFor(below), Action::kContinue);
  EXPECT_EQ(ActionFor(at), Action::kPause);
  EXPECT_EQ(ActionFor(above), Action::kPause);
}

// monitor.sbp.stop: >= 180 (S [R59]; rule U). Above the pause rise too, stop wins.
TEST_F(MonitorTest, SbpStopAt180) {
  Vitals below, at, above;
  below.sbp_mmhg = 179;
  at.sbp_mmhg = 180;
  above.sbp_mmhg = 181;

  EXPECT_EQ(ActionFor(below), Action::kPause);  // rise 59 >= 40
  EXPECT_EQ(ActionFor(at), Action::kStop);
  EXPECT_EQ(ActionFor(above), Action::kStop);
  EXPECT_EQ(EvaluateObservation(lib_.monitoring, IvSession().baseline, at, 20).rule->rule_id, "monitor.sbp.stop");
}

// monitor.dbp.stop: >= 115 (S [R59]; rule U).
TEST_F(MonitorTest, DbpStopAt115) {
  Vitals below, at, above;
  below.dbp_mmhg = 114;
  at.dbp_mmhg = 115;
  above.dbp_mmhg = 116;

  EXPECT_EQ(ActionFor(below), Action::kPause);
  EXPECT_EQ(ActionFor(at), Action::kStop);
  EXPECT_EQ(ActionFor(above), Action::kStop);
}

// monitor.sedation.stop: MOAA/S <= 0 (V [R10] as loss of consciousness; rule U).
TEST_F(MonitorTest, SedationStopAtMoaaZero) {
  Vitals zero, one;
  zero.moaa_s = 0;
  one.moaa_s = 1;

  EXPECT_EQ(ActionFor(zero), Action::kStop);
  EXPECT_EQ(ActionFor(one), Action::kContinue);
}

// Item 4 of the issue: SpO2 84 % and RR 6/min are never "continue" with the
// shipped thresholds (clinic settings, U, confirm locally).
TEST_F(MonitorTest, ShippedThresholdsStopAtSpo2Of84AndRespiratoryRateOf6) {
  Vitals spo2, rr, hr, cadss;
  spo2.spo2_pct = 84;
  rr.rr_per_min = 6;
  hr.hr_bpm = 140;
  cadss.cadss_total = 30;

  EXPECT_EQ(ActionFor(spo2), Action::kStop);
  EXPECT_EQ(ActionFor(rr), Action::kStop);
  EXPECT_EQ(ActionFor(hr), Action::kPause);
  EXPECT_EQ(ActionFor(cadss), Action::kSlow);
}

// A clinic that removes a threshold gets a blocking gate finding, not an info row.
TEST_F(MonitorTest, UnsetThresholdBlocksThePreSessionGate) {
  for (ThresholdRule& r : lib_.monitoring.thresholds) {
    if (r.measure == Measure::kSpo2) r.value.reset();
  }
  domain::Decision g = PreSessionGate(lib_, IvSession());

  EXPECT_EQ(g.outcome, "fail");
  ASSERT_TRUE(g.Has("gate.threshold_unset"));
  const domain::Finding* f = Find(g, "gate.threshold_unset");
  EXPECT_EQ(f->severity, domain::Severity::kHardStop);
  EXPECT_THAT(f->message, HasSubstr("SpO2"));
  EXPECT_THAT(f->message, Not(HasSubstr("monitor.")));
}

// The BP schedule is a safety setting: unset, it blocks instead of falling
// back to a number the code would invent.
TEST_F(MonitorTest, UnsetBpScheduleBlocksThePreSessionGate) {
  lib_.monitoring.bp_check_at_min.value.reset();

  domain::Decision g = PreSessionGate(lib_, IvSession());

  EXPECT_EQ(g.outcome, "fail");
  ASSERT_TRUE(g.Has("gate.threshold_unset"));
  EXPECT_THAT(Find(g, "gate.threshold_unset")->message, HasSubstr(lib_.monitoring.bp_check_at_min.id));
}

TEST_F(MonitorTest, ShippedLibraryPassesTheThresholdGate) {
  EXPECT_FALSE(PreSessionGate(lib_, IvSession()).Has("gate.threshold_unset"));
}

// Monitoring reads the patient's stored screening: without one the gate blocks.
TEST_F(MonitorTest, GateBlocksWithoutAStoredScreening) {
  SessionTimeline tl = IvSession();
  tl.screening_recorded = false;

  domain::Decision g = PreSessionGate(lib_, tl);

  EXPECT_EQ(g.outcome, "fail");
  EXPECT_TRUE(g.Has("gate.screening.missing"));
}

// A clinic that sets SpO2 <= 90 -> pause gets it at 90, not 91.
TEST_F(MonitorTest, ClinicSetSpo2ThresholdFiresAtItsValue) {
  for (ThresholdRule& r : lib_.monitoring.thresholds) {
    if (r.rule_id == "monitor.spo2.low") r.value = 90;
  }
  Vitals at, above, below;
  at.spo2_pct = 90;
  above.spo2_pct = 91;
  below.spo2_pct = 89;

  EXPECT_EQ(ActionFor(at), Action::kPause);
  EXPECT_EQ(ActionFor(above), Action::kContinue);
  EXPECT_EQ(ActionFor(below), Action::kPause);
}

TEST_F(MonitorTest, DecisionListsSettingValuesInForce) {
  SessionTimeline tl = IvSession();
  tl.events = {At(0, EventType::kStart)};

  MonitorResult r = Monitor(lib_, tl);

  bool found = false;
  for (const auto& in : r.decision.inputs_used) {
    if (in.name == "monitor.sbp.stop") {
      found = true;
      EXPECT_EQ(in.value, ">= 180 -> stop [U]");
    }
  }
  EXPECT_TRUE(found);
}

// ---- Timeline replay -------------------------------------------------------

TEST_F(MonitorTest, ReplayRecordsWorstActionAndFinalState) {
  SessionTimeline tl = IvSession();
  tl.events = {At(0, EventType::kStart), Bp(10, 130, 85), Bp(20, 140, 88), Bp(30, 162, 95),
               At(31, EventType::kPause), Bp(36, 150, 90), At(37, EventType::kResume), Bp(40, 145, 88),
               At(42, EventType::kEndDose), Bp(60, 128, 82)};

  MonitorResult r = Monitor(lib_, tl);

  EXPECT_EQ(r.decision.outcome, "pause");
  EXPECT_EQ(r.final_state, SessionState::kObservation);
  ASSERT_EQ(r.observations.size(), 6u);
  EXPECT_EQ(r.observations[2].action, Action::kPause);
  EXPECT_EQ(r.observations[2].rule->rule_id, "monitor.sbp.rise_pause");
  EXPECT_FALSE(r.decision.Has("monitor.bp.check_40min_missing"));
  EXPECT_FALSE(r.decision.Has("monitor.action_not_followed"));
}

// monitor.bp.check_40min_missing: BP about 40 min after the start, V [R10];
// the +/-10 min window is a setting (U). 30 and 50 are inside, 29 and 51 are not.
TEST_F(MonitorTest, FortyMinuteBpWindowEdges) {
  auto run = [&](double bp_at) {
    SessionTimeline tl = IvSession();
    tl.events = {At(0, EventType::kStart), Bp(bp_at, 120, 80), At(80, EventType::kEndDose), Bp(90, 120, 80)};
    lib_.monitoring.bp_interval_during_min.value = 1000;  // isolate this rule
    return Monitor(lib_, tl).decision.Has("monitor.bp.check_40min_missing");
  };
  EXPECT_TRUE(run(29));
  EXPECT_FALSE(run(30));
  EXPECT_FALSE(run(50));
  EXPECT_TRUE(run(51));
}

// monitor.bp.interval_exceeded: BP at least every 10 min while running (derived [R6-R8]).
TEST_F(MonitorTest, BpIntervalExactlyTenIsFineElevenIsNot) {
  SessionTimeline ok = IvSession(), late = IvSession();
  ok.events = {At(0, EventType::kStart), Bp(10, 120, 80), Bp(20, 120, 80), Bp(30, 120, 80), Bp(40, 120, 80)};
  late.events = {At(0, EventType::kStart), Bp(10, 120, 80), Bp(21, 120, 80), Bp(31, 120, 80), Bp(40, 120, 80)};

  EXPECT_FALSE(Monitor(lib_, ok).decision.Has("monitor.bp.interval_exceeded"));
  EXPECT_TRUE(Monitor(lib_, late).decision.Has("monitor.bp.interval_exceeded"));
}

TEST_F(MonitorTest, StartAfterFailedGateIsAHardStopFinding) {
  SessionTimeline tl = IvSession();
  tl.precheck.resuscitation_staff_present = false;
  tl.events = {At(0, EventType::kStart)};

  MonitorResult r = Monitor(lib_, tl);

  EXPECT_TRUE(r.decision.Has("session.start_without_gate"));
  EXPECT_EQ(r.decision.MaxSeverity(), domain::Severity::kHardStop);
}

TEST_F(MonitorTest, IllegalEventBecomesAFinding) {
  SessionTimeline tl = IvSession();
  tl.events = {At(0, EventType::kStart), At(5, EventType::kResume)};

  MonitorResult r = Monitor(lib_, tl);

  EXPECT_TRUE(r.decision.Has("session.illegal_transition"));
  EXPECT_EQ(r.final_state, SessionState::kRunning);
}

TEST_F(MonitorTest, RunningOnAfterRecommendedStopIsFlagged) {
  SessionTimeline tl = IvSession();
  tl.events = {At(0, EventType::kStart), Bp(10, 185, 90), Bp(20, 170, 90)};

  MonitorResult r = Monitor(lib_, tl);

  EXPECT_EQ(r.decision.outcome, "stop");
  EXPECT_TRUE(r.decision.Has("monitor.sbp.stop"));
  EXPECT_TRUE(r.decision.Has("monitor.action_not_followed"));
}

// A symptom gets rescue advice; an antipsychotic given is flagged (V [R1-seed]).
TEST_F(MonitorTest, SymptomAndAntipsychoticRescue) {
  SessionTimeline tl = IvSession();
  TimelineEvent sym = At(15, EventType::kSymptom);
  sym.symptom = "agitation";
  TimelineEvent given = At(16, EventType::kRescue);
  given.agent = "haloperidol";
  tl.events = {At(0, EventType::kStart), sym, given};

  MonitorResult r = Monitor(lib_, tl);

  ASSERT_EQ(r.rescues.size(), 2u);
  EXPECT_EQ(r.rescues[0].outcome, "midazolam");
  EXPECT_TRUE(r.decision.Has("monitor.symptom"));
  EXPECT_TRUE(r.decision.Has("rescue.antipsychotic.not_recommended"));
}

}  // namespace
}  // namespace kira::advisor
