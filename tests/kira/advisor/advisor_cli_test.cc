// End-to-end checks of the advisor part-2 commands: exit codes (0 done,
// 1 decision needs a clinician, 2 bad input naming the field).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>


#include "testing/run_command.h"

namespace {

using ::testing::HasSubstr;

using CliRun = ::kira::testing::CommandRun;

CliRun Kira(const std::string& args) {
  const std::string cmd = "cd " + std::string(KIRA_SOURCE_DIR) + " && " + KIRA_BINARY + " " + args + " 2>&1";
  return ::kira::testing::RunCommand(cmd);
}

TEST(AdvisorCli, ScorePhq9Item9NeedsAcknowledgementExit1) {
  CliRun r = Kira("score phq9 --items 2,1,3,2,1,0,1,2,1");

  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("instrument.phq9.item9_positive"));
  EXPECT_THAT(r.out, HasSubstr("band: moderate"));
}

TEST(AdvisorCli, ScoreAcknowledgedExit0) {
  CliRun r = Kira("score phq9 --items 2,1,3,2,1,0,1,2,1 --ack-by dr.demo --ack-reason 'safety plan' --json");

  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("\"outcome\": \"alert_acknowledged\""));
  EXPECT_THAT(r.out, HasSubstr("\"loinc\": \"44260-8\""));
}

// kira score --baseline: change, response and remission by instruments.json's rule.
TEST(AdvisorCli, ScoreWithBaselineReportsResponseAndRemission) {
  CliRun r = Kira("score phq9 --items 1,0,1,0,0,1,0,0,0 --baseline 20");

  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("Change from baseline 20: -17 points (-85 %); response: yes; remission: yes"));
  EXPECT_THAT(r.out, HasSubstr("instrument.phq9.response"));
}

TEST(AdvisorCli, ScoreWithBaselineJsonNoResponse) {
  CliRun r = Kira("score phq9 --items 2,2,2,2,2,1,1,1,0 --baseline 20 --json");

  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("\"response\": false"));
  EXPECT_THAT(r.out, HasSubstr("\"point_fall\": 7"));
}

TEST(AdvisorCli, ScoreBaselineOutOfRangeExit2) {
  CliRun r = Kira("score phq9 --items 1,0,1,0,0,1,0,0,0 --baseline 40");

  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("--baseline"));
}

// The first defect: 700 kg with no height never doses "OK".
TEST(AdvisorCli, DoseRefuses700KgWithoutHeightExit1) {
  CliRun r = Kira("dose --patient examples/patients/weight-typo-700kg.json --protocol iv-0.5-40min");

  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("weight.implausible"));
  EXPECT_THAT(r.out, HasSubstr("weight.height_missing"));
  EXPECT_THAT(r.out, HasSubstr("HARD STOP"));
}

// A recorded 35 mg at 525 mL/h of 1 mg/mL over 40 min is a hard stop, as the
// same order would be.
TEST(AdvisorCli, RecordedRateTenTimesTooFastIsAHardStopExit1) {
  CliRun r = Kira("dose --patient examples/patients/trd-typical.json --protocol iv-0.5-40min --dose-mg 35 "
                  "--duration-min 40 --concentration 1mg/mL --given-rate-ml-h 525 --json");

  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("\"record.inconsistent\""));
  EXPECT_THAT(r.out, HasSubstr("\"dose.iv-0.5-40min.session.mg_per_kg_per_h.hard_max\""));
}

TEST(AdvisorCli, RecordedConsistentSessionExit0) {
  CliRun r = Kira("dose --patient examples/patients/trd-typical.json --protocol iv-0.5-40min --dose-mg 35 "
                  "--duration-min 40 --concentration 1mg/mL --given-rate-ml-h 52.5");

  EXPECT_EQ(r.code, 0) << r.out;
}

TEST(AdvisorCli, ScoreItemOutOfRangeExit2NamesItem) {
  CliRun r = Kira("score madrs --items 0,0,0,0,0,0,0,0,0,7");

  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("items[9]"));
}

TEST(AdvisorCli, ScoreUnknownInstrumentExit2) {
  CliRun r = Kira("score hamd99 --items 1");

  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("instrument: unknown 'hamd99'"));
}

TEST(AdvisorCli, PlanRelapseOverCapExit1ThenOverrideExit0) {
  const std::string base =
      "plan --patient examples/patients/trd-typical.json --indication trd --start 2026-06-01 "
      "--history examples/history-trd-relapse.json --today 2026-06-01";

  CliRun blocked = Kira(base);
  CliRun overridden = Kira(base + " --override-reason 'exceptional: relapse with suicidal ideation' --clinician dr.demo");

  EXPECT_EQ(blocked.code, 1);
  EXPECT_THAT(blocked.out, HasSubstr("CAP REACHED"));
  EXPECT_THAT(blocked.out, HasSubstr("plan.cap.annual"));
  EXPECT_EQ(overridden.code, 0);
  EXPECT_THAT(overridden.out, HasSubstr("Override by dr.demo"));
}

TEST(AdvisorCli, PlanNewPatientJsonSchedule) {
  CliRun r = Kira("plan --patient examples/patients/trd-typical.json --indication trd --start 2026-12-28 "
                  "--today 2026-12-20 --json");

  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("\"next_step\": \"start_induction\""));
  EXPECT_THAT(r.out, HasSubstr("\"date\": \"2027-01-08\""));
}

TEST(AdvisorCli, PlanBadDateExit2) {
  CliRun r = Kira("plan --patient examples/patients/trd-typical.json --indication trd --start 2026-02-30");

  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("--start: '2026-02-30'"));
}

TEST(AdvisorCli, PlanUnknownIndicationExit2) {
  CliRun r = Kira("plan --patient examples/patients/trd-typical.json --indication tinnitus --start 2026-12-01");

  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("--indication"));
}

TEST(AdvisorCli, MonitorExampleShowsPauseAndRescue) {
  CliRun r = Kira("monitor --session examples/session-iv-rescue.json");

  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("monitor.sbp.rise_pause"));
  EXPECT_THAT(r.out, HasSubstr("rescue advice: clonidine"));
}

TEST(AdvisorCli, MonitorBadSessionExit2NamesField) {
  CliRun r = Kira("monitor --session tests/kira/advisor/CMakeLists.txt");

  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("session: malformed JSON at byte"));
}

TEST(AdvisorCli, DischargeEarlyEsketamineExit1) {
  CliRun r = Kira("discharge --session examples/session-esketamine-early-discharge.json");

  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("discharge.min_observation"));
}

TEST(AdvisorCli, DischargeReadyExit0Json) {
  CliRun r = Kira("discharge --session examples/session-iv-rescue.json --json");

  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("\"outcome\": \"ready\""));
}

}  // namespace
