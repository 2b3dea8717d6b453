// End-to-end checks of `kira report` on a `kira demo` registry (temporary
// SQLite file): exit codes, denominators in the text, the JSON document, the
// SVG files, and the 24-h side-by-side with the pooled trials.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "kira/storage/sqlite/sqlite_store.h"

#include "testing/run_command.h"

namespace {

using CliRun = ::kira::testing::CommandRun;

CliRun Kira(const std::string& args, bool merge_stderr = true) {
  std::string cmd = std::string(KIRA_BINARY) + " " + args + (merge_stderr ? " 2>&1" : " 2>/dev/null");
  return ::kira::testing::RunCommand(cmd);
}

using ::testing::HasSubstr;

class ReportCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kira_reportcli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    db_ = (dir_ / "kira.db").string();
    CliRun demo = Kira("demo --patients 40 --seed 7 --db " + db_);
    ASSERT_EQ(demo.code, 0) << demo.out;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string db_;
};

TEST_F(ReportCli, TextReportShowsEveryDenominatorAndExits0) {
  CliRun r = Kira("report --db " + db_);

  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("patients started a series   40"));
  EXPECT_THAT(r.out, HasSubstr("(completed / started)"));
  EXPECT_THAT(r.out, HasSubstr("(returned / completed)"));
  EXPECT_THAT(r.out, HasSubstr("response (of assessed)"));
  EXPECT_THAT(r.out, HasSubstr("adverse events per administered session"));
  EXPECT_THAT(r.out, HasSubstr("(sessions with an override / administered)"));
  EXPECT_THAT(r.out, HasSubstr("phq9 (instruments kira-instruments"));
  EXPECT_THAT(r.out, HasSubstr("0/0 (no denominator)"));  // no 24-h scores in the demo
}

TEST_F(ReportCli, JsonCarriesNumeratorsAndDenominators) {
  CliRun r = Kira("report --json --by route --db " + db_, false);

  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["dimension"], "route");
  EXPECT_EQ(j["overall"]["patients_started"], 40);
  EXPECT_EQ(j["overall"]["series_completion"]["denominator"], 40);
  const auto& after = j["overall"]["outcomes"][1];
  EXPECT_EQ(after["timepoint"], "after_induction");
  EXPECT_GT(after["response"]["denominator"].get<int>(), 0);
  EXPECT_LE(after["response"]["numerator"].get<int>(), after["response"]["denominator"].get<int>());
  EXPECT_EQ(j["groups"][0]["group"], "iv");
}

TEST_F(ReportCli, SvgDirGetsTheKaplanMeierCurveAndTrajectories) {
  const auto svg = dir_ / "svg";

  CliRun r = Kira("report --db " + db_ + " --svg-dir " + svg.string());

  ASSERT_EQ(r.code, 0) << r.out;
  std::ifstream km(svg / "relapse_km.svg"), tr(svg / "trajectories.svg");
  std::stringstream km_text, tr_text;
  km_text << km.rdbuf();
  tr_text << tr.rdbuf();
  EXPECT_THAT(km_text.str(), HasSubstr("km-curve"));
  EXPECT_THAT(tr_text.str(), HasSubstr("class=\"trajectory\""));
  EXPECT_THAT(tr_text.str(), HasSubstr("remission"));
}

TEST_F(ReportCli, TwentyFourHourResponseIsShownBesideThePooledTrials) {
  // The demo records no 24-h score; add one per depression patient, a
  // responder (60 % fall from baseline) for every second one.
  {
    auto store = kira::storage::SqliteStore::Open({.path = db_});
    ASSERT_TRUE(store.ok());
    auto tx = (*store)->Begin();
    ASSERT_TRUE(tx.ok());
    auto patients = (*tx)->ListPatients("demo-clinic", {"", 1000});
    ASSERT_TRUE(patients.ok());
    int k = 0;
    for (const auto& p : *patients) {
      auto as = (*tx)->ListAssessments("demo-clinic", p.id);
      auto ss = (*tx)->ListPatientSessions("demo-clinic", p.id);
      ASSERT_TRUE(as.ok() && ss.ok());
      if (as->empty() || ss->empty()) continue;
      const int baseline = as->front().total;
      const int total = (k++ % 2 == 0) ? baseline * 4 / 10 : baseline;
      ASSERT_TRUE((*tx)->InsertAssessment({"demo-clinic", p.id + "/h24", p.id, "", ss->front().started_at +
                                           std::chrono::hours(24), "phq9", {}, total, "phq9-v1"}).ok());
    }
    ASSERT_TRUE((*tx)->Commit().ok());
  }

  CliRun r = Kira("report --db " + db_);

  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("Ketamine-arm rate across these trials"));
  EXPECT_THAT(r.out, HasSubstr("Your clinic: "));
  EXPECT_THAT(r.out, HasSubstr("(Wilson 95 %)"));
}

TEST_F(ReportCli, BadInputExits2NamingTheOption) {
  CliRun by = Kira("report --by colour --db " + db_);
  CliRun clinic = Kira("report --clinic nowhere --db " + db_);
  CliRun instrument = Kira("report --instrument nope --db " + db_);
  CliRun missing = Kira("report --db " + (dir_ / "absent" / "kira.db").string());

  EXPECT_EQ(by.code, 2);
  EXPECT_THAT(by.out, HasSubstr("--by"));
  EXPECT_EQ(clinic.code, 2);
  EXPECT_THAT(clinic.out, HasSubstr("--clinic"));
  EXPECT_EQ(instrument.code, 2);
  EXPECT_THAT(instrument.out, HasSubstr("--instrument"));
  EXPECT_EQ(missing.code, 2);
  EXPECT_THAT(missing.out, HasSubstr("--db: no registry"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "absent"));
}

}  // namespace
