// End-to-end checks of the `kira` binary: exit codes (0 done, 1 decision,
// 2 bad input) and the messages the issue asks for.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "testing/run_command.h"

namespace {

using CliRun = ::kira::testing::CommandRun;

// `args` may end in "<<< 'text'": the text is fed on standard input.
CliRun Kira(std::string args) {
  std::string redirect;
  auto here = args.find("<<< '");
  if (here != std::string::npos) {
    std::string text = args.substr(here + 5, args.size() - here - 6);
    args = args.substr(0, here);
    std::string path = "/tmp/kira_cli_test_stdin_" + std::to_string(::getpid()) + ".json";
    FILE* f = fopen(path.c_str(), "w");
    fputs(text.c_str(), f);
    fclose(f);
    redirect = " < " + path;
  }
  std::string cmd = std::string(KIRA_BINARY) + " " + args + redirect + " 2>&1";
  return ::kira::testing::RunCommand(cmd);
}

const std::string kEx = std::string(KIRA_SOURCE_DIR) + "/examples/patients/";
using ::testing::HasSubstr;

TEST(KiraCli, FiveHundredMgFor64KgIsAHardStopExit1) {
  CliRun r = Kira("dose --patient " + kEx + "adult-64kg.json --protocol iv-0.5-40min --dose-mg 500");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("HARD STOP"));
  EXPECT_THAT(r.out, HasSubstr("dose.iv-0.5-40min.session.mg_per_kg.hard_max"));
  EXPECT_THAT(r.out, HasSubstr("exceeds the hard limit 1 mg/kg"));
  EXPECT_THAT(r.out, HasSubstr("Zanos 2018 [R30]"));
}

TEST(KiraCli, SoftLimitWithoutReasonExits1WithReasonExits0AndShowsOverride) {
  CliRun blocked = Kira("dose --patient " + kEx + "trd-typical.json --protocol iv-0.5-40min --dose-mg 56");
  EXPECT_EQ(blocked.code, 1) << blocked.out;
  EXPECT_THAT(blocked.out, HasSubstr("SOFT LIMIT"));

  CliRun ok = Kira("dose --patient " + kEx + "trd-typical.json --protocol iv-0.5-40min --dose-mg 56 "
                "--override-reason 'partial responder' --clinician 'Dr Test'");
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_THAT(ok.out, HasSubstr("Override by Dr Test"));
  EXPECT_THAT(ok.out, HasSubstr("partial responder"));
}

TEST(KiraCli, JsonOutputIsTheDecisionRecord) {
  CliRun r = Kira("dose --json --patient " + kEx + "trd-typical.json --protocol iv-0.5-40min");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("\"outcome\": \"ok\""));
  EXPECT_THAT(r.out, HasSubstr("\"rate_ml_per_h\": 52.5"));
  EXPECT_THAT(r.out, HasSubstr("\"guideline\""));
}

TEST(KiraCli, NotEligibleExits1) {
  CliRun r = Kira("screen " + kEx + "psychosis.json");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("NOT ELIGIBLE"));
}

TEST(KiraCli, EligibleWithCautionsExits0AndNamesClonidine) {
  CliRun r = Kira("screen " + kEx + "hiv-protease-inhibitor.json");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("Rescue plan: clonidine"));
}

struct BadInput {
  const char* args;  // "EX/" stands for the examples/patients/ folder
  const char* expect;
};
class KiraCliBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(KiraCliBadInput, Exits2NamingTheField) {
  std::string args = GetParam().args;
  for (size_t pos; (pos = args.find("EX/")) != std::string::npos;) args.replace(pos, 3, kEx);
  CliRun r = Kira(args);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr(GetParam().expect));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("terminate")));
}

INSTANTIATE_TEST_SUITE_P(
    Table, KiraCliBadInput,
    ::testing::Values(
        BadInput{"screen /nonexistent.json", "/nonexistent.json: cannot open file"},
        BadInput{"screen - <<< '{\"age_years\": 40'", "malformed JSON"},
        BadInput{"screen - <<< '[]'", "must be an object"},
        BadInput{"screen - <<< '{\"age_years\": 40, \"sex\": \"female\", \"weight\": {\"value\": -1, \"unit\": \"kg\", \"method\": \"measured\"}, \"diagnoses\": [\"trd\"]}'", "weight.value"},
        BadInput{"screen - <<< '{\"age_years\": 40, \"sex\": \"female\", \"weight\": {\"value\": 70, \"unit\": \"kg\", \"method\": \"measured\"}, \"diagnoses\": [\"flu\"]}'", "diagnoses[0]: unknown indication 'flu'"},
        BadInput{"dose --patient EX/trd-typical.json --protocol nope", "unknown protocol 'nope'"},
        BadInput{"dose --patient EX/trd-typical.json --protocol iv-0.5-40min --dose-mg nan", "--dose-mg"},
        BadInput{"dose --patient EX/trd-typical.json --protocol iv-0.5-40min --dose-mg -5", "--dose-mg"},
        BadInput{"dose --patient EX/trd-typical.json --protocol iv-0.5-40min --concentration 10mg/L", "--concentration"},
        BadInput{"dose --patient EX/trd-typical.json", "--protocol is required"},
        BadInput{"screen EX/trd-typical.json --route rectal", "--route: unknown route"},
        BadInput{"guideline show nope", "no protocol, rule, indication or setting named 'nope'"},
        BadInput{"--overlay /nonexistent screen EX/trd-typical.json", "/nonexistent"},
        BadInput{"frobnicate", "frobnicate"}));

TEST(KiraCli, GuidelineListShowsTagsAndSettings) {
  CliRun r = Kira("guideline list");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("contra.pregnancy"));
  EXPECT_THAT(r.out, HasSubstr("Clinic settings"));
  EXPECT_THAT(r.out, HasSubstr("A/low"));
}

TEST(KiraCli, OverlayLooseningAHardLimitIsRefused) {
  std::string overlay = "/tmp/kira_cli_test_overlay.json";
  FILE* f = fopen(overlay.c_str(), "w");
  fputs("{\"clinic\":\"Loose\",\"base\":\"kira-core\",\"base_version\":\"1.0.0\","
        "\"protocols\":{\"iv-0.5-40min\":{\"session\":{\"mg_per_kg\":{\"hard_max\":2}}}}}", f);
  fclose(f);
  CliRun r = Kira("--overlay " + overlay + " screen " + kEx + "trd-typical.json");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("would loosen the hard limit"));
}

}  // namespace
